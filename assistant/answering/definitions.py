"""Definition questions and the sentences that answer them: whether a question asks what something
is ("What is X?", "What does X stand for?", "Explain X.", "Tell me about X.", "What is the full name
of X?", "What role does X play?", "How is X summarised?") and of what (``definition_subject``);
whether a sentence defines that subject ("X is ...", "called X": ``defines``), glosses it in a
bracket ("X (that ...)": ``glosses``) or opens with it as its own subject ("RetinaNet is a single,
unified network ...": ``opens_with_subject``); and whether a heading is the opening section, where
papers say what their terms are (``opening_section``).

``question`` reads the subject into its ``Question``; the sentence model's features (``scorer``),
the gate and the selection (``extractive``, ``selection``) and the retrieval's definition step
(``pipeline``) read these checks. Nothing here is fitted.
"""

from __future__ import annotations

import re

from ..retrieval.definitions import definitional
from ..retrieval.followup import people
from ..text import fold
from ..types import SECTION_SEPARATOR

# "What is X?", "What exactly are Xs?", "What does X stand for / mean / do / refer to?": a definition
# is asked. A lead-in ("In Faster R-CNN, ...", "According to the article, ...") is dropped first, and the qualifiers
# after the subject ("... in the ResNet paper", ", as the paper describes it") are cut from it.
_DEFINITION = re.compile(
    r"^(?:so,?\s+)?(?:what|who)(?:\s+or\s+(?:what|who))?\s+(?:exactly\s+|really\s+|actually\s+)?(?:is|are|was|were)\s+(?:meant\s+by\s+)?(?:an?\s+|the\s+)?(?P<subject>[^?]+?)\s*\??$"
    r"|^what\s+does\s+(?:an?\s+|the\s+)?(?P<subject2>[^?]+?)\s+(?:stand for|mean|do|refer to)\b[^?]*\??$",
    re.I,
)
# The other ways a reader asks what something is: "Explain X.", "Describe X.", "Define X.", "Spell
# out X.", "Expand the abbreviation X.", "Give a short definition of X.", "Tell me about X.", "What
# do you know about X?", "How does the paper define X?", "What kind of company is X?", "What counts
# as X?", "X: what are they, concretely?". Not "Explain what/how/why ...", which asks a clause.
_DEFINITION_REQUEST = re.compile(
    r"^(?:(?:(?:can|could|would)\s+you\s+)?(?:please\s+)?(?:explain|describe|define|characteri[sz]e|spell\s+out|expand)\s+(?!what\b|how\b|why\b|when\b|where\b|which\b|who\b)"
    r"(?:to me\s+|for me\s+)?(?:the\s+(?:abbreviation|acronym)\s+)?(?:an?\s+|the\s+)?(?P<explained>[^?.]+?)(?:\s+(?:to|for)\s+me)?[?.]?$"
    r"|(?:give|provide|offer)\s+(?:me\s+)?(?:an?\s+)?(?:short|brief|quick|one-line|simple|plain)?\s*"
    r"(?:definition|description|explanation|rundown|overview|summary)\s+of\s+(?:an?\s+|the\s+)?(?P<summarised>[^?.]+?)[?.]?$"
    r"|(?:(?:can|could)\s+you\s+)?tell\s+me\s+(?:(?:a\s+(?:bit|little)\s+)?more\s+)?about\s+(?:an?\s+|the\s+)?(?P<told>[^?.]+?)[?.]?$"
    r"|what\s+(?:can|could)\s+you\s+tell\s+me\s+about\s+(?:an?\s+|the\s+)?(?P<told2>[^?.]+?)[?.]?$"
    r"|what\s+do\s+(?:you|we)\s+know\s+about\s+(?:an?\s+|the\s+)?(?P<known>[^?.]+?)[?.]?$"
    r"|how\s+(?:does|do|did)\s+(?:[\w.'’-]+\s+){1,5}?(?:define|describe|characteri[sz]e)\s+(?:an?\s+|the\s+)?(?P<defined>[^?]+?)\s*\??$"
    r"|what\s+(?:kind|sort|type)\s+of\s+[\w-]+\s+(?:is|are|was|were)\s+(?P<kind>[^?]+?)\s*\??$"
    r"|what\s+(?:counts|qualifies)\s+as\s+(?:an?\s+|the\s+)?(?P<counted>[^?]+?)\s*\??$"
    # "What job does an RoI pooling layer do?", "What role does the value head play?"
    r"|what\s+(?:job|role|function|purpose)\s+(?:does|do|did)\s+(?:an?\s+|the\s+)?(?P<served>[^?]+?)\s+(?:do|play|serve|have|perform|fulfil+)\b[^?]*\??$"
    # "How is the Feature Pyramid Network summarised in the focal loss paper?"
    r"|how\s+(?:is|are|was|were)\s+(?:an?\s+|the\s+)?(?P<passive>[^?]+?)\s+(?:defined|described|summari[sz]ed|characteri[sz]ed|explained)\b[^?]*\??$"
    # "Tell me what an RoI pooling layer does.", "Explain what a projection shortcut is in deep residual learning."
    r"|(?:explain|describe|tell\s+me|say)\s+what\s+(?:an?\s+|the\s+)?(?P<clause>[^?.]+?)\s+(?:is|are|does|do|means|stands\s+for)"
    r"(?:\s+(?:in|for|according\s+to|per)\b[^?.]*)?[?.]?$"
    r"|(?P<headed>[^:?—–]{2,60}?)\s*(?::|—|–| - )\s*what\s+(?:is|are|was|were)\s+(?:it|they|those|these|that(?:\s+[\w-]+){0,2})"
    r",?(?:\s+(?:exactly|concretely|really|actually))?\s*\??$)",
    re.I,
)
# What follows the subject of a request to explain it: a clause about it ("the hierarchical sampling
# that Fast R-CNN uses", "the gating variant tested on the shortcuts") or a second question ("..., and
# what is it built from?").
_REQUEST_QUALIFIER = re.compile(r"\s(?:that|which|where|whose|relative to|the way|put forward|tested|proposed|introduced"
                                r"|and\s+(?:what|how|why|where|when|which|who))\b.*$", re.I)
# The nouns by which a question names a document ("the ResNet paper", "Sheehan's essay").
DOCUMENT_NOUN = r"(?:paper|article|piece|essay|report|study)"
# "the ResNet paper's shortcut connections": the document is where to look, not what is asked.
_OWNING_DOCUMENT = re.compile(rf"^(?:the\s+|an?\s+)?(?:(?:[\w-]+\s+)?{DOCUMENT_NOUN}['’]s\s+)?", re.I)
_PAIRED_QUOTES = re.compile(r"(?<!\w)['‘“\"]([^'’”\"]+)['’”\"](?!\w)")
# An adverb setting the angle of the question ("Structurally, what is RetinaNet?", "Briefly, ...").
_ADVERB_LEAD_IN = re.compile(r"^\w+ly,\s*", re.I)
LEAD_IN = re.compile(r"^(?:in|according to|for|with|per)\b[^,]{0,60},\s*", re.I)
_QUALIFIER = re.compile(r"\s*(?:,|\(|\s(?:in|as|from|according|described|used|for|of the \S+ paper)\b).*$", re.I)
# "What does 'objectness' mean ...?", "what counts as 'fail'?": the quoted word is the subject.
_ASKS_MEANING = re.compile(r"^(?:so,?\s+)?(?:what|who)(?:\s+or\s+(?:what|who))?\s+(?:exactly\s+|really\s+|actually\s+)?(?:is|are|was|were|does|do)\b|\bwhat counts as\b|\bmean\b|\bstand for\b|\brefers?\s+to\b", re.I)
_QUOTED = re.compile(r"(?<!\w)['‘“\"]([^'’”\"?]{2,40})['’”\"](?!\w)")  # not a possessive's "'s ... '"
_PRONOUNS = {"it", "this", "that", "they", "these", "those"}
# What names an abbreviation's long form: "the full name of MSRA" asks what MSRA stands for.
LONG_FORM = r"(?:full\s+(?:name|form|title)|long\s+form|expansion)"
_SPELLED_OUT = re.compile(rf"^{LONG_FORM}\s+of\s+(?:the\s+)?", re.I)
_SERVED = re.compile(r"^(?:job|role|function|purpose)\s+of\s+(?:an?\s+|the\s+)?", re.I)
_WHATS = re.compile(r"\b(what|who)['’]s\b", re.I)  # "What's X?" asks what "What is X?" does
_DEFINING_VERB = r"(?:is|are|was|were|refers to|denotes|means|stands for|consists of|called|named|dubbed)"


def definition_subject(question: str) -> str:
    """What a definition question asks about: "anchors" of "In Faster R-CNN, what are anchors?",
    "objectness" of "What does 'objectness' mean in the paper?" ("" when no definition is asked)."""
    text = _WHATS.sub(r"\1 is", question.strip())
    quoted = _QUOTED.search(text) if _ASKS_MEANING.search(text) else None
    if quoted:
        return quoted.group(1)
    text = LEAD_IN.sub("", _ADVERB_LEAD_IN.sub("", text))
    definition = _DEFINITION.match(text) or _DEFINITION_REQUEST.match(text)
    if not definition:
        return ""
    if definition.lastgroup == "headed" and (request := _DEFINITION_REQUEST.match(definition["headed"])):
        definition = request  # "Spell out MSRA for me — what is it?": the heading is a request itself
    subject = _QUALIFIER.sub("", next(group for group in definition.groups() if group))
    if definition.lastgroup == "served" and people(subject):
        return ""  # "What role did Jian Sun play at Megvii?" asks his role, not what he is
    if not _DEFINITION.match(text):
        subject = _OWNING_DOCUMENT.sub("", _REQUEST_QUALIFIER.sub("", subject))
    subject = _PAIRED_QUOTES.sub(r"\1", subject).strip().strip("'\"‘’“”")
    # "What is the full name of MSRA?" asks what MSRA stands for; "What is the purpose of the RoI
    # pooling layer?" what it does.
    subject = _SPELLED_OUT.sub("", _SERVED.sub("", subject))
    # "What does it mean that ...?" asks about the clause, not about "it"
    return "" if subject.lower() in _PRONOUNS else subject


def defines(subject: str, sentence: str) -> bool:
    """The sentence defines ``subject``, what a "What is X?" question asks about: X followed closely
    by "is", "refers to", ... or introduced by "called X"."""
    if not subject:
        return False
    subject = re.escape(fold(subject)).replace(r"\ ", r"[\s-]+")
    text = fold(sentence)
    return bool(
        re.search(rf"\b{subject}\w*\b(?:\s+\([^)]*\))?(?:,[^,]{{0,60}},)?\s+{_DEFINING_VERB}\b", text)
        or re.search(rf"\b(?:called|named|dubbed|term(?:ed)?)\s+(?:an?\s+|the\s+)?[\"“]?{subject}", text)
    )


# What opens a bracket that says what the word before it is: a relative clause, "i.e.", or a noun
# phrase ("(the remaining 5k images from val)"); not a citation or a pointer ("(Fig. 4 left)").
_GLOSS_OPENING = r"(?:(?:that|which|who|namely)\b|i\.\s?e\.|(?:the|an?)\s)"


def glosses(subject: str, sentence: str) -> bool:
    """The sentence says what ``subject`` is in a bracket after it: "the
    counterpart “plain” nets (that simply stack layers)", "each RoI (i.e., a rectangular window)",
    "the minival split (the remaining 5k images from val)"."""
    if not subject:
        return False
    subject = re.escape(fold(subject))
    return bool(re.search(rf"(?<!\w){subject}(?!\w)[”\"’']?(?:\s+[\w-]+)?\s+\({_GLOSS_OPENING}", fold(sentence)))



_OPENING_SECTION = re.compile(r"^(?:\d+\.?\s*)?(?:abstract|introduction)\b", re.I)


def opening_section(section: str) -> bool:
    """The heading path is the abstract or the introduction, where a paper says what its terms are."""
    return bool(_OPENING_SECTION.match(section.split(SECTION_SEPARATOR)[0].strip()))


def opens_with_subject(subject: str, sentence: str) -> bool:
    """The sentence opens with ``subject``, what a definition question asks about, as its own
    subject: a verb follows it, at once or after one head noun ("RetinaNet is a single, unified network ...",
    "The RoI pooling layer uses max pooling to ..."), not a noun it qualifies ("The MSRA team's
    paper ..."). A defining verb (``definitional``) or a verb's -s form counts (requiring a defining
    verb lost "uses": wide dev −1 against this; session 13)."""
    text = fold(sentence).replace("∗", "*")
    initials = "".join(w[0] for w in subject.split())
    # (A hyphen of the question's is any dash of the sentence's: "dual-res" is "dual–res".)
    escaped = re.escape(fold(subject).replace("∗", "*")).replace(r"\-", "[-‐‑–—]")
    # "FPN augments ..." for "Feature Pyramid Network" (right after an article: "the learned RPN" is not it)
    short = rf"|(?:(?:the|an?|our)\s+)?{initials.lower()}" if len(initials) >= 2 and initials.isupper() else ""
    opens = re.match(rf"{_LEAD}(?:(?:(?:the|an?|our)\s+)?(?:[\w-]+\s+)?{escaped}(?:e?s)?{short})(?!\w)[”\"’']?", text)
    if not opens or _ABOUT_ITS_DOCUMENT.match(text[opens.end():]):
        return False
    # A numbered entry says what its term is after a colon: "(1) dual–res: the network contains ...";
    # a paragraph's run-in heading does not ("Focal Loss: We use the focal loss ...").
    return (definitional(subject, sentence) or bool(_VERB_AFTER.match(text[opens.end():]))
            or (bool(_ITEM_NUMBER.match(text)) and text[opens.end():].startswith(":")))


# A head noun naming a document or people about the subject, whose sentence is about them: "The
# ResNet paper was authored by ..." does not say what ResNet is.
_ABOUT_ITS_DOCUMENT = re.compile(r"\s+(?:paper|papers|article|articles|authors?|team|teams|study|researchers|group)\b")


# Before a sentence's subject: an item's number ("(1) ", "(ii) "), an opening quote mark, a short
# lead-in ("In brief, FPN augments ...", "In this paper, an RoI is a rectangular window ...").
_ITEM = r"\(?(?:\d{1,2}|[ivx]{1,4})\)\s+"
_ITEM_NUMBER = re.compile(_ITEM)
_LEAD = (rf"(?:{_ITEM})?[“\"‘']?(?:(?:in brief|in short|in summary|briefly|formally|specifically|in other words"
         r"|here|in practice|in general|in this (?:paper|work|section)|in our (?:work|method|approach|experiments)),\s+)?")


# After the subject: a word ending in -s (not -ss), at once or after one head noun ("layer uses").
_VERB_AFTER = re.compile(r"(?:\s+[a-z-]+)?\s+[a-z]+(?<!s)s\b")
