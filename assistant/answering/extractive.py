"""The default answerer: quotes the retrieved sentences that best answer the question.

It cannot invent a fact: every sentence of the answer is a verbatim sentence of a passage, cited.
Sentences are scored by meaning (cosine to the question) and by the question's content terms
they contain; several are chosen when they add terms the others lack (multi-fact questions),
never two that say the same thing, within a word budget.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..citations import Quote
from ..embeddings import Encoder
from ..text import QUESTION_WORDS, sentence_spans, terms, word_count
from ..types import Passage

# Weights of the sentence score (meaning, question terms, passage rank score): tuned on the dev
# questions (docs/EVALUATION.md).
SEMANTIC_WEIGHT = 0.6
LEXICAL_WEIGHT = 0.3
PASSAGE_WEIGHT = 0.1
# A further sentence joins the answer only when it scores within this ratio of the best one...
RELATIVE_FLOOR = 0.7
# ...and is not a near-duplicate of one already chosen.
MAX_SIMILARITY = 0.85
MAX_SENTENCES = 4
MIN_SENTENCE_WORDS = 4


@dataclass(frozen=True)
class Candidate:
    quote: Quote
    terms: frozenset[str]
    semantic: float
    lexical: float
    score: float


@dataclass(frozen=True)
class Extract:
    """The chosen quotes in reading order, and how much of the question they cover."""

    quotes: tuple[Quote, ...]
    coverage: float
    best_semantic: float


def question_terms(question: str) -> frozenset[str]:
    return frozenset(t for t in terms(question) if t not in QUESTION_WORDS)


def candidates(question: str, passages: list[Passage], encoder: Encoder) -> tuple[list[Candidate], np.ndarray]:
    wanted = question_terms(question)
    seen: set[tuple[str, int | None, int]] = set()
    quotes: list[Quote] = []
    for passage in passages:
        chunk = passage.chunk
        for start, end in sentence_spans(chunk.text):
            key = (chunk.source, chunk.page, chunk.start + start)  # overlapping chunks repeat sentences
            if key in seen or word_count(chunk.text[start:end]) < MIN_SENTENCE_WORDS:
                continue
            seen.add(key)
            quotes.append(Quote(passage, start, end))
    if not quotes:
        return [], np.zeros((0, 1), dtype=np.float32)
    vectors = encoder.encode([question] + [q.text for q in quotes])
    semantic = vectors[1:] @ vectors[0]
    top_passage = max(p.score for p in passages) or 1.0
    found = []
    for quote, sem in zip(quotes, semantic):
        have = frozenset(terms(quote.text))
        lexical = len(wanted & have) / len(wanted) if wanted else 0.0
        score = SEMANTIC_WEIGHT * float(sem) + LEXICAL_WEIGHT * lexical + PASSAGE_WEIGHT * quote.passage.score / top_passage
        found.append(Candidate(quote, have, float(sem), lexical, score))
    return found, vectors[1:]


def extract(question: str, passages: list[Passage], encoder: Encoder, *, max_words: int) -> Extract:
    pool, vectors = candidates(question, passages, encoder)
    if not pool:
        return Extract((), 0.0, 0.0)
    wanted = question_terms(question)
    order = sorted(range(len(pool)), key=lambda i: -pool[i].score)
    best = pool[order[0]]
    chosen = [order[0]]
    words = word_count(best.quote.text)
    covered = set(best.terms & wanted)
    for i in order[1:]:
        if len(chosen) >= MAX_SENTENCES:
            break
        candidate = pool[i]
        if candidate.score < RELATIVE_FLOOR * best.score:
            break
        if words + word_count(candidate.quote.text) > max_words:
            continue
        if max(float(vectors[i] @ vectors[j]) for j in chosen) > MAX_SIMILARITY:
            continue
        chosen.append(i)
        words += word_count(candidate.quote.text)
        covered |= candidate.terms & wanted
    if words > max_words:  # a single over-long best sentence: cut at the budget rather than dump it
        chosen = chosen[:1]
    quotes = sorted((pool[i].quote for i in chosen), key=_reading_order)
    coverage = len(covered) / len(wanted) if wanted else 0.0
    return Extract(tuple(quotes), coverage, best.semantic)


def _reading_order(quote: Quote) -> tuple:
    chunk = quote.passage.chunk
    return (chunk.source, chunk.page or 0, chunk.start + quote.start)
