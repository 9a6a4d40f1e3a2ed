"""Follow-up questions: what "he", "the lead author", "the other three", "that company" or "it"
refer back to, read from the conversation without an LLM.

The referent is looked for in the **earlier answers** (the sentences they quote and the names in
those sentences) as well as the earlier questions: "Where did he go after MSRA?" after "What did
Kaiming He do?" refers to Kaiming He, named in the question; "Where did the lead author go?" after
"Who wrote the ResNet paper?" refers to the first author the answer lists; "What about the other
three?" to the people the answers named and the conversation has not yet been about.

The result is a short context that retrieval searches with the question and the answerer weighs
below the question's own words: for a person, the name(s) alone (with the earlier question too,
"Where did the lead author go? (Kaiming He; Who wrote the ResNet paper?)" retrieves the author
list again instead of Kaiming He's move); for "it" or "that company", the names the nearest answer
added and the earlier questions the follow-up leans on; for "And EdgeBoxes?" or "they", those
questions alone (the earlier frame, not its answer's names). Measured in docs/EVALUATION.md.

History turns are ``(question, answer)`` strings, as the API sends them. An answer that cites
nothing (no ``[n]`` marker) stated nothing from the corpus, a refusal above all, whatever its
wording: it is not read, and its turn counts by its question alone, as does a turn whose answer
was not recorded ("").
Bounded: only the last ``MAX_TURNS`` turns and the first ``MAX_TURN_CHARS`` characters of each
question and answer are read, in loops (never one call per turn), whatever the history's length.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..text import STOPWORDS, sentence_spans, terms

REFUSED_PREFIX = "The corpus does not contain"  # the start of the chain's refusal (chain.REFUSAL)

MAX_TURNS = 4  # a follow-up leans on the last turn or two; four covers a chain of short follow-ups
MAX_TURN_CHARS = 2_000  # of each earlier question and answer: an extractive answer is <= 120 words

_MARKER = re.compile(r"\s*\[\d+(?:\s*,\s*\d+)*\]")
_PRONOUN = re.compile(r"\b(he|she|they|it|its|his|her|hers|him|them|their|theirs|this|that|these|those|there|then)\b", re.I)
_PERSON_PRONOUN = re.compile(r"\b(he|she|his|him|her|hers|himself|herself)\b", re.I)
# "they", "them": several people, when the nearest turn naming people asked who and named several
_PEOPLE_PRONOUN = re.compile(r"\b(they|them|their|theirs|themselves)\b", re.I)
_ASKS_WHO = re.compile(r"\b(?:who|whom)\b", re.I)
# ... or a person pointed at by what they do: "that writer", "this researcher", "that person".
_PERSON_POINTED_AT = re.compile(r"\b(?:that|this)\s+(?:writer|author|co-?author|researcher|scientist|person|engineer)\b", re.I)
_NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "both": 2}
# "the lead author", "the first author" (not "the first author of the Faster R-CNN paper": anchored)
_ROLE = re.compile(
    r"\bthe\s+(?P<which>lead|first|main|principal|second|third|last|senior|corresponding)\s+"
    r"(?:author|researcher|writer)\b(?!\s+of\b)", re.I,
)
# "the other three", "the others", "the rest", "the remaining two", "the two"
_OTHERS = re.compile(
    r"\bthe\s+(?:(?P<other>others?|rest|remaining)(?:\s+(?P<count>two|three|four|five|six|\d+))?"
    r"|(?P<bare>two|three|four|both))\b(?!\s+of\b)", re.I,
)
# "the next version", "the same model": the conversation's thing, not a named one
_DEFINITE = re.compile(r"\bthe\s+(?:next|previous|former|latter|same)\b", re.I)
# "it", "that company", "there": one thing, which the nearest answer named
_THING = re.compile(r"\b(?:it|its|there|(?:that|this)\s+(?!is\b|was\b)[a-z]+)\b", re.I)
_ELLIPSIS = re.compile(r"^\s*(?:and|but|also|what about|how about)\b", re.I)

_IDENTIFIER = re.compile(r"(?<![\w-])(?=[\w-]*\d)(?=[\w-]*[A-Za-z])[\w-]*\w(?![\w-])")
_NAME_WORD = r"[A-Z][a-z]+(?:-[A-Z]?[a-z]+)?"
_TITLE_RUN = re.compile(rf"(?<![\w-]){_NAME_WORD}(?:\s+{_NAME_WORD})*(?![\w-])")
_CAPITALISED = re.compile(r"(?<![\w-])[A-Z][\w’'-]*[A-Za-z0-9](?:\s+[A-Z][\w’'-]*[A-Za-z0-9])*")
# Capitalised words that do not make a person's name: calendar words and the nouns of
# organisations, places, titles and headings ("Microsoft Research Asia", "Tsinghua University",
# "Hong Kong", "Google Scholar"). A heuristic: a two-word name outside it is taken for a person.
_NOT_A_NAME = frozenset(
    """january february march april may june july august september october november december monday
    tuesday wednesday thursday friday saturday sunday research university institute academy lab labs
    laboratory college school center centre department group company corporation inc ltd asia america
    europe china chinese american european valley city state states kingdom republic review journal
    conference proceedings award awards prize paper papers table figure section appendix abstract
    introduction conclusion conclusions related work results experiments network networks learning
    deep residual model models image images recognition detection vision computer science technology
    national international global artificial intelligence machine dataset data set scholar new san los
    las santa hong kong north south east west silicon""".split()
)


def refers_back(question: str) -> bool:
    """Whether a question leans on the conversation: a pronoun, "the lead author", "the other
    three", "the next version", an opening "And"/"What about", or fewer than two content words.
    The names it holds are not read as pronouns (the "He" of "Kaiming He")."""
    question = _without_people(question)
    return bool(
        _PRONOUN.search(question) or _ROLE.search(question) or _OTHERS.search(question)
        or _DEFINITE.search(question) or _ELLIPSIS.search(question) or len(terms(question)) < 2
    )


def follow_up_context(question: str, history: Sequence[tuple[str, str]], max_chars: int | None = None) -> str:
    """What a follow-up refers back to ("" for a question that stands alone or an empty
    conversation): the people or things it points at, named from the earlier answers and
    questions, then the earlier questions it leans on (nearest first). With ``max_chars`` the
    context is cut to that many characters, leaving out the least needed parts first."""
    if not refers_back(question):
        return ""
    turns = _readable(history)
    if not turns:
        return ""
    people_named = _people_referred_to(question, turns)
    if people_named:  # the person is the referent; the earlier question's words would pull back its answer
        return _joined([", ".join(people_named)], max_chars)
    return _joined([", ".join(_things_referred_to(question, turns)), *dict.fromkeys(_leaned_on(turns))], max_chars)


def referents(question: str, history: Sequence[tuple[str, str]]) -> list[str]:
    """The people or things a follow-up points at that the earlier answers named ("that method"
    after an answer naming RPN: ["RPN", ...]); [] when it points at none or stands alone."""
    turns = _readable(history) if refers_back(question) else []
    if not turns:
        return []
    return _people_referred_to(question, turns) or _things_referred_to(question, turns)


def _things_referred_to(question: str, turns: list[_Turn]) -> list[str]:
    """"It", "that company": the names the nearest answer added; [] when the question points at no thing."""
    return _new_names(turns[-1]) if _THING.search(question) else []


def with_context(question: str, context: str) -> str:
    """The query searched for a question and what it refers back to."""
    return f"{question} ({context})" if context else question


def joined(*contexts: str) -> str:
    """Several contexts of one question as one ("; " between those that are not empty): what a part
    of a question leans on, and what the conversation it is asked in refers back to."""
    return "; ".join(c for c in contexts if c)


def condense(question: str, history: Sequence[tuple[str, str]], max_chars: int | None = None) -> str:
    """A standalone retrieval query for a follow-up question (at most ``max_chars`` long)."""
    budget = None if max_chars is None else max(0, max_chars - len(question) - len(" ()"))
    return with_context(question, follow_up_context(question, history, budget))


class _Turn:
    """An earlier turn as read: its question, the sentences its answer quotes, and the people named."""

    def __init__(self, question: str, answer: str) -> None:
        self.question = question
        quoted = _MARKER.sub("", answer)
        self.sentences = [" ".join(quoted[start:end].split()) for start, end in sentence_spans(quoted)]
        self.asked_people = people(question)
        self.answered_people = [p for s in self.sentences for p in people(s)]


def earlier_questions(history: Sequence[tuple[str, str]]) -> list[str]:
    """The questions of the last ``MAX_TURNS`` turns, each cut to ``MAX_TURN_CHARS``, nearest first."""
    return [str(turn[0])[:MAX_TURN_CHARS] for turn in reversed(history[-MAX_TURNS:])]


def _readable(history: Sequence[tuple[str, str]]) -> list[_Turn]:
    """The last ``MAX_TURNS`` turns, each cut to ``MAX_TURN_CHARS``. An answer that cites nothing
    (a refusal) is not read: nothing in it is what the follow-up points at; its question still
    says what the user was talking about."""
    turns = []
    for asked, turn in zip(reversed(earlier_questions(history)), history[-MAX_TURNS:]):
        answered = str(turn[1])[:MAX_TURN_CHARS] if len(turn) > 1 else ""
        turns.append(_Turn(asked, answered if _MARKER.search(answered) else ""))
    return turns


def _leaned_on(turns: list[_Turn]) -> list[str]:
    """The earlier questions a follow-up leans on: the nearest, and before it each question that
    itself leaned on the one before (a chain of follow-ups), nearest first."""
    leaned = []
    for turn in reversed(turns):
        leaned.append(turn.question)
        if not refers_back(turn.question):
            break
    return leaned


def _people_referred_to(question: str, turns: list[_Turn]) -> list[str]:
    """The people a question points at ("he", "the lead author", "the other three", "the two"),
    read from the turns (nearest last); [] when it points at no person or none is named."""
    role = _ROLE.search(question)
    if role:
        return _by_role(role.group("which").lower(), turns)
    others = _OTHERS.search(question)
    if others and others.group("other"):
        count = others.group("count")
        return _not_yet_discussed(turns, _count(count) if count else None)
    if others:  # "the two", "both": the people the nearest answer named
        return _named_by_nearest(turns, _count(others.group("bare")))
    if _PEOPLE_PRONOUN.search(_without_people(question)):
        # "Where are they now?" after "Who wrote the ResNet paper?" and the four authors' names: all
        # of them, as "the four" would. Not people an answer named to another question ("... thanks
        # three people in the acknowledgements. Which of them ...?": those of the question's own words).
        nearest = _nearest_naming(turns)
        named = _named_in(nearest) if nearest else []
        if len(named) >= 2 and _ASKS_WHO.search(nearest.question):
            return named
    if _PERSON_PRONOUN.search(_without_people(question)) or _PERSON_POINTED_AT.search(question):
        return _the_person(turns)
    return []


def _count(word: str) -> int:
    return _NUMBERS.get(word.lower()) or int(word)


def _by_role(which: str, turns: list[_Turn]) -> list[str]:
    """"The lead author": a person an answer calls so ("Kaiming He, the lead author ..."), else the
    first (or last, or n-th) person of the nearest answer that lists several."""
    for turn in reversed(turns):
        for sentence in turn.sentences:
            if re.search(rf"\b{which}\s+(?:author|researcher|writer)\b", sentence, re.I):
                named = people(sentence)
                if named:
                    return named[:1]
    position = {"second": 1, "third": 2, "last": -1, "senior": -1}.get(which, 0)
    for turn in reversed(turns):
        for sentence in turn.sentences:
            listed = people(sentence)
            if len(listed) >= 2 and (position < len(listed)):
                return [listed[position]]
    return _the_person(turns)


def _the_person(turns: list[_Turn]) -> list[str]:
    """"He", "she": the person the nearest turn asked about, else the first its answer names."""
    for turn in reversed(turns):
        if turn.asked_people:
            return turn.asked_people[:1]
        if turn.answered_people:
            return turn.answered_people[:1]
    return []


def _named_by_nearest(turns: list[_Turn], count: int) -> list[str]:
    nearest = _nearest_naming(turns)
    return _named_in(nearest)[:count] if nearest else []


def _nearest_naming(turns: list[_Turn]) -> _Turn | None:
    """The nearest turn whose answer or question names people."""
    return next((turn for turn in reversed(turns) if turn.answered_people or turn.asked_people), None)


def _named_in(turn: _Turn) -> list[str]:
    """The people ``turn``'s answer names, else those its question names, once each."""
    return list(dict.fromkeys(turn.answered_people or turn.asked_people))


def _not_yet_discussed(turns: list[_Turn], count: int | None) -> list[str]:
    """"The other three": people the conversation named other than the one it was last about
    (``_the_person``); those listed with others ("Kaiming He,
    Xiangyu Zhang, Shaoqing Ren, and Jian Sun") first, as "the others" are the rest of a group."""
    discussed = set(_the_person(turns))
    listed, named = [], []
    for turn in turns:
        named += turn.asked_people
        for sentence in turn.sentences:
            found = people(sentence)
            (listed if len(found) >= 2 else named).extend(found)
    others = [p for p in dict.fromkeys(listed + named) if p not in discussed]
    return others[:count] if count else others


def _new_names(turn: _Turn) -> list[str]:
    """"It", "that company": what the nearest answer's first sentence names that its question did
    not (the answer to "Which startup did Shaoqing Ren co-found?" names Momenta): capitalised words
    past the sentence's first, and identifiers ("ResNet-110", "1202-layer"); at most three."""
    if not turn.sentences:
        return []
    asked = turn.question.lower()
    sentence = turn.sentences[0]
    found = [m.group(0) for m in _CAPITALISED.finditer(sentence) if m.start() > 0 or " " in m.group(0)]
    found += _IDENTIFIER.findall(sentence)
    names = [_without_leading_stopwords(n) for n in found]
    persons = set(people(sentence))
    names = [n for n in dict.fromkeys(names) if n and n.lower() not in asked and n.lower() not in _NOT_A_NAME
             and n not in persons]
    return names[:3]


def people(text: str) -> list[str]:
    """Person-like names in a text, in order: runs of two or three capitalised words ("Kaiming He",
    "Tsung-Yi Lin") that are not organisations, places or headings ("Microsoft Research Asia")."""
    found = []
    for match in _TITLE_RUN.finditer(text):
        run = _without_leading_stopwords(match.group(0)).split()
        if 2 <= len(run) <= 3 and not any(w.lower() in _NOT_A_NAME for w in run):  # "He" in "Kaiming He" is a name
            found.append(" ".join(run))
    return list(dict.fromkeys(found))


def names_any(persons: list[str], text: str) -> bool:
    """The text names one of ``persons`` by any part of their name ("Sun" of "Jian Sun")."""
    return any(re.search(rf"\b{re.escape(part)}\b", text) for person in persons for part in person.split())


def _without_people(text: str) -> str:
    for name in people(text):
        text = text.replace(name, " ")
    return text


def _without_leading_stopwords(name: str) -> str:
    """"And Shaoqing Ren" -> "Shaoqing Ren"; "The ResNet" -> "ResNet"."""
    words = name.split()
    while words and words[0].lower() in STOPWORDS:
        words.pop(0)
    return " ".join(words)


def _joined(pieces: list[str], max_chars: int | None) -> str:
    """The pieces, most needed first, joined by "; " and cut to ``max_chars``: the later pieces go
    first; a first piece too long on its own keeps its first words."""
    text = ""
    for piece in (p for p in pieces if p):
        joined = f"{text}; {piece}" if text else piece
        if max_chars is not None and len(joined) > max_chars:
            if not text:
                text = piece[: max_chars + 1].rsplit(" ", 1)[0][:max_chars]
            break
        text = joined
    return text
