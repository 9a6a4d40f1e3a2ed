"""What a "how many / how much" question counts (or what rate, what share it asks), and whether a
sentence states a count of it.

"How many GPUs were used to train Fast R-CNN on COCO?" is answered by a sentence giving a number of
GPUs, not by one that mentions the COCO training: a sentence stating some other number about the
entity ("the RPN step has a mini-batch size of 8 images") is a look-alike's answer. The counted
thing is read from the question's words ("GPUs", "GPU memory", "fellow MSRA alumni"), and a
sentence states a count of it when a number stands within a few words of one of them or of a unit
of its kind ("2.5 GPU-days" for "how much compute", "12 GB" for "how much memory"). A rate
("What initial learning rate ...?") is counted as a count is, a share ("What share of the RoIs
....") by a percentage. Measured in session 16 (docs/EVALUATION.md): 52 more look-alikes of wide
dev and train refused; 2 right answers lost, which said their count in other words ("six models").
"""

from __future__ import annotations

import re

from ..text import STOPWORDS, stem, words

# "how many <up to four words> <an auxiliary, a preposition, a pronoun or the question's end>".
_COUNTED = re.compile(
    r"\bhow (?:many|much)\s+((?:[\w-]+\s+){0,3}?[\w-]+)"
    r"(?=\s+(?:did|does|do|is|was|were|are|has|have|had|can|could|would|will|should|per|in|on|for|to|at|of|"
    r"from|with|after|before|during|that|the|it|its|they|he|she|we|you|this|these|those)\b|\s*[?,.]|\s*$)",
    re.I,
)
# "what (is the) <up to two words> rate / size / decay / momentum": a hyperparameter's value.
_RATE = re.compile(r"\bwhat(?:['’]s|\s+(?:is|are|was|were))?\s+(?:the\s+)?((?:[\w-]+\s+){0,2}?(?:rate|size|decay|momentum))\b", re.I)
# A share is counted in percent ("25%", "25 percent").
_PERCENT = ("percent",)
_SHARE = re.compile(r"\b(?:what|which)\s+(?:percentage|percent|share|fraction|proportion)\b|\bhow many percent", re.I)
# Counted words that make the question a comparison or a ratio, not a count of things ("how much
# faster", "how many times lower"), or that ask no thing ("how many kinds", "how much of").
_NOT_COUNTED = frozenset("does do did is was were are has have more less fewer times faster slower quicker smaller "
                         "larger bigger higher lower better worse longer shorter deeper cheaper greater kinds kind "
                         "types type percentage percent share fraction of".split())
# Units of the kinds of thing a question counts in other words than its unit.
# A time in a unit the question names is stated in that unit ("how many hours" is not "10ms"); a
# time asked in none ("how much time") in any of them.
_TIME_UNITS = {"hour": "h hr hrs hour hours gpu-hours", "day": "day days gpu-days", "second": "s sec secs second seconds",
               "millisecond": "ms millisecond milliseconds", "minut": "min mins minute minutes"}
_TIME = " ".join([*_TIME_UNITS.values(), "week weeks month months year years"])
_PERSONS = ("people persons individuals researchers authors co-authors scientists engineers employees staff members "
            "students interns alumni founders co-founders")
_UNITS = {
    **_TIME_UNITS, "time": _TIME,
    "memori": "gb mb kb gigabytes megabytes bytes", "gigabyt": "gb", "megabyt": "mb",
    "comput": "flops gflops multiply-adds " + _TIME,
    "paramet": "params", "money": "$ dollars usd yuan rmb million billion", "fund": "$ dollars usd yuan rmb million billion",
    # People are counted as what they are: "How many people wrote the ResNet paper?" is answered
    # by "authored by four researchers".
    "peopl": _PERSONS, "person": _PERSONS, "individu": _PERSONS,
    # Things a paper counts under another name: graphics cards are GPUs, networks its models.
    "card": "gpu gpus", "network": "model models net nets",
}
_NUMBER_WORDS = frozenset("one two three four five six seven eight nine ten eleven twelve dozen dozens hundred hundreds "
                          "thousand thousands million millions billion billions twice".split())
NEAR = 3  # words at most between the number and the counted word
# A year after these words is a date, not a count: "Since 2015, researchers around the globe ..."
# states no number of researchers.
_BEFORE_YEAR = frozenset("since in by until till before after from during early late mid".split())
_YEAR = re.compile(r"19\d\d|20[0-3]\d")
_RATE_HEADS = frozenset({"rate", "size", "decay", "momentum"})  # stems of ``_RATE``'s heads


# Plurals not ending in -s that "how many" counts.
_IRREGULAR_PLURALS = frozenset("people men women children alumni data criteria phenomena".split())


def _may_end_counted(word: str) -> bool:
    """A folded word that may end what "how many" counts. Grammar makes that a plural, so any -s
    word will do ("gpus", "ms"); ``asking.plural_asked`` must tell a plural from "focus" or
    "its", and reads the word as written, with a stricter test."""
    return word in _IRREGULAR_PLURALS or (word.endswith("s") and not word.endswith("ss"))


def counted(question: str) -> tuple[str, ...]:
    """The words of what a "how many / how much" question counts ("gpu", "memory"), of the rate it
    asks ("dropout", "rate"), ``("percent",)`` for a share; () when it asks no count of a thing.
    "How many" counts a plural: its words end with the last one ("how many coordinates come out"),
    and a question naming none leaves out what it counts ("how many remain for training?", "how
    many per stage?"): it asks no count of a named thing."""
    if _SHARE.search(question):
        return _PERCENT
    found = _COUNTED.search(question)
    if found:
        phrase = words(found.group(1))
        if re.match(r"how\s+many\b", found.group(0), re.I):
            phrase = phrase[: 1 + max((i for i, w in enumerate(phrase) if _may_end_counted(w)), default=-1)]
            if not phrase:
                return ()
    else:
        found = _RATE.search(question)
        if not found:
            return ()
        phrase = words(found.group(1))
    if set(phrase) & _NOT_COUNTED:
        return ()
    return tuple(w for w in phrase if w not in STOPWORDS)


def _stems(word: str) -> set[str]:
    """The stems of a word and of its hyphenated parts, singular too ("gpus" is its own stem)."""
    parts = [p for p in (word, *re.split(r"[-/]", word)) if p]
    return {stem(p) for p in parts} | {stem(p[:-1]) for p in parts if len(p) > 3 and p.endswith("s")}


def counted_head(counted_words: tuple[str, ...]) -> str:
    """The word naming what is counted: the last with units of its kind, else the last word (the
    phrase may run on into the question's verb: "how many people wrote")."""
    with_units = [w for w in counted_words if any(s in _UNITS for s in _stems(w))]
    return (with_units or counted_words)[-1]


def states_count(counted_words: tuple[str, ...], sentence: str) -> bool:
    """A number stands within ``NEAR`` words of a counted word or is written into one ("8-GPU");
    when the counted thing has units ("memory" of "GPU memory", "compute"), of the thing or one of
    its units ("12 GB", "2.5 GPU-days"), not of a word before it ("2 GPUs")."""
    head = _stems(counted_head(counted_words))
    units = {u for s in head for u in _UNITS.get(s, "").split()}
    stems = head if units else {s for w in counted_words for s in _stems(w)}
    if counted_words == _PERCENT and "%" in sentence:
        return True
    tokens = words(sentence)

    def names_counted(token: str) -> bool:
        return token in units or bool(_stems(token) & stems)

    def is_number(i: int) -> bool:
        token = tokens[i]
        if _YEAR.fullmatch(token) and i > 0 and tokens[i - 1] in _BEFORE_YEAR:
            return False
        return bool(re.search(r"\d", token)) or token in _NUMBER_WORDS

    if head & _RATE_HEADS and len(counted_words) > 1:
        # A rate, a size is named by the word before it: "What dropout rate ...?" is not answered by
        # "a per-layer learning rate of 1", nor "what mini-batch size" by "an input size of 600".
        named = set().union(*(_stems(t) for t in tokens))
        if not _stems(counted_words[-2]) & named:
            return False
    if "rate" in head and "%" in sentence:
        # A rate is stated as a percentage: "... wins by a margin of >55%".
        return True
    for j, token in enumerate(tokens):
        if not names_counted(token):
            continue
        if is_number(j):
            return True
        if any(is_number(i) for i in range(max(0, j - NEAR), min(len(tokens), j + NEAR + 1)) if i != j):
            return True
    return False
