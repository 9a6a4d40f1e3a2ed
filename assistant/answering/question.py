"""What a question asks for, worked out once per question: its terms and their corpus idf, the
type of answer it wants (names here; a number, an amount, a date, a role in ``answer_types``),
whether it asks for a list or a definition and of what, and the measure a number question asks
about; and the checks of a sentence against them (it holds the asked type, new names). How it
asks (its wh-word, names wanted, several items, their relation) is read in ``asking``; the names
and numbers of any text in ``readings``; what a definition question asks about, and whether a
sentence defines it, in ``definitions``.

The extractive answerer's features (``scorer``) and the retrieval's definition step read it;
nothing here is fitted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..retrieval.followup import people, refers_back
from ..text import STOPWORDS, terms, words
from .answer_types import DIGIT, MONEY, asked_type, asking_words, holds_wanted
from .asking import asked_with_who, asks_entity, asks_several, going_on, opening_wh, question_terms, relation
from .counts import counted
from .definitions import DOCUMENT_NOUN, LEAD_IN, LONG_FORM, definition_subject
from .front_matter import asking_for_authors, asks_address, asks_affiliation, asks_authors, written_by
from .readings import names, names_and_identifiers, numbers, opening_name

# "Why ...?", "What happened when ...?", "What goes wrong if ...?", "What's their explanation?",
# "What explains it?": a reason or a consequence is asked, which papers state in the sentence
# after the circumstance the question names (``Selection.reason_follows``).
_REASON_QUESTION = re.compile(r"\bwhy\b|\bwhat happen(?:s|ed)\b|\bhow come\b|\bwhat (?:goes|went) wrong\b"
                              r"|\bexplanation\b|\bwhat\s+(?:\w+\s+)?explains\b", re.I)
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
# Where the question says its answer is to be found, not what it asks: "according to Sheehan", "per
# the MacroPolo article", "as reported in the paper", "going by the essay" (to the next comma) ...
_SOURCED = (r"\b(?:according to|per (?=the\b)|going by (?=(?:the|this|that)\b)"
            r"|as (?:reported|described|stated|told|explained|laid out) (?:in|by))\s*[^,;:?]*")
# ... in whose telling: "in Sheehan's telling", "from the writer's point of view" ...
_IN_WHOSE_TELLING = (r"\b(?:in|from)\s+(?:the\s+)?[\w-]+['’]s\s+(?:own\s+)?"
                     r"(?:telling|view|assessment|account|words|reading|estimation|eyes|point\s+of\s+view)\b")
# ... or as one who reports it puts it: "as the article lays it out", "as Sheehan sees it".
_AS_ONE_PUTS_IT = (r"\bas\s+(?:the\s+|this\s+)?[\w’'-]+\s+"
                   r"(?:lays\s+it\s+out|puts\s+it|sees\s+it|has\s+it|tells\s+it|frames\s+it)\b")
# A quote from there need not repeat those words.
_ATTRIBUTION = re.compile("|".join((_SOURCED, _IN_WHOSE_TELLING, _AS_ONE_PUTS_IT)), re.I)
# A place a person left, which dates what is asked of them: "Which company hired Kaiming He away
# from Microsoft?", "What did he do after MSRA?", "... after leaving Microsoft, and ...". The answer
# says where they went, seldom what they left, and the place's own sentences outnumber theirs.
_PLACE_LEFT = re.compile(r"\s+(?:away\s+from|(?:right\s+|soon\s+)?after(?:\s+(?:leaving|quitting))?|since\s+leaving|upon\s+leaving)"
                         r"\s+(?:the\s+)?[A-Z][\w-]*(?:\s+[A-Z][\w-]*)*(?=\s*(?:[?,;.!]|$|\band\b))")
_HE_OR_SHE = re.compile(r"\b(?:he|she|him|her)\b", re.I)
# A document the question names as where its answer is: "the ResNet paper", "Girshick's article".
_A_DOCUMENT = (r"(?:in|per|within)\s+(?:the\s+|this\s+|that\s+|[A-Z]\w+['’]s\s+)?(?:(?!\bfrom\b)[^,;:?]){0,40}?"
               rf"\b{DOCUMENT_NOUN}['’]?s?")
# ... at its end: "... in the ResNet paper?", ", per the article?"; not "from the ResNet paper",
# which is what "Who profited from ...?" asks about, even after an "in": "Which firms in America
# and in China got a lift from the residual-net paper?".
_DOCUMENT_AT_END = re.compile(rf",?\s+{_A_DOCUMENT}\s*(?=[?.!]?$)", re.I)
# ... or opening it: "In the identity mappings paper, what ...?".
_DOCUMENT_FIRST = re.compile(rf"^\s*{_A_DOCUMENT}\s*,\s*", re.I)

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
    who: bool = False  # asked with "who", which does not say whether one or several are wanted
    relation: str = ""  # what a who/which-company question asks of its items ("Who benefited?"), "" for others
    # The terms whose presence in the answer shows it answers: the question's own, and for a
    # follow-up about several people ("What about the other three?") also those people's names,
    # since its own words ("three") only point at them.
    asked_terms: tuple[str, ...] = ()
    measure: tuple[str, ...] = ()  # the words of what a number question measures ("top-5", "error"), if found
    authors: bool = False  # asks who wrote a document ("Who wrote Fast R-CNN?"): its byline answers
    affiliation: bool = False  # asks where a document's authors were ("What affiliation does Girshick list on Fast R-CNN?"): so does its byline
    address: bool = False  # asks where code or data is to be had ("Where is the code for ...?"): a web address answers
    reason: bool = False  # asks why, or what happens / happened ("Why are cross-boundary anchors ignored?")
    counted: tuple[str, ...] = ()  # what a "how many / how much" question counts ("gpus"; ``counts``)
    written_by: tuple[str, ...] = ()  # the people whose documents it asks for ("Which papers did Jian Sun co-author?"): their bylines answer
    # Every term the question asks with (not the words asking for authors, nor those ``_UNASKED``)
    # is one no chunk holds: "Who invented the transistor?", "What is the chemical symbol for
    # tungsten?". Nothing in the corpus is about what it asks: these are its words, as written
    # ("invented", "transistor"), to tell the reader; empty when any asked term is indexed.
    unindexed: tuple[str, ...] = ()

    @property
    def about_nothing_indexed(self) -> bool:
        return bool(self.unindexed)


# The verb of a question asking where someone went asks for the place, as "where" does: "Where did
# Kaiming He go?" is answered by "... joined Facebook AI Research", not by a sentence "Going back to
# 1998"; and "happen" of "What happened to X?" asks what X did or became, which no answer says
# with "happen" ("Shaoqing Ren joined two other MSRA alumni in co-founding Momenta"), nor "become"
# of "What became of X?".
_ASKING_VERB = re.compile(r"\bwhere\s+(?:did|does|do|has|have|had|would|will|could|might)\s+[^?,;]{1,60}?\b"
                          r"(go|goes|going|gone|went|head|headed|move|moved|end\s+up|ended\s+up)\b"
                          r"|\bwhat\s+(?:(?:has|had|would\s+have|will|would)\s+)?(happens?|happened|happen)\b"
                          r"|\bwhat\s+(?:(?:has|had|have|will|would\s+have)\s+)?(became|become|becomes)\s+of\b", re.I)


def analyse(question: str, context: str = "", idf: dict[str, float] | None = None, *,
            follow_up: bool = False) -> Question:
    """What ``question`` asks. ``context``: what it is read with (a follow-up's conversation, or the
    parts of a question before it); with ``follow_up`` the context is the conversation's, and the
    names it gives what the question points back to are terms an answer must hold too."""
    question = without_attribution(question)
    verb = _ASKING_VERB.search(question)
    asking_verb = terms(verb[verb.lastindex]) if verb else []
    own = tuple(t for t in question_terms(question) if t not in asking_verb)
    from_context = tuple(t for t in question_terms(context) if t not in own)
    typed = asked_type(question)
    several = len(people(context)) >= 2
    entity = asks_entity(question) or several
    listing = asks_several(question) or several
    # The corpus gives 0 for a term no chunk holds: such a term (the "ethanol" of a question
    # about something else) weighs as much as the rarest term the corpus holds, not nothing, so
    # that quotes lacking it do not cover the question.
    fallback = max((v for v in (idf or {}).values() if v > 0), default=1.0)
    unseen = frozenset(t for t, v in (idf or {}).items() if v <= 0)  # the terms no chunk holds
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
        entity=entity,
        listing=listing,
        who=asked_with_who(question),
        subject=" ".join(definition_subject(question).split()),
        relation=relation(question) if entity else "",
        asked_terms=(own + from_context if several
                     else _repeated(question, own) + (_referents(question, context, own) if follow_up else ())),
        measure=measure_words(question) if typed[1] in (DIGIT, MONEY) else (),
        authors=asks_authors(question),
        affiliation=asks_affiliation(question),
        # (Not one asking a date or a number: "On what date was the code published on GitHub?".)
        address=asks_address(question) and typed[1] is None,
        reason=bool(_REASON_QUESTION.search(question)),
        counted=counted(question),
        written_by=written_by(question),
        # (Not a question read with a context: "when is it cut?" asks of what "it" refers to.)
        unindexed=() if context else _all_unseen(question, own, unseen),
    )


def _all_unseen(question: str, own: tuple[str, ...], unseen: frozenset[str]) -> tuple[str, ...]:
    """The words of ``question`` that ask with a term, when every such term is ``unseen`` (no chunk
    holds it; known only when the corpus idf is given), the words asking for authors aside ("Who
    invented" asks of the byline); () when one is not."""
    authors_asked = set(terms(asking_for_authors(question)))
    asked = {t for t in _repeated(question, own) if t not in authors_asked}
    if not asked or not asked <= unseen:
        return ()
    return tuple(dict.fromkeys(w for w in re.findall(r"[\w’'-]+", question) if asked & set(terms(w))))


# Terms an answering sentence does not repeat:
# - the document the question refers to and what it does with it ("as the article describes it",
#   "in the paper's words"), and the "s" a possessive leaves ("What's", "the RPN's window");
# - the words that request a definition ("Tell me about Megvii.": no sentence about Megvii says
#   "tell") or a list ("List the companies ...");
# - "according" of an attribution a short question keeps ("What is Momenta, according to the
#   article?": ``without_attribution``);
# - a placeholder for what is asked ("got something out of ResNet"), which the corpus seldom holds,
#   so it weighed as the rarest term (session 37);
# - the "et al." citing a paper ("What do He et al. mean by a 'plain' network?"): the paper says
#   "we", and only its related work, citing others, says "et al." (session 48: wide dev +11 −1).
#   The surname stays asked: the gate counts it held when the quote is from that author's paper
#   (``extractive.named_authors``).
_UNASKED = frozenset(terms("article paper piece words describes characterises characterizes says said reports according ’s "
                           "tell know explain define definition overview rundown summary "
                           "essay list enumerate something anything someone anyone somebody anybody everything et al"))


def _referents(question: str, context: str, own: tuple[str, ...]) -> tuple[str, ...]:
    """The terms of the names a follow-up's conversation gives what it points back to ("Kaiming He",
    "MSRA" for "What year was that?" after "Where did Kaiming He go after leaving MSRA?"): its
    answer is about them, whatever else its few words ask."""
    if not refers_back(question):
        return ()
    # (The context opens with the name: "Kaiming He", "Momenta, Beijing-based; ...".)
    return tuple(dict.fromkeys(t for name in names_and_identifiers(going_on(context)) for t in terms(name) if t not in own))


def without_attribution(question: str) -> str:
    """``question`` without where it says its answer is: its attribution (``_ATTRIBUTION``, "Who was
    the lead author of ResNet, according to Sheehan?" -> "Who was the lead author of ResNet?") and
    the document it ends or opens by naming (``_DOCUMENT_AT_END``, "What is shortcut option A in the
    ResNet paper?"; ``_DOCUMENT_FIRST``, "In the Fast R-CNN paper, what is model S?"), and a place
    the person it asks about left (``_PLACE_LEFT``, "Which company hired Kaiming He away from
    Microsoft?"). The sentences are scored against what it asks, not against the author's or the
    document's name ("Matt Sheehan is a Fellow at MacroPolo."); retrieval reads the whole question,
    and favours the document it names. The question as it is when little else is left."""
    left = bool(_PLACE_LEFT.search(question) and (people(question) or _HE_OR_SHE.search(question)))
    if not (left or _ATTRIBUTION.search(question) or _DOCUMENT_AT_END.search(question) or _DOCUMENT_FIRST.search(question)):
        return question
    rest = _DOCUMENT_FIRST.sub("", _DOCUMENT_AT_END.sub("", _ATTRIBUTION.sub(" ", question)))
    rest = _PLACE_LEFT.sub("", rest) if left else rest
    rest = re.sub(r"\s*[,;:]\s*(?=[,;:?.!]|$)", "", " ".join(rest.split())).strip(" ,;:")
    rest = re.sub(r"\s+([?.!])", r"\1", rest)
    # (A person's name is enough of what it asks: "Which company hired Kaiming He?"; so is the
    # subject of a definition: "What is Megvii in Sheehan's essay?")
    return rest if len(question_terms(rest)) >= (1 if left or definition_subject(rest) else 2) else question


# The category a question asks something's place in: "What sort of outfit is Momenta?", "what kind
# of firm is it said to be?". The answer names the category in its own words ("an autonomous vehicle
# startup"), not in the question's.
_ASKED_CATEGORY = re.compile(r"\b(?:kind|sort|type)s?\s+of\s+[\w-]+\s+(?:is|are|was|were)\b", re.I)
# The words asking for an abbreviation's long form: "What is the full name of MSRA?", "Spell out
# MSRA." (the answer spells it out: "Microsoft Research Asia (MSRA)").
_SPELLING_REQUEST = re.compile(rf"\b(?:{LONG_FORM}|spell(?:ed)?\s+out|expand(?:ed)?|abbreviation|acronym)\b", re.I)


def _repeated(question: str, own: tuple[str, ...]) -> tuple[str, ...]:
    """``own`` without the terms no answer repeats (``_UNASKED``, and the words of the category
    ``question`` asks within or of its request for a long form: ``_ASKED_CATEGORY``,
    ``_SPELLING_REQUEST``); all of ``own`` when nothing else is left. (The
    attribution's, "sheehan" of "..., according to Sheehan?", ``without_attribution`` has taken out
    of the question before.)"""
    unasked = _UNASKED.union(*(terms(m.group()) for pattern in (_ASKED_CATEGORY, _SPELLING_REQUEST)
                               for m in pattern.finditer(question)))
    return tuple(t for t in own if t not in unasked) or own


def measure_words(question: str) -> tuple[str, ...]:
    """The folded words of what a number question measures, from the words that ask it."""
    for pattern in _MEASURE:
        found = pattern.search(question.strip())
        if found:
            return tuple(w for w in words(found.group(1)) if w not in ("many", "much"))
    return ()


def new_names(question: Question, sentence: str, known: frozenset[str] = frozenset()) -> set[str]:
    """Names a who/where/which-company question asks for that the sentence holds and the
    question does not. A sentence's first word is a name when ``known`` (the names written
    capitalised mid-sentence elsewhere) holds it: "Microsoft itself also benefited ..."."""
    if not question.entity:
        return set()
    found = listed_names(question, sentence, known)
    if opening_wh(question.text) == "where":
        # "Where did Kaiming He go?" asks for a place or an organisation: the "Jian Sun" of a
        # sentence about his collaboration with Kaiming He is no such name.
        persons = {part.lower() for person in people(sentence) for part in person.split()}
        found -= persons
    return found


def listed_names(question: Question, sentence: str, known: frozenset[str] = frozenset()) -> set[str]:
    """The names the sentence holds and the question does not, whatever the question asks for
    (``new_names`` for a who/which-company question): the items of a list of named things
    ("YOLO", "SSD", "OverFeat" for "Which one-stage detectors ...?")."""
    found = names(sentence)
    first = opening_name(sentence)
    if first and first in known:
        found.add(first)
    return found - question.words - STOPWORDS


def holds_type(question: Question, sentence: str) -> bool:
    """The sentence holds what a typed question asks for (a number, an amount, a role, a name)."""
    if question.entity:
        return bool(new_names(question, sentence))
    return holds_wanted(question.wanted, sentence, asked=question.text, known=question.words)


def asking_terms(question: Question) -> set[str]:
    """The terms of the words that ask for a role or an amount ("position", "salary"): a quote
    answers them with a role or an amount, not with the word itself. (Not for numbers: "what
    year" is answered by any year, too weak a sign that the quote is about the asked event.)"""
    return set(question_terms(asking_words(question.asking, question.text)))


# The words that ask what an abbreviation stands for or a term means ("What does RPN stand for /
# mean?", "What is meant by a 'plain' network?").
_ASKS_EXPANSION = re.compile(r"\bstands?\s+for\b|\bmean[st]?\b", re.I)


def asks_long_form(question: Question) -> bool:
    """The question asks what its subject stands for: "What does RPN stand for?", "What is the full
    name of MSRA?", "Spell out MCTS.", "What does FPN mean?" (a sentence spelling the subject out
    answers it, ``abbreviations.stands_for``)."""
    return bool(question.subject) and bool(_SPELLING_REQUEST.search(question.text) or _ASKS_EXPANSION.search(question.text))


def expansion_terms(question: Question) -> set[str]:
    """The terms of the words that ask what a definition's subject stands for or means ("stand",
    of "What does RPN stand for?"), not of the subject itself: a quote answers them with the
    expansion, "Region Proposal Network (RPN)", or the definition, "“plain” nets (that simply stack
    layers)", not with the words (as ``asking_terms`` for a role)."""
    if not question.subject:
        return set()
    asking = " ".join(m.group(0) for m in _ASKS_EXPANSION.finditer(question.text))
    return set(question_terms(asking)) - set(terms(question.subject))


def typed(question: Question) -> bool:
    return question.wanted is not None or question.entity


def asked_numbers(question: str) -> frozenset[str]:
    """The numbers a question asks with, but those of a lead-in that only sets the scene ("For the
    110-layer CIFAR net, what smaller learning rate ...?": a paper states the rate for all its CIFAR
    nets at once; wide dev +3, nothing lost, session 13)."""
    return numbers(LEAD_IN.sub("", question.strip()))


def query_terms(question: str, context: str = "") -> list[str]:
    """The terms whose corpus idf the answerer needs for ``question`` (and its context)."""
    return list(dict.fromkeys(question_terms(question) + question_terms(context)))
