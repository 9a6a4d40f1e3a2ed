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
    window: float = 0.4
    lexical: float = 0.3
    rank: float = 0.2
    # A further sentence joins when it scores within this ratio of the best one and adds a
    # question term, or within ``close_ratio`` without adding one...
    relative_floor: float = 0.7
    close_ratio: float = 0.97
    # ...and is not a near-duplicate of one already chosen.
    max_similarity: float = 0.85
    max_sentences: int = 4
    # Weight of terms that come from the conversation rather than the question itself.
    history_term_weight: float = 0.4
    # Bonus for a sentence holding what the question asks for: names for who/where, numbers
    # for how many/when (answer-type matching, scaled by how many new ones it holds, up to 2).
    answer_type: float = 0.3


DEFAULT_WEIGHTS = Weights()
MIN_SENTENCE_WORDS = 4
_NUMBER = re.compile(r"\d")
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w’'-]*[A-Za-z]")
_ENTITY_QUESTION = re.compile(r"\b(who|whom|whose|where|which (company|companies|lab|labs|firm|university|person|people))\b", re.I)
_QUANTITY_QUESTION = re.compile(
    r"\b(how (many|much|long|old|big|large|often|fast)|when|what year|which year|what date|salary|cost|price|"
    r"percentage|number of|amount)\b",
    re.I,
)
# Quantities of money: a year or a count in the sentence does not answer them.
_MONEY_QUESTION = re.compile(
    r"\b(salary|salaries|wages?|price|paid|pay|invest(ed|ment)?|funding|raised|revenue|budget|valuation|"
    r"how much money|how much did .* (cost|pay|spend|invest))\b",
    re.I,
)
_MONEY = re.compile(
    r"[$€£¥]\s?\d|\b\d[\d,.]*\s?(dollars|usd|yuan|rmb|euros?|pounds|million|billion|trillion|thousand|[mbk])\b",
    re.I,
)
# "What position/role/title ...?": a sentence naming a role answers it.
_ROLE_QUESTION = re.compile(r"\b(position|role|job)s?\b|\b(what|which) titles?\b", re.I)
_ROLE = re.compile(
    r"\b(chief|scientist|director|head|president|ceo|cto|cfo|(co-?)?founder|co-?founding|professor|manager|"
    r"chair(man|woman)?|vice|officer|partner|dean|editor|fellow|principal|executive)s?\b",
    re.I,
)


@dataclass(frozen=True)
class Candidate:
    quote: Quote
    terms: frozenset[str]
    semantic: float
    lexical: float
    score: float


@dataclass(frozen=True)
class Extract:
    """The chosen quotes in reading order, and how well they match the question."""

    quotes: tuple[Quote, ...]
    coverage: float  # weighted share of the question's terms the quotes contain
    best_semantic: float
    typed: bool = False  # the question asks for a number, an amount of money or a role...
    has_type: bool = False  # ...and a quote holds one


def question_terms(question: str) -> list[str]:
    return [t for t in dict.fromkeys(terms(question)) if t not in QUESTION_WORDS]


def _is_heading_or_question(text: str) -> bool:
    stripped = text.rstrip("\"'”’)] ")
    if stripped.endswith("?"):
        return True
    return not stripped.endswith((".", "!", ":", ";")) and word_count(text) < 12


def _is_table(text: str) -> bool:
    """PDF tables come out as long runs of numbers and symbols: not prose a reader can quote."""
    tokens = text.split()
    wordlike = sum(1 for t in tokens if t.strip("()[],.;:").isalpha())
    return wordlike < 0.6 * len(tokens)


def _answer_type_hits(question: str, wanted: re.Pattern | None, sentence: str, question_words: set[str]) -> int:
    """How much of what the question asks for the sentence holds (``wanted``: ``_required(question)``)."""
    if _ENTITY_QUESTION.search(question):
        return len(_new_names(question, sentence, question_words))
    if wanted is _ROLE:
        return len({m.group(0).lower() for m in _ROLE.finditer(sentence)} - question_words)
    return bool(wanted and wanted.search(sentence))


# Typed questions, in order of precedence: the words that ask, and what an answer must hold.
_TYPED = ((_ROLE_QUESTION, _ROLE), (_MONEY_QUESTION, _MONEY), (_QUANTITY_QUESTION, _NUMBER))


def _typed(question: str) -> tuple[re.Pattern, re.Pattern] | None:
    """The question's (asking words, what an answer must hold), or None for an untyped question."""
    return next(((asking, answer) for asking, answer in _TYPED if asking.search(question)), None)


def _required(question: str) -> re.Pattern | None:
    """What an answer must hold for a typed question: a role for "what position ...?", an
    amount of money for "what salary ...?", a number for "how many ...?" (None: untyped)."""
    typed = _typed(question)
    return typed[1] if typed else None


def _asking_terms(question: str, asking: re.Pattern) -> set[str]:
    """The terms of the words that ask for a role or an amount ("position", "salary"): a quote
    answers them with a role or an amount, not with the word itself. (Not for numbers: "what
    year" is answered by any year, too weak a sign that the quote is about the asked event.)"""
    if asking not in (_ROLE_QUESTION, _MONEY_QUESTION):
        return set()
    return set(question_terms(" ".join(m.group(0) for m in asking.finditer(question))))


def _sentences(passages: list[Passage]) -> list[Quote]:
    seen: set[tuple[str, int | None, int]] = set()
    quotes: list[Quote] = []
    for passage in passages:
        chunk = passage.chunk
        for start, end in sentence_spans(chunk.text):
            key = (chunk.source, chunk.page, chunk.start + start)  # overlapping chunks repeat sentences
            text = chunk.text[start:end]
            if key in seen or word_count(text) < MIN_SENTENCE_WORDS or _is_heading_or_question(text) or _is_table(text):
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
    query = f"{question} ({context})" if context else question
    vectors = encoder.encode_sentences([query] + [q.text for q in quotes])
    sentence_vectors = vectors[1:]
    semantic = sentence_vectors @ vectors[0]
    window_semantic = _window_vectors(quotes, sentence_vectors) @ vectors[0]
    pool_terms = [frozenset(terms(q.text)) for q in quotes]
    term_weight = _term_weights(question, context, pool_terms, weights.history_term_weight)
    total = sum(term_weight.values()) or 1.0
    ranks = {id(p): r for r, p in enumerate(passages)}
    question_words = _question_words(question, context)
    wanted = _required(question)
    found = []
    for quote, have, sem, win in zip(quotes, pool_terms, semantic, window_semantic):
        lexical = sum(w for t, w in term_weight.items() if t in have) / total
        rank_prior = 1.0 / (1 + ranks[id(quote.passage)])
        typed = min(2, _answer_type_hits(question, wanted, quote.text, question_words)) / 2
        score = (weights.semantic * float(sem) + weights.window * float(win) + weights.lexical * lexical
                 + weights.rank * rank_prior + weights.answer_type * typed)
        found.append(Candidate(quote, have, float(sem), lexical, score))
    return found, sentence_vectors, term_weight


def _window_vectors(quotes: list[Quote], vectors: np.ndarray) -> np.ndarray:
    """Each sentence with its neighbours from the same passage (the context a reader sees),
    as the normalised sum of their vectors: nearly what embedding the window gives, for free."""
    windows = vectors.copy()
    for i, quote in enumerate(quotes):
        for j in (i - 1, i + 1):
            if 0 <= j < len(quotes) and quotes[j].passage is quote.passage:
                windows[i] += vectors[j]
    return windows / np.linalg.norm(windows, axis=1, keepdims=True)


def extract(question: str, passages: list[Passage], encoder: Encoder, *, max_words: int, context: str = "",
            weights: Weights = DEFAULT_WEIGHTS) -> Extract:
    pool, vectors, term_weight = candidates(question, passages, encoder, context=context, weights=weights)
    if not pool:
        return Extract((), 0.0, 0.0)
    question_words = _question_words(question, context)
    order = sorted(range(len(pool)), key=lambda i: -pool[i].score)
    best = pool[order[0]]
    chosen: list[int] = []
    words = 0
    covered: set[str] = set()

    def take(i: int) -> None:
        nonlocal words, covered
        chosen.append(i)
        words += word_count(pool[i].quote.text)
        covered |= (pool[i].terms & set(term_weight)) | _new_names(question, pool[i].quote.text, question_words)

    def take_with_continuation(i: int) -> None:
        take(i)
        follower = _continuation(pool, i)  # "And ..." right after a chosen sentence completes its list
        if (follower is not None and follower not in chosen and words + word_count(pool[follower].quote.text) <= max_words
                and _new_names(question, pool[follower].quote.text, question_words) - covered):
            take(follower)

    if word_count(best.quote.text) <= max_words:
        take_with_continuation(order[0])
    for i in order[1:]:
        if len(chosen) >= weights.max_sentences or pool[i].score < weights.relative_floor * best.score:
            break
        if i in chosen:
            continue
        candidate = pool[i]
        adds = ((candidate.terms & set(term_weight)) | _new_names(question, candidate.quote.text, question_words)) - covered
        if not adds and candidate.score < weights.close_ratio * best.score:
            continue
        if words + word_count(candidate.quote.text) > max_words:
            continue
        if chosen and max(float(vectors[i] @ vectors[j]) for j in chosen) > weights.max_similarity:
            continue
        take_with_continuation(i)
    quotes = sorted((pool[i].quote for i in chosen), key=_reading_order)
    asking, wanted = _typed(question) or (None, None)
    has_type = wanted is not None and any(wanted.search(pool[i].quote.text) for i in chosen)
    if has_type:
        covered |= _asking_terms(question, asking)
    # A follow-up's own words are few ("where did he go?"): its conversation terms count too.
    counted = set(term_weight) if context else set(question_terms(question))
    counted_total = sum(w for t, w in term_weight.items() if t in counted) or 1.0
    coverage = sum(w for t, w in term_weight.items() if t in covered and t in counted) / counted_total
    return Extract(
        quotes=tuple(quotes),
        coverage=coverage,
        best_semantic=best.semantic,
        typed=wanted is not None,
        has_type=has_type,
    )


_CONNECTIVE = re.compile(r"^(And|Also|Moreover|Likewise|Similarly|In addition|Additionally|Meanwhile)\b")


def _continuation(pool: list[Candidate], i: int) -> int | None:
    """The index of the sentence right after pool[i] in the same passage, if it opens with a connective."""
    quote = pool[i].quote
    following = [j for j, c in enumerate(pool) if c.quote.passage is quote.passage and c.quote.start > quote.end]
    if not following:
        return None
    j = min(following, key=lambda j: pool[j].quote.start)
    gap = quote.passage.chunk.text[quote.end : pool[j].quote.start]
    return j if not gap.strip() and _CONNECTIVE.match(pool[j].quote.text) else None


def names_and_identifiers(question: str) -> list[str]:
    """What a question names: capitalised words past its first ("Yann", "LeCun") and words
    mixing letters and digits ("Places365", "V100")."""
    found = [m.group(0) for m in _NAME.finditer(question)] + _IDENTIFIER.findall(question)
    return [w for w in dict.fromkeys(found) if w.lower() not in QUESTION_WORDS]


_IDENTIFIER = re.compile(r"\b(?=[\w-]*\d)(?=[\w-]*[A-Za-z])[\w-]+\b")


def _question_words(question: str, context: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[\w’'-]+", f"{question} {context}")}


def _new_names(question: str, sentence: str, question_words: set[str]) -> set[str]:
    """Names a who/where question asks for that the sentence holds and the question does not."""
    if not _ENTITY_QUESTION.search(question):
        return set()
    names = {re.sub(r"[’']s$", "", m.group(0)).lower() for m in _NAME.finditer(sentence)}
    return names - question_words


def _reading_order(quote: Quote) -> tuple:
    chunk = quote.passage.chunk
    return (chunk.source, chunk.page or 0, chunk.start + quote.start)
