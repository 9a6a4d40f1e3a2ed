"""A quoted sentence that a page break (or a chunk's end) cuts in two, made whole again.

A PDF's sentence may run from the foot of one page onto the next ("... we present a one-stage
object detector that, for the first time, matches the" | "state-of-the-art COCO AP of more complex
two-stage detectors"). A chunk never spans two pages, so the answerer's quote is either part.
This reads the other part from the document's neighbouring prose chunk, so the answer quotes the
whole sentence, each part cited where it stands.
"""

from __future__ import annotations

import re

from ..citations import Quote
from ..store.registry import Registry
from ..text import sentence_spans
from ..types import Chunk, Passage

# A sentence's end: its punctuation, perhaps inside a closing quote or bracket, or a reference
# marker after it (papers cite at a sentence's end).
_ENDED = re.compile(r"[.!?:;][\"”’')\]]*$|\]$")
# A part after a break opens in lower case or with a number, as a sentence's middle does
# ("state-of-the-art COCO AP ...", "58.8% mAP and our ensemble of 3 models has 62.1% mAP ...").
_GOES_ON = re.compile(r"[a-z(\d]")
# What may stand between a part and its chunk's edge: nothing, or the page's number ("... matches the\n\n1").
_PAGE_NUMBER = re.compile(r"\s*(?:\d{1,4}\s*)?")
# A footnote at a page's foot is no part of the prose a cut sentence runs on from: its marker is
# glued to its first word ("5www.robots.ox.ac.uk/~vgg/...", "6For RPN, the number of proposals ...").
_FOOTNOTE = re.compile(r"\d{1,2}(?:www\.|https?:|[A-Z][a-z])")
LOOK_AROUND = 6  # chunks on either side that may hold the other part (a figure's caption, a table and its caption may stand between)


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
    if not spans or not _GOES_ON.match(following.text[start + spans[0][0]:]):
        return None
    return Quote(_passage(following), start + spans[0][0], start + spans[0][1])


def _before(registry: Registry, quote: Quote) -> Quote | None:
    """The sentence's start when ``quote`` opens its chunk in lower case: the previous prose
    chunk's last sentence (before an overlap on the same page), when that is unfinished."""
    chunk = quote.passage.chunk
    if chunk.text[: quote.start].strip() or not _GOES_ON.match(quote.text):
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
