"""The type of answer a question asks for (a number, an amount, a date, a day, an age, a role) and
whether a sentence holds one: "How deep ...?" is answered by a sentence stating a number the
question does not, "Which month ...?" by one naming the month, "What position ...?" of a person by
one naming a role. Read by ``question``, which adds the names a who / which-company question asks
for; nothing here is fitted.
"""

from __future__ import annotations

import re

from ..retrieval.followup import people
from ..text import QUESTION_WORDS
from .readings import numbers, stated_numbers

# "When" asks a time or a condition where it opens the question; inside one it is a conjunction
# ("What happens when dropout is put on the shortcut?", "Why ... when fine-tuning?"), and the
# question asks what its own words ask. Nor does "the number of" ask a number unless "what" asks
# for it ("What's the maximum number of moves ...?"): not in "Why is the loss normalized by the
# number of assigned anchors?" or "What happens to mAP as the number of proposals goes up?".
# A count, a constant, a footprint, a rating, a ratio, a threshold or a total that "what" asks
# for, a word or two after it, is a number too ("What peak VRAM footprint ...?", "What is the
# parameter count ...?": wide dev +4, nothing lost; so read, "what CIFAR-10 error" churned +19 −14,
# not kept; docs/EVALUATION.md, session 39).
_OPENING_WHEN = r"^\s*(?:and\s+|so\s+)?when\b"  # "When ...?", "And when ...?", "So when ...?"
_QUANTITY_QUESTION = re.compile(
    rf"{_OPENING_WHEN}|"
    r"\b(how (many|much|long|old|big|large|often|fast|deep)|salary|cost|price|"
    r"percentage|what(?:['’]s|\s+(?:is|was|are|were))?\s+(?:the\s+)?(?:[\w-]+\s+)?(?:number|amount) of|"
    r"what (error|accuracy|rate|speed|size|value|depth|mAP|AP|score|top-\d)|"
    r"what (was|is|were|are) the (error|accuracy|rate|speed|size|value|depth|mAP|AP|score|top-\d|learning rate|"
    r"batch size|weight decay|momentum)|"
    r"what (?:(?:is|was|are|were) the )?(?!(?:kinds?|types?|sorts?) )(?:[\w-]+\s+){0,2}"
    r"(?:count|constant|footprint|rating|ratio|threshold|total))\b",
    re.I,
)
# Quantities of money: a year or a count in the sentence does not answer them.
_MONEY_QUESTION = re.compile(
    r"\b(salary|salaries|wages?|price|paid|pay|invest(ed|ment)?|funding|raised|revenue|budget|valuation|"
    r"how much money|how much did .* (cost|pay|spend|invest))\b",
    re.I,
)
MONEY = re.compile(
    r"[$€£¥]\s?\d|\b\d[\d,.]*\s?(dollars|usd|yuan|rmb|euros?|pounds|million|billion|trillion|thousand|[mbk])\b",
    re.I,
)
DIGIT = re.compile(r"\d")  # a token holding a digit
# "When was ... published?", "What year ...?": a date answers, not any number ("γ = 2" does not).
# Only "when" that asks: as a conjunction ("What mAP results when the cls scores are dropped?",
# "When compressing fc6, how many ...?", "When training on ImageNet, after which epochs ...?") it
# asks nothing. Opening the question in the present tense it asks a condition, not a time: "When
# does an anchor count as a negative example?" (IoU below 0.3; test8's t8-086), a number question
# (``_QUANTITY_QUESTION``).
_DATE_QUESTION = re.compile(rf"{_OPENING_WHEN}(?!\s+(?:does|do|is|are)\b)"
                            r"(?![^?]*,\s*(?:(?:after|before|at|by|during|for|from|in|on|over|under|with)\s+)?(?:how|what|which|who|where)\b)"
                            r"|\b(what|which|in what) (year|date|month)\b", re.I)
_DATE = re.compile(
    r"\b(1[6-9]\d\d|20\d\d)s?\b|\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d"
    r"|\b(january|february|march|april|june|july|august|september|october|november|december)\b", re.I)
# A question asking the day or the month wants a date that names the month ("19 October 2017",
# "April 18, 2015", "July 2019"), not a year alone: "Which month did Kaiming He start at FAIR?" is
# not answered by "... joined Facebook AI Research in 2016".
_DAY_QUESTION = re.compile(r"\b(?:what|which)\s+(?:exact\s+)?(?:date|day|month)\b", re.I)
_MONTHS = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_DAY = re.compile(rf"\b{_MONTHS}\s+\d|\b\d{{1,2}}\s+{_MONTHS}(?!\w)")
# "How old ...?" of a person wants an age: "37 years old", "aged 37" (of a lab, its founding year
# answers: a number question).
_AGE_QUESTION = re.compile(r"\bhow old\b", re.I)
_AGE = re.compile(r"\b\d+(?:\s+|-)years?(?:\s+|-)old\b|\bage[ds]?\s+(?:of\s+)?\d", re.I)
# "What position/role/title ...?": a sentence naming a role answers it, when a person holds it
# (``_about_people``): not "How many board positions ...?", "What role does γ play?" or "the
# evaluator's job".
_ROLE_QUESTION = re.compile(r"\b(position|role|job)s?\b|\b(what|which) titles?\b", re.I)
_PERSON_WORD = re.compile(r"\b(he|she|his|her|him|who|whom|whose|someone|somebody|alum|alumn[ai]|alumnus|"
                          r"authors?|researchers?|scientists?|founders?|people|person|employees?|staff)\b", re.I)
_ROLE = re.compile(
    r"\b(chief|scientist|director|head|president|ceo|cto|cfo|(co-?)?founder|co-?founding|professor|manager|"
    r"chair(man|woman)?|vice|officer|partner|dean|editor|fellow|principal|executive)s?\b",
    re.I,
)
# "How fast ...?", "How quickly ...?", "What speed ...?" want a rate or a time ("5fps", "0.2s per
# image", "24 h", a clock's "875 MHz"), not any number (nor the word "fast": "Fast R-CNN" holds it).
_SPEED_QUESTION = re.compile(r"\bhow (?:fast|quick(?:ly)?|slow(?:ly)?)\b|\bwhat (?:speed|frame rate)\b", re.I)
_TIME_UNITS = r"ms|milliseconds?|s|secs?|seconds?|h|hrs?|hours?|days?"
_SPEED = re.compile(rf"\d\s*(?:fps|frames?\s+(?:per|a)\s+second|[mg]hz|{_TIME_UNITS})\b"
                    r"|\d\s*(?:frames?|images?)\s*(?:/|per)\s*s", re.I)
# "How long ...?" wants a duration: a number of a unit of time, or of training's iterations or
# epochs ("27 hours", "3 weeks", "198ms", "three years", "two decades", "90k iterations"), or the frame rate
# that says how long an image takes ("5fps"), not any number; "How long is the vector ...?" asks a
# length (a number question).
_DURATION_QUESTION = re.compile(r"\bhow long\b(?!\s+(?:is|are)\s+(?:the|a|an|its|each)\b)", re.I)
_DURATION = re.compile(r"(?:\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twelve|several|few))\s*-?\s*k?\s*"
                       rf"(?:{_TIME_UNITS}|mins?|minutes?|weeks?|months?|years?|decades?|epochs?|iterations?|"
                       r"gpu-days|gpu-hours|fps)\b", re.I)
# A question asked as a noun phrase, with no word that asks ("ResNet-152, ImageNet val, 10-crop
# testing: top-5 error?", "Parameter count of the 110-layer CIFAR-10 residual net?", "Tally of
# self-generated games in the 72-hour run?"), asks a number when it names a measure.
_FRAGMENT_QUANTITY = re.compile(
    rf"^(?!.*\b(?:{'|'.join(sorted(QUESTION_WORDS))}|is|are|was|were|did|does|do|can|could|should|would)\b)"
    r"(?=.*\b(?:error|errors|rate|count|tally|number|time|times|latency|runtime|runtimes|mAP|AP|Elo|score|year|size|length|"
    r"hours|ms|milliseconds|percent|percentage|accuracy|depth|parameters|params|FLOPs|margin|gap|speed|fps)\b)", re.I)
# Typed questions, in order of precedence: the words that ask, and what an answer must hold.
_TYPED = ((_ROLE_QUESTION, _ROLE), (_MONEY_QUESTION, MONEY), (_DAY_QUESTION, _DAY), (_DATE_QUESTION, _DATE),
          (_AGE_QUESTION, _AGE), (_SPEED_QUESTION, _SPEED), (_DURATION_QUESTION, _DURATION),
          (_QUANTITY_QUESTION, DIGIT), (_FRAGMENT_QUANTITY, DIGIT))


def asked_type(question: str) -> tuple[re.Pattern | None, re.Pattern | None]:
    """The words that ask for a type of answer and what an answering sentence holds (``_TYPED``),
    the first that applies; (None, None) for an untyped question."""
    for asking, wanted in _TYPED:
        if asking.search(question) and (asking not in (_ROLE_QUESTION, _AGE_QUESTION) or _about_people(question)):
            return asking, wanted
    return None, None


def holds_wanted(wanted: re.Pattern | None, sentence: str, *, asked: str, known: frozenset[str]) -> bool:
    """The sentence holds what ``wanted`` (``asked_type``'s second) asks for beyond what the
    question ``asked`` says: a role its words (``known``) do not name, a number it does not state."""
    if wanted is _ROLE:
        return bool({m.group(0).lower() for m in _ROLE.finditer(sentence)} - known)
    if wanted is DIGIT:
        return bool(stated_numbers(sentence) - numbers(asked))
    return bool(wanted and wanted.search(sentence))


def asking_words(asking: re.Pattern | None, question: str) -> str:
    """The words of ``question`` that ask for a role or an amount ("position", "salary"), "" for
    other types: a quote answers them with a role or an amount, not with the word itself. (Not for
    numbers: "what year" is answered by any year, too weak a sign that the quote is about the asked
    event.)"""
    if asking not in (_ROLE_QUESTION, _MONEY_QUESTION, _SPEED_QUESTION):
        return ""
    return " ".join(m.group(0) for m in asking.finditer(question))


def _about_people(question: str) -> bool:
    return bool(_PERSON_WORD.search(question) or people(question))
