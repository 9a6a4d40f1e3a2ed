"""Every document has a budget (issue 16): a PDF whose pages extract to more text than any real
page is refused while it is being extracted, with the file and the limit named; a decompression
bomb is called one. The bombs are built here, in a few lines, and kept in a temporary folder."""

from __future__ import annotations

import random
import re
import time
import zlib
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.errors import IngestError
from assistant.ingest.loaders import load
from tests.conftest import PAPERS
from tests.helpers import paper_pages

MIB = 2**20
DEFAULTS = Settings()


def shared_stream_pdf(path: Path, *, pages: int, stream: bytes) -> Path:
    """A PDF of ``pages`` pages that all draw one zlib-compressed content stream: its size on
    disk is the stream's once, its text the stream's ``pages`` times (issue 16, item 3)."""
    packed = zlib.compress(stream, 9)
    kids = " ".join(f"{5 + n} 0 R" for n in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Length {len(packed)} /Filter /FlateDecode >>\nstream\n".encode() + packed + b"\nendstream",
    ]
    objects += [
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents 4 0 R >>"
    ] * pages
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(bytes(out))
    return path


def text_stream(compressed_bytes: int) -> bytes:
    """Content that zlib packs into about ``compressed_bytes``: lines of random words, so that it
    decompresses to a few MB (under pypdf's 75 MB zip-bomb guard) and extracts to over 1 M characters."""
    rng = random.Random(16)
    count = int(compressed_bytes * 1.25) // 36  # measured: this many lines pack to about compressed_bytes
    letters = rng.choices("abcdefghijklmnopqrstuvwxyz", k=40 * count)
    words = ("".join(letters[i : i + 40]) for i in range(0, len(letters), 40))
    return "".join(f"BT /F1 12 Tf 72 700 Td ({word}) Tj ET\n" for word in words).encode()


def _refused(path: Path, **limits) -> tuple[IngestError, float]:
    started = time.perf_counter()
    with pytest.raises(IngestError) as caught:
        load(path, source=path.name, max_bytes=50 * MIB, **limits)
    return caught.value, time.perf_counter() - started


@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> Path:
    return shared_stream_pdf(tmp_path_factory.mktemp("bomb") / "bomb.pdf", pages=300, stream=text_stream(2 * MIB))


def test_shared_stream_bomb_is_refused_on_its_first_page(bomb: Path):
    """Before: pypdf extracted every page in full (~4.5 s and ~1.4 M characters each; hours for
    300 pages). Now the first page passes the per-page limit and the file is refused there: the
    time is one page's parse, a fraction of the 300 pages' (measured in docs/RELIABILITY.md)."""
    assert 1.5 * MIB < bomb.stat().st_size < 3 * MIB  # the stream of issue 16, stored once
    error, seconds = _refused(bomb)
    assert error.file == "bomb.pdf"
    assert "page 1" in error.reason and f"{DEFAULTS.max_page_chars:,}" in error.reason
    assert "ASSISTANT_MAX_PAGE_CHARS" in error.reason and "bomb" in error.reason
    # The same file cut to one page costs about what the refusal cost: it stopped at page 1.
    one_page = shared_stream_pdf(bomb.with_name("one.pdf"), pages=1, stream=text_stream(2 * MIB))
    _, one_page_seconds = _refused(one_page)
    assert seconds < 5 * one_page_seconds + 2.0, (seconds, one_page_seconds)


def test_the_document_limit_counts_every_page(tmp_path: Path):
    """Pages under the page limit add up: 300 pages of ~110k characters each (one 40 KB stream)
    pass the document limit at the 10th, and the file is refused there, before any is parsed."""
    small = shared_stream_pdf(tmp_path / "many.pdf", pages=300, stream=text_stream(40_000))
    error, _ = _refused(small, max_document_chars=1_000_000)
    assert "ASSISTANT_MAX_DOCUMENT_CHARS" in error.reason and "1,000,000" in error.reason
    page = int(re.search(r"by page (\d+),", error.reason).group(1))
    assert 2 <= page <= 20, error.reason  # not page 300


def test_zip_bomb_is_called_a_decompression_bomb(tmp_path: Path):
    """A stream that inflates past pypdf's own limit (75 MB) is not "corrupt or truncated"."""
    stream = b"BT /F1 12 Tf 72 700 Td (" + b"A" * (80 * 10**6) + b") Tj ET\n"
    path = shared_stream_pdf(tmp_path / "zip.pdf", pages=2, stream=stream)
    assert path.stat().st_size < 200_000
    error, _ = _refused(path)
    assert "decompression bomb" in error.reason and "corrupt" not in error.reason


def test_text_files_have_the_document_limit(tmp_path: Path):
    path = tmp_path / "long.txt"
    path.write_text("word " * 2_000)
    error, _ = _refused(path, max_document_chars=5_000)
    assert "10,000 characters" in error.reason and "ASSISTANT_MAX_DOCUMENT_CHARS" in error.reason


@pytest.mark.parametrize("paper", sorted(PAPERS.glob("*.pdf")) if PAPERS.is_dir() else [], ids=lambda p: p.stem)
def test_real_papers_stay_far_below_the_limits(paper: Path):
    """The limits leave room: the six papers' largest page is under a tenth of the page limit,
    and each paper under a hundredth of the document limit (measured: docs/RELIABILITY.md)."""
    pages = paper_pages(paper.name)
    assert max(len(p.text) for p in pages) * 10 < DEFAULTS.max_page_chars
    assert sum(len(p.text) for p in pages) * 100 < DEFAULTS.max_document_chars
