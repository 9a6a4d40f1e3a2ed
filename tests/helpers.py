"""Test data and process helpers shared by several test files (one copy of each): generated PDFs
and corpora, the catalogue of bad files a batch must survive, an index snapshot, the CLI's
environment, a process that holds the writer lock, and the seed assistant with other settings. Fixtures live in conftest.py."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from assistant.answering import scorer
from assistant.answering.candidates import Pool
from assistant.answering.question import analyse
from assistant.citations import Quote
from assistant.config import PROJECT_ROOT
from assistant.store.registry import DocumentRecord, Registry, now
from assistant.text import terms
from assistant.types import Chunk, Page, Passage

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


@cache
def paper_pages(name: str) -> tuple[Page, ...]:
    """One of ../shared/papers as ingest reads it, read once per session: test_budget,
    test_loaders and test_structure check the six papers' pages from several tests (~10 s to
    read all six on 2 cores), and pages are frozen, so the tests share one read."""
    from assistant.ingest.loaders import load

    from .conftest import PAPERS

    return tuple(load(PAPERS / name, source=name, max_bytes=50 * 2**20))


# -- hostile files: the one catalogue ------------------------------------------------------------
# Every test that adds bad files takes them from HOSTILE (test_hostile one by one and as a folder,
# test_ingest and test_cli as a batch through make_bad_files), so a new case is tried everywhere.
# The files are made for these limits (small, so the over-limit cases stay small); a test that adds
# them runs with them.
HOSTILE_LIMITS = {"max_file_mb": 0.25, "max_pdf_pages": 5}  # the page-count bomb is 0.11 MiB
HOSTILE_ENV = {"ASSISTANT_MAX_FILE_MB": "0.25", "ASSISTANT_MAX_PDF_PAGES": "5"}


@dataclass(frozen=True)
class Hostile:
    name: str
    make: Callable[[Path, Path], Path]  # (path, a scratch folder) -> what now stands at path
    reason: tuple[str, ...]  # words the refusal must contain
    always_refused: bool = True  # False: a reader may recover it (then it is simply taken)


def file_of(data: bytes | str) -> Callable[[Path, Path], Path]:
    """A maker writing ``data`` (text as UTF-8)."""

    def make(path: Path, scratch: Path) -> Path:
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8")
        else:
            path.write_bytes(data)
        return path

    return make


def _drawing_only_pdf(path: Path, scratch: Path) -> Path:
    from fpdf import FPDF

    document = FPDF()
    document.add_page()
    document.rect(20, 20, 100, 60, style="F")
    document.output(str(path))
    return path


def _page_count_bomb(path: Path, scratch: Path) -> Path:
    """A tiny PDF (a zip bomb's cousin) whose page tree lists one page 20000 times and claims a
    billion: the count comes from the real tree, and is refused before any page is read."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + b"3 0 R " * 20000 + b"] /Count 1000000000 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 4\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref
    path.write_bytes(bytes(out))
    return path


def encrypted_pdf(path: Path, plain: Path, *, user_password: str = "secret") -> Path:
    """``plain`` (a PDF) encrypted: it needs ``user_password`` to be read ("": only an owner
    password, readable by anyone)."""
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=plain)
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
    with path.open("wb") as fh:
        writer.write(fh)
    return path


def _encrypted_pdf(path: Path, scratch: Path) -> Path:
    return encrypted_pdf(path, pdf(scratch / "plain.pdf", ["Secret page."]))


def _empty_pdf(path: Path, scratch: Path) -> Path:
    from pypdf import PdfWriter

    with path.open("wb") as fh:
        PdfWriter().write(fh)
    return path


def _truncated_pdf(path: Path, scratch: Path) -> Path:
    data = pdf(scratch / "whole.pdf", ["One page of text.", "Another page."]).read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _bad_xref_pdf(path: Path, scratch: Path) -> Path:
    data = pdf(scratch / "whole.pdf", ["Text with a broken cross-reference table."]).read_bytes()
    at = data.rfind(b"startxref")
    path.write_bytes(data[:at] + b"startxref\n999999999\n%%EOF\n")
    return path


HOSTILE: dict[str, Hostile] = {
    "corrupt-pdf": Hostile("corrupt.pdf", file_of(b"%PDF-1.7\n" + bytes(range(256)) * 12), ("PDF", "corrupt")),
    "truncated-pdf": Hostile("truncated.pdf", _truncated_pdf, ("PDF", "truncated")),
    "encrypted-pdf": Hostile("encrypted.pdf", _encrypted_pdf, ("encrypted", "password")),
    "zero-byte-pdf": Hostile("zero.pdf", file_of(b""), ("empty",)),
    "header-only-pdf": Hostile("header.pdf", file_of(b"%PDF-1.4\n%%EOF\n"), ("PDF",)),
    "no-page-pdf": Hostile("nopages.pdf", _empty_pdf, ("no text",)),
    "drawing-only-pdf": Hostile("scan.pdf", _drawing_only_pdf, ("no text", "OCR")),
    "too-many-pages-pdf": Hostile("long.pdf", lambda p, s: pdf(p, ["page"], pages=8), ("8 pages", "ASSISTANT_MAX_PDF_PAGES")),
    "page-count-bomb-pdf": Hostile("bomb.pdf", _page_count_bomb, ("pages, over the 5-page limit",)),
    "text-named-pdf": Hostile("notreally.pdf", file_of("just words, no PDF at all " * 20), ("PDF",)),
    "broken-xref-pdf": Hostile("badxref.pdf", _bad_xref_pdf, (), always_refused=False),  # pypdf may rebuild the table
    "binary-in-txt": Hostile("binary.txt", file_of(bytes(range(256)) * 40), ("binary", "NUL")),
    "nul-in-text": Hostile("nul.txt", file_of(b"plain words " * 50 + b"\x00" + b"more words"), ("binary", "offset 600")),
    "invalid-utf8": Hostile("latin1.txt", file_of("Grüße aus Köln, Straße".encode("latin-1")), ("UTF-8",)),
    "mixed-encodings": Hostile("mixed.md", file_of("# Café\n\nnaïve ".encode() + "déjà vu".encode("cp1252")), ("UTF-8",)),
    "broken-utf16": Hostile("utf16.txt", file_of(b"\xff\xfe" + "text".encode("utf-16-le") + b"\x00\xd8"), ("utf-16",)),
    "whitespace-only-txt": Hostile("blank.txt", file_of(" \n\t\r\n   \u00a0\n" * 100), ("no text",)),
    "bom-only-md": Hostile("bom.md", file_of(b"\xef\xbb\xbf"), ("no text",)),  # zero bytes: zero-byte-pdf
    "control-chars-only": Hostile("controls.txt", file_of(bytes(range(1, 9)) * 30), ("no text",)),
    "over-size-limit": Hostile("big.txt", file_of(b"word " * (2**20 // 10)), ("over the", "limit", "ASSISTANT_MAX_FILE_MB")),
    "script-only-html": Hostile("script.html", file_of("<html><script>alert('x')</script><style>p{}</style></html>"), ("no text",)),
    "comment-only-html": Hostile("comment.html", file_of("<!-- nothing to see --><!DOCTYPE html>"), ("no text",)),
    "unsupported-extension": Hostile("tool.exe", file_of(b"MZ\x90\x00"), ("unsupported", ".exe")),
    "no-extension": Hostile("README", file_of("words"), ("unsupported", "(none)")),
    "directory-named-like-a-file": Hostile("folder.txt", lambda p, s: (p.mkdir(), p)[1], ("no supported files",)),
    "missing-file": Hostile("gone.txt", lambda p, s: p, ("no such file",)),
}
NOT_FILES = ("directory-named-like-a-file", "missing-file")  # nothing to copy into a corpus folder


def make_bad_files(folder: Path) -> dict[str, tuple[Path, list[str]]]:
    """Every kind of HOSTILE that is always refused, made in ``folder``, plus "duplicate" (a copy
    of the seed article, refused where the seed article is indexed or added first): kind -> (path,
    words its reason must contain). Add them with HOSTILE_LIMITS."""
    folder.mkdir(parents=True, exist_ok=True)
    scratch = folder / ".scratch"
    scratch.mkdir()
    bad = {
        kind: (case.make(folder / case.name, scratch), list(case.reason))
        for kind, case in HOSTILE.items()
        if case.always_refused
    }
    # Distinct bytes each: a batch fingerprints every file before reading any, so a file with the
    # bytes of an earlier one is refused as its copy (even when that one fails to read), not for
    # its own fault.
    contents = [path.read_bytes() for path, _ in bad.values() if path.is_file()]
    assert len(set(contents)) == len(contents), "two hostile files with the same bytes"
    duplicate = folder / "copy-of-seed.txt"
    duplicate.write_bytes(SEED_ARTICLE.read_bytes())
    bad["duplicate"] = (duplicate, ["same content", SEED_ARTICLE.name])
    for leftover in scratch.iterdir():
        leftover.unlink()
    scratch.rmdir()
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


def tagged_document(tag: str, paragraphs: int, sentences: int = 14) -> str:
    """A small text whose every paragraph carries its document's unique tag word, so a search
    for "<tag> station sensor" finds it first."""
    body = [
        f"The {tag} station recorded observation {p} of the season. "
        + " ".join(f"Sensor {tag} row {p}.{s} measured a steady reading near the ridge, and the crew "
                   f"logged it with the usual care before moving on." for s in range(sentences))
        for p in range(paragraphs)
    ]
    return f"Field notes {tag}\n\n" + "\n\n".join(body) + "\n"


def two_writers_inputs(root: Path, files: int, *, sentences: int = 14) -> dict[str, list[Path]]:
    """What two writers, "a" and "b", add at the same time: root/input-<writer>/ holds ``files``
    tagged documents zq<writer><i>x.txt (1 to 3 paragraphs) and shared.txt, the same in both
    folders (both add it). writer -> its files, sorted."""
    inputs = {}
    for writer in ("a", "b"):
        folder = root / f"input-{writer}"
        folder.mkdir()
        for i in range(files):
            tag = f"zq{writer}{i}x"
            (folder / f"{tag}.txt").write_text(tagged_document(tag, 1 + i % 3, sentences), encoding="utf-8")
        (folder / "shared.txt").write_text(tagged_document("zqsharedx", 2, sentences), encoding="utf-8")
        inputs[writer] = sorted(folder.iterdir())
    return inputs


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


def assistant_with(seed_assistant, **changes):
    """The session's seed index (an ``Assistant``), answered with other settings."""
    from assistant.pipeline import Assistant

    return Assistant(seed_assistant.settings.with_(**changes), index=seed_assistant.index, encoder=seed_assistant.encoder)


def holding(passages: dict[int, str], fact: str) -> int:
    """The number of the passage that states ``fact`` (the test fails if none does)."""
    [n] = [n for n, text in passages.items() if fact in text][:1]
    return n


def passage(text: str, *, title: str = "Paper", index: int = 0) -> Passage:
    """``text`` as one retrieved passage of a PDF's first page (its document's ``index``-th chunk)."""
    return Passage(Chunk("c", text, "paper.pdf", title, 1, index, 0, len(text)), 1.0, 0.5)


def sentence_pool(question: str, sentences: list[str], enumerations: frozenset[int] = frozenset()) -> Pool:
    """The answerer's candidates for ``question``: ``sentences`` of one passage, no two alike
    (orthogonal vectors), every feature 0 (a test gives the probabilities)."""
    found = passage(" ".join(sentences))
    quotes, start = [], 0
    for sentence in sentences:
        quotes.append(Quote(found, start, start + len(sentence)))
        start += len(sentence) + 1
    n = len(sentences)
    return Pool(analyse(question), quotes, [()] * n, np.eye(n, dtype=np.float32),
                np.zeros((n, len(scorer.SENTENCE_FEATURES)), dtype=np.float32), [frozenset(terms(s)) for s in sentences],
                enumerations=enumerations)


def document_registry(path: Path, texts: list[tuple[str, str]], *, page: int | None = None) -> tuple[Registry, list[Chunk]]:
    """A registry at ``path`` holding one document, "p.pdf", of ``texts``' chunks ((text, kind) in
    reading order, each on its own page unless ``page`` is given); the caller closes it."""
    chunks, start = [], 0
    for index, (text, kind) in enumerate(texts):
        chunks.append(Chunk(f"c{index}", text, "p.pdf", "P", page or index + 1, index, start, start + len(text), kind=kind))
        start += len(text) + 2
    stamp = now()
    registry = Registry(path)
    registry.commit_documents([(DocumentRecord(source="p.pdf", sha256="a" * 64, title="P", pages=len(chunks), chunks=len(chunks),
                                               bytes=start, added=stamp, updated=stamp), chunks)])
    return registry, chunks


def quote_in(chunk: Chunk, text: str) -> Quote:
    """``text`` quoted where it stands in ``chunk``."""
    start = chunk.text.index(text)
    return Quote(Passage(chunk, 1.0, 1.0), start, start + len(text))
