"""Files in the corpus folder -> chunks -> vectors + registry, incrementally and crash-safely.

``Library`` is the one object both faces (CLI and web app) use to change the index. Every write
holds the writer lock (embedded Chroma; in server mode, the document's own lock, so several
processes write different documents at once: docs/SCALING.md) and follows the registry's journal
protocol, so a document is either wholly in the index or not at all, whatever moment the process dies.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from contextlib import nullcontext
from pathlib import Path

from .. import storage
from ..config import Settings
from ..encoder.encoder import Encoder
from ..errors import DiskFull, IngestError, UsageError
from ..storage import is_writable
from ..store.blobs import BlobStore, folder_origin
from ..store.index import REGISTRY_FILE, Index
from ..store.registry import DocumentRecord, Registry, WriterLock
from ..store.vectors import VectorStore, open_store
from .corpus import CorpusFolder
from .report import IngestReport, ProgressCallback
from .writer import ROOM_MARGIN, DocumentWriter


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
        # Server mode: several processes add at once, each stages apart.
        self.corpus_folder = CorpusFolder(self.corpus, self.registry, per_process_staging=bool(settings.chroma_url))
        self.writer = DocumentWriter(
            settings, self.index, self.encoder, self.corpus_folder, blobs=self.blobs, origin=self.origin
        )

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
        Setting ``cancel`` stops the write before the next document or batch (see ``DocumentWriter.write``).
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
                    for file, name in self.corpus_folder.expand(Path(path), report):
                        try:
                            target, copy = self.corpus_folder.stage(file, name, targets)
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
                report.merge(self.writer.write(files, progress=progress, names=staged, cancel=cancel))
            finally:
                self.corpus_folder.settle(staged)
            return report

    def _check_writable(self) -> None:
        if self.read_only:
            raise storage.read_only(self.settings.index)
        if self.writer.vectors_stalled:
            raise DiskFull(
                f"the vector index in {self.settings.index} ran out of disk during an earlier write in this "
                "process: free some space there, then restart the assistant (nothing was half-written; "
                "the restart finishes the interrupted write)"
            )

    def sync(self, *, progress: ProgressCallback | None = None, cancel: threading.Event | None = None) -> IngestReport:
        """Bring the index in line with the corpus folder: new, changed and deleted files."""
        self._check_writable()
        with self.lock:
            self.repair()
            files = self.corpus_folder.files()
            report = IngestReport()
            present = {self.corpus_folder.source(f) for f in files}
            # A shared registry: only what came from this folder is this folder's to remove.
            origins = self.blobs.origins() if self.blobs else {}
            for record in self.documents():
                if record.source not in present and origins.get(record.sha256, self.origin) == self.origin:
                    self.writer.remove(record.source)
                    report.removed.append(record.source)
            report = report.merge(self.writer.write(files, progress=progress, cancel=cancel))
            self.writer.backfill_sentences(cancel)  # an index built before sentence vectors gets them once
            return report

    def remove(self, names: Iterable[str]) -> IngestReport:
        report = IngestReport()
        self._check_writable()
        with self.lock:
            self.repair()
            for name in names:
                source = self.corpus_folder.resolve_name(name, {d.source for d in self.documents()})
                if source is None:
                    report.failed.append(IngestError(name, "no such document in the corpus (see `assistant list`)"))
                    continue
                self.writer.remove(source)
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
            if self.index.sentences is not None:
                self.index.sentences.reset()
            return self.sync(progress=progress, cancel=cancel)

    def repair(self) -> list[str]:
        """Finish what a crashed writer left: drop vectors that no committed chunk owns."""
        notes = []
        self._check_writable()
        with self.lock:
            pending = self.registry.pending()
            if pending and not self.settings.chroma_url:
                storage.ensure_room(self.settings.index, ROOM_MARGIN)  # a delete writes too
            for source in pending:
                with self.registry.source_lock(source, wait=False) as free:
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
            self.corpus_folder.clear_leftovers()
        return notes

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
                    self.writer.remove(source)
                if broken:
                    self.sync()
        return problems

    # -- originals ---------------------------------------------------------------------------
    def original(self, name: str) -> bytes:
        """A document's original bytes (``name``: its source or file name), on any machine: from
        the shared registry's database when it is PostgreSQL, else from the corpus folder."""
        source = self.corpus_folder.resolve_name(name, {d.source for d in self.documents()})
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
