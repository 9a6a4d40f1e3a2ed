"""Quotes -> numbered citations, and the text forms of a cited answer (terminal and Markdown)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .types import Answer, Citation, Passage


@dataclass(frozen=True)
class Quote:
    """``passage.chunk.text[start:end]`` supports a claim."""

    passage: Passage
    start: int
    end: int

    @property
    def text(self) -> str:
        return self.passage.chunk.text[self.start : self.end]


def cite(quote: Quote, n: int) -> Citation:
    """Offsets of the citation are into the page (or document) text, not into the chunk."""
    chunk = quote.passage.chunk
    return Citation(
        n=n,
        source=chunk.source,
        title=chunk.title,
        page=chunk.page,
        chunk_id=chunk.chunk_id,
        text=chunk.text,
        quote=quote.text,
        start=chunk.start + quote.start,
        end=chunk.start + quote.end,
        section=chunk.section,
    )


def one_line(text: str) -> str:
    return " ".join(text.split())


# What a reader takes for a citation marker: [1], [ 2 ], [1, 3], [1-3], [Passage 2].
_MARKER_LIKE = re.compile(
    r"\[(\s*(?:(?:passages?|sources?|docs?|documents?)\s*)?\d+(?:\s*(?:,|;|and|&|-|\u2013)\s*\d+)*\s*)\]",
    re.IGNORECASE,
)


def as_answer_sentence(quote: str) -> str:
    """A quote as a sentence of an extractive answer: on one line, and a document's own
    bracketed numbers in parentheses, so the answer's only markers are its citations (the
    citation's ``quote`` keeps the exact text)."""
    return _MARKER_LIKE.sub(lambda m: f"({m.group(1)})", one_line(quote))


def location(citation: Citation) -> str:
    """Where a quote is: "resnet.pdf, page 6, 4. Experiments › 4.1. ImageNet Classification"."""
    page = f", page {citation.page}" if citation.page else ""
    section = f", {citation.section}" if citation.section else ""
    return f"{citation.source}{page}{section}"


def format_plain(answer: Answer) -> str:
    """The terminal form: the answer, then the numbered sources with their quotes."""
    lines = [answer.answer, ""]
    if answer.citations:
        lines.append("Sources:")
        for c in answer.citations:
            lines.append(f"  [{c.n}] {location(c)} — {c.title}")
            lines.append(f"      \"{one_line(c.quote)}\"")
    elif answer.refused and answer.retrieved:
        lines.append("Closest passages:")
        for p in answer.retrieved[:3]:
            page = f", page {p.chunk.page}" if p.chunk.page else ""
            lines.append(f"  - {p.chunk.source}{page}: {one_line(p.chunk.text)[:200]}…")
    for note in answer.notes:
        lines.append(f"Note: {note}")
    return "\n".join(lines).rstrip()
