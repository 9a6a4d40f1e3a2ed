"""File -> pages of clean text. Each bad file raises ``IngestError`` naming the file and why.

Clean text is NFKC-normalised (ligatures such as "ﬁ" become "fi"), has words hyphenated across
line breaks re-joined ("learn-\\ning" -> "learning") and no control characters. Offsets of chunks
and quotes refer to this clean text, so loading the same file twice gives the same offsets.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from pathlib import Path

from ..config import SUPPORTED_SUFFIXES, Settings
from ..errors import IngestError
from ..types import Page
from .structure import Outline, Span, blocks, drop_title_heading, markdown_spans, plain_text_spans

_DEFAULTS = Settings()  # the documented limits, for callers that pass none

_HYPHENATED_BREAK = re.compile(r"(\w)-\n(?=[a-z])")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff]")
_SPACES = re.compile(r"[ \t\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def clean_text(raw: str) -> str:
    text = unicodedata.normalize("NFKC", raw).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    text = "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    text = _HYPHENATED_BREAK.sub(r"\1", text)  # after the strip: "learn- \ning" is a break too
    return _BLANK_LINES.sub("\n\n", text).strip()


def is_supported(path: str | Path) -> bool:
    """Whether the loaders read this kind of file (by its suffix, in any case)."""
    return Path(path).suffix.lower() in SUPPORTED_SUFFIXES


def unsupported_type(path: str | Path, source: str) -> IngestError | None:
    """The error for a kind of file the loaders cannot read, naming it ``source`` (as the user
    knows it); None for a supported one."""
    if is_supported(path):
        return None
    return IngestError(source, f"unsupported file type {Path(path).suffix or '(none)'!r}; supported: {', '.join(SUPPORTED_SUFFIXES)}")


def check_supported(path: str | Path, source: str) -> None:
    """Refuse a kind of file the loaders cannot read."""
    if (error := unsupported_type(path, source)) is not None:
        raise error


def load(
    path: Path,
    *,
    source: str,
    max_bytes: int,
    max_pdf_pages: int = _DEFAULTS.max_pdf_pages,
    max_page_chars: int = _DEFAULTS.max_page_chars,
    max_document_chars: int = _DEFAULTS.max_document_chars,
    on_page: Callable[[int, int], None] | None = None,
) -> list[Page]:
    """Read one file into pages with their structure (``Page.blocks``). ``source`` is the name
    recorded for citations. A PDF's text is budgeted (``pdf_budget.Budget``): a page or a document
    past its character limit is refused, before any page is parsed when its content streams
    already hold too much. ``on_page(done, pages)`` hears each PDF page as it is read (a long PDF
    takes seconds)."""
    check_supported(path, source)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise IngestError(source, "no such file")
    size = path.stat().st_size
    if size == 0:
        raise IngestError(source, "the file is empty")
    if size > max_bytes:
        raise IngestError(
            source, f"the file is {_mib(size)}, over the {_mib(max_bytes)} limit (ASSISTANT_MAX_FILE_MB)"
        )
    if suffix == ".pdf":
        pages = _load_pdf(path, source, max_pdf_pages, max_page_chars, max_document_chars, on_page)
    else:
        text = _decode(path.read_bytes(), source)
        if len(text) > max_document_chars:
            raise IngestError(
                source, f"the file holds {len(text):,} characters, over the per-document limit of "
                f"{max_document_chars:,} (ASSISTANT_MAX_DOCUMENT_CHARS); split it into smaller files",
            )
        pages = _load_html(text, source) if suffix in (".html", ".htm") else _load_plain(text, source)
    if not any(p.text for p in pages):
        if suffix == ".pdf":
            raise IngestError(source, "no text could be extracted (a scanned PDF needs OCR first)")
        raise IngestError(source, "the file holds no text (only white space or markup)")
    return [p for p in pages if p.text]


def _mib(size: float) -> str:
    """A size for a message: 0.05 MiB stays 0.05 MiB, not "0 MiB"."""
    return f"{size / 2**20:.3g} MiB"


def _decode(data: bytes, source: str) -> str:
    # A NUL byte anywhere (not only in the first block) means binary data; UTF-16 text
    # announces itself with a byte-order mark and is decoded below.
    if b"\x00" in data and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        at = data.find(b"\x00")
        raise IngestError(source, f"the file holds binary data, not text (a NUL byte at offset {at})")
    for bom, encoding in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise IngestError(source, f"invalid {encoding} text at byte {exc.start}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise IngestError(
            source, f"not valid UTF-8 text (byte {exc.start}); save it as UTF-8 and add it again"
        ) from None


def _title_from_lines(text: str, fallback: str) -> str:
    for line in text.split("\n"):
        line = line.strip().lstrip("#").strip()
        if line:
            return line[:200]
    return fallback


_ATX_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_SETEXT_UNDERLINE = re.compile(r"^ {0,3}(?:=+|-+)[ \t]*$")
_FRONT_MATTER_TITLE = re.compile(r"^title:[ \t]*[\"']?(.+?)[\"']?[ \t]*$", re.MULTILINE | re.IGNORECASE)


def _markdown_title(text: str, fallback: str) -> str:
    """The first heading (ATX "# Title" or setext "Title\n====="); else a front-matter
    ``title:``; else the first line."""
    lines = text.split("\n")
    front_title = ""
    if lines and lines[0].strip() == "---":  # YAML front matter: not the document's first line
        for end in range(1, len(lines)):
            if lines[end].strip() in ("---", "..."):
                found = _FRONT_MATTER_TITLE.search("\n".join(lines[1:end]))
                front_title = found.group(1).strip() if found else ""
                lines = lines[end + 1 :]
                break
    fence = False
    for i, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            fence = not fence
        if fence:
            continue
        heading = _ATX_HEADING.match(line)
        if heading:
            return heading.group(1).strip()[:200]
        if (
            line.strip()
            and i + 1 < len(lines)
            and _SETEXT_UNDERLINE.match(lines[i + 1])
            and not _SETEXT_UNDERLINE.match(line)
        ):
            return line.strip()[:200]
    return front_title[:200] or _title_from_lines("\n".join(lines), fallback)


def _load_plain(raw: str, source: str) -> list[Page]:
    text = clean_text(raw)
    if Path(source).suffix.lower() in (".md", ".markdown"):
        title = _markdown_title(text, Path(source).stem)
        spans = markdown_spans(text)
    else:
        title = _title_from_lines(text, Path(source).stem)
        spans = plain_text_spans(text, title)
    return [Page(text=text, source=source, title=title, blocks=blocks(spans, Outline()))]


_HTML_HIDDEN_TAGS = ["script", "style", "noscript", "template", "svg", "iframe", "object", "embed", "head", "button", "select"]
_HTML_BLOCK_TAGS = frozenset(
    """address article aside blockquote body caption center dd details dialog div dl dt fieldset figcaption figure
    footer form h1 h2 h3 h4 h5 h6 header hgroup hr html li main nav ol p pre section summary table tbody tfoot
    thead tr ul""".split()
)
# Cells of a table row stay on the row's line, apart: "ResNet | 3.57" is quoted with "model | top-5".
_HTML_CELL_TAGS = frozenset(("td", "th"))
_HTML_CELL_SEPARATOR = " | "
_HTML_INVISIBLE_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_HTML_WHITESPACE = re.compile(r"[ \t\n\r\f\v]+")


def _load_html(raw: str, source: str) -> list[Page]:
    """Visible text only: no script, style, head, comments or hidden elements; block elements
    (paragraphs, headings, list items, cells) become lines, inline ones (<b>, <a>) stay in them.
    <h1>-<h6> are headings, <table> rows tables, <caption>/<figcaption> captions."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(raw, "html.parser")
    head_title = soup.title.get_text(" ", strip=True) if soup.title else ""
    for element in soup(_HTML_HIDDEN_TAGS):
        element.decompose()
    invisible = soup.find_all(
        lambda tag: tag.has_attr("hidden") or bool(_HTML_INVISIBLE_STYLE.search(str(tag.get("style") or "")))
    )
    for element in invisible:
        if not element.decomposed:  # a hidden element inside another one went with it
            element.decompose()
    text, spans = _unmark(clean_text(_visible_text(soup)))
    heading = soup.find("h1") or soup.find("h2")
    title = head_title or (heading.get_text(" ", strip=True) if heading else "") or _title_from_lines(text, Path(source).stem)
    return [Page(text=text, source=source, title=clean_text(title)[:200], blocks=blocks(drop_title_heading(spans), Outline()))]


# _visible_text starts each line of a heading, table or caption with one of these (a private-use
# character and the role), and _unmark takes them out again, noting each line's role.
_ROLE_MARK = "\ue000"
_HTML_ROLES = {**{f"h{n}": str(n) for n in range(1, 7)}, "table": "T", "caption": "C", "figcaption": "C"}
_MARK = re.compile(_ROLE_MARK + r"(.)")


def _unmark(marked: str) -> tuple[str, list[Span]]:
    """The text without role marks, and a span per line (headings with their level)."""
    lines: list[tuple[str, str]] = []  # (role, line)
    for line in marked.split("\n"):
        roles = _MARK.findall(line)
        line = _MARK.sub("", line).strip()
        if line or (lines and lines[-1][1]):  # at most one blank line in a row
            lines.append((roles[-1] if roles else "", line))
    while lines and not lines[-1][1]:
        lines.pop()
    spans: list[Span] = []
    at = 0
    for role, line in lines:
        if line:
            if role.isdigit():
                spans.append(Span(at, at + len(line), level=int(role), heading=line))
            else:
                spans.append(Span(at, at + len(line), kind={"T": "table", "C": "caption"}.get(role, "text")))
        at += len(line) + 1
    return "\n".join(line for _, line in lines), spans


def _visible_text(soup) -> str:
    """The text of the tree: white space collapsed in text nodes outside <pre> (source
    formatting is not text), a line break at <br> and around block elements, inline ones kept in
    their line. An explicit stack, not recursion and no tree edits: linear in the tree's size,
    however deeply it nests (inserting break nodes was quadratic: 3 s for 5000 nested divs)."""
    from bs4 import CData, NavigableString, Tag

    out: list[str] = []
    end = object()  # closes a block element (or a <pre>)
    pre = 0
    roles: list[str] = []  # the heading, table or caption elements the walk is inside

    def line_break() -> None:
        out.append("\n" + (_ROLE_MARK + roles[-1] if roles else ""))

    stack = [iter(soup.contents)]
    while stack:
        node = next(stack[-1], None)
        if node is None:
            stack.pop()
        elif isinstance(node, tuple):  # (end, block, is_pre, role)
            _, block, is_pre, role = node
            pre -= is_pre
            if role:
                roles.pop()
            if block:
                line_break()
        elif isinstance(node, Tag):
            if node.name == "br":
                line_break()
                continue
            block, is_pre, role = node.name in _HTML_BLOCK_TAGS, node.name == "pre", _HTML_ROLES.get(node.name, "")
            if node.name in _HTML_CELL_TAGS and node.find_previous_sibling(_HTML_CELL_TAGS) is not None:
                out.append(_HTML_CELL_SEPARATOR)
            if role:
                roles.append(role)
            if block:
                line_break()
            pre += is_pre
            # A row ends where the next begins: rows are lines, not paragraphs, of their table.
            stack.append(iter([*node.contents, (end, block and node.name != "tr", is_pre, role)]))
        elif type(node) is NavigableString:
            out.append(str(node) if pre else _HTML_WHITESPACE.sub(" ", str(node)))
        elif type(node) is CData:
            out.append(str(node))
    return "".join(out)


def _load_pdf(
    path: Path, source: str, max_pages: int, max_page_chars: int, max_document_chars: int,
    on_page: Callable[[int, int], None] | None = None,
) -> list[Page]:
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError, PyPdfError

    from .pdf_budget import Budget
    from .pdf_text import PdfStructure, page_lines
    from .pdf_title import pdf_title

    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise IngestError(source, "the PDF is encrypted with a password; remove it and add the file again")
        count = len(reader.pages)
        if count > max_pages:
            raise IngestError(source, f"the PDF has {count} pages, over the {max_pages}-page limit (ASSISTANT_MAX_PDF_PAGES)")
        budget = Budget(source, max_page_chars, max_document_chars)
        budget.check_estimates(reader.pages)
        lines = []
        for number, page in enumerate(reader.pages, start=1):
            budget.new_page(number)
            lines.append(page_lines(page, budget))
            if on_page:
                on_page(number, count)
        meta_title = (reader.metadata.title if reader.metadata else None) or ""
    except IngestError:
        raise
    except LimitReachedError as exc:  # pypdf's own guard against zip bombs (75 MB per stream)
        raise IngestError(
            source, f"a stream of the PDF decompresses to more than pypdf's limit ({exc}): refused as a decompression bomb"
        ) from None
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError, RecursionError) as exc:
        raise IngestError(source, f"the PDF is corrupt or truncated ({type(exc).__name__}: {exc})") from None
    except Exception as exc:  # pypdf raises many kinds on hostile files; none may stop a batch
        raise IngestError(source, f"the PDF could not be read ({type(exc).__name__}: {exc})") from None
    structure = PdfStructure(lines)
    first_page = next((page for page in lines if page), [])
    title = pdf_title(clean_text(str(meta_title)), first_page, structure.body, source)
    return [structure.page(page, source=source, title=title, number=i) for i, page in enumerate(lines, start=1)]
