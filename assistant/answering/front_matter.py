"""What a question asks of a document's front matter rather than of a sentence of its prose: who
wrote it and where its authors were (its byline), which documents a person wrote (the bylines that
name them), and where its code, models or data are to be had
(the web address its abstract or introduction gives). The pipeline reads these to fetch that matter
(``retrieval/front_matter.py``, ``retrieval/addresses.py``); ``question.analyse`` records them; the
answerer quotes the byline or the address (``candidates``, ``selection``). Nothing here is fitted.
"""

from __future__ import annotations

import re

from ..retrieval.followup import people
from .definitions import DOCUMENT_NOUN
from ..types import AuthorRole

# A person's place in a byline, as a question names it ("the first author", "the last author").
_ROLE_PLACE = {"first": 0, "lead": 0, "main": 0, "principal": 0, "second": 1, "third": 2, "last": -1, "senior": -1}
_ROLE_WORD = "|".join(_ROLE_PLACE)

# What asks for a document's authors: who wrote it, who its (first, lead ...) authors are. Only
# as what the question opens by asking: "What startup did the first author of X co-found?" asks
# for a startup.
_ASKS_AUTHORS = re.compile(
    # "Who is the author of X?", "... the sole author", "... the one and only author"
    r"^\s*(?:who\s+(?:wrote|penned|authored|co-?authored|co-?wrote|(?:is|are|was|were)\s+(?:the\s+)?(?:\w+\s+){0,3}(?:co-?)?authors?\b"
    # "who were the people behind the faster r-cnn paper", "who came up with Fast R-CNN?"
    r"|(?:is|are|was|were)\s+(?:the\s+)?(?:people|researchers|scientists|team|minds|names)\s+behind\b"
    r"|(?:is|are|was|were)\s+behind\b|(?:created|invented|developed|came up with|proposed)\b"
    # "Who is the focal loss paper's last author?": a place in the byline.
    rf"|(?:is|was)\s+(?:the\s+)?(?:[\w.-]+(?:['’]s)?\s+){{1,3}}(?:{_ROLE_WORD})[- ]author\b)"
    r"|(?:name|list|give)\s+(?:me\s+)?(?:the|every|each|all(?:\s+(?:of\s+)?the)?)\s+(?:\w+\s+)?(?:co-?)?authors?\b"
    r"|(?:which|what)\s+(?:people|researchers|scientists|authors)\s+(?:wrote|authored|co-?authored"
    r"|(?:is|are|was|were)\s+(?:the\s+)?(?:co-?)?authors?\s+of)\b"
    r"|who\s+(?:is|was|were|are)\s+\S.*\bwritten\s+by\b)",
    re.I,
)


def asks_authors(question: str) -> bool:
    return bool(asking_for_authors(question))


def asking_for_authors(question: str) -> str:
    """The words of ``question`` asking for authors ("Who invented" of "Who invented the
    transistor?"), "" when it asks for none."""
    found = _ASKS_AUTHORS.search(question)
    return found.group(0) if found else ""


# A person named by their place in a document's byline: "the first author of Faster R-CNN",
# "Faster R-CNN's first author", "the ResNet lead author", "the last author on the focal loss
# paper". The document is named after the role ("of X") or before it ("X's", "the X"). "The lead
# author" alone refers back to the conversation (``retrieval/followup.py``).
_ROLE = rf"(?P<words>(?P<role>{_ROLE_WORD})[- ]author)\b"
_ROLE_THEN_DOCUMENT = re.compile(rf"\b{_ROLE}\s+(?:of|on|in|for)\s+(?P<document>[^,;:?]+)", re.I)
_DOCUMENT_THEN_ROLE = re.compile(rf"(?P<document>(?:[\w-]+\s+){{0,2}}[\w-]+)(?:['’]s)?\s+{_ROLE}", re.I)
# "Who is the first author of X?", "Which ResNet co-author was first author of X?", "Who is
# ResNet's lead author?": the role is what is asked.
_ASKED_ROLE = re.compile(r"\b(?:is|was|are|were)\s+(?:the\s+)?$"
                         r"|^\s*who\s+(?:is|was|are|were)\s+(?:the\s+)?(?:[\w.-]+\s+){0,2}[\w.-]+(?:['’]s)?\s+$", re.I)


def author_in_role(question: str) -> AuthorRole | None:
    """The person a question names by their place in a byline: "What startup did the first author
    of Faster R-CNN co-found?" -> place 0, the document in "Faster R-CNN co-found"; "Which company
    poached ResNet's lead author?" -> place 0, the document in "company poached ResNet", "poached
    ResNet" or "ResNet"; None when it names none so."""
    found = _ROLE_THEN_DOCUMENT.search(question)
    if found:
        documents = ((found.start("document"), found.group("document")),)
    else:
        found = _DOCUMENT_THEN_ROLE.search(question)
        if found is None:
            return None
        words = list(re.finditer(r"\S+", found.group("document")))
        documents = tuple((found.start("document") + w.start(), found.group("document")[w.start():]) for w in words)
    return AuthorRole(place=_ROLE_PLACE[found.group("role").lower()], start=found.start("words"), end=found.end("words"),
                      documents=documents, asked=bool(_ASKED_ROLE.search(question[:found.start("words")])))


# What asks which documents a person wrote: "Which papers in the library did Jian Sun co-author?",
# "Which papers list Xiangyu Zhang as an author?", "What else did Kaiming He write?".
_ASKS_WRITTEN_BY = re.compile(
    r"\b(?:which|what)\s+(?:other\s+)?(?:papers?|documents?|articles?|works?|publications?)\b[^?]*?"
    r"\b(?:co-?author(?:ed|s)?|author(?:ed|s)?|wr[io]te|written|list\w*\b[^?]*\bas\s+(?:an?\s+)?(?:co-?)?authors?)\b"
    r"|\bwhat\s+(?:else\s+)?did\s+[^?]*\b(?:write|co-?author|author)\b",
    re.I,
)


def written_by(question: str) -> tuple[str, ...]:
    """The people a question asks the documents of ("Jian Sun"), () when it asks no such thing."""
    return tuple(people(question)) if _ASKS_WRITTEN_BY.search(question) else ()


_INSTITUTION = r"(?:labs?|laborator(?:y|ies)|organi[sz]ations?|institutions?|institutes?|universit(?:y|ies)|compan(?:y|ies)|employers?)"
# What asks where a document's authors were when they wrote it: their affiliation, or which
# institution they were with, worked at, or the document lists ("Which lab did the focal loss
# authors work at?", "Where did Ross Girshick work when he wrote Fast R-CNN?"). "Which lab did the
# ResNet work come out of?" and "Which lab hired its lead author?" ask what happened, not the byline.
_ASKS_AFFILIATION = re.compile(
    r"\baffiliat\w*"
    rf"|\b(?:which|what)\s+(?:\w+\s+)?{_INSTITUTION}\b[^?]*?\b(?:work(?:ed|s|ing)?\s+(?:at|for|in)"
    r"|(?:is|was|were|are)\s+(?:[\w’'-]+\s+){0,4}(?:at|with)\b|(?:is|are)\s+(?:listed\s+)?on\b|list(?:ed|s)?\b|give[sn]?\b)"
    # "Which lab are the authors of the focal loss paper from?"
    rf"|\b(?:which|what)\s+(?:\w+\s+)?{_INSTITUTION}\s+(?:is|are|was|were)\b[^?]*\bfrom\s*\??$"
    r"|\bwhere\s+(?:did|does|do|was|were|is)\s+[^?]*?\bwork(?:ed|s|ing)?\b[^?]*?\b(?:wrote|written|co-?wrote|authored|co-?authored|published)\b"
    r"|\bwhere\s+(?:did|does|do|were|are|is)\s+[^?]*?\bauthors?\b[^?]*?\bwork(?:s|ed)?\b"
    # "Where did Lin, Goyal, Girshick, He and Dollar do the RetinaNet work?"
    r"|\bwhere\s+(?:did|do|does)\s+[^?]*?\b(?:do|carry\s+out|conduct)\s+(?:the|their|this|that)\s+(?:[\w-]+\s+){0,3}?(?:work|research)\b",
    re.I,
)


def asks_affiliation(question: str) -> bool:
    return bool(_ASKS_AFFILIATION.search(question))


# What asks where code, models or data are to be had: a web address answers it, which no other
# answer type reads ("Where can I get the code for the 1001-layer ResNet?"). Each kind of thing
# asked, with the words a sentence giving its address holds ("Code is available at: https://github.com/...",
# "... available under the open-source MIT License at https://github.com/..."): a paper without code
# may still give its data's address, which does not answer.
_ADDRESSED = {
    "code": r"code|implementations?|software|repository|repo|github|open[- ]source|source",
    "models": r"models?|weights|checkpoints?|networks?",
    "data": r"data|data ?sets?|records|corpus",
}
_FETCHED = r"(?:download\w*|get|find|obtain|access|available|released|hosted|published)"
_ASKS_ADDRESS = re.compile(
    r"\bwhere\b[^?]*\b(?P<code>code|implementations?|software|repository|repo)\b"
    # Models and data only with a word of fetching them: "Where does the training data come from?"
    # asks how it was made, not an address.
    rf"|\bwhere\b[^?]*\b(?:{_FETCHED}\b[^?]*\b(?:(?P<models>models?|weights|checkpoints?)|(?P<data>data ?sets?|data))"
    rf"|(?:(?P<models_first>models?|weights|checkpoints?)|(?P<data_first>data ?sets?|data))\b[^?]*\b{_FETCHED})\b"
    # "Is the Faster R-CNN code public, and where?"
    r"|\b(?P<code_first>code|implementation|software)\b[^?]*\b(?:public|released|available|online|open)\b[^?]*\bwhere\b"
    r"|\b(?:url|web address|link to|(?P<github>github))\b",
    re.I,
)


def asks_address(question: str) -> bool:
    return bool(_ASKS_ADDRESS.search(question))


def addressed(question: str) -> re.Pattern | None:
    """What a sentence giving the address a question asks for holds besides it: the words of the
    kind of thing asked (code, models, data), or None when it asks no kind (any address answers)."""
    found = _ASKS_ADDRESS.search(question)
    if found is None:
        return None
    kind = (next((k for k in _ADDRESSED if found.group(k) or found.group(f"{k}_first")), None)
            or ("code" if found.group("github") else None))
    return re.compile(rf"\b(?:{_ADDRESSED[kind]})\b", re.I) if kind else None


# What asks what a document is about as a whole: "What is this article about?", "Summarise the
# focal loss paper", "What's the gist of the ResNet paper?", "What does the Fast R-CNN paper
# propose?". Its abstract or opening paragraphs answer (``retrieval/front_matter.opening_passages``),
# not the sentence nearest its words: a question about a whole document shares no word with any.
_DOCUMENT_WORD = rf"(?:{DOCUMENT_NOUN}|post|document|text|story|write-?up|publication)"
# A request may open politely: "Can you summarise ...", "Please give me the bottom line of ...".
_POLITELY = r"(?:can\s+you\s+|could\s+you\s+|please\s+)?"
_DESCRIBED = re.compile(
    r"^\s*(?:(?:so|and|ok(?:ay)?|briefly|in short),?\s+)?(?:"
    r"what(?:'s|’s|\s+is|\s+was)\s+(?P<about>.+?)\s+(?:all\s+|mainly\s+|mostly\s+|really\s+|actually\s+|basically\s+)?about"
    r"|" + _POLITELY + r"(?:summari[sz]e|sum\s+up|give\s+(?:me\s+)?(?:a\s+|an\s+|the\s+)?(?:short\s+|brief\s+|quick\s+)?"
    r"(?:summary|overview|gist)\s+of|(?:a\s+|an\s+)?(?:short\s+|brief\s+)?(?:summary|overview)\s+of)\s+(?P<summarised>.+?)"
    r"|what(?:'s|’s|\s+is|\s+are)\s+the\s+(?:main\s+|central\s+|key\s+|overall\s+)?(?:gist|point|idea|thesis|argument|takeaway|message|contribution|finding|result)s?"
    r"\s+(?:of|in|behind)\s+(?P<pointed>.+?)"
    r"|what\s+does\s+(?P<doing>.+?)\s+(?:argue|propose|present|cover|discuss|claim|introduce)"
    r")\s*(?:,?\s*please)?\s*[?.!]*\s*$",
    re.I,
)
# ... or what it concludes: "What does the paper conclude?", "What is the conclusion of the focal
# loss paper?", "Give me the bottom line of this piece", "What's the writer's final verdict?". Its
# conclusion answers (``retrieval/front_matter.closing_passages``).
_CONCLUDED = re.compile(
    r"^\s*(?:(?:so|and|ok(?:ay)?),?\s+)?(?:"
    r"what\s+(?:does|do|did)\s+(?P<concluding>.+?)\s+(?:finally\s+|ultimately\s+)?conclude"
    r"|(?:what(?:'s|’s|\s+is|\s+are|\s+was|\s+were)|" + _POLITELY + r"(?:give|tell)(?:\s+me)?)"
    r"\s+(?:the\s+)?(?:main\s+|final\s+|overall\s+|key\s+)?(?:conclusions?|verdict|bottom\s+line)"
    r"\s+(?:of|in|from)\s+(?P<concluded>.+?)"
    # "What's the writer's final verdict?"
    r"|what(?:'s|’s|\s+is|\s+was)\s+(?P<concluder>.+?)['’]s?\s+(?:main\s+|final\s+|overall\s+)?(?:conclusions?|verdict|bottom\s+line)"
    r")\s*[?.!]*\s*$",
    re.I,
)
# "this article", "the paper", "it", "the author": what calls the document by what it is, or its writer.
_NAMES_A_DOCUMENT = re.compile(rf"\b(?:{_DOCUMENT_WORD}|authors?|writers?)s?\b|^\s*(?:it|this|that)(?:\s+one)?\s*$", re.I)


def described_document(question: str) -> str | None:
    """The words naming the document a question asks the gist of ("this article", "the focal loss
    paper"), or None when it asks no such thing. Whether they name a document is the documents'
    to say (``DocumentNames.named``), or the library's when it holds one: ``opening_passages``."""
    found = _DESCRIBED.match(question)
    if found is None:
        return None
    return next(g for g in found.groups() if g is not None).strip()


def concluded_document(question: str) -> str | None:
    """The words naming the document a question asks the conclusion of ("the paper", "the focal loss
    paper"), or None when it asks no such thing (``described_document``'s counterpart)."""
    found = _CONCLUDED.match(question)
    if found is None:
        return None
    return next(g for g in found.groups() if g is not None).strip()


def names_a_document(words: str) -> bool:
    """``words`` call what they name a document ("this article", "the paper"), not only by its
    name, or by its writer ("the author"), or point back to one ("it", "that one")."""
    return bool(_NAMES_A_DOCUMENT.search(words))


_ONLY_A_DOCUMENT = re.compile(rf"(?:\s*\b(?:the|this|that|it|one|a|an|of|whole|entire|original|authors?|writers?|{_DOCUMENT_WORD}s?)\b|\s*['’]s\b)*\s*", re.I)


def only_a_document(rest: str) -> bool:
    """What ``described_document``'s words hold besides a document's name (``rest``) only calls it
    a document ("the ... paper"): "truncated SVD in [Fast R-CNN]" asks about something in it."""
    return bool(_ONLY_A_DOCUMENT.fullmatch(rest))
