"""The learned parts of the extractive answerer: the measured features of each candidate sentence
and of the chosen answer (over what ``question`` works out a question asks for), and two fitted
logistic regressions over them.

- the **sentence model** gives each sentence the probability that it states one of the asked
  facts; the answer quotes the most probable sentences;
- the **gate model** gives the chosen answer the probability that it answers the question; the
  chain refuses below ``Settings.min_answer_probability``.

Their coefficients live in ``scorer.json`` beside this module, written by ``bench/fit_scorer.py``
from the train split of the library question bank and the older own question sets, with the
gate's threshold chosen on the dev split (docs/EVALUATION.md, "The learned scorer and the
calibrated gate"):
a refit is a data change, not a code change. Each feature below says why it is measured.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..abbreviations import stands_for
from ..text import terms, words
from ..types import SECTION_SEPARATOR
from .answer_types import DIGIT
from .definitions import defines, opening_section
from .question import Question, asked_numbers, holds_type, new_names, typed
from .readings import numbers

COEFFICIENTS = Path(__file__).with_name("scorer.json")

_POINTS_BACK = re.compile(r"^(this|these|that|those|it|its|they|their|such|he|she|his|her)\b", re.I)


def points_back(text: str) -> bool:
    """A sentence that opens by pointing back ("This", "These neural networks", "They") leans on
    the one before it."""
    return bool(_POINTS_BACK.match(text))


# -- the sentences' features ------------------------------------------------------------------------
SENTENCE_FEATURES = (
    "cos",  # cosine(question, sentence): does it say what was asked
    "cos_window",  # ... with its neighbours in the passage: the context a reader sees
    "cos_heading",  # ... of its section's heading path: "Who Benefitted and Who Lost Out?"
    "cos_gap",  # its cosine minus the best candidate's (relative to this question's pool)
    "bm25",  # sentence BM25 with the corpus idf, over the question's terms' total idf
    "bm25_gap",  # minus the best candidate's
    "focus_terms",  # share of the question's terms it holds, each weighted by its rarity among the
    # candidates: the asked relation ("benefited") counts more than the topic every passage shares
    "context_terms",  # idf share of a follow-up's conversation terms the sentence holds
    "heading_terms",  # idf share of the question's terms its heading path holds
    "type_match",  # a typed question (number, amount, role, names) and the sentence holds the type
    "type_miss",  # a typed question and it does not
    "new_names",  # names a who/which-company question asks for (0, 0.5, 1 for 0, 1, 2+)
    "defines",  # "What is X?" and the sentence defines X
    "rank",  # 1 / (1 + its passage's rank)
    "fused",  # its passage's fused retrieval score
    "relevance",  # its passage's cosine to the question
    "early",  # 1 / (1 + the chunk's index in its document): abstracts and introductions state facts
    "log_words",  # log of its length in words
    "digits",  # share of its tokens holding a digit (tables, results)
    "capitals",  # share of its tokens that are capitalised (author lists, affiliations)
    "points_back",  # it opens with "This", "It", "They": leans on the sentence before
    "subject_heading",  # share of a definition's subject its own section heading names: the
    # "3.1. Balanced Cross Entropy" section defines "α-balanced cross entropy"; section 5 only uses it
    "measure_number",  # 1 / (1 + the words between a number the question lacks and the asked
    # measure): "3.57% top-5 error" answers "What top-5 error ...?", "a top-5 localization error of 9.0%" less so
    "opening_section",  # "What is X?" and the sentence is in the abstract or introduction, where terms are defined
    "expands",  # "What does RPN stand for?" / "What is RPN?" and the sentence defines the abbreviation,
    # "Region Proposal Network (RPN)" (Schwartz & Hearst, ``abbreviations``): where a paper says what it stands for
)


def sentence_features(question: Question, texts: list[str], sections: list[str], cos: np.ndarray,
                      cos_window: np.ndarray, cos_heading: np.ndarray, ranks: list[int], fused: list[float],
                      relevance: list[float], chunk_index: list[int]) -> np.ndarray:
    """One row of ``SENTENCE_FEATURES`` per candidate sentence."""
    own_total = sum(question.idf[t] for t in question.own_terms) or 1.0
    context_total = sum(question.idf[t] for t in question.context_terms) or 1.0
    lengths = [max(1, len(terms(t))) for t in texts]
    average = sum(lengths) / len(lengths) if lengths else 1.0
    rows = []
    bm25 = []
    for text, length in zip(texts, lengths):
        have = terms(text)
        counts = {t: have.count(t) for t in set(have)}
        norm = 1.2 * (0.25 + 0.75 * length / average)
        bm25.append(sum(question.idf[t] * counts[t] * 2.2 / (counts[t] + norm) for t in question.own_terms if t in counts)
                    / own_total)
        rows.append(counts)
    n = len(texts)
    focus = {t: math.log(1 + (n + 1) / (1 + sum(t in r for r in rows))) for t in question.own_terms}
    focus_total = sum(focus.values()) or 1.0
    best_cos = float(cos.max()) if len(cos) else 0.0
    best_bm25 = max(bm25, default=0.0)
    subject = list(dict.fromkeys(terms(question.subject)))
    asked_numbers = set(words(f"{question.text} {question.context}"))
    features = np.zeros((len(texts), len(SENTENCE_FEATURES)), dtype=np.float32)
    for i, (text, counts) in enumerate(zip(texts, rows)):
        tokens = text.split()
        is_typed = typed(question)
        has_type = is_typed and holds_type(question, text)
        heading = set(terms(sections[i]))
        features[i] = (
            cos[i], cos_window[i], cos_heading[i], cos[i] - best_cos, bm25[i], bm25[i] - best_bm25,
            sum(w for t, w in focus.items() if t in counts) / focus_total,
            sum(question.idf[t] for t in question.context_terms if t in counts) / context_total if question.context_terms else 0.0,
            sum(question.idf[t] for t in question.own_terms if t in heading) / own_total,
            float(has_type), float(is_typed and not has_type),
            min(2, len(new_names(question, text))) / 2, float(defines(question.subject, text)),
            1.0 / (1 + ranks[i]), fused[i], relevance[i], 1.0 / (1 + chunk_index[i]),
            math.log(len(tokens)),
            sum(1 for t in tokens if DIGIT.search(t)) / len(tokens),
            sum(1 for t in tokens if t[:1].isupper()) / len(tokens),
            float(points_back(text)),
            subject_heading(subject, sections[i]),
            measure_number(question.measure, asked_numbers, text),
            float(bool(question.subject) and opening_section(sections[i])),
            float(stands_for(question.subject, text)),
        )
    return features


def subject_heading(subject: list[str], section: str) -> float:
    """Share of the subject's terms that the deepest heading of ``section`` holds."""
    if not subject:
        return 0.0
    heading = set(terms(section.split(SECTION_SEPARATOR)[-1]))
    return sum(t in heading for t in subject) / len(subject)


def measure_number(measure: tuple[str, ...], asked: set[str], sentence: str) -> float:
    """How close a number not among ``asked`` (the question's own words: its "2012", "ResNet-110")
    stands to the asked ``measure`` where the sentence names it: the share of the measure's words
    named there ("top-5 test error" in "3.57% top-5 error": 2 of 3), over 1 + the words between
    the number and them; the best pair, 0 when the sentence lacks either. "3.57% top-5 error"
    scores 1 for "What top-5 error ...?", "a top-5 localization error of 9.0%" 0.5."""
    head = terms(measure[-1])[-1:] if measure else []
    if not head:
        return 0.0
    tokens = words(sentence)
    numbers = [i for i, t in enumerate(tokens) if DIGIT.search(t) and t not in asked]
    best = 0.0
    for j, token in enumerate(tokens):
        if DIGIT.search(token) or head[0] not in terms(token):
            continue
        # The measure's words where they may stand: before its last word, one word inserted at most.
        named = [k for k in range(max(0, j - len(measure)), j + 1) if tokens[k] in measure or k == j]
        share = len({tokens[k] for k in named if tokens[k] in measure} | {measure[-1]}) / len(set(measure))
        for i in numbers:
            best = max(best, share / min(abs(i - k) for k in named))  # 1 + the words between
    return best


# -- the answer's features (the gate) ---------------------------------------------------------------
GATE_FEATURES = (
    "p_best",  # the sentence model's probability for the best sentence (as a logit)
    "relevance",  # the best passage's cosine to the question
    "cos_best",  # the best sentence's cosine to the question
    "bm25_best",  # the best sentence's normalised BM25
    "coverage",  # idf share of the question's own terms the quotes hold
    "missing_rarest",  # idf of the rarest question term no quote holds, over the rarest term's idf
    "type_miss",  # a typed question and no quote holds the type
    # The question's numbers ("1202", the "100" of "CIFAR-100", the "16" of "VGG16": see
    # ``numbers``), as a share of them: a look-alike swaps one ("ResNet-164 on CIFAR-10" where the
    # paper reports ResNet-1001), and the passage about the entity then lacks it.
    "numbers_missing",  # ... the best sentence lacks
    "numbers_missing_passage",  # ... the best sentence's whole passage lacks
)


# The direction each gate feature can only push the probability that an answer is right (+1 up,
# -1 down). The fit keeps a feature only while its weight has this sign: with ~180 questions and
# correlated features (p_best, cos_best, relevance), an unconstrained fit gave relevance a
# negative weight, so an answer from passages far from the question looked more likely right.
GATE_SIGNS = {"p_best": 1, "relevance": 1, "cos_best": 1, "bm25_best": 1, "coverage": 1,
              "missing_rarest": -1, "type_miss": -1,
              "numbers_missing": -1, "numbers_missing_passage": -1}


_YEAR = re.compile(r"(?:19|20)\d\d")


def numbers_missing(question: Question, text: str) -> float:
    """The share of the question's numbers (``asked_numbers``) that ``text`` lacks (0 when it names
    none). A year is held by its last two digits too, as papers write it: "VOC12", "ILSVRC ’14", "07+12";
    a size by its side: "224×224" holds the "224" of "the usual 224 crop", and its sides a size:
    "n = 3" holds the "3x3" of "the RPN's 3x3 window" (a "1" not "1x1": a 1 is in most texts)."""
    asked = asked_numbers(question.text)
    stated = numbers(text)
    held = stated | {side for size in stated if "x" in size for side in size.split("x")}
    missing = [n for n in asked if n not in held and not (_YEAR.fullmatch(n) and n[2:] in held)
               and not ("x" in n and all(side in held and side != "1" for side in n.split("x")))]
    return len(missing) / len(asked) if asked else 0.0


def logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


# -- the fitted models ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Model:
    """A logistic regression over standardised features: p = sigmoid(w · (x - mean) / scale + b)."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    intercept: float

    def probability(self, rows: np.ndarray) -> np.ndarray:
        z = ((np.atleast_2d(rows) - self.mean) / self.scale) @ self.weights + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    def to_json(self) -> dict:
        return {
            "features": list(self.features),
            "mean": [round(float(v), 6) for v in self.mean],
            "scale": [round(float(v), 6) for v in self.scale],
            "weights": [round(float(v), 6) for v in self.weights],
            "intercept": round(float(self.intercept), 6),
        }

    @classmethod
    def from_json(cls, data: dict, expected: tuple[str, ...]) -> "Model":
        if tuple(data["features"]) != expected:
            raise ValueError(f"{COEFFICIENTS} was fitted on other features; run bench/fit_scorer.py")
        return cls(tuple(data["features"]), np.asarray(data["mean"], dtype=np.float32),
                   np.asarray(data["scale"], dtype=np.float32), np.asarray(data["weights"], dtype=np.float32),
                   float(data["intercept"]))


@lru_cache(maxsize=1)
def models() -> tuple[Model, Model]:
    """(sentence model, gate model) from the shipped coefficients."""
    data = json.loads(COEFFICIENTS.read_text(encoding="utf-8"))
    return Model.from_json(data["sentence"], SENTENCE_FEATURES), Model.from_json(data["gate"], GATE_FEATURES)
