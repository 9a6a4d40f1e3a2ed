"""Files -> chunks -> vectors + registry rows, document by document, crash-safely.

``DocumentWriter.write`` fingerprints every file (cheap), reads the new and changed ones on a
thread while the encoder embeds the ones read before, and commits them in batches under the
registry's journal protocol: journal -> new vectors -> registry commit -> stale vectors deleted ->
journal cleared. A crash between two steps leaves only vectors the journal names, which
``Library.repair`` deletes; a document is either wholly in the index or not at all.
"""

from __future__ import annotations

import contextvars
import logging
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path

from .. import storage
from ..config import Settings
from ..encoder.encoder import COMPUTE_LOCK, SENTENCE_BATCH, Encoder
from ..errors import DiskFull, IngestError
from ..store.blobs import BlobStore
from ..store.index import Index
from ..store.registry import DocumentRecord, now
from ..store.sentence_vectors import sentence_texts
from ..types import Chunk, Page
from .budget import Stopped, WriteBudget
from .chunking import CHUNKER_VERSION, chunk_pages, fast_token_counter, make_splitter
from .corpus import CorpusFolder, sha256_file
from .loaders import check_supported, load
from .report import IngestReport, ProgressCallback

log = logging.getLogger(__name__)

# Files read (parsed and chunked) ahead of the encoder, on a thread: PDF parsing overlaps with
# embedding instead of adding to it (bench/ingest.py --read-ahead compares).
READ_AHEAD = 2
# Chunks are embedded and committed in groups of this many encoder batches. A group is sorted by
# length before it is cut into batches, so that each batch pads to similar lengths (unsorted
# batches cost 25-40% more encoder time than one sorted call here; sorted groups of 4 batches
# 3-5%), and a larger group pads less. A kill -9 loses at most one group's embedding work.
WRITE_BATCHES = 8
# Room a commit needs on the index disk (embedded Chroma), checked before it writes anything:
# the library index holds ~21 KB of Chroma per chunk (12.3 MB for 593 chunks: vector, text,
# metadata, full-text and HNSW entries), plus room for SQLite's journal. Refusing early matters
# because Chroma that runs out of disk itself cannot be written again in the same process.
ROOM_PER_CHUNK = 32 * 1024
# ... and ~7 sentence vectors of 1.5 KB a chunk (sentences.sqlite3, written through its WAL) when
# the sentences are encoded too: 15.8 KB a chunk measured on the seed article before a checkpoint.
ROOM_PER_CHUNK_SENTENCES = 16 * 1024
ROOM_MARGIN = 1024 * 1024
# Sentences are encoded (at ingest, ``_sentence_rows``) in slices of this many chunk batches'
# worth, the cancel checked between two: short texts, so a slice takes about as long as a batch.
SENTENCE_SLICE = 4
# Chunks whose sentences ``backfill_sentences`` encodes and keeps at a time (~7 sentences each).
BACKFILL_CHUNKS = 512


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


class DocumentWriter:
    """Writes documents into ``index`` (its registry and vector store), their originals into
    ``blobs`` when the registry is shared."""

    def __init__(
        self, settings: Settings, index: Index, encoder: Encoder, corpus: CorpusFolder, *,
        blobs: BlobStore | None, origin: str,
    ) -> None:
        self.settings = settings
        self.registry, self.store = index.registry, index.store
        self.index = index
        self.encoder = encoder
        self.corpus = corpus
        self.blobs = blobs
        self.origin = origin
        self._splitter = None
        # Set when embedded Chroma itself ran out of disk in this process: its client may then
        # wait forever on its own SQLite lock at the next write, so none is tried (Library says why).
        self.vectors_stalled = False

    def write(
        self, files: list[Path], *, progress: ProgressCallback | None, names: dict[Path, str] | None = None,
        cancel: threading.Event | None = None,
    ) -> IngestReport:
        """Index ``files`` (``names``: the corpus names of staged copies).

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
                report.failed.append(IngestError((names or {}).get(file) or self.corpus.name(file), f"cannot be read ({exc.strerror or exc})"))
                continue
            if item is None:
                report.unchanged.append((names or {}).get(file) or self.corpus.source(file))
            else:
                todo.append(item)
        if not todo:
            return report  # nothing to embed: the model is not even loaded
        self.index.check_model(self.encoder, claim=True)
        splitter = self.splitter()
        budget = WriteBudget(self.settings.max_document_seconds, cancel)
        batch: list[_Prepared] = []
        pending_new = 0
        read = 0
        try:
            for read, (item, future) in enumerate(self._read_ahead(todo, splitter, budget, progress), start=1):
                try:
                    prepared = self._prepared(item, *budget.result(item.source, future))
                except IngestError as exc:
                    report.failed.append(exc)
                    prepared = None
                except Stopped:
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
        except Stopped as stop:
            done = {*report.added, *report.updated, *(e.file for e in report.failed)}
            report.failed += [IngestError(i.source, stop.message) for i in todo if i.source not in done]
        return report

    def remove(self, source: str) -> None:
        """Take one document out of the index, journalled like a write."""
        with self.registry.source_lock(source):
            ids = self.registry.chunk_ids(source)
            record = self.registry.document(source)
            self.registry.begin_write(source, ids)
            self.registry.commit_removal(source)
            self.store.delete(sorted(ids))
            self.registry.end_write(source)
            if self.index.sentences is not None:
                self.index.sentences.forget(ids)
            if self.blobs and record:
                self.blobs.forget({record.sha256})

    # -- reading -----------------------------------------------------------------------------
    def _fingerprint(self, file: Path, hashes: dict[str, str], name: str | None = None) -> _ToRead | None:
        """None when the index already holds this content under this name (``name``: the
        corpus name of a staged copy)."""
        source = name or self.corpus.source(file)
        if not file.resolve().is_relative_to(self.corpus.folder):
            raise IngestError(source, "the file lies outside the corpus folder (a link?)")
        check_supported(file, source)
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

    def _read(self, item: _ToRead, splitter, budget: WriteBudget, progress: ProgressCallback | None) -> tuple[list[Page], list[Chunk]]:
        """Parse and chunk one file (runs on the read-ahead thread, one file at a time; touches no
        shared state, so the budget may interrupt it anywhere). Its pages are reported as stage
        "page" (a PDF's only)."""
        on_page = (lambda done, total: progress("page", done, total)) if progress else None
        with budget.reading(item.source):
            pages = load(
                item.file, source=item.source, max_bytes=int(self.settings.max_file_mb * 2**20),
                max_pdf_pages=self.settings.max_pdf_pages, max_page_chars=self.settings.max_page_chars,
                max_document_chars=self.settings.max_document_chars, on_page=on_page,
            )
            return pages, chunk_pages(pages, splitter)

    def _read_ahead(
        self, todo: list[_ToRead], splitter, budget: WriteBudget, progress: ProgressCallback | None
    ) -> Iterator[tuple[_ToRead, Future]]:
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="assistant-read")
        try:
            queued: deque[tuple[_ToRead, Future]] = deque()
            items = iter(todo)
            for item in items:
                # In the caller's context (as asyncio.to_thread does): a face's progress callback
                # may rely on context variables (Gradio finds the request's progress bar so).
                queued.append((item, pool.submit(contextvars.copy_context().run, self._read, item, splitter, budget, progress)))
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

    def splitter(self):
        """The chunker, measuring in the encoder's word pieces (made once)."""
        if self._splitter is None:
            self._splitter = make_splitter(
                fast_token_counter(self.encoder), chunk_tokens=self.settings.chunk_tokens, overlap=self.settings.chunk_overlap
            )
        return self._splitter

    # -- embedding and committing ------------------------------------------------------------
    def _write_batch(
        self, batch: list[_Prepared], report: IngestReport, progress: ProgressCallback | None, budget: WriteBudget
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
        sentences = self._sentence_rows([c for doc in batch for c in doc.new], budget)
        try:
            self._commit(embedded, sentences)
        except DiskFull as exc:  # refused before writing: not enough room (``_commit_locked``)
            raise Stopped(str(exc)) from None
        except Exception as exc:
            typed = storage.storage_error(exc, self.settings.index)
            if typed is None and storage.nearly_full(self.settings.index):
                typed = storage.disk_full(self.settings.index)  # Chroma's compaction names no disk
            if not isinstance(typed, DiskFull):
                raise
            # The vectors written before the disk filled up stay named in the journal; the next
            # write (or `check --repair`) drops them, in a new process if Chroma's ran out.
            self.vectors_stalled = not self.settings.chroma_url
            raise Stopped(str(typed)) from None
        for doc in batch:
            report.embedded += len(doc.new)
            (report.updated if doc.existed else report.added).append(doc.source)

    def _sentence_rows(self, chunks: list[Chunk], budget: WriteBudget) -> list[tuple[str, str, object]]:
        """(chunk id, text, vector) for the texts the answerer reads from ``chunks``
        (``sentence_vectors.sentence_texts``), each distinct text encoded once; none when the
        setting is off. A cancel (or a document over its time) stops the encoding, not the
        write: the vectors are a cache, and the documents whose chunks are embedded are committed
        without the rest of them."""
        if self.index.sentences is None:
            return []
        pairs = [(chunk.chunk_id, text) for chunk in chunks for text in sentence_texts(chunk)]
        unique = list(dict.fromkeys(text for _, text in pairs))
        vectors = {}
        step = self.settings.embed_batch * SENTENCE_SLICE
        sources = {chunk.source for chunk in chunks}
        for i in range(0, len(unique), step):
            if budget.cancelled() or any(budget.expired(source) for source in sources):
                break
            with COMPUTE_LOCK:
                vectors.update(zip(unique[i : i + step], self.encoder.encode(unique[i : i + step], batch_size=SENTENCE_BATCH)))
        return [(chunk_id, text, vectors[text]) for chunk_id, text in pairs if text in vectors]

    def backfill_sentences(self, cancel: threading.Event | None = None) -> int:
        """Encode the sentences of committed chunks that have none stored (an index built before
        sentence vectors were, or a write whose sentence encoding was cancelled), in groups of
        ``BACKFILL_CHUNKS``, until done or cancelled; the number of chunks given vectors."""
        sentences = self.index.sentences
        if sentences is None:
            return 0
        missing = sorted(self.registry.chunk_ids() - sentences.chunk_ids())
        budget = WriteBudget(0, cancel)
        done = 0
        for start in range(0, len(missing), BACKFILL_CHUNKS):
            if budget.cancelled():
                break
            rows = self._sentence_rows(self.registry.chunks(missing[start : start + BACKFILL_CHUNKS]), budget)
            sentences.put(rows)
            done += len({chunk_id for chunk_id, _, _ in rows})
        if done:
            log.info("encoded the sentences of %d chunks indexed without them", done)
        return done

    def _commit(self, embedded: list[tuple[_Prepared, list]], sentences: list[tuple[str, str, object]]) -> None:
        """Commit a batch of documents under their locks (taken in name order, so two writers
        never wait on each other in a cycle)."""
        with ExitStack() as locks:
            for doc, _ in sorted(embedded, key=lambda pair: pair[0].source):
                locks.enter_context(self.registry.source_lock(doc.source))
            self._commit_locked([self._rebase(doc, vectors) for doc, vectors in embedded], sentences)

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

    def _commit_locked(self, embedded: list[tuple[_Prepared, list]], sentences: list[tuple[str, str, object]]) -> None:
        """Journal -> new vectors -> registry commit -> stale vectors deleted -> journal cleared,
        each step once for the whole batch: Chroma's per-call cost (~0.1 s an upsert, whatever
        its size) dominated ingest when it ran per document (docs/BENCHMARKS.md, "Scale").
        A crash between two steps leaves only vectors the journal names; `repair` deletes them."""
        docs = [doc for doc, _ in embedded]
        if not self.settings.chroma_url:
            per_chunk = ROOM_PER_CHUNK + (ROOM_PER_CHUNK_SENTENCES if self.index.sentences is not None else 0)
            storage.ensure_room(self.settings.index, ROOM_MARGIN + per_chunk * sum(len(doc.new) for doc, _ in embedded))
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
        if self.index.sentences is not None:  # a cache, kept after the commit (store/sentence_vectors.py)
            self.index.sentences.put(sentences)
            self.index.sentences.forget(stale)
        if self.blobs and replaced:
            self.blobs.forget(replaced)
