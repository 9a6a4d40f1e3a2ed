"""Checks a generated answer against the passages it was given, sentence by sentence.

``verify(text, passages, encoder)`` splits the answer into sentences, reads their ``[n]`` /
``[n, m]`` citation markers (numbers refer to the prompt's passages ``[1]..[k]``), and decides for
each sentence whether a passage supports it:

* a marker naming a passage that was not given (``[7]`` of 6) is removed, with a note;
* a sentence is supported when one of its cited passages supports it; cited passages that do not
  support it lose their marker;
* when no cited passage supports it but another given passage does, that passage is cited
  instead (noted); otherwise the sentence is flagged ``supported=False`` and loses its markers,
  so every citation of the result supports the sentence that cites it, through its quote: the
  passage sentence closest to the claim.

Support of a claim by a passage is measured, not asked of a model:

* ``invented``: a number (digits or a number word) or a capitalised name of the claim that is not
  in the passage. One is enough to refuse support: numbers and names are what a small model
  invents, and an embedding barely notices "2005" for "1998" or "Stanford" for "Tsinghua";
* ``coverage``: the share of the claim's content terms (``text.terms``: stemmed, no stopwords,
  no "passage"/"according" filler) found in the passage;
* ``cosine``: the best cosine between the claim and one sentence of the passage
  (all-MiniLM-L6-v2, normalised vectors).

A passage supports a claim when nothing is invented, ``coverage >= MIN_COVERAGE``,
``cosine >= MIN_COSINE`` and ``(coverage + cosine) / 2 >= MIN_SCORE``.

Calibration (the examples are kept in ``tests/test_verify.py``, which re-measures them): 28
faithful paraphrases and 28 invented or distorted claims written from the seed article
(corpus/who-benefits-from-american-ai-research-in-china.txt), each checked against all 12 chunks
of the article (200 word pieces, 40 overlap), so an invented claim had every chance to find
support. Measured on each claim's best chunk:

* faithful: coverage 0.67-1.00, cosine 0.47-0.97, score 0.72-0.98, and none has an invented
  number or name. One outlier (coverage 0.43, score 0.56) is a loose summary of the closing
  sentence ("policies that use the scalpel rather than the hammer") and is refused;
* invented: 18 of 28 carry a number or a name missing from the chunk that best matches them
  (Google, Stanford, Peking, 2005, 48,000, "three billion"...). Two of those would pass on score
  alone (48,000 citations: 0.73; "close the Beijing lab in 2012": 0.73), which is why an invented
  number or name vetoes support. The 10 others score 0.18-0.67 when topical ("rejected by several
  conferences": coverage 0.67, cosine 0.67, score 0.67), except three that reuse the passage's
  own words in a false relation.

So MIN_SCORE = 0.70 sits between the best topical invention (0.67) and the weakest faithful claim
(0.72); MIN_COVERAGE = 0.60 ("most of the claim's terms") and MIN_COSINE = 0.45 (faithful >= 0.47,
while "MSRA was founded in 2004", coverage 1.00, has cosine 0.42) stop a single strong signal from
carrying a claim alone. Result: 27/28 faithful supported, 26/28 invented refused. What this cannot
see is a relation swapped between entities the same passage names ("Kaiming He joined Megvii as
its chief scientist", "Shaoqing Ren joined Facebook AI Research": every word is in the passage);
that needs an entailment model.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..citations import Quote, cite
from ..encoder.encoder import Encoder
from ..text import STOPWORDS, sentence_spans, terms, words
from ..types import Citation, Passage, Sentence

MIN_COVERAGE = 0.60
MIN_COSINE = 0.45
MIN_SCORE = 0.70

# [1] [1, 2] [1-3] [1; 2] [Passage 2] [passages 1 and 3]
_MARKER = re.compile(
    r"\[\s*(?:(?:passages?|sources?|docs?|documents?)\s*)?(\d{1,3}(?:\s*(?:,|;|and|&|-|\u2013)\s*\d{1,3})*)\s*\]",
    re.IGNORECASE,
)
# Filler that refers to the prompt rather than to the world ("According to passage 2, ...").
_META = re.compile(
    r"\b(?:according to|as stated in|as (?:mentioned|noted|described) in)\s+(?:the\s+)?(?:passages?|sources?|text|article)\s*(?:\d{1,3})?\s*,?"
    r"|\b(?:passages?|sources?)\s+\d{1,3}\b",
    re.IGNORECASE,
)
META_TERMS = frozenset(terms("passage passages source sources according text article provided mentioned stated"))
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NUMBER_WORDS = {
    w: str(i)
    for i, w in enumerate(
        "zero _ two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen twenty".split()
    )
    if w != "_"  # "one" is a pronoun as often as a number
}
_NUMBER_WORDS.update({"thirty": "30", "forty": "40", "fifty": "50", "hundred": "100", "thousand": "1000",
                      "million": "1000000", "billion": "1000000000", "dozen": "12"})
_SOURCE_LINE = re.compile(r"(?im)^\s*\[\d{1,3}\]\s*source:.*$")
_SCAFFOLD = re.compile(r"</?passages?>|^\s*answer:\s*", re.IGNORECASE | re.MULTILINE)
_LIST_NUMBER = re.compile(r"\d{1,2}[.)]?")
_BULLET = re.compile(r"^(?:[-*\u2022]|\d{1,2}[.)])\s+")
_TOKEN = re.compile(r"[^\W_]+(?:['\u2019-][^\W_]+)*")


@dataclass(frozen=True)
class Verified:
    """The checked answer: ``text`` re-rendered with renumbered markers, ``citations`` numbered
    1..m in order of first use, one ``Sentence`` per sentence, and what was changed, in ``notes``."""

    text: str
    citations: tuple[Citation, ...]
    sentences: tuple[Sentence, ...]
    notes: tuple[str, ...]
    mostly_unsupported: bool


@dataclass(frozen=True)
class Support:
    """How well one passage supports one claim; ``quote`` is its best sentence (chunk offsets)."""

    coverage: float
    cosine: float
    invented: frozenset[str]
    quote: tuple[int, int]

    @property
    def score(self) -> float:
        return (self.coverage + self.cosine) / 2

    @property
    def supported(self) -> bool:
        return (
            not self.invented
            and self.coverage >= MIN_COVERAGE
            and self.cosine >= MIN_COSINE
            and self.score >= MIN_SCORE
        )


@dataclass(frozen=True)
class _Draft:
    text: str
    cited: list[int]  # valid passage numbers, once each
    written: list[int]  # every number the model wrote, for the notes


def claim_text(sentence: str) -> str:
    """A sentence without its citation markers, on one line."""
    text = _MARKER.sub(" ", sentence)
    text = _BULLET.sub("", " ".join(text.split()))
    return re.sub(r"\s+([.,;:!?])", r"\1", text)


def claim_terms(claim: str) -> set[str]:
    return set(terms(_META.sub(" ", claim))) - META_TERMS


def numbers(text: str) -> set[str]:
    found = {n.replace(",", "").rstrip(".") for n in _NUMBER.findall(text)}
    found |= {_NUMBER_WORDS[w] for w in words(text) if w in _NUMBER_WORDS}
    return found


def names(claim: str) -> set[str]:
    """Capitalised words that are not just the first word of the sentence, and acronyms."""
    out = set()
    for i, match in enumerate(_TOKEN.finditer(_META.sub(" ", claim))):
        word = match.group(0)
        acronym = sum(c.isupper() for c in word) > 1
        if not word[0].isupper() or (i == 0 and not acronym):
            continue
        if word.lower() in STOPWORDS:
            continue
        out.add(word)
    return out


class _PassageIndex:
    """Sentences, terms and numbers of the given passages, and their sentence vectors."""

    def __init__(self, passages: Sequence[Passage]) -> None:
        self.passages = list(passages)
        self.spans = [sentence_spans(p.chunk.text) or [(0, len(p.chunk.text))] for p in self.passages]
        self.terms = [set(terms(p.chunk.text)) for p in self.passages]
        self.numbers = [numbers(p.chunk.text) for p in self.passages]
        self.offsets = np.cumsum([0] + [len(s) for s in self.spans])

    def sentence_texts(self) -> list[str]:
        return [p.chunk.text[a:b] for p, spans in zip(self.passages, self.spans) for a, b in spans]


def assess(claims: Sequence[str], passages: Sequence[Passage], encoder: Encoder) -> list[list[Support]]:
    """``support[i][j]``: how passage ``j`` supports claim ``i``."""
    index = _PassageIndex(passages)
    sentences = index.sentence_texts()
    if not claims or not sentences:
        return [[] for _ in claims]
    vectors = encoder.encode_sentences([*claims, *sentences])
    cosines = vectors[len(claims):] @ vectors[: len(claims)].T  # (sentences, claims)
    table = []
    for i, claim in enumerate(claims):
        wanted = claim_terms(claim)
        claim_numbers = numbers(_META.sub(" ", claim))
        claim_names = names(claim)
        row = []
        for j, passage in enumerate(index.passages):
            have = index.terms[j]
            coverage = len(wanted & have) / len(wanted) if wanted else 0.0
            invented = (claim_numbers - index.numbers[j]) | {w for w in claim_names if not set(terms(w)) <= have}
            sims = cosines[index.offsets[j] : index.offsets[j + 1], i]
            # The quote: the sentence that is closest in meaning and shares the most terms.
            best, best_value = 0, -1.0
            for k, (a, b) in enumerate(index.spans[j]):
                shared = len(wanted & set(terms(passage.chunk.text[a:b]))) / len(wanted) if wanted else 0.0
                value = float(sims[k]) + shared
                if value > best_value:
                    best, best_value = k, value
            row.append(Support(coverage, float(sims.max()), frozenset(invented), index.spans[j][best]))
        table.append(row)
    return table


def verify(text: str, passages: list[Passage], encoder: Encoder, question: str = "") -> Verified:
    """``question``: a sentence whose content terms are all the question's ("The company that
    Kaiming He joined [1]", SmolLM2's answer to "Which company did Kaiming He join?") restates it
    and states nothing to check, however well a passage matches it."""
    drafts = _split(text)
    k = len(passages)
    notes: list[str] = []
    removed: set[int] = set()
    for draft in drafts:
        for n in draft.cited:
            if not 1 <= n <= k and n not in removed:
                removed.add(n)
                notes.append(f"removed citation [{n}]: no such passage (only {k} were given)")
        draft.written[:] = list(dict.fromkeys(draft.cited))
        draft.cited[:] = [n for n in draft.written if 1 <= n <= k]
    drafts = [d for d in drafts if d.text]
    if not drafts:
        return Verified("", (), (), (*notes, "the model produced no answer text"), True)

    claims = [d.text for d in drafts]
    table = assess(claims, passages, encoder)
    asked = claim_terms(question)
    numbering: dict[tuple[int, int, int], int] = {}
    citations: list[Citation] = []
    sentences: list[Sentence] = []
    claims_made = unsupported = 0

    def number(j: int, support: Support) -> int:
        key = (j, *support.quote)
        if key not in numbering:
            numbering[key] = len(numbering) + 1
            citations.append(cite(Quote(passages[j], *support.quote), numbering[key]))
        return numbering[key]

    for position, (draft, row) in enumerate(zip(drafts, table), start=1):
        label = f"sentence {position} (\u201c{_clip(draft.text)}\u201d)"
        if not claim_terms(draft.text) - asked:  # "Yes." / "Here is the answer:" / the question again
            if draft.written:
                notes.append(f"{label} states nothing to check; dropped {_markers(draft.written)}")
            sentences.append(Sentence(draft.text, (), False))
            continue
        claims_made += 1
        backing = [n for n in draft.cited if row[n - 1].supported]
        if backing:
            dropped = [n for n in draft.cited if n not in backing]
            if dropped:
                notes.append(f"{label}: dropped {_markers(dropped)}, which does not support it")
            sentences.append(Sentence(draft.text, tuple(number(n - 1, row[n - 1]) for n in backing), True))
            continue
        others = [j for j in range(k) if row[j].supported]
        if others:
            j = max(others, key=lambda j: row[j].score)
            was = _described(draft.written, k) if draft.written else "had no citation"
            notes.append(f"{label} {was}; re-cited to passage [{j + 1}]")
            sentences.append(Sentence(draft.text, (number(j, row[j]),), True))
            continue
        unsupported += 1
        dropped = f"; dropped {_markers(draft.written)}" if draft.written else ""
        notes.append(f"{label} is not supported by the passages: {_why(row, draft.cited)}{dropped}")
        sentences.append(Sentence(draft.text, (), False))

    rendered = " ".join(
        s.text + ((" " + "".join(f"[{n}]" for n in s.citations)) if s.citations else "") for s in sentences
    )
    mostly = claims_made == 0 or unsupported > claims_made / 2
    return Verified(rendered, tuple(citations), tuple(sentences), tuple(notes), mostly)


def _split(text: str) -> list[_Draft]:
    """Sentences with their markers; a marker opening a sentence belongs to the one before.

    Lines are split first (a model writes lists and headings without full stops), and an echo of
    the prompt's scaffolding ("[2] Source: ...", "<passage>") is dropped.
    """
    drafts: list[_Draft] = []
    text = _SCAFFOLD.sub(" ", _SOURCE_LINE.sub("", text))
    segments = [line[a:b] for line in text.split("\n") for a, b in sentence_spans(line)]
    for segment in segments:
        if _LIST_NUMBER.fullmatch(segment):
            continue
        cited = [n for m in _MARKER.finditer(segment) for n in _numbers_in(m.group(1))]
        leading = re.match(r"(?:\s*" + _MARKER.pattern + r")+", segment, re.IGNORECASE)
        if leading and drafts:
            moved = [n for m in _MARKER.finditer(leading.group(0)) for n in _numbers_in(m.group(1))]
            drafts[-1].cited.extend(moved)
            cited = cited[len(moved):]
        drafts.append(_Draft(claim_text(segment), cited, []))
    return drafts


def _numbers_in(group: str) -> list[int]:
    out: list[int] = []
    for part in re.split(r"\s*(?:,|;|and|&)\s*", group, flags=re.IGNORECASE):
        bounds = re.split(r"\s*[-\u2013]\s*", part)
        if len(bounds) == 2 and bounds[0].isdigit() and bounds[1].isdigit() and int(bounds[0]) < int(bounds[1]) <= int(bounds[0]) + 20:
            out.extend(range(int(bounds[0]), int(bounds[1]) + 1))
        else:
            out.extend(int(b) for b in bounds if b.isdigit())
    return out


def _described(written: Sequence[int], k: int) -> str:
    parts = [f"[{n}] ({'does not support it' if 1 <= n <= k else 'no such passage'})" for n in written]
    return "cited " + ", ".join(parts)


def _markers(numbers_: Sequence[int]) -> str:
    return ", ".join(f"[{n}]" for n in numbers_)


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def _why(row: Sequence[Support], cited: Sequence[int]) -> str:
    if not row:
        return "no passage was given"
    candidates = [row[n - 1] for n in cited] or list(row)
    best = max(candidates, key=lambda s: (not s.invented, s.score))
    nowhere = set.intersection(*(set(s.invented) for s in row))
    if nowhere:
        return f"{', '.join(sorted(nowhere))} appear{'s' if len(nowhere) == 1 else ''} in no given passage"
    if best.invented:
        return f"the closest passage does not mention {', '.join(sorted(best.invented))}"
    return f"best match covers {best.coverage:.0%} of its terms at cosine {best.cosine:.2f}"
