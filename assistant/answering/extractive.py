"""The default answerer: quotes the retrieved sentences that best answer the question.

It cannot invent a fact: every sentence of the answer is a verbatim sentence of a passage, cited.
A sentence scores by meaning (cosine to the question, alone and with its neighbours), by the
question's content terms it contains (weighted by how rare each term is among the candidate
sentences, so the asked-for focus counts more than the topic every passage shares), and by the
rank of its passage. Further sentences join the best one when they add question terms or score
nearly as well, never two that say the same thing, within a word budget.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from ..citations import Quote
from ..embeddings import Encoder
from ..text import QUESTION_WORDS, sentence_spans, terms, word_count
from ..types import Passage


@dataclass(frozen=True)
class Weights:
    """Sentence-score weights and selection rules, tuned on the dev questions (docs/EVALUATION.md)."""

    semantic: float = 0.5
    window: float = 0.2
    lexical: float = 0.3
    rank: float = 0.1
    # A further sentence joins when it scores within this ratio of the best one and adds a
    # question term, or within ``close_ratio`` without adding one...
    relative_floor: float = 0.75
    close_ratio: float = 0.9
    # ...and is not a near-duplicate of one already chosen.
    max_similarity: float = 0.85
    max_sentences: int = 3
    # Weight of terms that come from the conversation rather than the question itself.
    history_term_weight: float = 0.4


DEFAULT_WEIGHTS = Weights()
MIN_SENTENCE_WORDS = 4
_NUMBER = re.compile(r"\d")
_QUANTITY_QUESTION = re.compile(
    r"\b(how (many|much|long|old|big|large|often|fast)|when|what year|which year|what date|salary|cost|price|"
    r"percentage|number of|amount)\b",
    re.I,
)


@dataclass(frozen=True)
class Candidate:
    quote: Quote
    terms: frozenset[str]
    semantic: float
    lexical: float
    has_number: bool
    score: float


@dataclass(frozen=True)
class Extract:
    """The chosen quotes in reading order, and how well they match the question."""

    quotes: tuple[Quote, ...]
    coverage: float  # weighted share of the question's terms the quotes contain
    best_semantic: float
    wants_quantity: bool = False
    has_quantity: bool = False


def question_terms(question: str) -> list[str]:
    return [t for t in dict.fromkeys(terms(question)) if t not in QUESTION_WORDS]


def _is_heading_or_question(text: str) -> bool:
    stripped = text.rstrip("\"'”’)] ")
    if stripped.endswith("?"):
        return True
    return not stripped.endswith((".", "!", ":", ";")) and word_count(text) < 12


def _sentences(passages: list[Passage]) -> list[Quote]:
    seen: set[tuple[str, int | None, int]] = set()
    quotes: list[Quote] = []
    for passage in passages:
        chunk = passage.chunk
        for start, end in sentence_spans(chunk.text):
            key = (chunk.source, chunk.page, chunk.start + start)  # overlapping chunks repeat sentences
            text = chunk.text[start:end]
            if key in seen or word_count(text) < MIN_SENTENCE_WORDS or _is_heading_or_question(text):
                continue
            seen.add(key)
            quotes.append(Quote(passage, start, end))
    return quotes


def _term_weights(question: str, context: str, pool_terms: list[frozenset[str]], history_weight: float) -> dict[str, float]:
    """Rarer terms among the candidates weigh more (the focus of the question, not its topic)."""
    own = question_terms(question)
    wanted = {t: 1.0 for t in own}
    for t in question_terms(context):
        wanted.setdefault(t, history_weight)
    n = len(pool_terms)
    return {t: w * math.log(1 + (n + 1) / (1 + sum(t in p for p in pool_terms))) for t, w in wanted.items()}


def candidates(question: str, passages: list[Passage], encoder: Encoder, *, context: str = "",
               weights: Weights = DEFAULT_WEIGHTS) -> tuple[list[Candidate], np.ndarray, dict[str, float]]:
    quotes = _sentences(passages)
    if not quotes:
        return [], np.zeros((0, 1), dtype=np.float32), {}
    windows = [_window(quotes, i) for i in range(len(quotes))]
    query = f"{question} ({context})" if context else question
    vectors = encoder.encode([query] + [q.text for q in quotes] + windows)
    sentence_vectors = vectors[1 : 1 + len(quotes)]
    semantic = sentence_vectors @ vectors[0]
    window_semantic = vectors[1 + len(quotes) :] @ vectors[0]
    pool_terms = [frozenset(terms(q.text)) for q in quotes]
    term_weight = _term_weights(question, context, pool_terms, weights.history_term_weight)
    total = sum(term_weight.values()) or 1.0
    ranks = {id(p): r for r, p in enumerate(passages)}
    found = []
    for quote, have, sem, win in zip(quotes, pool_terms, semantic, window_semantic):
        lexical = sum(w for t, w in term_weight.items() if t in have) / total
        rank_prior = 1.0 / (1 + ranks[id(quote.passage)])
        score = weights.semantic * float(sem) + weights.window * float(win) + weights.lexical * lexical + weights.rank * rank_prior
        found.append(Candidate(quote, have, float(sem), lexical, bool(_NUMBER.search(quote.text)), score))
    return found, sentence_vectors, term_weight


def _window(quotes: list[Quote], i: int) -> str:
    """The sentence with its neighbours from the same passage: the context a reader sees."""
    passage = quotes[i].passage
    parts = [q.text for q in quotes[max(0, i - 1) : i + 2] if q.passage is passage]
    return " ".join(parts)


def extract(question: str, passages: list[Passage], encoder: Encoder, *, max_words: int, context: str = "",
            weights: Weights = DEFAULT_WEIGHTS) -> Extract:
    pool, vectors, term_weight = candidates(question, passages, encoder, context=context, weights=weights)
    if not pool:
        return Extract((), 0.0, 0.0)
    order = sorted(range(len(pool)), key=lambda i: -pool[i].score)
    best = pool[order[0]]
    chosen = [order[0]] if word_count(best.quote.text) <= max_words else []
    words = sum(word_count(pool[i].quote.text) for i in chosen)
    covered = set(best.terms) & set(term_weight)
    for i in order[1:]:
        if len(chosen) >= weights.max_sentences or pool[i].score < weights.relative_floor * best.score:
            break
        candidate = pool[i]
        adds = (candidate.terms & set(term_weight)) - covered
        if not adds and candidate.score < weights.close_ratio * best.score:
            continue
        if words + word_count(candidate.quote.text) > max_words:
            continue
        if chosen and max(float(vectors[i] @ vectors[j]) for j in chosen) > weights.max_similarity:
            continue
        chosen.append(i)
        words += word_count(candidate.quote.text)
        covered |= adds
    quotes = sorted((pool[i].quote for i in chosen), key=_reading_order)
    total = sum(term_weight.values()) or 1.0
    own = set(question_terms(question))
    own_total = sum(w for t, w in term_weight.items() if t in own) or total
    coverage = sum(w for t, w in term_weight.items() if t in covered and t in own) / own_total
    return Extract(
        quotes=tuple(quotes),
        coverage=coverage,
        best_semantic=best.semantic,
        wants_quantity=bool(_QUANTITY_QUESTION.search(question)),
        has_quantity=any(pool[i].has_number for i in chosen),
    )


def _reading_order(quote: Quote) -> tuple:
    chunk = quote.passage.chunk
    return (chunk.source, chunk.page or 0, chunk.start + quote.start)
