"""File -> pages of clean text. Each bad file raises ``IngestError`` naming the file and why.

Clean text is NFKC-normalised (ligatures such as "ﬁ" become "fi"), has words hyphenated across
line breaks re-joined ("learn-\\ning" -> "learning") and no control characters. Offsets of chunks
and quotes refer to this clean text, so loading the same file twice gives the same offsets.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from .config import SUPPORTED_SUFFIXES
from .errors import IngestError
from .types import Page

_HYPHENATED_BREAK = re.compile(r"(\w)-\n(?=[a-z])")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff]")
_SPACES = re.compile(r"[ \t\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_BINARY_SAMPLE = 8192


def clean_text(raw: str) -> str:
    text = unicodedata.normalize("NFKC", raw).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    text = _HYPHENATED_BREAK.sub(r"\1", text)
    text = "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()


def load(path: Path, *, source: str, max_bytes: int, max_pdf_pages: int = 2000) -> list[Page]:
    """Read one file into pages. ``source`` is the name recorded for citations."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise IngestError(
            source, f"unsupported file type {suffix or '(none)'!r}; supported: {', '.join(SUPPORTED_SUFFIXES)}"
        )
    if not path.is_file():
        raise IngestError(source, "no such file")
    size = path.stat().st_size
    if size == 0:
        raise IngestError(source, "the file is empty")
    if size > max_bytes:
        raise IngestError(
            source, f"the file is {size / 2**20:.1f} MiB, over the {max_bytes / 2**20:.0f} MiB limit (ASSISTANT_MAX_FILE_MB)"
        )
    if suffix == ".pdf":
        pages = _load_pdf(path, source, max_pdf_pages)
    else:
        text = _decode(path.read_bytes(), source)
        pages = _load_html(text, source) if suffix in (".html", ".htm") else _load_plain(text, source)
    if not any(p.text for p in pages):
        raise IngestError(source, "no text could be extracted (a scanned PDF needs OCR first)")
    return [p for p in pages if p.text]


def _decode(data: bytes, source: str) -> str:
    if b"\x00" in data[:_BINARY_SAMPLE] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise IngestError(source, "the file holds binary data, not text")
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


def _load_plain(raw: str, source: str) -> list[Page]:
    text = clean_text(raw)
    return [Page(text=text, source=source, title=_title_from_lines(text, Path(source).stem))]


def _load_html(raw: str, source: str) -> list[Page]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(raw, "html.parser")
    for hidden in soup(["script", "style", "noscript", "template", "svg", "iframe", "object"]):
        hidden.decompose()
    head_title = soup.title.get_text(" ", strip=True) if soup.title else ""
    if soup.head:
        soup.head.decompose()
    body = soup.body or soup
    text = clean_text(body.get_text("\n"))
    heading = soup.find(["h1", "h2"])
    title = head_title or (heading.get_text(" ", strip=True) if heading else "") or _title_from_lines(text, Path(source).stem)
    return [Page(text=text, source=source, title=clean_text(title)[:200])]


def _load_pdf(path: Path, source: str, max_pages: int) -> list[Page]:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise IngestError(source, "the PDF is encrypted with a password; remove it and add the file again")
        count = len(reader.pages)
        if count > max_pages:
            raise IngestError(source, f"the PDF has {count} pages, over the {max_pages}-page limit (ASSISTANT_MAX_PDF_PAGES)")
        texts = [clean_text(page.extract_text() or "") for page in reader.pages]
        meta_title = (reader.metadata.title if reader.metadata else None) or ""
    except IngestError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError, RecursionError) as exc:
        raise IngestError(source, f"the PDF is corrupt or truncated ({type(exc).__name__}: {exc})") from None
    except Exception as exc:  # pypdf raises many kinds on hostile files; none may stop a batch
        raise IngestError(source, f"the PDF could not be read ({type(exc).__name__}: {exc})") from None
    first_text = next((t for t in texts if t), "")
    title = clean_text(str(meta_title)) or _title_from_lines(first_text, Path(source).stem)
    return [Page(text=t, source=source, title=title[:200], page=i) for i, t in enumerate(texts, start=1)]
