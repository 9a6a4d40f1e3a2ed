"""Document structure: which lines are headings, the heading path every block of text sits
under, and what each block is (prose, table, caption, bibliography).

Loaders describe a page as ``Span``s (a heading line, or a stretch of one kind of text);
``blocks`` turns them into ``Block``s under an ``Outline`` that carries the heading path across
pages. Heading lines themselves never go into a block, so no chunk (and no quoted sentence)
holds a heading glued to the sentence after it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..types import SECTION_SEPARATOR, Block

# A heading that opens the bibliography: what follows it is kind "references" up to the next heading.
REFERENCES_HEADING = re.compile(
    r"^(?:[\dA-Z]+\.?\s+)?(references|bibliography|literature cited|works cited|notes and references)$", re.IGNORECASE
)
MAX_HEADING_CHARS = 120


@dataclass(frozen=True)
class Span:
    """``text[start:end]`` of a page: a heading (``level`` >= 1; ``heading`` its wording) or a
    stretch of text of one ``kind``."""

    start: int
    end: int
    kind: str = "text"
    level: int = 0
    heading: str = ""


class Outline:
    """The open headings, outermost first: entering a heading closes those at its level or deeper."""

    def __init__(self) -> None:
        self._open: list[tuple[int, str]] = []

    def enter(self, level: int, heading: str) -> None:
        while self._open and self._open[-1][0] >= level:
            self._open.pop()
        self._open.append((level, heading))

    @property
    def section(self) -> str:
        return SECTION_SEPARATOR.join(h for _, h in self._open)

    @property
    def in_references(self) -> bool:
        return bool(self._open) and bool(REFERENCES_HEADING.match(self._open[-1][1]))


def blocks(spans: Iterable[Span], outline: Outline) -> tuple[Block, ...]:
    """Blocks from a page's spans in order: neighbouring spans of one kind under one heading
    path become one block (its separators included), so a chunk can hold several paragraphs."""
    out: list[Block] = []
    for span in spans:
        if span.level:
            outline.enter(span.level, span.heading)
            continue
        kind = "references" if span.kind == "text" and outline.in_references else span.kind
        section = outline.section
        if out and out[-1].kind == kind and out[-1].section == section and out[-1].end <= span.start:
            out[-1] = Block(out[-1].start, span.end, kind, section)
        else:
            out.append(Block(span.start, span.end, kind, section))
    return tuple(out)


def _lines(text: str) -> list[tuple[int, int, str]]:
    """(start, end, line) of every line, offsets into ``text``."""
    found, at = [], 0
    for line in text.split("\n"):
        found.append((at, at + len(line), line))
        at += len(line) + 1
    return found


_SENTENCE_END = re.compile(r"[.,;:]$")
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_SMALL_WORDS = frozenset("a an and as at but by for from in into nor of on or per the to vs via with".split())


def looks_like_heading(line: str) -> bool:
    """A line of plain text that reads as a title: short, no closing punctuation but ? or !, and
    in title case (its words, small ones aside, capitalised). "Who Benefitted and Who Lost Out?"
    is one; "And since publishing the paper, all four of them have left MSRA." is not."""
    line = line.strip()
    words = _WORD.findall(line)
    if not words or len(line) > MAX_HEADING_CHARS or len(words) > 14 or _SENTENCE_END.search(line):
        return False
    if not (line[0].isupper() or line[0].isdigit()):
        return False
    significant = [w for w in words if w.lower() not in _SMALL_WORDS]
    capitalised = sum(1 for w in significant if w[0].isupper())
    return bool(significant) and capitalised / len(significant) >= 0.75


def plain_text_spans(text: str, title: str) -> list[Span]:
    """Headings of a text file: lines standing alone between blank lines that read as titles.
    The document's first line, when it is its title, opens no section (every section would
    start with it)."""
    lines = _lines(text)
    spans: list[Span] = []
    first = True
    for i, (start, end, line) in enumerate(lines):
        if not line.strip():
            continue
        alone = (i == 0 or not lines[i - 1][2].strip()) and (i + 1 == len(lines) or not lines[i + 1][2].strip())
        if first and alone and line.strip() == title and looks_like_heading(line):
            spans.append(Span(start, end, level=-1))  # the title: neither a section nor text
        elif alone and looks_like_heading(line):
            spans.append(Span(start, end, level=1, heading=line.strip()))
        else:
            spans.append(Span(start, end))
        first = False
    return [s for s in spans if s.level >= 0]


_ATX = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_MD_CAPTION = re.compile(r"^\s*(?:\*\*|_|\*)?(?:Figure|Fig\.|Table)\s*\d+[.:]", re.IGNORECASE)


def markdown_spans(text: str) -> list[Span]:
    """Headings of Markdown (ATX "## Title" and setext "Title\\n====="), tables ("| a | b |"
    rows with their header), captions ("Table 2. ..."). A document whose first heading is its
    only one at the top level has that heading as its title, which opens no section."""
    lines = _lines(text)
    raw: list[Span] = []
    fence = False
    skip = -1
    for i, (start, end, line) in enumerate(lines):
        if i == skip:
            continue
        if _FENCE.match(line):
            fence = not fence
        if not line.strip():
            continue
        if fence or _FENCE.match(line):
            raw.append(Span(start, end))
            continue
        atx = _ATX.match(line)
        if atx:
            raw.append(Span(start, end, level=len(atx.group(1)), heading=atx.group(2).strip()))
        elif i + 1 < len(lines) and _SETEXT.match(lines[i + 1][2]) and not _SETEXT.match(line) and not _TABLE_ROW.match(line):
            level = 1 if lines[i + 1][2].strip().startswith("=") else 2
            raw.append(Span(start, lines[i + 1][1], level=level, heading=line.strip()))
            skip = i + 1
        elif _TABLE_ROW.match(line):
            raw.append(Span(start, end, kind="table"))
        elif _MD_CAPTION.match(line):
            raw.append(Span(start, end, kind="caption"))
        else:
            raw.append(Span(start, end))
    return drop_title_heading(raw)


def drop_title_heading(spans: list[Span]) -> list[Span]:
    """Without the document's title heading: the first heading, when no other heading is at its
    level or above (a lone "# Title" over "## Part" headings)."""
    headings = [s for s in spans if s.level]
    if headings and all(h.level > headings[0].level for h in headings[1:]):
        spans = [s for s in spans if s is not headings[0]]
    return spans
