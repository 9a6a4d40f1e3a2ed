"""Files in the corpus folder -> chunks -> vectors + registry, incrementally and crash-safely.

``Library`` is the one object both faces (CLI and web app) use to change the index. Every write
holds the writer lock (embedded Chroma; in server mode, the document's own lock, so several
processes write different documents at once: docs/SCALING.md) and follows the registry's journal
protocol, so a document is either wholly in the index or not at all, whatever moment the process dies.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import re
import shutil
import sys
import threading
import time
import unicodedata
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path

from .. import storage
from ..store.blobs import BlobStore, folder_origin
from .chunking import CHUNKER_VERSION, chunk_pages, fast_token_counter, make_splitter
from ..config import SUPPORTED_SUFFIXES, Settings
from ..encoder.encoder import COMPUTE_LOCK, Encoder
from ..errors import DiskFull, IngestError, UsageError
from ..store.vectors import VectorStore, open_store
from ..store.index import REGISTRY_FILE, Index
from .loaders import load
from ..store.registry import DocumentRecord, Registry, WriterLock, now
from ..storage import is_writable
from ..types import Chunk, Page

ProgressCallback = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[IngestError] = field(default_factory=list)
    embedded: int = 0

    @property
    def ok(self) -> bool:
        return not self.failed

    def merge(self, other: "IngestReport") -> "IngestReport":
        for name in ("added", "updated", "unchanged", "removed", "failed"):
            getattr(self, name).extend(getattr(other, name))
        self.embedded += other.embedded
        return self

    def to_dict(self) -> dict:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "failed": [{"file": e.file, "reason": e.reason} for e in self.failed],
            "embedded": self.embedded,
        }

    def summary(self) -> str:
        parts = [f"{len(v)} {k}" for k, v in self.to_dict().items() if isinstance(v, list) and v]
        lines = [", ".join(parts) or "nothing to do"]
        lines += [f"  failed: {e.file}: {e.reason}" for e in self.failed]
        return "\n".join(lines)


@dataclass(frozen=True)
class _Prepared:
    source: str
    sha256: str
    size: int
    pages: int
    chunks: list[Chunk]
    new: list[Chunk]  # chunks whose ids have no vector yet
    stale: set[str]  # ids of the previous version that go away
    existed: bool
    file: Path | None = None  # what was read (its bytes are kept when the registry is shared)


@dataclass(frozen=True)
class _ToRead:
    """A corpus file that is new or changed: fingerprinted, not yet read."""

    file: Path
    source: str
    sha256: str
    size: int
    existing: DocumentRecord | None


# Files read (parsed and chunked) ahead of the encoder, on a thread: PDF parsing overlaps with
# embedding instead of adding to it (bench/ingest.py --read-ahead compares).
READ_AHEAD = 2
# Chunks are embedded and committed in groups of this many encoder batches. A group is sorted by
# length before it is cut into batches, so that each batch pads to similar lengths (unsorted
# batches cost 25-40% more encoder time than one sorted call here; sorted groups of 4 batches
# 3-5%), and a larger group pads less. A kill -9 loses at most one group's embedding work.
WRITE_BATCHES = 8
BACKUP_SUFFIX, PARTIAL_SUFFIX = ".previous", ".partial"
STAGING = ".staging"  # under the corpus: where `add` keeps a file until the index holds it

_UNSAFE_NAME = re.compile(r"[^\w.\-() ]+")


def safe_name(name: str, *, limit: int = 120) -> str:
    """A file name that cannot leave the corpus folder or hide: no separators, no leading dot.

    NFKC-normalised (which includes NFC), so the two spellings of "café.pdf" (é as one code point,
    or e + U+0301 as macOS file names have it) are one document: the second upload replaces the
    first and is reported as updated, under the composed name."""
    base = unicodedata.normalize("NFKC", name).replace("\\", "/").split("/")[-1]
    base = _UNSAFE_NAME.sub("_", base).strip(" .")
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = stem[: max(1, limit - len(suffix) - 1)]
    cleaned = f"{stem}.{suffix}" if suffix else stem
    return cleaned if cleaned.strip("._ ") else "document" + (f".{suffix}" if suffix else "")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Library:
    """The corpus folder and its index (registry + vector store)."""

    def __init__(self, settings: Settings, *, encoder: Encoder | None = None, store: VectorStore | None = None) -> None:
        self.settings = settings
        self.corpus = Path(settings.corpus).resolve()
        self.encoder = encoder or Encoder.from_settings(settings)
        if not settings.index.is_dir():
            settings.index.mkdir(parents=True, exist_ok=True)
        if settings.registry_url and not settings.chroma_url:
            raise UsageError(
                "a shared registry (ASSISTANT_REGISTRY_URL) needs shared vectors: set ASSISTANT_CHROMA_URL to a Chroma server too"
            )
        # A read-only index folder (a read-only mount) is opened for reading: list, search and
        # ask work; every write is refused with a message that says why (IndexReadOnly).
        self.read_only = not is_writable(settings.index)
        # The read side's view over this writer's own registry and store (the Assistant of the
        # same process answers from it).
        self.index = Index(
            settings,
            registry=Registry(settings.registry_url or settings.index / REGISTRY_FILE, read_only=self.read_only),
            store=store or open_store(settings.index, settings.chroma_url, read_only=self.read_only),
        )
        self.registry, self.store = self.index.registry, self.index.store
        # A shared registry (PostgreSQL) keeps the originals too: other machines have no corpus/.
        self.blobs = BlobStore(self.registry) if settings.registry_url else None
        self.origin = folder_origin(self.corpus)
        self.lock = WriterLock(settings.index / "write.lock") if not settings.chroma_url else nullcontext()
        self._splitter = None

    # -- reading ---------------------------------------------------------------------------
    def documents(self) -> list[DocumentRecord]:
        return self.index.documents()

    def check_model(self, *, claim: bool = False) -> None:
        self.index.check_model(self.encoder, claim=claim)

    def listing(self) -> dict:
        """The ``assistant list --json`` contract."""
        return self.index.listing(self.encoder)

    # -- writing ---------------------------------------------------------------------------
    def add(
        self, paths: Iterable[Path], *, progress: ProgressCallback | None = None, cancel: threading.Event | None = None
    ) -> IngestReport:
        """Copy files (or the supported files of folders) into the corpus and index them.

        All or nothing per file: each file is indexed from a staged copy in ``corpus/.staging/``
        (hidden, on the corpus's file system) and moved into place only once its registry commit
        holds. A file that fails leaves the corpus as it was (a new name never appears; an
        updated one keeps the version the index holds), and its error names it as the user
        knows it, never by the staged path. A crash at any moment is finished by ``repair``.
        Setting ``cancel`` stops the write before the next document or batch (see ``_index_files``).
        """
        report = IngestReport()
        targets: list[Path] = []
        files: list[Path] = []  # what is indexed: staged copies, and corpus files added in place
        staged: dict[Path, str] = {}  # staged copy -> its name in the corpus
        self._check_writable()
        with self.lock:
            self.repair()
            self.registry.check_model_name(self.encoder.name)  # refuse before touching the corpus
            try:
                for path in paths:
                    for file, name in self._expand(Path(path), report):
                        try:
                            target, copy = self._stage(file, name, targets)
                        except IngestError as exc:
                            report.failed.append(exc)
                            continue
                        except OSError as exc:
                            report.failed.append(IngestError(name, f"cannot be copied into the corpus ({exc.strerror or exc})"))
                            continue
                        targets.append(target)
                        files.append(copy or target)
                        if copy is not None:
                            staged[copy] = name
                report.merge(self._index_files(files, progress=progress, names=staged, cancel=cancel))
            finally:
                self._settle(staged)
            return report

    def _check_writable(self) -> None:
        if self.read_only:
            raise storage.read_only(self.settings.index)

    @property
    def _staging(self) -> Path:
        if self.settings.chroma_url:  # server mode: several processes add at once, each stages apart
            return self.corpus / STAGING / f"pid-{os.getpid()}"
        return self.corpus / STAGING

    def _settle(self, staged: dict[Path, str]) -> None:
        """Move each staged copy the registry committed into place; drop the rest. The registry,
        not the report, decides, so this also finishes an `add` that crashed."""
        for copy, name in staged.items():
            if not copy.is_file():
                continue
            record = self.registry.document(name)
            target = self.corpus / name
            if record is not None and sha256_file(copy) == record.sha256 and not target.is_dir():
                if not (target.is_file() and not target.is_symlink() and sha256_file(target) == record.sha256):
                    target.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(copy, target)  # atomic: the corpus never holds half a file
                    continue
            copy.unlink(missing_ok=True)
        self._prune_staging()

    def _prune_staging(self) -> None:
        if not self._staging.is_dir():
            return
        for folder in sorted((p for p in self._staging.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
            try:
                folder.rmdir()
            except OSError:
                pass
        try:
            self._staging.rmdir()
        except OSError:
            pass

    def sync(self, *, progress: ProgressCallback | None = None, cancel: threading.Event | None = None) -> IngestReport:
        """Bring the index in line with the corpus folder: new, changed and deleted files."""
        self._check_writable()
        with self.lock:
            self.repair()
            files = self._corpus_files()
            report = IngestReport()
            present = {self._source(f) for f in files}
            # A shared registry: only what came from this folder is this folder's to remove.
            origins = self.blobs.origins() if self.blobs else {}
            for record in self.documents():
                if record.source not in present and origins.get(record.sha256, self.origin) == self.origin:
                    self._remove_source(record.source)
                    report.removed.append(record.source)
            return report.merge(self._index_files(files, progress=progress, cancel=cancel))

    def remove(self, names: Iterable[str]) -> IngestReport:
        report = IngestReport()
        self._check_writable()
        with self.lock:
            self.repair()
            for name in names:
                source = self._resolve_name(name)
                if source is None:
                    report.failed.append(IngestError(name, "no such document in the corpus (see `assistant list`)"))
                    continue
                self._remove_source(source)
                (self.corpus / source).unlink(missing_ok=True)
                report.removed.append(source)
        return report

    def reindex(self, *, progress: ProgressCallback | None = None, cancel: threading.Event | None = None) -> IngestReport:
        self._check_writable()
        with self.lock:
            # The registry first: a crash between the two leaves vectors that no document owns,
            # which the next repair() drops; the other order would leave documents without vectors.
            self.registry.reset()
            self.store.reset()
            return self.sync(progress=progress, cancel=cancel)

    def repair(self) -> list[str]:
        """Finish what a crashed writer left: drop vectors that no committed chunk owns."""
        notes = []
        self._check_writable()
        with self.lock:
            for source in self.registry.pending():
                with self._source_lock(source, wait=False) as free:
                    touched = self.registry.pending().get(source)
                    if not free or touched is None:
                        continue  # a live writer (server mode: another process) holds it, or it finished
                    orphans = touched - self.registry.chunk_ids(source)
                    self.store.delete(sorted(orphans))
                    self.registry.end_write(source)
                notes.append(f"repaired an interrupted write of {source} ({len(orphans)} orphan vectors removed)")
            # Server mode: another process's first document has vectors before its commit.
            if not self.settings.chroma_url and self.registry.chunk_count() == 0 and self.store.count() > 0:
                self.store.reset()  # an interrupted reindex (or a registry deleted by hand)
                notes.append("dropped the vectors of an interrupted rebuild")
            self._clear_leftovers()
        return notes

    def _clear_leftovers(self) -> None:
        """Hidden copies an interrupted `add` left in the corpus: a backup means the replaced
        document was never taken out of the index, so it goes back."""
        if not self.corpus.is_dir():
            return
        if self._staging.is_dir():  # an `add` that crashed: keep what the registry committed
            self._settle({p: p.relative_to(self._staging).as_posix() for p in self._staging.rglob("*") if p.is_file()})
        for leftover in self.corpus.rglob(".*"):
            if not leftover.is_file():
                continue
            if leftover.name.endswith(PARTIAL_SUFFIX):
                leftover.unlink(missing_ok=True)
            elif leftover.name.endswith(BACKUP_SUFFIX):
                target = leftover.with_name(leftover.name[1 : -len(BACKUP_SUFFIX)])
                record = self.registry.document(self._source(target))
                if record is not None and (not target.is_file() or sha256_file(target) != record.sha256):
                    if sha256_file(leftover) == record.sha256:
                        os.replace(leftover, target)
                        continue
                leftover.unlink(missing_ok=True)

    def check(self, *, repair: bool = False) -> list[str]:
        """Compare the registry with the vector store; with ``repair`` make them agree."""
        problems = self.registry.integrity_errors()
        if problems:
            return [f"registry integrity: {p}" for p in problems]
        committed, stored = self.registry.chunk_ids(), self.store.ids()
        orphans, missing = stored - committed, committed - stored
        if self.registry.pending():
            problems.append(f"{len(self.registry.pending())} interrupted writes")
        if orphans:
            problems.append(f"{len(orphans)} vectors belong to no document")
        if missing:
            problems.append(f"{len(missing)} chunks have no vector")
        without_original = self.blobs.missing() if self.blobs else []
        if without_original:
            problems.append(f"{len(without_original)} documents have no stored original (add them again): {', '.join(without_original[:3])}")
        if repair and problems:
            with self.lock:
                self.repair()
                self.store.delete(sorted(orphans))
                broken = {c.source for c in self.registry.chunks(missing)}
                for source in broken:
                    self._remove_source(source)
                if broken:
                    self.sync()
        return problems

    # -- internals -------------------------------------------------------------------------
    def _expand(self, path: Path, report: IngestReport) -> Iterator[tuple[Path, str]]:
        if path.is_dir():
            if not any(p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES for p in path.rglob("*")):
                report.failed.append(IngestError(path.name or str(path), f"a folder with no supported files ({', '.join(SUPPORTED_SUFFIXES)})"))
            for file in sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")):
                if any(part.is_symlink() for part in [file, *file.parents] if part.is_relative_to(path) and part != path):
                    report.failed.append(IngestError(str(file.relative_to(path)), "is a link; links in a folder are not followed (add the file itself)"))
                elif file.suffix.lower() in SUPPORTED_SUFFIXES:
                    rel = file.relative_to(path)
                    yield file, "/".join([safe_name(path.name)] + [safe_name(p) for p in rel.parts])
        elif path.is_file():
            yield path, safe_name(path.name)
        else:
            report.failed.append(IngestError(str(path), "no such file or folder"))

    def _stage(self, file: Path, name: str, targets: list[Path]) -> tuple[Path, Path | None]:
        """Copy ``file`` to ``corpus/.staging/name``. Returns the target in the corpus and the
        staged copy (None for a file already at its place in the corpus)."""
        if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
            raise IngestError(name, f"unsupported file type {Path(name).suffix or '(none)'!r}; supported: {', '.join(SUPPORTED_SUFFIXES)}")
        target = self.corpus / name
        if target in targets:
            raise IngestError(name, f"another file of this batch is also named {name!r}; rename one of them")
        if target.is_dir() and not target.is_symlink():
            raise IngestError(name, "a folder of that name is in the corpus; rename the file or the folder")
        if any(parent.is_file() for parent in target.parents if parent.is_relative_to(self.corpus)):
            raise IngestError(name, "its folder's name is taken by a file in the corpus; rename the folder")
        if os.path.lexists(target) and file.resolve() == target.resolve():
            return target, None
        copy = self._staging / name
        copy.parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.copyfile(file, copy)
        except BaseException as exc:  # a full disk, an unreadable file, Ctrl+C: no partial copy stays
            copy.unlink(missing_ok=True)
            self._prune_staging()
            if isinstance(exc, OSError) and storage.is_disk_full(exc):
                raise IngestError(name, f"cannot be copied into the corpus: {storage.disk_full(self.corpus)}") from None
            raise
        return target, copy

    def _corpus_files(self) -> list[Path]:
        self.corpus.mkdir(parents=True, exist_ok=True)
        return sorted(  # links too (a link to a FIFO is no file), to be refused by name, unread
            p for p in self.corpus.rglob("*")
            if (p.is_file() or p.is_symlink()) and not any(part.startswith(".") for part in p.relative_to(self.corpus).parts)
        )

    def _source(self, file: Path) -> str:
        """The path relative to the corpus, links not followed (a link is refused later, by name)."""
        return Path(os.path.abspath(file)).relative_to(self.corpus).as_posix()

    def _resolve_name(self, name: str) -> str | None:
        known = {d.source for d in self.documents()}
        if name in known:
            return name
        if unicodedata.normalize("NFKC", name) in known:  # "café" typed as e + U+0301, as `add` names it
            return unicodedata.normalize("NFKC", name)
        by_file_name = [s for s in known if s.rsplit("/", 1)[-1] == name]
        return by_file_name[0] if len(by_file_name) == 1 else None

    def _source_lock(self, source: str, *, wait: bool = True):
        """One writer per document across processes (server mode has no global writer lock)."""
        return self.registry.source_lock(source, wait=wait)

    def _remove_source(self, source: str) -> None:
        with self._source_lock(source):
            ids = self.registry.chunk_ids(source)
            record = self.registry.document(source)
            self.registry.begin_write(source, ids)
            self.registry.commit_removal(source)
            self.store.delete(sorted(ids))
            self.registry.end_write(source)
            if self.blobs and record:
                self.blobs.forget({record.sha256})

    def original(self, name: str) -> bytes:
        """A document's original bytes (``name``: its source or file name), on any machine: from
        the shared registry's database when it is PostgreSQL, else from the corpus folder."""
        source = self._resolve_name(name)
        record = self.registry.document(source) if source else None
        if source is None or record is None:
            raise IngestError(name, "no such document in the index (see `assistant list`)")
        data = self.blobs.get(record.sha256) if self.blobs else None
        if data is None:
            try:
                data = (self.corpus / source).read_bytes()
            except OSError as exc:
                raise IngestError(source, f"its original is not stored here ({exc.strerror or exc})") from None
        return data

    def _index_files(
        self, files: list[Path], *, progress: ProgressCallback | None, names: dict[Path, str] | None = None,
        cancel: threading.Event | None = None,
    ) -> IngestReport:
        """Fingerprint every file (cheap), then read the new and changed ones on a thread while
        the encoder embeds the ones read before, committing document by document.

        Bounded: a document that holds the writer longer than ``max_document_seconds`` (reading
        and embedding) is refused, its reading interrupted; ``cancel`` stops the write before the
        next document or encoder batch; a full disk stops it with one message. In each case the
        documents committed before stay, nothing of the others is written (the journal protocol),
        and they are reported as failed with the reason."""
        report = IngestReport()
        self.registry.check_model_name(self.encoder.name)
        todo: list[_ToRead] = []
        hashes: dict[str, str] = {}  # content -> source, for copies within this batch
        for file in files:
            try:
                item = self._fingerprint(file, hashes, (names or {}).get(file))
            except IngestError as exc:
                report.failed.append(exc)
                continue
            except OSError as exc:
                report.failed.append(IngestError((names or {}).get(file) or self._name(file), f"cannot be read ({exc.strerror or exc})"))
                continue
            if item is None:
                report.unchanged.append((names or {}).get(file) or self._source(file))
            else:
                todo.append(item)
        if not todo:
            return report  # nothing to embed: the model is not even loaded
        self.check_model(claim=True)
        splitter = self._get_splitter()
        budget = _Budget(self.settings.max_document_seconds, cancel)
        batch: list[_Prepared] = []
        pending_new = 0
        read = 0
        try:
            for read, (item, future) in enumerate(self._read_ahead(todo, splitter, budget), start=1):
                try:
                    prepared = self._prepared(item, *budget.result(item.source, future))
                except IngestError as exc:
                    report.failed.append(exc)
                    prepared = None
                except _Stopped:
                    raise
                except Exception as exc:  # one unreadable file must not stop the batch
                    report.failed.append(IngestError(item.source, f"could not be processed ({type(exc).__name__}: {exc})"))
                    prepared = None
                if progress:
                    progress("reading", read, len(todo))
                if prepared is None:
                    continue
                batch.append(prepared)
                pending_new += len(prepared.new)
                if pending_new >= self.settings.embed_batch * WRITE_BATCHES:
                    self._write_batch(batch, report, progress, budget)
                    batch, pending_new = [], 0
            self._write_batch(batch, report, progress, budget)
        except _Stopped as stop:
            done = {*report.added, *report.updated, *(e.file for e in report.failed)}
            report.failed += [IngestError(i.source, stop.message) for i in todo if i.source not in done]
        return report

    def _name(self, file: Path) -> str:
        try:
            return self._source(file)
        except ValueError:
            return str(file)

    def _fingerprint(self, file: Path, hashes: dict[str, str], name: str | None = None) -> _ToRead | None:
        """None when the index already holds this content under this name (``name``: the
        corpus name of a staged copy)."""
        source = name or self._source(file)
        if not file.resolve().is_relative_to(self.corpus):
            raise IngestError(source, "the file lies outside the corpus folder (a link?)")
        if file.suffix.lower() not in SUPPORTED_SUFFIXES:
            raise IngestError(
                source, f"unsupported file type {file.suffix or '(none)'!r}; supported: {', '.join(SUPPORTED_SUFFIXES)}"
            )
        if not file.is_file():
            raise IngestError(source, "no such file")
        sha = sha256_file(file)
        existing = self.registry.document(source)
        if existing and existing.sha256 == sha and existing.chunker == CHUNKER_VERSION:
            return None  # (an older chunker's document is read again: its chunks lack structure)
        twins = [s for s in self.registry.find_by_hash(sha) if s != source]
        if twins:
            raise IngestError(source, f"same content as {twins[0]!r}, which is already indexed; not indexed twice")
        if sha in hashes:
            raise IngestError(source, f"same content as {hashes[sha]!r} in this batch; not indexed twice")
        hashes[sha] = source
        return _ToRead(file=file, source=source, sha256=sha, size=file.stat().st_size, existing=existing)

    def _read(self, item: _ToRead, splitter, budget: "_Budget") -> tuple[list[Page], list[Chunk]]:
        """Parse and chunk one file (runs on the read-ahead thread; touches no shared state, so
        the budget may interrupt it anywhere)."""
        with budget.reading(item.source):
            pages = load(
                item.file, source=item.source, max_bytes=int(self.settings.max_file_mb * 2**20),
                max_pdf_pages=self.settings.max_pdf_pages, max_page_chars=self.settings.max_page_chars,
                max_document_chars=self.settings.max_document_chars,
            )
            return pages, chunk_pages(pages, splitter)

    def _read_ahead(self, todo: list[_ToRead], splitter, budget: "_Budget") -> Iterator[tuple[_ToRead, Future]]:
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="assistant-read")
        try:
            queued: deque[tuple[_ToRead, Future]] = deque()
            items = iter(todo)
            for item in items:
                queued.append((item, pool.submit(self._read, item, splitter, budget)))
                if len(queued) > READ_AHEAD:
                    yield queued.popleft()
            while queued:
                yield queued.popleft()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _prepared(self, item: _ToRead, pages: list[Page], chunks: list[Chunk]) -> _Prepared:
        old_ids = self.registry.chunk_ids(item.source)
        new_ids = {c.chunk_id for c in chunks}
        return _Prepared(
            source=item.source,
            sha256=item.sha256,
            size=item.size,
            pages=max((p.page or 1) for p in pages),  # blank pages carry no text but still count
            chunks=chunks,
            new=[c for c in chunks if c.chunk_id not in old_ids],
            stale=old_ids - new_ids,
            existed=item.existing is not None,
            file=item.file,
        )

    def _get_splitter(self):
        if self._splitter is None:
            self._splitter = make_splitter(
                fast_token_counter(self.encoder), chunk_tokens=self.settings.chunk_tokens, overlap=self.settings.chunk_overlap
            )
        return self._splitter

    def _write_batch(
        self, batch: list[_Prepared], report: IngestReport, progress: ProgressCallback | None, budget: "_Budget"
    ) -> None:
        if not batch:
            return
        texts = [c.text for doc in batch for c in doc.new]
        owner = [n for n, doc in enumerate(batch) for _ in doc.new]
        # Longest first, as the encoder does within one call, so each batch pads to similar lengths.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        vectors: list = [None] * len(texts)
        step = self.settings.embed_batch
        expired: set[int] = set()  # documents over their time budget: dropped, reported
        for i in range(0, len(order), step):
            budget.check_cancel()
            expired |= {n for n, doc in enumerate(batch) if budget.expired(doc.source)}
            part = [j for j in order[i : i + step] if owner[j] not in expired]
            if part:
                with COMPUTE_LOCK:
                    encoded = self.encoder.encode([texts[j] for j in part])
                for j, vector in zip(part, encoded):
                    vectors[j] = vector
            if progress:
                progress("embedding", min(i + step, len(texts)), len(texts))
        report.failed += [budget.too_slow(batch[n].source) for n in sorted(expired)]
        offset, embedded = 0, []
        for n, doc in enumerate(batch):
            if n not in expired:
                embedded.append((doc, vectors[offset : offset + len(doc.new)]))
            offset += len(doc.new)
        batch = [doc for doc, _ in embedded]
        try:
            self._commit(embedded)
        except Exception as exc:
            typed = storage.storage_error(exc, self.settings.index)
            if not isinstance(typed, DiskFull):
                raise
            try:  # drop the vectors written before the disk filled up (the next write would)
                self.repair()
            except Exception:
                pass  # still full: the journal names them, and the next write or `check --repair` drops them
            raise _Stopped(str(typed)) from None
        for doc in batch:
            report.embedded += len(doc.new)
            (report.updated if doc.existed else report.added).append(doc.source)

    def _commit(self, embedded: list[tuple[_Prepared, list]]) -> None:
        """Commit a batch of documents under their locks (taken in name order, so two writers
        never wait on each other in a cycle)."""
        with ExitStack() as locks:
            for doc, _ in sorted(embedded, key=lambda pair: pair[0].source):
                locks.enter_context(self._source_lock(doc.source))
            self._commit_locked([self._rebase(doc, vectors) for doc, vectors in embedded])

    def _rebase(self, doc: _Prepared, vectors) -> tuple[_Prepared, list]:
        """Under the document's lock: if another process committed this document since it was
        prepared, recompute which vectors are new and which are stale against what is committed
        now (embedding any chunk whose vector that process deleted), so nothing is lost or left."""
        committed = self.registry.chunk_ids(doc.source)
        new_ids = {c.chunk_id for c in doc.chunks}
        if committed == (new_ids - {c.chunk_id for c in doc.new}) | doc.stale:
            return doc, list(vectors)  # unchanged since prepared: the usual case
        have = {c.chunk_id: v for c, v in zip(doc.new, vectors)}
        new = [c for c in doc.chunks if c.chunk_id not in committed]
        missing = [c for c in new if c.chunk_id not in have]
        if missing:
            with COMPUTE_LOCK:
                have.update(zip([c.chunk_id for c in missing], self.encoder.encode([c.text for c in missing])))
        return replace(doc, new=new, stale=committed - new_ids), [have[c.chunk_id] for c in new]

    def _commit_locked(self, embedded: list[tuple[_Prepared, list]]) -> None:
        """Journal -> new vectors -> registry commit -> stale vectors deleted -> journal cleared,
        each step once for the whole batch: Chroma's per-call cost (~0.1 s an upsert, whatever
        its size) dominated ingest when it ran per document (docs/BENCHMARKS.md, "Scale").
        A crash between two steps leaves only vectors the journal names; `repair` deletes them."""
        docs = [doc for doc, _ in embedded]
        self.registry.begin_writes({doc.source: {c.chunk_id for c in doc.new} | doc.stale for doc in docs})
        new = [(chunk, vector) for doc, vectors in embedded for chunk, vector in zip(doc.new, vectors)]
        if new:
            self.store.add([chunk for chunk, _ in new], [vector for _, vector in new])
        stamp = now()
        records, replaced = [], set()
        for doc in docs:
            previous = self.registry.document(doc.source)
            if self.blobs and doc.file is not None:  # before the commit: a committed document has its bytes
                self.blobs.put(doc.sha256, doc.file, self.origin)
                if previous and previous.sha256 != doc.sha256:
                    replaced.add(previous.sha256)
            record = DocumentRecord(
                source=doc.source,
                sha256=doc.sha256,
                title=doc.chunks[0].title if doc.chunks else doc.source,
                pages=doc.pages,
                chunks=len(doc.chunks),
                bytes=doc.size,
                added=previous.added if previous else stamp,
                updated=stamp,
                chunker=CHUNKER_VERSION,
            )
            records.append((record, doc.chunks))
        self.registry.commit_documents(records)
        stale = sorted(set().union(*(doc.stale for doc in docs)))
        if stale:
            self.store.delete(stale)
        self.registry.end_writes([doc.source for doc in docs])
        if self.blobs and replaced:
            self.blobs.forget(replaced)


class _Interrupted(Exception):
    """Raised inside the read-ahead thread to stop reading a document (cancel, or over its time)."""


class _Stopped(Exception):
    """The whole write stops (cancelled, disk full); ``message`` is what each unwritten file is told."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _Budget:
    """What bounds one write: the time each document may hold the writer (from the moment its
    reading starts to its commit), and the user's cancel. Both are checked while a document is
    read (every POLL_S; its reading is then interrupted) and before each encoder batch."""

    POLL_S = 0.1
    INTERRUPT_WAIT_S = 10.0  # for the read thread to stop, after which the write goes on without it

    def __init__(self, seconds: float, cancel: threading.Event | None) -> None:
        self.seconds = seconds
        self.cancel = cancel
        self.started: dict[str, float] = {}
        self._reading: dict[int, str] = {}  # read thread -> the document it reads
        self._lock = threading.Lock()

    @contextmanager
    def reading(self, source: str) -> Iterator[None]:
        with self._lock:
            self.started[source] = time.monotonic()
            self._reading[threading.get_ident()] = source
        try:
            yield
        finally:
            with self._lock:
                self._reading.pop(threading.get_ident(), None)

    def check_cancel(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise _Stopped("not written: the write was cancelled before this document was committed; add it again")

    def expired(self, source: str) -> bool:
        started = self.started.get(source)
        return bool(self.seconds) and started is not None and time.monotonic() - started > self.seconds

    def too_slow(self, source: str) -> IngestError:
        return IngestError(
            source, f"not indexed: it held the index for over {self.seconds:g} s (reading and embedding), the most "
            "one document may (ASSISTANT_MAX_DOCUMENT_SECONDS); split it into smaller files or raise the limit",
        )

    def result(self, source: str, future: Future):
        """The read's result, waiting no longer than the document's budget or a cancel."""
        self.check_cancel()
        while True:
            try:
                return future.result(timeout=self.POLL_S)
            except FutureTimeout:
                pass
            cancelled = self.cancel is not None and self.cancel.is_set()
            if cancelled or self.expired(source):
                self._interrupt(source)
                wait([future], timeout=self.INTERRUPT_WAIT_S)
                self.check_cancel()
                raise self.too_slow(source)

    def _interrupt(self, source: str) -> None:
        """Raise ``_Interrupted`` in the thread reading ``source`` (pypdf and the splitter are
        Python: it lands within a few bytecodes), only while that thread is still inside its read."""
        with self._lock:
            for ident, reading in self._reading.items():
                if reading == source:
                    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(_Interrupted))


def terminal_progress(quiet: bool = False) -> ProgressCallback | None:
    """A tqdm bar per stage on stderr; None when quiet or not on a terminal."""
    if quiet or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    bars: dict[str, tqdm] = {}

    def update(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None or bar.total != total:
            if bar is not None:
                bar.close()
            bar = bars[stage] = tqdm(total=total, desc=stage, unit="chunk" if stage == "embedding" else "file", file=sys.stderr, leave=False)
        bar.update(done - bar.n)

    return update

