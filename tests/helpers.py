"""Test data and process helpers shared by several test files (one copy of each): generated PDFs
and corpora, the catalogue of bad files a batch must survive, an index snapshot, the CLI's
environment and a process that holds the writer lock. Fixtures live in conftest.py."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

from assistant.config import PROJECT_ROOT

SEED_ARTICLE = PROJECT_ROOT / "corpus" / "who-benefits-from-american-ai-research-in-china.txt"


def pdf(path: Path, lines: list[str], *, pages: int | None = None) -> Path:
    """A text PDF: one line per page (``pages`` repeats the lines cyclically)."""
    from fpdf import FPDF

    document = FPDF()
    document.set_font("Helvetica", size=12)
    for i in range(pages or len(lines)):
        document.add_page()
        if lines:
            document.cell(0, 8, lines[i % len(lines)])
    document.output(str(path))
    return path


def make_bad_files(folder: Path) -> dict[str, tuple[Path, list[str]]]:
    """One of each kind of file a batch must refuse by name: kind -> (file, words its reason
    must contain). Sizes assume ASSISTANT_MAX_FILE_MB=0.05; "duplicate" copies the seed article.
    (tests/test_hostile.py's REFUSED is the longer catalogue of hostile files, at other limits.)"""
    from pypdf import PdfWriter

    folder.mkdir(parents=True, exist_ok=True)
    good_pdf = pdf(folder / "source.pdf", ["A valid page of text.", "A second page of text."])
    data = good_pdf.read_bytes()
    bad: dict[str, tuple[Path, list[str]]] = {}

    def put(kind: str, name: str, content: bytes, *reason: str) -> None:
        path = folder / name
        path.write_bytes(content)
        bad[kind] = (path, list(reason))

    put("corrupt-pdf", "corrupt.pdf", b"%PDF-1.7\n" + bytes(range(256)) * 12, "corrupt")
    put("truncated-pdf", "truncated.pdf", data[: len(data) // 2], "truncated")
    writer = PdfWriter(clone_from=good_pdf)
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    encrypted = folder / "encrypted.pdf"
    with encrypted.open("wb") as fh:
        writer.write(fh)
    bad["encrypted-pdf"] = (encrypted, ["encrypted", "password"])
    put("empty", "empty.txt", b"", "empty")
    put("binary", "binary.txt", b"some text\x00\x01\x02\xff\xfe binary", "binary")
    put("undecodable", "latin1.txt", "Grüße aus Köln".encode("latin-1"), "UTF-8")
    put("unsupported", "slides.pptx", b"PK\x03\x04 zip", "unsupported", ".pptx")
    put("oversize", "huge.txt", b"many words " * 10_000, "over the", "limit", "ASSISTANT_MAX_FILE_MB")
    put("duplicate", "copy-of-seed.txt", SEED_ARTICLE.read_bytes(), "same content", SEED_ARTICLE.name)
    bad["missing"] = (folder / "missing.txt", ["no such file"])
    good_pdf.unlink()
    return bad


_VOCABULARY = (
    "harbour survey tide station sample breakwater lighthouse keeper channel buoy pilot vessel cargo crane "
    "warehouse ledger inspector weather gale fog signal lantern rope anchor hull keel mast sail deck cabin "
    "galley chart compass bearing latitude longitude depth sounding shoal reef current estuary river bank "
    "quay wharf dock berth mooring ferry passenger ticket schedule timetable harbourmaster office clerk"
).split()


def write_text_corpus(folder: Path, documents: int = 8, seed: int = 11) -> None:
    """``documents`` text files of harbour words (four paragraphs each), the same for a seed."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(documents):
        paragraphs = [
            " ".join(rng.choice(_VOCABULARY) for _ in range(55)).capitalize() + f" (document {n}, part {p})."
            for p in range(4)
        ]
        (folder / f"doc{n:02d}.txt").write_text(f"Harbour record {n}\n\n" + "\n\n".join(paragraphs))


def snapshot(library) -> dict:
    """Everything a refused input must leave alone: the listing, the registry's chunks, the
    vectors, the journal and the files under the corpus folder."""
    return {
        "listing": library.listing(),
        "chunk_ids": library.registry.chunk_ids(),
        "vectors": library.store.ids(),
        "pending": library.registry.pending(),
        "corpus": sorted(str(p.relative_to(library.corpus)) for p in library.corpus.rglob("*")),
    }


def cli_env(root: Path | None, **extra: str) -> dict[str, str]:
    """The environment of a CLI subprocess: none of the shell's ASSISTANT_* settings, the corpus
    and index under ``root``, then ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    if root is not None:
        env.update(ASSISTANT_CORPUS=str(root / "corpus"), ASSISTANT_INDEX=str(root / "index"))
    env.update(extra)
    return env


_LOCK_HOLDER = r"""
import sys, time
from pathlib import Path
from assistant.store.registry import WriterLock
with WriterLock(Path(sys.argv[1])):
    print("locked", flush=True)
    time.sleep(120)
"""


def hold_writer_lock(path: Path) -> subprocess.Popen:
    """Another process holding the writer lock ``path`` (for 120 s; kill it when done)."""
    holder = subprocess.Popen([sys.executable, "-c", _LOCK_HOLDER, str(path)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    return holder
