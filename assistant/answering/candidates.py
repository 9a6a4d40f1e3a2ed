"""The extractive answerer's candidates: every quotable sentence of the retrieved passages (prose
sentences, and table rows with their header; no headings, questions, captions, bibliography or
runs of numbers), encoded once with the question, its section headings and a list question's
relation, and measured with ``scorer.SENTENCE_FEATURES``: the ``Pool`` that ``extractive``
selects from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import numpy as np

from ..citations import Quote
from ..encoder.encoder import Encoder
from ..retrieval.bylines import INSTITUTION_WORD, author_note_span, byline_span
from ..retrieval.continuations import GOES_ON, goes_on_in, unfinished
from ..retrieval.tables import caption_title
from ..text import fold, sentence_spans, terms, word_count
from ..types import Passage
from . import scorer
from .definitions import DOCUMENT_NOUN
from .front_matter import addressed
from .question import Question
from .readings import holds_address, names_and_identifiers

MIN_SENTENCE_WORDS = 4
# Kinds of text never quoted as an answer: a caption describes a figure, a reference cites a paper.
UNQUOTABLE_KINDS = ("caption", "references")
_CAPTION = re.compile(r"^(fig(ure)?|table|tab)\.?\s*\d+\s*[.:|]", re.I)
# A list question's enumeration ("The Fast R-CNN method has several advantages:" and its numbered
# items, the block after it) is quoted whole up to this many words: its items are what is asked.
ENUMERATION_WORDS = 60


@dataclass(frozen=True)
class Pool:
    """The candidate sentences of a question and their features (one row each)."""

    question: Question
    quotes: list[Quote]
    headers: list[tuple[Quote, ...]]  # a table row's header line and group label (none for prose)
    vectors: np.ndarray
    features: np.ndarray
    terms: list[frozenset[str]] = field(default_factory=list)
    # A who/which-company question's relation ("Who benefited?") against each candidate section's heading (cosine).
    relation_heading: dict[str, float] = field(default_factory=dict)
    # ... and against each candidate sentence (cosine; empty without a relation).
    relation_cos: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    # The candidates that are a list question's enumeration, its lead-in and items (``_enumerations``).
    enumerations: frozenset[int] = frozenset()
    # The candidates that are a document's byline, for a question asking who wrote it or their affiliation (``byline``).
    bylines: frozenset[int] = frozenset()
    # The candidates holding a web address, for a question asking where code or data is (``Question.address``).
    addresses: frozenset[int] = frozenset()


# A sentence that only announces what comes ("We describe each component of RetinaNet next.",
# "The details are as follows:") or an aside wholly in brackets ("(Note: the authors' given names
# are ...)") states no fact of its own.
_SIGNPOST = re.compile(r"\b(?:next|below|as follows|the following|in this section|in the following)\s*[.:]$", re.I)
SIGNPOST_WORDS = 15


def _is_signpost_or_aside(text: str) -> bool:
    stripped = text.strip()
    if stripped.startswith("(") and stripped.endswith((")", ").", ".)")):
        return True
    return word_count(stripped) <= SIGNPOST_WORDS and bool(_SIGNPOST.search(stripped))


def _is_heading_or_question(text: str, *, questions: bool = False) -> bool:
    """``text`` is a heading, or a question unless ``questions`` are quotable (then only a short
    one is, as a heading: "The Institution: What Lab Produced ResNet?")."""
    stripped = text.rstrip("\"'”’)] ")
    if stripped.endswith("?") and not questions:
        return True
    return not stripped.endswith((".", "!", ":", ";")) and word_count(text) < 12


# A paragraph's run-in heading, which PDF text glues to its first sentence: a few capitalised
# words ("Translation-Invariant Anchors", "A Loss Function for Learning Region Proposals") before
# a sentence's opening word, or before a colon ("Inference: RetinaNet forms a single FCN ...").
# Quoted, the sentence starts after it. (Not "In Table 3 we ...", nor "Correspondence to: ...".)
_HEADING_WORDS = r"[A-Z][\w’'*-]*(?:\s+(?:[A-Z][\w’'*-]*|of|for|and|the|in|on|with|a|an))*"
_OPENING_WORD = (r"(?:The|We|For|At|In|Our|This|These|To|As|Given|A|An|It|Each|Unlike|On|With|Following|Using|"
                 r"Here|When|Since|If|One|All|Both|Instead|There|Because|Although|While|After|By|From|Then|"
                 r"Finally|First|Second|Third|However|Thus)")
_RUN_IN_HEADING = re.compile(rf"(?!(?:In|See|On|For|At|To|By|As)\s)"
                             rf"(?:{_HEADING_WORDS}\s+(?={_OPENING_WORD}\s)|{_HEADING_WORDS}:\s+(?=[A-Z])"
                             # A byline's last line glued to the abstract's heading and first sentence:
                             # "Microsoft Research Abstract Deep residual networks [1] have emerged ...".
                             rf"|(?!(?:The|An?)\s)(?:[A-Z][\w’'*-]*\s+){{0,4}}Abstract[.:]?\s+(?=[A-Z]))")
MAX_RUN_IN_HEADING_WORDS = 10


def without_run_in_heading(quote: Quote) -> Quote:
    """``quote`` from where the sentence after its run-in heading starts, if it opens with one. Only
    the quote is trimmed: the sentence is scored with the heading's words, which often are what
    was asked ("Did a hinge-style loss work?": "Hinge Loss: Finally, in early experiments, ...")."""
    skip = _run_in_heading(quote.text)
    return replace(quote, start=quote.start + skip) if skip else quote


def _run_in_heading(text: str) -> int:
    """How many characters of ``text`` a run-in heading takes at its start (0: none); what is left is a
    quotable sentence. A section's heading may stand before one ("Appendix A: Focal Loss* The exact form ...")."""
    start = 0
    while found := _RUN_IN_HEADING.match(text, start):
        if word_count(found.group()) > MAX_RUN_IN_HEADING_WORDS or word_count(text[found.end():]) < MIN_SENTENCE_WORDS:
            break
        start = found.end()
    return start


# A word, hyphenated or possessive too ("single-crop", "model’s"): letters alone between its marks.
_WORDLIKE = re.compile(r"[^\W\d_]+(?:[-’'][^\W\d_]+)*")


def _is_numeric_run(text: str) -> bool:
    """PDF tables outside a recognised table come out as runs of numbers and symbols, and
    equations as runs of single letters ("0 L puct L i θiL i L L L L a tt t 0 resign"): a quotable
    sentence has words, and a quarter of its tokens at least are words of three letters or more
    (the library's prose sentences: 0.31 and up; its equation runs: 0.20 and below). A hyphenated
    or possessive word is a word: "This model’s single-crop (224×224) validation error is
    24.6%/7.5%, vs. the original ResNet-101’s 23.6%/7.1%." was read as a run of numbers."""
    # A symbol standing alone ("×", "=", "+") is neither: "after 19 × 19 × 2 = 722 moves" is prose.
    tokens = [t.strip("()[],.;:") for t in text.split() if any(ch.isalnum() for ch in t)]
    wordlike = sum(1 for t in tokens if _WORDLIKE.fullmatch(t))
    words = sum(1 for t in tokens if _WORDLIKE.fullmatch(t) and len(t) >= 3)
    return not tokens or wordlike < 0.6 * len(tokens) or words < 0.25 * len(tokens)


def _table_rows(passage: Passage) -> list[tuple[Quote, tuple[Quote, ...]]]:
    """(row, header) quotes of a table passage: each line after its first under the first line
    as the header when that line is a header (mostly words), and under the label line the table
    groups it by when one stands above it (a line holding no value: "CIFAR-100" over the rows
    measured on it, "# layers # params" over the rows giving them); a first line of names that
    holds no value is read as such a label. No header or label, no rows: a row of numbers without
    its column names does not tell a reader anything."""
    text = passage.chunk.text
    lines, start = [], 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            offset = start + line.index(stripped)
            lines.append((offset, offset + len(stripped)))
        start += len(line) + 1
    if len(lines) < 2 or not _is_numeric_run(text[lines[1][0]:lines[1][1]]):
        return []
    first = text[lines[0][0]:lines[0][1]]
    # A first line of names holding no value is a label too: its first group's ("CIFAR-10 error
    # (%)" over its rows, "CIFAR-100 error (%)" further down over the others), or a header naming
    # the columns ("case Fig. ResNet-110 ResNet-164"): wide dev +6 −1 (docs/EVALUATION.md, session 36).
    first_is_header = not _is_numeric_run(first)
    opens_with_label = not first_is_header and not _VALUE.search(first) and word_count(first) <= LABEL_WORDS
    if not (first_is_header or opens_with_label):
        return []
    header: tuple[Quote, ...] = (Quote(passage, *lines[0]),) if first_is_header else ()
    if passage.caption is not None:
        # What the rows measure, on which data and how, is in the table's caption.
        header = (Quote(replace(passage, chunk=passage.caption, caption=None), *caption_title(passage.caption.text)), *header)
    rows: list[tuple[Quote, tuple[Quote, ...]]] = []
    label: tuple[Quote, ...] = (Quote(passage, *lines[0]),) if opens_with_label else ()
    for s, e in lines[1:]:
        if not _VALUE.search(text[s:e]):
            label = (Quote(passage, s, e),) if word_count(text[s:e]) <= LABEL_WORDS else ()
        elif word_count(text[s:e]) >= 2:
            rows.append((Quote(passage, s, e), (*header, *label)))
    return rows


# A table cell's value: a number standing alone ("6.61", "1.7M", "−6", "(7.72±0.16)"), not one
# inside a name ("CIFAR-100", "ResNet-110", "Fig. 4(b)").
_VALUE = re.compile(r"(?<![\w.-])[-+−]?\d[\d.,]*(?:%|[KMB]|±[\d.]+)?(?![\w(-])")
LABEL_WORDS = 5


# What shows a byline (or a sentence) names where its authors work: an institution's kind of
# name or an e-mail address ("Microsoft Research {kahe, ...}@microsoft.com", "Facebook AI Research (FAIR)").
_INSTITUTION_NAME = re.compile(rf"\b{INSTITUTION_WORD}\b|@")


def names_institution(text: str) -> bool:
    return bool(_INSTITUTION_NAME.search(text))


# What a question says a document is about ("the MacroPolo piece on ResNet"): the article's body
# names it, not necessarily its title or its author note.
_DOCUMENT_TOPIC = re.compile(rf"\b{DOCUMENT_NOUN}\s+(?:on|about)\s+[^,;:?]+", re.I)


def byline(passage: Passage, *, with_title: bool = False) -> Quote | None:
    """The byline of a document's first chunk (``retrieval.bylines.byline_span``); with
    ``with_title``, from the title on ("Fast R-CNN Ross Girshick Microsoft Research"). In any
    other chunk, an author note: a short paragraph that opens by saying who a named person is
    ("Matt Sheehan is a Fellow at MacroPolo."), as an article's last one does. None when there
    is neither."""
    if passage.chunk.chunk_index != 0:
        return _author_note(passage)
    span = byline_span(passage.chunk)
    if span is None:
        return None
    title_start, start, stop = span
    return Quote(passage, title_start if with_title else start, stop)


def _author_note(passage: Passage) -> Quote | None:
    """The chunk's author note's first sentence (``retrieval.bylines.author_note_span``), or None."""
    span = author_note_span(passage.chunk.text)
    if span is None:
        return None
    start, stop = span
    first = sentence_spans(passage.chunk.text[start:stop])  # its first sentence says who it is
    return Quote(passage, start, start + first[0][1] if first else stop)


def position(quote: Quote) -> tuple[str, int | None, int]:
    """Where a quote starts in its document: the same sentence, whichever chunk or passage holds it."""
    chunk = quote.passage.chunk
    return (chunk.source, chunk.page, chunk.start + quote.start)


def _enumerations(text: str, spans: list[tuple[int, int]]) -> tuple[list[tuple[int, int]], set[int]]:
    """``spans`` with each sentence that ends in a colon joined to the enumeration it introduces:
    the rest of its block (to the next blank line past the colon), within ``ENUMERATION_WORDS``,
    and the starts of the joined ones. The items are sentences the splitter cuts at their numbers
    ("... SPPnet 2.", "Training is single-stage ...") or drops (a last item without a full stop),
    each meaningless alone."""
    joined: list[tuple[int, int]] = []
    enumerations: set[int] = set()
    k = 0
    while k < len(spans):
        start, end = spans[k]
        k += 1
        if not text[start:end].endswith(":"):
            joined.append((start, end))
            continue
        after = end + len(text[end:]) - len(text[end:].lstrip())
        blank = text.find("\n\n", after)
        stop = len(text) if blank < 0 else blank
        block = text[start:stop].rstrip()
        if after >= stop or word_count(block) > ENUMERATION_WORDS:
            joined.append((start, end))
            continue
        joined.append((start, start + len(block)))
        if start + len(block) > end:
            enumerations.add(start)
        while k < len(spans) and spans[k][0] < start + len(block):
            k += 1
    return joined, enumerations


def _sentences(passages: list[Passage], listing: bool = False, *, prose_only: bool = False,
               questions: bool = False) -> tuple[list[tuple[Quote, tuple[Quote, ...]]], set[int]]:
    """The quotable (sentence, table header) pairs of ``passages``, and the indexes of those that
    are a list question's enumerations. With ``prose_only`` (a definition question) no table row:
    a row states values, never what something is ("plain ResNet | 18 layers 27.94 27.88" answered
    "What do the ResNet authors mean by a 'plain' network?"); with ``questions``, the questions a
    text asks too (``_is_heading_or_question``)."""
    seen: set[tuple[str, int | None, int]] = set()
    found: list[tuple[Quote, tuple[Quote, ...]]] = []
    enumerated: set[int] = set()
    for passage in passages:
        chunk = passage.chunk
        if chunk.kind in UNQUOTABLE_KINDS or (prose_only and chunk.kind == "table"):
            continue
        starts: set[int] = set()  # where this chunk's enumerations start
        if chunk.kind == "table":
            rows = _table_rows(passage)
        else:
            spans = sentence_spans(chunk.text)
            if listing:
                spans, starts = _enumerations(chunk.text, spans)
            rows = [(Quote(passage, s, e), ()) for s, e in spans]
        for quote, header in rows:
            key = position(quote)  # overlapping chunks repeat sentences
            text = quote.text
            if key in seen:
                continue
            if not header and (word_count(text) < MIN_SENTENCE_WORDS or _is_heading_or_question(text, questions=questions)
                                   or _is_numeric_run(text) or _CAPTION.match(text) or _is_signpost_or_aside(text)):
                continue
            seen.add(key)
            if quote.start in starts:
                enumerated.add(len(found))
            found.append((quote, header))
    return found, enumerated


def _without_bylines(found: list[tuple[Quote, tuple[Quote, ...]]], enumerated: set[int], passages: list[Passage]
                     ) -> tuple[list[tuple[Quote, tuple[Quote, ...]]], set[int]]:
    """``found`` (and the indexes of its enumerations) without the sentences of the passages'
    bylines: a byline says who wrote the document, which only a question about its authors asks
    ("In what year did Ross Girshick move to Facebook?" is not answered by "... Ross Girshick
    Kaiming He Piotr Dollár Facebook AI Research (FAIR)")."""
    bylines = [line for line in (byline(p) for p in passages if p.chunk.chunk_index == 0) if line is not None]
    kept = [i for i, (q, _) in enumerate(found)
            if not any(q.passage is b.passage and q.start < b.end and b.start < q.end for b in bylines)]
    return [found[i] for i in kept], {new for new, old in enumerate(kept) if old in enumerated}


def prose_sentences(passages: list[Passage]) -> list[Quote]:
    """The quotable prose sentences of ``passages`` (no table row, heading, caption or byline), the
    questions they ask among them, in their order, each without a run-in heading."""
    found, enumerated = _sentences(passages, prose_only=True, questions=True)
    return [without_run_in_heading(quote) for quote, _ in _without_bylines(found, enumerated, passages)[0]]


def candidates(question: Question, passages: list[Passage], encoder: Encoder) -> Pool:
    """Every quotable sentence of ``passages`` with its ``scorer.SENTENCE_FEATURES``."""
    found, enumerated = _sentences(passages, question.listing, prose_only=bool(question.subject))
    if not (question.authors or question.affiliation or question.written_by):
        found, enumerated = _without_bylines(found, enumerated, passages)
    # A question asking which documents a person wrote is answered with their titles, too.
    lines = ([line for line in (byline(p, with_title=bool(question.written_by)) for p in passages) if line is not None]
             if question.authors or question.affiliation or question.written_by else [])
    if lines:
        # An article's author note answers who wrote the article, not a question naming something
        # its title and the note do not ("Who was the lead author of ResNet?" is not "Matt Sheehan
        # is a Fellow at MacroPolo.").
        asked_names = names_and_identifiers(_DOCUMENT_TOPIC.sub(" ", question.text))
        lines = [line for line in lines if line.passage.chunk.chunk_index == 0
                 or all(fold(name) in fold(f"{line.passage.chunk.title} {line.text}") for name in asked_names)]
    if question.written_by:
        # ... one asking which documents a person wrote, by the bylines that name them.
        lines = [line for line in lines if line.passage.chunk.chunk_index == 0
                 and any(fold(person) in fold(line.text) for person in question.written_by)]
    if question.affiliation:
        # ... one asking their affiliation, by the bylines that name an institution (not the
        # names alone: "David Silver, Julian Schrittwieser, ...").
        lines = [line for line in lines if line.passage.chunk.chunk_index != 0 or names_institution(line.text)]
    if lines:
        # A question asking who wrote a document (or where they were) is answered by its byline:
        # it leads the candidates, once (a long byline is also a candidate sentence), and nothing
        # is an enumeration of it.
        at = {position(q) for q in lines}
        found = [(q, ()) for q in lines] + [(q, h) for q, h in found if position(q) not in at]
        enumerated = set()
    quotes = [q for q, _ in found]
    headers = [h for _, h in found]
    if not quotes:
        return Pool(question, [], [], np.zeros((0, 1), dtype=np.float32), np.zeros((0, len(scorer.SENTENCE_FEATURES))))
    query = f"{question.text} ({question.context})" if question.context else question.text
    texts = [with_header(q, h) for q, h in found]
    sections = sorted({q.passage.chunk.section for q in quotes} - {""})
    # A who/which-company question's relation rides in the same batch: one more short text, no extra pass.
    relation = [question.relation] if question.relation else []
    vectors = encoder.encode_sentences([query] + texts + sections + relation)
    query_vector, sentence_vectors = vectors[0], vectors[1 : 1 + len(texts)]
    heading_vectors = dict(zip(sections, vectors[1 + len(texts) : 1 + len(texts) + len(sections)]))
    relation_heading = {section: float(v @ vectors[-1]) for section, v in heading_vectors.items()} if relation else {}
    heading_cos = {section: float(v @ query_vector) for section, v in heading_vectors.items()}
    ranks = {id(p): r for r, p in enumerate(passages)}
    features = scorer.sentence_features(
        question, texts, [q.passage.chunk.section for q in quotes],
        cos=sentence_vectors @ query_vector,
        cos_window=_window_vectors(quotes, sentence_vectors, heading_vectors) @ query_vector,
        cos_heading=np.asarray([heading_cos.get(q.passage.chunk.section, 0.0) for q in quotes], dtype=np.float32),
        ranks=[ranks[id(q.passage)] for q in quotes],
        fused=[q.passage.score for q in quotes],
        relevance=[q.passage.relevance for q in quotes],
        chunk_index=[q.passage.chunk.chunk_index for q in quotes],
    )
    return Pool(question, quotes, headers, sentence_vectors, features, [frozenset(terms(t)) for t in texts],
                relation_heading, sentence_vectors @ vectors[-1] if relation else np.zeros(0, dtype=np.float32),
                frozenset(enumerated), frozenset(range(len(lines))),
                _addresses(question, texts))


def _addresses(question: Question, texts: list[str]) -> frozenset[int]:
    """The candidates giving a web address with the words of what the question asks the address
    of (``question.addressed``); none for a question asking no address."""
    if not question.address:
        return frozenset()
    kind = addressed(question.text)
    return frozenset(i for i, t in enumerate(texts) if holds_address(t) and (kind is None or kind.search(t)))


def following(pool: Pool, i: int) -> int | None:
    """The candidate that follows sentence ``i`` in its passage; when ``i`` is cut at its chunk's
    end, the first whole sentence of the nearest later chunk among the passages that it goes on in
    (``continuations.goes_on_in``): "We argue that this is because of overfitting." follows "The
    testing result of this 1202-layer network is worse ..., although both" (the chunk after goes on
    "have similar training error."). None when the passage ends, or no passage goes on."""
    quote = pool.quotes[i]
    after = [j for j, q in enumerate(pool.quotes) if q.passage is quote.passage and q.start >= quote.end]
    if after:
        return min(after, key=lambda j: pool.quotes[j].start)
    chunk = quote.passage.chunk
    if not unfinished(chunk) or chunk.text[quote.end:].strip():
        return None
    later = [q.passage.chunk for q in pool.quotes
             if q.passage.chunk.source == chunk.source and q.passage.chunk.chunk_index > chunk.chunk_index]
    going_on = min(later, key=lambda c: c.chunk_index, default=None)
    if going_on is None or not goes_on_in(chunk, going_on):
        return None
    whole = [j for j, q in enumerate(pool.quotes) if q.passage.chunk is going_on and not GOES_ON.match(q.text)]
    return min(whole, key=lambda j: pool.quotes[j].start) if whole else None


def preceding(pool: Pool, i: int) -> int | None:
    """The candidate before sentence ``i`` in its passage (None when it opens the passage)."""
    quote = pool.quotes[i]
    before = [j for j, q in enumerate(pool.quotes) if q.passage is quote.passage and q.end <= quote.start]
    return max(before, key=lambda j: pool.quotes[j].start) if before else None


def with_header(quote: Quote, header: tuple[Quote, ...]) -> str:
    """A table row as the sentence model reads it: under its header line and group label (a
    sentence: itself). Not under its caption: the model was fitted on rows without one, and a
    caption's words make a row look like the question's answer more than its prose does."""
    return "\n".join([*(h.text for h in header if h.passage.chunk.kind != "caption"), quote.text])


def as_quoted(quote: Quote, header: tuple[Quote, ...]) -> str:
    """A table row as the answer quotes it, under its caption too (a sentence: itself)."""
    return "\n".join([*(h.text for h in header), quote.text])


def _window_vectors(quotes: list[Quote], vectors: np.ndarray, headings: dict[str, np.ndarray]) -> np.ndarray:
    """Each sentence with its neighbours from the same passage and its section's heading (the
    context a reader sees), as the normalised sum of their vectors: nearly what embedding the
    window gives, for free."""
    windows = vectors.copy()
    for i, quote in enumerate(quotes):
        for j in (i - 1, i + 1):
            if 0 <= j < len(quotes) and quotes[j].passage is quote.passage:
                windows[i] += vectors[j]
        if quote.passage.chunk.section in headings:
            windows[i] += headings[quote.passage.chunk.section]
    return windows / np.linalg.norm(windows, axis=1, keepdims=True)
