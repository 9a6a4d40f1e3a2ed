"""A quoted sentence that a page break (or a chunk's end) cuts in two, made whole again.

A PDF's sentence may run from the foot of one page onto the next ("... we present a one-stage
object detector that, for the first time, matches the" | "state-of-the-art COCO AP of more complex
two-stage detectors"). A chunk never spans two pages, so the answerer's quote is either part.
This reads the other part from the document's neighbouring prose chunk, so the answer quotes the
whole sentence, each part cited where it stands (``whole_sentence``). Before that, a top passage
whose prose a page break (or its chunk's end) cuts is read on: the next prose chunk joins the
passages (``with_continuations``), for the sentences after the break ("The second network is ...",
"We argue that this is because of overfitting.") are often what the passage was found for.
"""

from __future__ import annotations

import re

from ..citations import Quote
from ..store.registry import Registry
from ..text import sentence_spans
from ..types import Chunk, Passage
from .search import Searcher

# A sentence's end: its punctuation, perhaps inside a closing quote or bracket, or a reference
# marker after it (papers cite at a sentence's end).
_ENDED = re.compile(r"[.!?:;][\"”’')\]]*$|\]$")
# A part after a break opens in lower case or with a number, as a sentence's middle does
# ("state-of-the-art COCO AP ...", "58.8% mAP and our ensemble of 3 models has 62.1% mAP ...").
GOES_ON = re.compile(r"[a-z(\d]")
# What may stand between a part and its chunk's edge: nothing, or the page's number ("... matches the\n\n1").
_PAGE_NUMBER = re.compile(r"\s*(?:\d{1,4}\s*)?")
# A footnote at a page's foot is no part of the prose a cut sentence runs on from: its marker is
# glued to its first word ("5www.robots.ox.ac.uk/~vgg/...", "6For RPN, the number of proposals ...").
_FOOTNOTE = re.compile(r"\d{1,2}(?:www\.|https?:|[A-Z][a-z])")
# Chunks on either side that may hold the other part: a figure's caption, or a page of tables and
# captions, may stand between ("We alternatively refer" at the foot of Fast R-CNN's page 4 goes on
# after three tables, twelve chunks later; 6 chunks: wide dev −4).
LOOK_AROUND = 16


def whole_sentence(registry: Registry, quote: Quote) -> tuple[Quote, ...]:
    """``quote`` with the part of its sentence before it and the part after it that a break cut
    off, each from the nearest prose chunk on that side; ``(quote,)`` when it is whole, or no
    prose (a table's header line opens in lower case too: "method augmentation ... top-1")."""
    if quote.passage.chunk.kind != "text":
        return (quote,)
    head, rest = _before(registry, quote), _after(registry, quote)
    return tuple(q for q in (head, quote, rest) if q is not None)


def _after(registry: Registry, quote: Quote) -> Quote | None:
    """The rest of the sentence when ``quote`` ends its chunk unfinished: the next prose chunk's
    text from where the cut one ends (past an overlap on the same page) to its first sentence end."""
    chunk = quote.passage.chunk
    if not _PAGE_NUMBER.fullmatch(chunk.text[quote.end:]) or _ENDED.search(quote.text.rstrip()):
        return None
    following = _prose(registry.chunks_beside(chunk.source, chunk.chunk_index, after=True, limit=LOOK_AROUND))
    if following is None:
        return None
    # Chunks of one page overlap: the rest starts where the cut chunk's text ends on the page.
    start = chunk.end - following.start if following.page == chunk.page and following.start < chunk.end else 0
    spans = sentence_spans(following.text[start:]) if 0 <= start < len(following.text) else []
    if not spans or not GOES_ON.match(following.text[start + spans[0][0]:]):
        return None
    return Quote(_passage(following), start + spans[0][0], start + spans[0][1])


def _before(registry: Registry, quote: Quote) -> Quote | None:
    """The sentence's start when ``quote`` opens its chunk in lower case: the previous prose
    chunk's last sentence (before an overlap on the same page), when that is unfinished."""
    chunk = quote.passage.chunk
    if chunk.text[: quote.start].strip() or not GOES_ON.match(quote.text):
        return None
    previous = _prose(registry.chunks_beside(chunk.source, chunk.chunk_index, after=False, limit=LOOK_AROUND))
    if previous is None:
        return None
    end = chunk.start - previous.start if previous.page == chunk.page and previous.end > chunk.start else len(previous.text)
    text = previous.text[: max(0, end)]
    text = text[: len(text) - len(_PAGE_NUMBER.match(text[::-1]).group(0))] if previous.page != chunk.page else text
    spans = sentence_spans(text)
    if not spans or _ENDED.search(text[spans[-1][0] : spans[-1][1]]):
        return None
    return Quote(_passage(previous), *spans[-1])


def _prose(chunks: list[Chunk]) -> Chunk | None:
    return next((c for c in chunks if c.kind == "text" and not _FOOTNOTE.match(c.text)), None)


def _passage(chunk: Chunk) -> Passage:
    return Passage(chunk=chunk, score=0.0, relevance=0.0)


# A chunk's closing lines that are no part of its prose: a footnote ("2https://github.com/...") or
# the page's number.
_CLOSING_MATTER = re.compile(rf"(?:\n\s*(?:{_FOOTNOTE.pattern}[^\n]*|\d{{1,4}})\s*)+$")
# The top passages whose prose a page break cut is read on (``with_continuations``): the first
# (wide dev +9 −1; the top three: +9 −3, dev −1).
CONTINUED_REACH = 1


def unfinished(chunk: Chunk) -> bool:
    """The chunk is prose that stops mid-sentence, before any footnote or page number closing it."""
    text = _CLOSING_MATTER.sub("", chunk.text.rstrip()).rstrip()
    return chunk.kind == "text" and bool(text) and not _ENDED.search(text)


def goes_on_in(chunk: Chunk, following: Chunk) -> bool:
    """``chunk``'s cut sentence goes on in ``following``, a later chunk of its section: its text from
    where ``chunk`` ends (past an overlap, on the same page) opens as a sentence's middle does."""
    rest = following.text[max(0, chunk.end - following.start):] if following.page == chunk.page else following.text
    return following.section == chunk.section and bool(GOES_ON.match(rest.lstrip()))


def with_continuations(searcher: Searcher, query: str, passages: list[Passage], *,
                       reach: int = CONTINUED_REACH) -> list[Passage]:
    """``passages`` with the next prose chunk that a top passage's prose, cut by the page break or its
    chunk's end, goes on in, right after it: "Our experiments use three pre-trained ImageNet models ...
    The first is the CaffeNet ... We alternatively refer" goes on "to this CaffeNet as model S ...
    The second network is VGG CNN M 1024 ..." (session 41). Added to the passages, not in place of
    the last: in their place, the questions they answered were lost."""
    registry = searcher.index.registry
    have = {p.chunk.chunk_id for p in passages}
    continued: list[Passage] = []
    for rank, passage in enumerate(passages):
        continued.append(passage)
        chunk = passage.chunk
        if rank >= reach or not unfinished(chunk):
            continue
        following = _prose(registry.chunks_beside(chunk.source, chunk.chunk_index, after=True, limit=LOOK_AROUND))
        if following is not None and following.chunk_id not in have and goes_on_in(chunk, following):
            continued += searcher.as_passages([following], searcher.encoder.encode_sentences([query])[0], score=passage.score)
            have.add(following.chunk_id)
    return continued
