"""Questions asked in several parts: a question that asks two things ("Which detection system did
the ResNet paper plug ResNet-101 into, and what frame rate did that system reach ...?"), states
what it builds on before asking ("Kaiming He joined Facebook AI Research in 2016. What COCO
test-dev AP did ...?"), or asks one thing of two named subjects ("Which paper, Fast R-CNN or
Faster R-CNN, ...?", "both A and B", "compare A and/with B"), or of two phrases ("What IoU does
RetinaNet require ..., versus the IoU above which an RPN anchor is positive?") is answered part by
part: the facts are in different documents, and one retrieval or one sentence score against the
whole question favours one part's document. ``retrieval.parts`` reserves each part its places in the top k;
``extractive.extract_parts`` answers each.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..text import QUESTION_WORDS, fold, sentence_spans, terms
from ..retrieval.followup import refers_back
from .front_matter import asks_affiliation
from .readings import names_and_identifiers

_WH = "|".join(sorted(QUESTION_WORDS))
_ASKING_START = rf"(?:{_WH}|did|does|do|is|are|was|were|can|could)\b"
_ASKING_WITHIN = re.compile(rf"\b(?:{_WH})\b", re.I)
# "..., and what ...", "...; how ...", and with a preposition before the asking word: "..., and for
# how many days ...", "..., and in which city ...".
_CLAUSE_PREPOSITION = r"(?:(?:in|for|at|on|under|from|by|with|to|of|over|after|before|during|into|through|per|since|until|within|across|against|between)\s+)?"
_CLAUSES = re.compile(rf"\s*(?:,\s*and|;)\s+(?={_CLAUSE_PREPOSITION}{_ASKING_START})"
                      rf"|,?\s+and\s+(?:say|tell\s+me|state|give)\s+(?={_CLAUSE_PREPOSITION}{_ASKING_START})", re.I)
# A name: up to four words, each capitalised or a number ("Fast R-CNN", "ResNet 101"), not a
# question's opening word ("Is ResNet-50 or ResNet-101 deeper?" asks of "ResNet-50").
_NAME_WORD = r"(?!(?:Is|Are|Was|Were|Did|Does|Do|Which|What|Who|How|When|Where|Why|In|With|The|A|An)\b)[A-Z0-9][\w.-]*"
_NAME_PHRASE = rf"{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,3}}"
# "A or B" between two names: the question asks which of them; either may hold the answer.
_EITHER = re.compile(rf"(?P<a>{_NAME_PHRASE}),?\s+or\s+(?P<b>{_NAME_PHRASE})\b")
# A capitalised adjective of origin ("American", "Chinese", "Korean", "British") names no subject:
# "Which companies, American or Chinese, got a boost ...?" asks for the companies of both.
_ORIGIN = re.compile(r"[A-Z][a-z]+(?:an|ese|ish)")
# "both A and B", "compare(d) A and/with/to B", "A versus/vs B": the question asks the same of each.
_EACH = re.compile(rf"(?i:\bboth\s+|\bcompar\w*\s+)(?P<a>{_NAME_PHRASE})\s+(?:and|with|to)\s+(?P<b>{_NAME_PHRASE})\b"
                   rf"|(?P<a2>{_NAME_PHRASE})\s+(?i:versus|vs\.?)\s+(?P<b2>{_NAME_PHRASE})\b")
# "X versus Y", "X, compared with Y", where Y is a phrase, not a name: "What IoU does RetinaNet
# require to assign an anchor, versus the IoU above which an RPN anchor is positive?". Not within a
# word ("one-vs-rest"); "compared with" only after a comma, as a verb's ("MSRA is compared with the
# Whampoa Academy") asks one thing; nor when Y goes on to ask ("one-stage versus two-stage
# comparison, what does ...?": the pair qualifies a noun).
_COMPARED = re.compile(r"(?:\s*,\s*|\s+)(?:versus|vs\.?)\s+|\s*,\s*(?:compared\s+(?:with|to)|relative\s+to)\s+", re.I)
# "How does X compare with Y?" asks of two phrases as "X versus Y" does: "How does the CIFAR-10
# error of the original 1202-layer ResNet compare with the best 1001-layer pre-activation ResNet?"
# (not "How did the authors change X compared with ...?", whose "compared" qualifies the change).
_HOW_COMPARE = re.compile(r"^how\s+(?:does|did|do)\s+(?P<a>.+?)\s+compare\s+(?:with|to|against)\s+(?P<b>[^?]+)", re.I)
# "Give two sampling figures: the foreground fraction in a Fast R-CNN minibatch, and the
# positive:negative ratio that Lin et al. say two-stage detectors sample with.": the two things asked.
_AFTER_COLON = re.compile(r"^(?P<lead>[^:?]+):\s*(?P<a>[^?]+?),\s+and\s+(?P<b>(?:the|its|their|his|her)\b[^?]+)")
# "What AP does RetinaNet get with one square anchor, and with 3 scales and 3 aspect ratios?": the
# same question asked again of the setting after ", and <preposition>", which replaces the head's
# last phrase of that preposition.
_AND_SETTING = re.compile(r"^(?P<head>[^?]+?),\s+and\s+(?P<preposition>with|for|at|on|in|under|without|using|from|to|by)\s+"
                          rf"(?P<tail>(?!(?:{_WH})\b)[^,?]+)\?$", re.I)
_ASKS_AFTER = re.compile(rf"[,:;\u2013-]\s+(?:{_WH})\b", re.I)
_IMPERATIVE = re.compile(r"(?:name|identify|give|list)\b", re.I)  # "Name that system", asking without a question word
MIN_PART_WORDS = 4  # a shorter piece ("Thanks.", "OK, and what ...") is not a part of its own
# A message of more pieces is asked as one: each part costs a search and an answer of its own.
MAX_PARTS = 3


@dataclass(frozen=True)
class Parts:
    """The parts of a question asked in several (``texts``; one part: the question itself).
    ``either``: the question asks which of two named subjects something holds for, so one part's
    answer suffices; otherwise every part must be answered."""

    texts: tuple[str, ...]
    either: bool = False


def question_parts(question: str) -> Parts:
    """``question`` split into the parts it asks: its sentences (a statement it builds on, then
    what it asks), its clauses joined by ", and what/how/which ..." or "; ", or the same question
    asked of each of two named subjects ("A or B", "both A and B", "compare A and B"), or its two
    sides when it compares phrases ("X versus Y", "X, compared with Y", "How does X compare with Y?"),
    or the two things a lead asks for after a colon ("Give two figures: A, and the B."), or the
    question asked again of a second setting ("What AP ... with one square anchor, and with 3 scales
    and 3 aspect ratios?")."""
    text = " ".join(question.split())
    pieces = [text[s:e] for s, e in sentence_spans(text)]
    pieces = _short_pieces_joined([c for piece in pieces for c in _CLAUSES.split(piece)])
    if 2 <= len(pieces) <= MAX_PARTS and all(len(p.split()) >= MIN_PART_WORDS for p in pieces):
        return Parts(tuple(pieces))
    for pattern, either in ((_EITHER, True), (_EACH, False)):
        found = pattern.search(text)
        if found:
            a, b = found.group("a") or found.group("a2"), found.group("b") or found.group("b2")
            if fold(a) != fold(b) and not (either and _ORIGIN.fullmatch(a) and _ORIGIN.fullmatch(b)):
                return Parts(tuple(f"{text[:found.start()]}{name}{text[found.end():]}" for name in (a, b)), either)
    setting = _AND_SETTING.match(text)
    if setting:
        head, preposition = setting["head"], setting["preposition"]
        at = head.lower().rfind(f" {preposition.lower()} ")
        if at > 0:
            again = f"{head[:at]} {preposition} {setting['tail']}?"
            if all(len(p.split()) >= MIN_PART_WORDS for p in (head, again)):
                return Parts((head + "?", again))
    compared = _COMPARED.split(text)
    if len(compared) == 1 and (how := _HOW_COMPARE.match(text)):
        compared = [how["a"], how["b"]]
    elif len(compared) == 1 and (listed := _AFTER_COLON.match(text)):
        compared = [f"{listed['lead']}: {listed['a']}", listed["b"]]
    if (len(compared) == 2 and all(len(p.split()) >= MIN_PART_WORDS for p in compared)
            and not _ASKS_AFTER.search(compared[1])):
        first, second = compared
        return Parts((first + "?" if text.endswith("?") else first, second))
    return Parts((text,))


def _short_pieces_joined(pieces: list[str]) -> list[str]:
    """A piece too short to be a part of its own, after a statement, is what the statement's
    question asks: "The essay names a DeepMind Go program ... Which program, and what Elo rating
    did its final version reach?" is asked as "The essay names ... Which program" and "what Elo
    rating ...?"."""
    joined: list[str] = []
    for piece in pieces:
        if (joined and len(piece.split()) < MIN_PART_WORDS and joined[-1].endswith(".")
                and (asks(piece) or _IMPERATIVE.match(piece))):
            joined[-1] = f"{joined[-1]} {piece}"
        else:
            joined.append(piece)
    return joined


def asks(part: str) -> bool:
    """The part asks something (it ends with a question mark, opens with an asking word, or is a
    clause cut off before ", and ..." that asks within: "Shaoqing Ren went on to co-found which
    startup"), rather than stating what the question builds on ("Kaiming He joined Facebook AI
    Research in 2016.": a sentence of its own, whose "which" would be a relative pronoun)."""
    part = part.rstrip()
    return (part.endswith("?") or bool(re.match(_ASKING_START, part, re.I))
            or (not part.endswith(".") and bool(_ASKING_WITHIN.search(part))))


def leans_on(parts: Sequence[str]) -> tuple[str, ...]:
    """For each part, what it is searched and read with besides its own words:
    - a part naming nothing of its own leans on the parts before it: "Who reaped the rewards in the
      end?" after "ResNet came out of Microsoft's Beijing lab.", "how many are drawn from each
      image?" after "how many RoIs make up a Fast R-CNN mini-batch"; searched alone, such a part
      finds whatever its few words match;
    - a part that names its own subject but leaves out what it asks of it ("..., and what IoU does
      RetinaNet require?" after "What IoU with a ground-truth box makes an anchor positive in
      Faster R-CNN's RPN": at most ``ELLIPTICAL_TERMS`` words besides its names) leans on the
      questions before it without their names, which would draw their subject's passages;
    - "" for the first part and any other ("What COCO test-dev AP did RetinaNet reach?" after a
      statement: a statement sets the scene, it asks nothing the part leaves out; "how many layers
      did its deepest ImageNet ResNet have?": a part pointing back is read as a follow-up)."""
    leaned = []
    for k, part in enumerate(parts):
        names = names_and_identifiers(part)
        if not names:
            leaned.append(" ".join(parts[:k]))
            continue
        asked = " ".join(p for p in parts[:k] if asks(p))
        elliptical = len(set(terms(part)) - {t for name in names for t in terms(name)}) <= ELLIPTICAL_TERMS
        leaned.append(_without(asked, names_and_identifiers(asked)) if asked and elliptical and not refers_back(part) else "")
    return tuple(leaned)


def asks_besides_affiliation(parts: Sequence[str]) -> bool:
    """A part of a question that asks where the authors were asks something else of its own: "Which
    startup did the Faster R-CNN first author co-found, and which university was he with?". Not a
    statement it builds on, nor a part that leans on the one before ("What affiliation does Ross
    Girshick list on Fast R-CNN, and what on the focal loss paper?": asked whole, from the bylines)."""
    return any(asks(part) and not asks_affiliation(part) and not before
               for part, before in zip(parts, leans_on(parts), strict=True))


# The most words besides its names a part leaving out what it asks has: "what IoU does RetinaNet
# require?" (1), "what does Faster R-CNN use instead?" (2); a whole question says more ("what
# single-crop error does ResNet-200 reach?": 4).
ELLIPTICAL_TERMS = 2


def _without(text: str, names: Sequence[str]) -> str:
    """``text`` without ``names`` (as whole words)."""
    for name in sorted(names, key=len, reverse=True):
        text = re.sub(rf"(?<![\w-]){re.escape(name)}(?![\w-])", " ", text)
    return " ".join(text.split())
