"""The default answerer: quotes the retrieved sentences that state the asked fact.

It cannot invent a fact: every sentence of the answer is a verbatim sentence of a passage, cited.
Each candidate sentence (prose of the retrieved passages: no headings, questions, figure captions
or bibliography; a table row only with its table's header) gets the fitted sentence model's
probability that it states an asked fact (``scorer.py``). The most probable sentence opens the
answer; further ones join when they are nearly as probable and add what the first lacks (a
question term, or, for list questions such as "Who benefited ...?", another name), never two that
say the same thing, within a word budget. The gate model then gives the whole answer the
probability that it answers the question, which the chain compares with its threshold.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from ..citations import Quote
from ..encoder.encoder import Encoder
from ..text import QUESTION_WORDS, sentence_spans, terms, word_count
from ..types import Passage
from . import scorer
from .question import (Question, analyse, asking_terms, holds_type, is_number, name_words, names, new_names, opening_name,
                       question_terms, typed)

MIN_SENTENCE_WORDS = 4
# A name in more than this share of the candidate sentences is the topic of a list, not an item.
TOPIC_SHARE = 0.1
# Kinds of text never quoted as an answer: a caption describes a figure, a reference cites a paper.
UNQUOTABLE_KINDS = ("caption", "references")
_CAPTION = re.compile(r"^(fig(ure)?|table|tab)\.?\s*\d+\s*[.:|]", re.I)


@dataclass(frozen=True)
class Selection:
    """How further sentences join the best one; chosen on the dev split (docs/EVALUATION.md)."""

    # A further sentence needs this share of the best one's probability, and at least ``floor``.
    ratio: float = 0.3
    floor: float = 0.1
    # At most this many sentences (list questions: one per item, up to ``list_sentences``).
    sentences: int = 3
    list_sentences: int = 4
    # Two sentences whose cosine exceeds this say the same thing: the second is left out.
    max_similarity: float = 0.7
    # List questions draw from the sections whose heading holds a question term, if any.
    list_section: bool = True
    # A who/which-company list opens with a sentence naming an item, when one does.
    item_first: bool = True
    # A further sentence of a non-list answer has at most this many words (None: no cap): a long
    # one rarely holds what the first lacks (dev: median 63.5 -> 60 words, correct unchanged).
    further_words: int | None = 35


DEFAULT_SELECTION = Selection()


@dataclass(frozen=True)
class Pool:
    """The candidate sentences of a question and their features (one row each)."""

    question: Question
    quotes: list[Quote]
    headers: list[Quote | None]  # a table row's header line (None for prose)
    vectors: np.ndarray
    features: np.ndarray
    terms: list[frozenset[str]] = field(default_factory=list)


@dataclass(frozen=True)
class Extract:
    """The chosen quotes in answer order (the best first), and the gate's view of them."""

    quotes: tuple[Quote, ...]
    probability: float = 0.0  # the gate model's probability that the quotes answer the question
    best_probability: float = 0.0  # the sentence model's, for the best sentence
    typed: bool = False  # the question asks for a number, an amount, a role or names...
    has_type: bool = False  # ...and a quote holds one
    gate_features: tuple[float, ...] = ()
    # The passages in the order of their most probable sentence: what a generative backend reads.
    passages: tuple[Passage, ...] = ()


def _is_heading_or_question(text: str) -> bool:
    stripped = text.rstrip("\"'”’)] ")
    if stripped.endswith("?"):
        return True
    return not stripped.endswith((".", "!", ":", ";")) and word_count(text) < 12


def _is_numeric_run(text: str) -> bool:
    """PDF tables outside a recognised table come out as runs of numbers and symbols."""
    tokens = text.split()
    wordlike = sum(1 for t in tokens if t.strip("()[],.;:").isalpha())
    return wordlike < 0.6 * len(tokens)


def _table_rows(passage: Passage) -> list[tuple[Quote, Quote]]:
    """(row, header) quotes of a table passage: each line after its first, with the first line
    as the header when that line is a header (mostly words). No header, no rows: a row of numbers
    without its column names does not tell a reader anything."""
    text = passage.chunk.text
    lines, start = [], 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            offset = start + line.index(stripped)
            lines.append((offset, offset + len(stripped)))
        start += len(line) + 1
    if len(lines) < 2 or not _is_numeric_run(text[lines[1][0]:lines[1][1]]) or _is_numeric_run(text[lines[0][0]:lines[0][1]]):
        return []
    header = Quote(passage, *lines[0])
    return [(Quote(passage, s, e), header) for s, e in lines[1:] if word_count(text[s:e]) >= 2]


def _sentences(passages: list[Passage]) -> list[tuple[Quote, Quote | None]]:
    seen: set[tuple[str, int | None, int]] = set()
    found: list[tuple[Quote, Quote | None]] = []
    for passage in passages:
        chunk = passage.chunk
        if chunk.kind in UNQUOTABLE_KINDS:
            continue
        if chunk.kind == "table":
            rows = _table_rows(passage)
        else:
            rows = [(Quote(passage, s, e), None) for s, e in sentence_spans(chunk.text)]
        for quote, header in rows:
            key = (chunk.source, chunk.page, chunk.start + quote.start)  # overlapping chunks repeat sentences
            text = quote.text
            if key in seen:
                continue
            if header is None and (word_count(text) < MIN_SENTENCE_WORDS or _is_heading_or_question(text)
                                   or _is_numeric_run(text) or _CAPTION.match(text)):
                continue
            seen.add(key)
            found.append((quote, header))
    return found


def candidates(question: Question, passages: list[Passage], encoder: Encoder) -> Pool:
    """Every quotable sentence of ``passages`` with its ``scorer.SENTENCE_FEATURES``."""
    found = _sentences(passages)
    quotes = [q for q, _ in found]
    headers = [h for _, h in found]
    if not quotes:
        return Pool(question, [], [], np.zeros((0, 1), dtype=np.float32), np.zeros((0, len(scorer.SENTENCE_FEATURES))))
    query = f"{question.text} ({question.context})" if question.context else question.text
    texts = [_with_header(q, h) for q, h in found]
    sections = sorted({q.passage.chunk.section for q in quotes} - {""})
    vectors = encoder.encode_sentences([query] + texts + sections)
    query_vector, sentence_vectors = vectors[0], vectors[1 : 1 + len(texts)]
    heading_vectors = dict(zip(sections, vectors[1 + len(texts):]))
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
    return Pool(question, quotes, headers, sentence_vectors, features, [frozenset(terms(t)) for t in texts])


def _with_header(quote: Quote, header: Quote | None) -> str:
    return f"{header.text}\n{quote.text}" if header else quote.text


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


def select(pool: Pool, probability: np.ndarray, *, max_words: int, selection: Selection = DEFAULT_SELECTION) -> list[int]:
    """Indexes of the chosen sentences, the best first."""
    if not pool.quotes:
        return []
    question = pool.question
    order = [int(i) for i in np.argsort(-probability, kind="stable")]
    gathering = False
    known = frozenset().union(*(names(q.text) for q in pool.quotes))
    topic = _topic_names(question, pool, known) if question.listing else frozenset()
    items = [_items(question, pool.quotes[i].text, known, topic) for i in range(len(pool.quotes))]
    if question.listing and selection.list_section:
        # A list question's items are gathered under the heading that names what it asks
        # ("Who Benefitted and Who Lost Out?" for "Who benefited from ResNet?"), when one does:
        # the heading holding the most of the question's focus (its terms weighted by rarity among
        # the candidates, so the asked relation outweighs the topic every section shares).
        held = _heading_focus(pool)
        if held.max() > 0:
            order = [i for i in order if held[i] == held.max()]
            # Under that heading every sentence naming a further item joins, however probable:
            # items are what the section lists, and the sentence model ranks them, not the floor.
            gathering = True
    if question.listing and question.entity and selection.item_first:
        # The answer opens with an item ("Microsoft itself also benefited ..."), not with the
        # most probable sentence about the topic ("The researchers behind ResNet have all moved on").
        named = [i for i in order if items[i]]
        if named:
            order = named + [i for i in order if not items[i]]
    best = probability[order[0]]
    limit = selection.list_sentences if question.listing else selection.sentences
    chosen: list[int] = []
    words = 0
    items_named: set[str] = set()
    for i in order:
        if len(chosen) >= limit:
            break
        if chosen and not gathering and probability[i] < max(selection.floor, selection.ratio * best):
            break
        text = _with_header(pool.quotes[i], pool.headers[i])
        length = word_count(text)
        if words + length > max_words:
            continue
        found = items[i]
        if chosen:
            if question.listing and not found - items_named:  # a list question's further sentence names a new item
                continue
            if not question.listing and selection.further_words and length > selection.further_words:
                continue
            if max(float(pool.vectors[i] @ pool.vectors[j]) for j in chosen) > selection.max_similarity:
                continue
        chosen.append(i)
        words += length
        items_named |= found
    return chosen


def _items(question: Question, sentence: str, known: frozenset[str], topic: frozenset[str]) -> set[str]:
    """The items a list sentence names: its new names but the list's topic, except a name that
    opens it, the sentence's subject ("Microsoft itself also benefited from the paper")."""
    found = new_names(question, sentence, known)
    return (found - topic) | ({opening_name(sentence)} & found)


def _topic_names(question: Question, pool: Pool, known: frozenset[str]) -> frozenset[str]:
    """Names that many candidate sentences share ("MSRA", "AI" in an article about them): the
    list's topic, not its items, so naming one does not make a sentence a further item."""
    counts: dict[str, int] = {}
    for quote in pool.quotes:
        for name in new_names(question, quote.text, known):
            counts[name] = counts.get(name, 0) + 1
    limit = max(2, TOPIC_SHARE * len(pool.quotes))
    return frozenset(name for name, n in counts.items() if n > limit)


def _heading_focus(pool: Pool) -> np.ndarray:
    """Each sentence's share of the question's focus that its section heading holds."""
    own = pool.question.own_terms
    n = len(pool.quotes)
    focus = {t: math.log(1 + (n + 1) / (1 + sum(t in have for have in pool.terms))) for t in own}
    total = sum(focus.values()) or 1.0
    by_section: dict[str, float] = {}
    for quote in pool.quotes:
        section = quote.passage.chunk.section
        if section not in by_section:
            heading = set(terms(section))
            by_section[section] = sum(w for t, w in focus.items() if t in heading) / total
    return np.asarray([by_section[q.passage.chunk.section] for q in pool.quotes], dtype=np.float32)


def gate_features(pool: Pool, probability: np.ndarray, chosen: list[int], passages: list[Passage]) -> tuple[float, ...]:
    """The answer's ``scorer.GATE_FEATURES``."""
    question = pool.question
    if not chosen:
        return ()
    best = chosen[0]
    column = {name: k for k, name in enumerate(scorer.SENTENCE_FEATURES)}
    texts = [_with_header(pool.quotes[i], pool.headers[i]) for i in chosen]
    have = set().union(*(pool.terms[i] for i in chosen))
    has_type = any(holds_type(question, t) for t in texts)
    if has_type:
        have |= asking_terms(question)
    own = question.asked_terms
    total = sum(question.idf[t] for t in own) or 1.0
    coverage = sum(question.idf[t] for t in own if t in have) / total
    rarest = max((question.idf[t] for t in own), default=1.0) or 1.0
    missing = max((question.idf[t] for t in own if t not in have), default=0.0) / rarest
    return (
        # The most probable sentence of the pool: the chosen first one, except when a list
        # question gathers its items under a heading, where the corpus's best evidence still counts.
        scorer.logit(float(probability.max())),
        max(p.relevance for p in passages),
        float(pool.features[best, column["cos"]]),
        float(pool.features[best, column["bm25"]]),
        coverage,
        missing,
        float(typed(question) and not has_type),
        # Checked in the best sentence and its passage, not in all the quotes: a look-alike's
        # numbers are each somewhere in the answer's document, never together in one statement.
        scorer.numbers_missing(question, texts[0]),
        scorer.numbers_missing(question, pool.quotes[best].passage.chunk.text),
    )


def extract(question: str, passages: list[Passage], encoder: Encoder, *, max_words: int, context: str = "",
            idf: dict[str, float] | None = None, selection: Selection = DEFAULT_SELECTION) -> Extract:
    """The best quotes for ``question`` and the gate's probability that they answer it.
    ``idf``: the corpus idf of the question's and the context's terms (``Bm25Side.idf``)."""
    sentence_model, gate_model = scorer.models()
    analysed = analyse(question, context, idf)
    pool = candidates(analysed, passages, encoder)
    if not pool.quotes:
        return Extract(())
    probability = sentence_model.probability(pool.features)
    chosen = select(pool, probability, max_words=max_words, selection=selection)
    if not chosen:
        return Extract(())
    row = gate_features(pool, probability, chosen, passages)
    best, rest = chosen[0], sorted(chosen[1:], key=lambda i: _reading_order(pool.quotes[i]))
    quotes: list[Quote] = []
    for i in [best, *rest]:
        if pool.headers[i] is not None:
            quotes.append(pool.headers[i])
        quotes.append(pool.quotes[i])
    return Extract(
        quotes=tuple(quotes),
        probability=float(gate_model.probability(np.asarray(row, dtype=np.float32))[0]),
        best_probability=float(probability[best]),
        typed=typed(analysed),
        has_type=row[scorer.GATE_FEATURES.index("type_miss")] == 0.0,
        gate_features=row,
        passages=by_best_sentence(pool, probability, passages),
    )


def by_best_sentence(pool: Pool, probability: np.ndarray, passages: list[Passage]) -> tuple[Passage, ...]:
    """``passages`` ordered by their most probable sentence (those without a quotable sentence
    last, in retrieval order): the sentence model chooses what a generative backend reads first."""
    best: dict[int, float] = {}
    for quote, p in zip(pool.quotes, probability):
        best[id(quote.passage)] = max(best.get(id(quote.passage), 0.0), float(p))
    return tuple(sorted(passages, key=lambda passage: -best.get(id(passage), -1.0)))


def names_and_identifiers(question: str) -> list[str]:
    """What a question names: capitalised words past its first ("Yann", "LeCun") and words
    mixing letters and digits ("Places365", "V100")."""
    # A size ("320x320", "1x1") is numbers, which the gate checks, not a name: the papers print it
    # "320×320", which the index reads as two numbers, so as a name no document would mention it.
    identifiers = [i for i in _IDENTIFIER.findall(question) if not is_number(i)]
    # A name match stops at a digit ("YOLOv" of "YOLOv2"): the identifier is the word asked about.
    found = [w for w in name_words(question)
             if not any(i != w and i.startswith(w) for i in identifiers)] + identifiers
    return [w for w in dict.fromkeys(found) if w.lower() not in QUESTION_WORDS]


_IDENTIFIER = re.compile(r"\b(?=[\w-]*\d)(?=[\w-]*[A-Za-z])[\w-]+\b")


def _reading_order(quote: Quote) -> tuple:
    chunk = quote.passage.chunk
    return (chunk.source, chunk.page or 0, chunk.start + quote.start)


def query_terms(question: str, context: str = "") -> list[str]:
    """The terms whose corpus idf the answerer needs for ``question`` (and its context)."""
    return list(dict.fromkeys(question_terms(question) + question_terms(context)))

