"""The learned parts of the extractive answerer: what a question asks for, the measured features
of each candidate sentence, and two fitted logistic regressions over them.

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

from ..retrieval.followup import people
from ..text import QUESTION_WORDS, STOPWORDS, fold, terms, words
from ..types import SECTION_SEPARATOR

COEFFICIENTS = Path(__file__).with_name("scorer.json")

# -- what a question asks for ---------------------------------------------------------------------
_CAPITALISED = r"[A-Z][\w’'-]*[A-Za-z]"
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b" + _CAPITALISED)  # past a sentence's first word
_OPENING_NAME = re.compile(_CAPITALISED)
_ENTITY_QUESTION = re.compile(
    r"\b(who|whom|whose|where|which (company|companies|lab|labs|firm|firms|university|universities|person|people|"
    r"organi[sz]ations?|startups?|institutions?))\b",
    re.I,
)
_QUANTITY_QUESTION = re.compile(
    r"\b(how (many|much|long|old|big|large|often|fast|deep)|when|what year|which year|what date|salary|cost|price|"
    r"percentage|number of|amount|what (error|accuracy|rate|speed|size|value|depth|mAP|AP|score|top-\d)|"
    r"what (was|is|were|are) the (error|accuracy|rate|speed|size|value|depth|mAP|AP|score|top-\d|learning rate|"
    r"batch size|weight decay|momentum))\b",
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
_NUMBER = re.compile(r"\d")
# "What position/role/title ...?": a sentence naming a role answers it.
_ROLE_QUESTION = re.compile(r"\b(position|role|job)s?\b|\b(what|which) titles?\b", re.I)
_ROLE = re.compile(
    r"\b(chief|scientist|director|head|president|ceo|cto|cfo|(co-?)?founder|co-?founding|professor|manager|"
    r"chair(man|woman)?|vice|officer|partner|dean|editor|fellow|principal|executive)s?\b",
    re.I,
)
# Typed questions, in order of precedence: the words that ask, and what an answer must hold.
_TYPED = ((_ROLE_QUESTION, _ROLE), (_MONEY_QUESTION, _MONEY), (_QUANTITY_QUESTION, _NUMBER))
# "What is X?", "What are Xs?", "What does X stand for / mean / do?": a definition is asked. A lead-in
# ("In Faster R-CNN, ...", "According to the article, ...") is dropped first, and the qualifiers
# after the subject ("... in the ResNet paper", ", as the paper describes it") are cut from it.
_DEFINITION = re.compile(
    r"^(?:so,?\s+)?(?:what|who)\s+(?:is|are|was|were)\s+(?:an?\s+|the\s+)?(?P<subject>[^?]+?)\s*\??$"
    r"|^what\s+does\s+(?:an?\s+|the\s+)?(?P<subject2>[^?]+?)\s+(?:stand for|mean|do)\b[^?]*\??$",
    re.I,
)
_LEAD_IN = re.compile(r"^(?:in|according to|for|with|per)\b[^,]{0,60},\s*", re.I)
_QUALIFIER = re.compile(r"\s*(?:,|\(|\s(?:in|as|from|according|described|used|for|of the \S+ paper)\b).*$", re.I)
# "What does 'objectness' mean ...?", "what counts as 'fail'?": the quoted word is the subject.
_ASKS_MEANING = re.compile(r"^(?:so,?\s+)?(?:what|who)\s+(?:is|are|was|were|does|do)\b|\bwhat counts as\b|\bmean\b|\bstand for\b", re.I)
_QUOTED = re.compile(r"['‘“\"]([^'’”\"?]{2,40})['’”\"]")
# The measure a number question asks for is in the words that ask it ("how many training images",
# "what top-5 error did", "top-1 error of ...", ": what CIFAR-10 error?"): the answer's number
# stands next to it ("1.28 million training images", "3.57% top-5 error").
_MEASURE = (
    re.compile(r"\bhow (?:many|much)\s+((?:[\w-]+\s+){0,3}?[\w-]+)\s+(?:did|does|do|is|was|were|are|has|have|can|make|per)\b", re.I),
    re.compile(r"\bhow (?:many|much)\s+([\w-]+)", re.I),
    re.compile(r"\bwhat(?:'s| is| was| were| are)?\s+(?:the\s+)?((?:[\w'’-]+\s+){0,3}?[\w-]+)\s+(?:did|does|do|is|was|were|are|has|have|of|on)\b", re.I),
    re.compile(r"^((?:[\w-]+\s+){0,3}?[\w-]+)\s+of\b"),
    re.compile(r":\s*(?:what\s+)?([\w\s-]+?)\??$"),
)
_DEFINING_VERB = r"(?:is|are|was|were|refers to|denotes|means|stands for|consists of|called|named|dubbed)"
# A sentence that opens by pointing back ("This", "It", "They") leans on the one before it.
_POINTS_BACK = re.compile(r"^(this|these|that|those|it|its|they|their|such|he|she|his|her)\b", re.I)
# The asking words of a list question: several items are wanted, one sentence each.
_LIST_QUESTION = re.compile(
    r"\b(who (benefit\w*|gain\w*|profit\w*|lost|los[et]\w*|won|win\w*)|which (companies|firms|labs|people|products|startups|universities|"
    r"organi[sz]ations|areas|datasets|tasks|methods|techniques|components|layers)|what (companies|firms|products|"
    r"areas|datasets|tasks|methods|techniques|components|positions|roles)|name (the|all|some)|list)\b",
    re.I,
)


@dataclass(frozen=True)
class Question:
    """What the answerer needs to know about a question, worked out once."""

    text: str
    context: str  # what a follow-up refers back to ("" for a standalone question)
    own_terms: tuple[str, ...]
    context_terms: tuple[str, ...]
    idf: dict[str, float]  # corpus idf of every term above
    words: frozenset[str]  # the question's and its context's words, lowercased (names it already holds)
    asking: re.Pattern | None  # the typed question's asking words...
    wanted: re.Pattern | None  # ...and what its answer must hold
    entity: bool  # who / where / which company: names are wanted
    listing: bool  # several items are wanted
    subject: str  # what a definition question asks about ("" when it asks none)
    # The terms whose presence in the answer shows it answers: the question's own, and for a
    # follow-up about several people ("What about the other three?") also those people's names,
    # since its own words ("three") only point at them.
    asked_terms: tuple[str, ...] = ()
    measure: tuple[str, ...] = ()  # the words of what a number question measures ("top-5", "error"), if found


def question_terms(text: str) -> list[str]:
    return [t for t in dict.fromkeys(terms(text)) if t not in QUESTION_WORDS]


def analyse(question: str, context: str = "", idf: dict[str, float] | None = None) -> Question:
    own = tuple(question_terms(question))
    from_context = tuple(t for t in question_terms(context) if t not in own)
    typed = next(((a, w) for a, w in _TYPED if a.search(question)), (None, None))
    several = len(people(context)) >= 2
    # The corpus gives 0 for a term no chunk holds: such a term (the "ethanol" of a question
    # about something else) weighs as much as the rarest term the corpus holds, not nothing, so
    # that quotes lacking it do not cover the question.
    fallback = max((v for v in (idf or {}).values() if v > 0), default=1.0)
    idf = {t: v for t, v in (idf or {}).items() if v > 0}
    return Question(
        text=question,
        context=context,
        own_terms=own,
        context_terms=from_context,
        # A term the idf table lacks (no corpus statistics given) weighs as much as the rarest.
        idf={t: idf.get(t, fallback) for t in own + from_context},
        words=frozenset(w.lower() for w in re.findall(r"[\w’'-]+", f"{question} {context}")),
        asking=typed[0],
        wanted=typed[1],
        # A follow-up about several people ("What about the other three?") asks what each did:
        # a list of them, one sentence each, as "Who ...?" would.
        entity=bool(_ENTITY_QUESTION.search(question)) or several,
        listing=bool(_LIST_QUESTION.search(question)) or several,
        subject=" ".join(definition_subject(question).split()),
        asked_terms=own + from_context if several else own,
        measure=measure_words(question) if typed[1] is _NUMBER or typed[1] is _MONEY else (),
    )


def definition_subject(question: str) -> str:
    """What a definition question asks about: "anchors" of "In Faster R-CNN, what are anchors?",
    "objectness" of "What does 'objectness' mean in the paper?" ("" when no definition is asked)."""
    text = question.strip()
    quoted = _QUOTED.search(text) if _ASKS_MEANING.search(text) else None
    if quoted:
        return quoted.group(1)
    definition = _DEFINITION.match(_LEAD_IN.sub("", text))
    if not definition:
        return ""
    return _QUALIFIER.sub("", definition.group("subject") or definition.group("subject2") or "").strip()


def measure_words(question: str) -> tuple[str, ...]:
    """The folded words of what a number question measures, from the words that ask it."""
    for pattern in _MEASURE:
        found = pattern.search(question.strip())
        if found:
            return tuple(w for w in words(found.group(1)) if w not in ("many", "much"))
    return ()


def name_words(text: str) -> list[str]:
    """Capitalised words past a sentence's first, as written, in order ("Yann", "LeCun's")."""
    return [m.group(0) for m in _NAME.finditer(text)]


def names(text: str) -> set[str]:
    """``name_words``, lowercased, without a possessive 's."""
    return {_name_key(word) for word in name_words(text)}


def opening_name(text: str) -> str:
    """The capitalised word a sentence opens with, as ``names`` gives it ("" when none)."""
    found = _OPENING_NAME.match(text)
    return _name_key(found.group(0)) if found else ""


def _name_key(word: str) -> str:
    return re.sub(r"[’']s$", "", word).lower()


def new_names(question: Question, sentence: str, known: frozenset[str] = frozenset()) -> set[str]:
    """Names a who/where/which-company question asks for that the sentence holds and the
    question does not. A sentence's first word is a name when ``known`` (the names written
    capitalised mid-sentence elsewhere) holds it: "Microsoft itself also benefited ..."."""
    if not question.entity:
        return set()
    found = names(sentence)
    first = re.match(r"[A-Z][\w’'-]*[A-Za-z]", sentence)
    if first and re.sub(r"[’']s$", "", first.group(0)).lower() in known:
        found.add(re.sub(r"[’']s$", "", first.group(0)).lower())
    return found - question.words - STOPWORDS


def holds_type(question: Question, sentence: str) -> bool:
    """The sentence holds what a typed question asks for (a number, an amount, a role, a name)."""
    if question.entity:
        return bool(new_names(question, sentence))
    if question.wanted is _ROLE:
        return bool({m.group(0).lower() for m in _ROLE.finditer(sentence)} - question.words)
    return bool(question.wanted and question.wanted.search(sentence))


def asking_terms(question: Question) -> set[str]:
    """The terms of the words that ask for a role or an amount ("position", "salary"): a quote
    answers them with a role or an amount, not with the word itself. (Not for numbers: "what
    year" is answered by any year, too weak a sign that the quote is about the asked event.)"""
    if question.asking not in (_ROLE_QUESTION, _MONEY_QUESTION):
        return set()
    return set(question_terms(" ".join(m.group(0) for m in question.asking.finditer(question.text))))


def typed(question: Question) -> bool:
    return question.wanted is not None or question.entity


def defines(question: Question, sentence: str) -> bool:
    """The sentence defines the subject of a "What is X?" question: X followed closely by "is",
    "refers to", ... or introduced by "called X"."""
    if not question.subject:
        return False
    subject = re.escape(fold(question.subject)).replace(r"\ ", r"[\s-]+")
    text = fold(sentence)
    return bool(
        re.search(rf"\b{subject}\w*\b(?:\s+\([^)]*\))?(?:,[^,]{{0,60}},)?\s+{_DEFINING_VERB}\b", text)
        or re.search(rf"\b(?:called|named|dubbed|term(?:ed)?)\s+(?:an?\s+|the\s+)?[\"“]?{subject}", text)
    )


_OPENING_SECTION = re.compile(r"^(?:\d+\.?\s*)?(?:abstract|introduction)\b", re.I)


def opening_section(section: str) -> bool:
    """The heading path is the abstract or the introduction, where a paper says what its terms are."""
    return bool(_OPENING_SECTION.match(section.split(SECTION_SEPARATOR)[0].strip()))


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
            min(2, len(new_names(question, text))) / 2, float(defines(question, text)),
            1.0 / (1 + ranks[i]), fused[i], relevance[i], 1.0 / (1 + chunk_index[i]),
            math.log(len(tokens)),
            sum(1 for t in tokens if _NUMBER.search(t)) / len(tokens),
            sum(1 for t in tokens if t[:1].isupper()) / len(tokens),
            float(bool(_POINTS_BACK.match(text))),
            subject_heading(subject, sections[i]),
            measure_number(question.measure, asked_numbers, text),
            float(bool(question.subject) and opening_section(sections[i])),
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
    numbers = [i for i, t in enumerate(tokens) if _NUMBER.search(t) and t not in asked]
    best = 0.0
    for j, token in enumerate(tokens):
        if _NUMBER.search(token) or head[0] not in terms(token):
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


def numbers_missing(question: Question, text: str) -> float:
    """The share of the question's numbers that ``text`` lacks (0 when it names none)."""
    asked = numbers(question.text)
    return len(asked - numbers(text)) / len(asked) if asked else 0.0


# Numbers are compared as numbers, not as terms: the papers spell one several ways ("VGG16" in
# Fast R-CNN, "VGG-16" in Faster R-CNN; "320×320" where a question types "320x320"), and as terms
# "vgg16" is not "16", nor "320x320" the "320", "320" of "320×320", so a right answer read as
# lacking the question's number. A size stays one number ("1x1" is not the "1" of "top-1"); a
# thousands comma is dropped ("1,000" is "1000").
_NUMBERS = re.compile(r"\d+(?:\.\d+)?(?:\s?[x×]\s?\d+(?:\.\d+)?)*")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")


def numbers(text: str) -> frozenset[str]:
    """The numbers ``text`` names: "16" of "VGG-16" and of "VGG16", "320x320" of "320 × 320"."""
    return frozenset(re.sub(r"\s?[x×]\s?", "x", n) for n in _NUMBERS.findall(_THOUSANDS.sub("", text)))


def is_number(word: str) -> bool:
    """The whole word is one number as ``numbers`` reads it ("320x320", "1X1"), not a name."""
    return numbers(word.lower()) == {word.lower()}


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
