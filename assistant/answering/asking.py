"""How a question asks: the wh-word that asks it, whether it asks for names (people,
organisations, places) and for several of them, the relation its items stand in ("Who benefited?"
of "Who benefited from ResNet?", compared with section headings to find the section that lists
them), and the terms it asks with. Read by ``question`` (``analyse``) and by the pipeline; nothing
here is fitted.
"""

from __future__ import annotations

import re

from ..text import QUESTION_WORDS, stem, terms
from .readings import without_names

_ENTITY_NOUN = (r"(company|companies|lab|labs|firm|firms|university|universities|person|people|organi[sz]ations?|"
                r"startups?|institutions?|business|businesses|players?|part(?:y|ies)|corporations?|enterprises?|employers?|"
                r"beneficiar(?:y|ies)|winners?|losers?|outfits?|entit(?:y|ies))")
# A word may qualify the noun ("which specific companies", "what Chinese firms"), not an auxiliary
# or "of". One only: "Which venture capital firm led Momenta's last round?" asks no list of the
# article's companies (the seed dev set's look-alike was answered with two).
_MODIFIER = r"(?!(?:is|are|was|were|do|does|did|has|have|had|of|in|the)\b)[a-z][\w-]*"
# Asked as a question ("which companies ...") or as a request ("Name the companies that ...",
# "Please identify the parties that ...").
# A request may open politely: "Can you list ...?", "Could you please name ...?", "Please list ...".
_REQUEST = r"^\s*(?:(?:can|could|would|will)\s+you\s+)?(?:please\s+|kindly\s+)?"
_LED_REQUEST = re.compile(r"[,;:]\s*((?:name|list|identify)\b.*)$", re.I)
_ENTITY_QUESTION = re.compile(
    rf"\b((?:which|what)(?:\s+{_MODIFIER})?\s+{_ENTITY_NOUN})\b"
    rf"|(?:{_REQUEST}|[,;:]\s*)(?:name|list|identify)\s+(?:the\s+|all\s+|some\s+|every\s+|each\s+|any\s+)?(?:{_MODIFIER}\s+)?{_ENTITY_NOUN}\b",
    re.I,
)
# The wh-word that asks: the first opening the question or one of its clauses ("According to
# Sheehan, where ...?", "ResNet: who ...?", "So who ...?"), else the first at all ("Can you tell me
# who ...?"). Another inside a clause is a relative or an embedded question's: "shortcuts where the
# dimensions increase", "an example whose pt is 0.968", "how long ago was the question of who gains
# ... never raised?".
_WH = r"(?:who|whom|whose|which|what|where|how|why|when)"
_CLAUSE_WH = re.compile(rf"(?:^|[,.;:?!]\s+)\W*(?:(?:and|but|so|or|then)\s+)?(?:(?:to|for|from|with|by|of|at|in|on)\s+)?"
                        rf"({_WH})\b", re.I)
_ANY_WH = re.compile(rf"\b({_WH})\b", re.I)


# The asking words of a list question: several items are wanted, one sentence each. "List" (and
# "Enumerate") asks when it opens the question ("List the ..."), not as a noun ("the US entity list") or a verb
# after its plural object ("What drawbacks ... does the paper list?", a plural wh-phrase anyway).
# "Name every firm ..." and "Name each firm ..." ask for all of them (headline sets +2, wide dev unchanged).
_LIST_QUESTION = re.compile(
    r"\b(who (benefit\w*|gain\w*|profit\w*|lost|los[et]\w*|won|win\w*)|which (companies|firms|labs|people|products|startups|universities|"
    r"organi[sz]ations|areas|datasets|tasks|methods|techniques|components|layers)|what (companies|firms|products|"
    r"areas|datasets|tasks|methods|techniques|components|positions|roles)|(?:name|identify|list) (the|all|some|every|each))\b|" + _REQUEST + r"(?:list|enumerate)\b",
    re.I,
)
# A question's wh-phrase ("which Chinese tech companies", "what drawbacks of R-CNN") ends at an
# auxiliary or a preposition; a plural noun in it asks for several items, whatever the noun is.
_PHRASE_END = frozenset("do does did is are was were has have had can could will would should may might be been "
                        "of to in on at by for from with than as about into after before since during when "
                        "where if while that and or".split())
_AUXILIARY = frozenset("do does did are were have had can could will would".split())
_ASKING_WORD = re.compile(r"\b(who|whom|whose|which|what|where)\b", re.I)
_NAMING_WH = frozenset(("who", "whom", "whose", "which", "what", "where"))


# What a question asks of its items is its wh-clause before what they relate to: "Who benefited"
# of "Who benefited from ResNet?", "Which companies gained" of "... from the ResNet research?". It
# ends at the preposition that brings those in, not at an infinitive's "to" ("Who stood to gain
# from ResNet?") nor at a verb's particle, a preposition another follows ("Which companies cashed in
# on ResNet?"), nor at one ending the question ("Who has ResNet been good for?", session 29). (Those
# two: headline sets +1, wide dev unchanged; docs/EVALUATION.md, session 19.)
# A clause a conjunction opens says when, not what: "... the main beneficiaries once the authors left?".
_RELATED_TO = re.compile(r"\s(?:from|of|to(?=\s+(?:the|an?|its|their|this|that|these|those|his|her|our|(?-i:[A-Z])))"
                         r"|at|in|on|off|by|for|with|thanks\s+to|thanks|after|because|beyond|over|about|per|once|when|while|until|"
                         r"than|during|since|through|behind|out of)\b(?!\s+(?:from|of|to|at|in|on|by|for|with)\b)(?=\s+\S).*$", re.I)


# ``relation``: a wh-phrase that is the object of the predicate before it ("... a windfall for
# whom?"), within the same clause.
_ENDS_IN_PREPOSITION = re.compile(r"\b(?:for|in|to|with|by|on|at|from|into|onto)\s*$", re.I)
_CLAUSE_END = re.compile(r"[,;:.!?]")


def asks_entity(question: str) -> bool:
    """The question asks for people, organisations or places: it asks with who/whom/whose/where
    (``opening_wh``), or names them ("which companies", "Name the firms that ...")."""
    return opening_wh(question) in ("who", "whom", "whose", "where") or bool(_ENTITY_QUESTION.search(question))


def opening_wh(question: str) -> str:
    """The wh-word that asks (``_CLAUSE_WH``), lower-cased; "" for a question without one."""
    found = _CLAUSE_WH.search(question) or _ANY_WH.search(question)
    return found.group(1).lower() if found else ""


def _naming_wh(question: str) -> tuple[int, str] | None:
    """Where the who/which/what/where that asks for names starts, and the word: the first opening
    the question or one of its clauses ("Trace where ResNet's value flowed: which firms ...?" asks
    with "which"), else the first at all ("Can you tell me who ...?")."""
    for found in _CLAUSE_WH.finditer(question):
        if found.group(1).lower() in _NAMING_WH:
            return found.start(1), found.group(1).lower()
    found = _ASKING_WORD.search(question)
    return (found.start(), found.group(1).lower()) if found else None


# Adverbs that press the question, not what it asks: "What exactly is focal loss?" is not answered
# by "The exact form of the focal loss is not crucial."
_INTENSIFIERS = re.compile(r"\b(?:exactly|really|actually|concretely|precisely|basically|specifically)\b", re.I)


def question_terms(text: str) -> list[str]:
    """The terms ``text`` asks with, once each, in order: not its wh-words, nor an intensifier's."""
    return [t for t in dict.fromkeys(terms(_INTENSIFIERS.sub(" ", text))) if t not in QUESTION_WORDS]


def going_on(text: str) -> str:
    """``text`` after a dash, as if a sentence went on into it: its opening word is then read as a
    name when capitalised, as ``readings`` reads names past a sentence's first word ("Kaiming He",
    "ResNet turned out ...")."""
    return f"- {text}"


def asked_with_who(question: str) -> bool:
    """The question asks with "who" (or "whose", "whom"), which does not say whether one or several
    are wanted, wherever its asking clause starts: "Who gained?", "ResNet: who got the payoff?",
    "So who actually gained?", "Whose fortunes got a lift from ResNet?"."""
    asking = _naming_wh(question)
    return bool(asking) and asking[1] in ("who", "whose", "whom")


def asks_several(question: str) -> bool:
    """The question's own words ask for several items: a list's asking words or a plural wh-phrase."""
    return bool(_LIST_QUESTION.search(question)) or plural_asked(question)


_WH_HEAD = re.compile(r"\b(?i:what|which)\s+([A-Z][a-z]+)\s+(?i:do|does|did|is|are|was|were|has|have|had|can|could|will|would)\b")


def wh_head(question: str) -> str:
    """The one capitalised word between "what" or "which" and the auxiliary after it: the noun the
    question asks for, written as a title would ("Organisation" of "What Organisation did Xiangyu
    Zhang join?"), not a name; "" when there is none."""
    found = _WH_HEAD.search(question)
    return found.group(1) if found else ""


def plural_asked(question: str) -> bool:
    """The question's wh-phrase names its items with a plural noun: "Which Microsoft products ...",
    "What drawbacks of R-CNN ...", "Who were the winners ...". After "what" a plural-looking word
    straight after it counts only before an auxiliary or "of" ("What advantages does", not the
    verb of "What happens to")."""
    tokens = re.findall(r"[\w&’'-]+", question)
    lowered = [t.lower() for t in tokens]
    for k, word in enumerate(lowered):
        start = k + 1
        if word == "who" and lowered[start : start + 1] in (["are"], ["were"]):
            start += 2 if lowered[start + 1 : start + 2] == ["the"] else 1  # "who were the winners"
        elif word not in ("which", "what"):
            continue
        run = []
        for token in tokens[start : start + 5]:
            if token.lower() in _PHRASE_END:
                break
            run.append(token)
        after = lowered[start + len(run)] if start + len(run) < len(lowered) else ""
        for j, token in enumerate(run):
            if _plural(token) and (word != "what" or j > 0 or after in _AUXILIARY or after == "of"):
                return True
    return False


def _plural(word: str) -> bool:
    """A lowercase word that reads as a plural noun ("products", "companies"; not "loss", "its")."""
    return (len(word) >= 4 and word.islower() and word.endswith("s") and not word.endswith(("ss", "us", "is", "'s", "’s"))
            and stem(word) != word)


def asked_relation(question: str) -> str:
    """``relation`` of a question that asks for a list of names ("Who benefited ...?", "Which
    companies ...?"), else "": what ``analyse`` reads as a who/which-company list."""
    if not asks_entity(question) or not (asked_with_who(question) or asks_several(question)):
        return ""
    return relation(question)


def relation(question: str) -> str:
    """The question's wh-clause without what its items relate to: "Who benefited?" of "Who
    benefited from ResNet?". Compared with the section headings, it finds the section that lists
    them ("Who Benefitted and Who Lost Out?") without the topic every section shares."""
    text = question.strip().rstrip("?.!").strip()
    asking = _naming_wh(text)  # from the asking word: not a lead-in ("According to the piece, which ...")
    if asking and asking[1] == "where":
        # A place is asked, not items a relation gathers: "Where is that company based?" after an
        # answer naming four people is a list (``analyse``), but no section lists its answer.
        return ""
    predicate = ""
    if asking:
        text, predicate = text[asking[0]:], text[:asking[0]]
        if not _ENDS_IN_PREPOSITION.search(predicate) or _CLAUSE_END.search(predicate):
            # The predicate before the asking word counts only when the wh-phrase is its object
            # ("ResNet turned out to be a windfall for whom?", "ResNet put a feather in which
            # companies' caps?"); else it is a lead-in ("According to the piece, which ...").
            predicate = ""
        # Its opening word too is a name here ("ResNet turned out ..."), as the rest's are below.
        predicate = without_names(going_on(predicate)).removeprefix("-").strip() + " " if predicate else ""
    else:
        # A request, after a lead-in too: "From the tech giant to the self-driving startup, name the
        # companies the essay sees as gaining from ResNet."
        request = _LED_REQUEST.search(text)
        text = request.group(1) if request else re.sub(_REQUEST, "", text, flags=re.I)
    text = predicate + (_RELATED_TO.sub("", text) or text)
    # The names it still holds are the topic too ("Who wrote the ResNet paper?" -> "Who wrote the
    # paper?"): with them, "The Breakthrough: What's So Important About ResNet?" was its nearest heading.
    text = without_names(text)
    # "Who is?" of "Who is Matt Sheehan?" relates nothing: near "The People: Who Was Behind the
    # Breakthrough?", it gathered the answer under that heading, about other people.
    return text + "?" if question_terms(text) else ""
