"""Quotes -> numbered citations, and the text forms of a cited answer (terminal and Markdown)."""

from __future__ import annotations

import html
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


def format_sources_html(answer: Answer) -> str:
    """The web form of the sources: each passage with its supporting quote highlighted."""
    blocks = []
    for c in answer.citations:
        passage = html.escape(c.text)
        quote = html.escape(c.quote)
        highlighted = passage.replace(quote, f"<mark>{quote}</mark>", 1) if quote in passage else passage
        blocks.append(
            f"<details class='source' open><summary>[{c.n}] <b>{html.escape(c.title)}</b> — "
            f"{html.escape(location(c))}</summary><blockquote>{highlighted}</blockquote></details>"
        )
    if not answer.citations and answer.retrieved:
        blocks.append("<p><i>Closest passages (none answers the question):</i></p>")
        for p in answer.retrieved[:3]:
            page = f", page {p.chunk.page}" if p.chunk.page else ""
            blocks.append(
                f"<details class='source'><summary>{html.escape(p.chunk.source + page)}</summary>"
                f"<blockquote>{html.escape(p.chunk.text)}</blockquote></details>"
            )
    return "\n".join(blocks)
