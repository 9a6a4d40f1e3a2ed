"""The document registry: SQLite beside the vectors, and the record of what is committed.

It holds each document's content hash and chunks (with their text, which also feeds BM25), the
embedding model that built the index, and a ``pending`` journal of vector writes in flight. A
chunk counts as indexed only once its row is committed here, so a crash between the vector write
and the registry commit leaves vectors nobody reads, which ``repair`` deletes.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .errors import IndexBusy, IndexCorrupt, ModelMismatch
from .types import Chunk

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    source TEXT PRIMARY KEY, sha256 TEXT NOT NULL, title TEXT NOT NULL, pages INTEGER NOT NULL,
    chunks INTEGER NOT NULL, bytes INTEGER NOT NULL, added TEXT NOT NULL, updated TEXT NOT NULL,
    chunker INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY, source TEXT NOT NULL REFERENCES documents(source) ON DELETE CASCADE,
    chunk_index INTEGER NOT NULL, page INTEGER, start INTEGER NOT NULL, end INTEGER NOT NULL,
    title TEXT NOT NULL, text TEXT NOT NULL, section TEXT NOT NULL DEFAULT '', kind TEXT NOT NULL DEFAULT 'text'
);
CREATE INDEX IF NOT EXISTS chunks_by_source ON chunks(source, chunk_index);
CREATE TABLE IF NOT EXISTS pending (source TEXT PRIMARY KEY, chunk_ids TEXT NOT NULL, started TEXT NOT NULL);
"""
# Columns added since the first schema, with their definitions: a registry made before them gets
# them on open. Its documents then carry chunker 0, older than any CHUNKER_VERSION, so the next
# `assistant sync` reads and chunks them again (their chunks meanwhile have no section, kind "text").
ADDED_COLUMNS = {
    "documents": {"chunker": "INTEGER NOT NULL DEFAULT 0"},
    "chunks": {"section": "TEXT NOT NULL DEFAULT ''", "kind": "TEXT NOT NULL DEFAULT 'text'"},
}


@dataclass(frozen=True)
class DocumentRecord:
    source: str
    sha256: str
    title: str
    pages: int
    chunks: int
    bytes: int
    added: str
    updated: str
    chunker: int = 0  # the CHUNKER_VERSION that chunked it (0: before versions were recorded)


_DOCUMENT_COLUMNS = "source, sha256, title, pages, chunks, bytes, added, updated, chunker"


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Registry:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(SCHEMA)
            self._add_columns()
        except sqlite3.DatabaseError as exc:
            raise IndexCorrupt(
                f"the registry {path} cannot be read ({exc}); run `assistant reindex` to rebuild it"
            ) from None

    def close(self) -> None:
        self.db.close()

    def _add_columns(self) -> None:
        """Migrate a registry made before ``ADDED_COLUMNS`` (in place; old readers ignore them)."""
        for table, columns in ADDED_COLUMNS.items():
            have = {row[1] for row in self.db.execute(f"PRAGMA table_info({table})")}
            missing = [(name, definition) for name, definition in columns.items() if name not in have]
            if missing:
                with self.transaction() as db:
                    have = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}  # another process may have won
                    for name, definition in missing:
                        if name not in have:
                            db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {definition}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute(
            "INSERT INTO meta VALUES ('generation', '1') ON CONFLICT(key) DO UPDATE SET value = value + 1"
        )
        self.db.execute("COMMIT")

    # -- model fingerprint -------------------------------------------------------------------
    def check_model(self, name: str, dimension: int, *, claim: bool) -> None:
        """Refuse an index built by another model; record the model on the first write."""
        row = dict(self.db.execute("SELECT key, value FROM meta WHERE key IN ('model', 'dimension')").fetchall())
        if not row:
            if not claim:
                return
            # Race-free claim: the first writer's INSERT wins inside BEGIN IMMEDIATE; every other
            # process (server mode: several writers) re-reads the winner and is checked against it.
            with self.transaction() as db:
                db.execute("INSERT OR IGNORE INTO meta VALUES ('model', ?), ('dimension', ?)", (name, str(dimension)))
                row = dict(db.execute("SELECT key, value FROM meta WHERE key IN ('model', 'dimension')").fetchall())
        if row.get("model") != name or int(row.get("dimension", 0)) != dimension:
            raise _mismatch(row.get("model"), row.get("dimension"), name, f" ({dimension})")

    def check_model_name(self, name: str) -> None:
        """The cheap half of ``check_model``: needs no loaded model, so a sync that has nothing
        to embed never loads one, yet still refuses an index built by another model."""
        recorded = self.model()
        if recorded is not None and recorded[0] != name:
            raise _mismatch(recorded[0], recorded[1], name, "")

    def model(self) -> tuple[str, int] | None:
        row = dict(self.db.execute("SELECT key, value FROM meta WHERE key IN ('model', 'dimension')").fetchall())
        return (row["model"], int(row["dimension"])) if "model" in row else None

    def generation(self) -> int:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return int(row[0]) if row else 0

    # -- documents ---------------------------------------------------------------------------
    def documents(self) -> list[DocumentRecord]:
        rows = self.db.execute(f"SELECT {_DOCUMENT_COLUMNS} FROM documents ORDER BY source").fetchall()
        return [DocumentRecord(*row) for row in rows]

    def document(self, source: str) -> DocumentRecord | None:
        row = self.db.execute(f"SELECT {_DOCUMENT_COLUMNS} FROM documents WHERE source = ?", (source,)).fetchone()
        return DocumentRecord(*row) if row else None

    def find_by_hash(self, sha256: str) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT source FROM documents WHERE sha256 = ?", (sha256,))]

    def chunk_ids(self, source: str | None = None) -> set[str]:
        if source is None:
            return {r[0] for r in self.db.execute("SELECT chunk_id FROM chunks")}
        return {r[0] for r in self.db.execute("SELECT chunk_id FROM chunks WHERE source = ?", (source,))}

    def chunk_count(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])

    def chunks(self, ids: Iterable[str] | None = None) -> list[Chunk]:
        columns = "chunk_id, text, source, title, page, chunk_index, start, end, section, kind"
        if ids is None:
            rows = self.db.execute(f"SELECT {columns} FROM chunks ORDER BY source, chunk_index").fetchall()
        else:
            wanted = list(ids)
            rows = []
            for i in range(0, len(wanted), 900):  # SQLite's bound-parameter limit
                part = wanted[i : i + 900]
                marks = ",".join("?" * len(part))
                rows += self.db.execute(f"SELECT {columns} FROM chunks WHERE chunk_id IN ({marks})", part).fetchall()
        return [Chunk(*row) for row in rows]

    # -- the write protocol: begin (journal) -> vectors -> commit -> vectors cleaned -> end ----
    def begin_write(self, source: str, touched_ids: Iterable[str]) -> None:
        self.begin_writes({source: touched_ids})

    def begin_writes(self, touched: Mapping[str, Iterable[str]]) -> None:
        """Journal the chunk ids each source's write may add or delete (one transaction)."""
        with self.transaction() as db:
            stamp = now()
            db.executemany(
                "INSERT OR REPLACE INTO pending VALUES (?, ?, ?)",
                [(source, json.dumps(sorted(ids)), stamp) for source, ids in touched.items()],
            )

    def commit_document(self, record: DocumentRecord, chunks: list[Chunk]) -> None:
        self.commit_documents([(record, chunks)])

    def commit_documents(self, documents: Sequence[tuple[DocumentRecord, list[Chunk]]]) -> None:
        """Replace each document's record and chunks, all in one transaction."""
        with self.transaction() as db:
            for record, chunks in documents:
                db.execute("DELETE FROM chunks WHERE source = ?", (record.source,))
                db.execute(
                    "INSERT OR REPLACE INTO documents (source, sha256, title, pages, chunks, bytes, added, updated, chunker)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    _row(record),
                )
                db.executemany(
                    "INSERT INTO chunks (chunk_id, source, chunk_index, page, start, end, title, text, section, kind)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (c.chunk_id, c.source, c.chunk_index, c.page, c.start, c.end, c.title, c.text, c.section, c.kind)
                        for c in chunks
                    ],
                )

    def commit_removal(self, source: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM chunks WHERE source = ?", (source,))
            db.execute("DELETE FROM documents WHERE source = ?", (source,))

    def end_write(self, source: str) -> None:
        self.end_writes([source])

    def end_writes(self, sources: Iterable[str]) -> None:
        with self.transaction() as db:
            db.executemany("DELETE FROM pending WHERE source = ?", [(s,) for s in sources])

    def pending(self) -> dict[str, set[str]]:
        return {s: set(json.loads(ids)) for s, ids in self.db.execute("SELECT source, chunk_ids FROM pending")}

    def reset(self) -> None:
        with self.transaction() as db:
            for table in ("chunks", "documents", "pending", "meta"):
                db.execute(f"DELETE FROM {table}")

    def integrity_errors(self) -> list[str]:
        rows = [r[0] for r in self.db.execute("PRAGMA integrity_check")]
        return [] if rows == ["ok"] else rows


def _mismatch(built: object, dimension: object, name: str, detail: str) -> ModelMismatch:
    return ModelMismatch(
        f"the index was built with the embedding model {built} ({dimension} dimensions), "
        f"not {name}{detail}; run `assistant reindex` to rebuild it with {name}"
    )


def _row(record: DocumentRecord) -> tuple:
    return (
        record.source, record.sha256, record.title, record.pages, record.chunks, record.bytes, record.added, record.updated,
        record.chunker,
    )


@contextmanager
def source_lock(folder: Path, source: str, *, wait: bool = True) -> Iterator[bool]:
    """An exclusive flock on ``folder/<sha256 of source>.lock``: one writer per document across
    the processes of this machine (server mode has no global writer lock, so different documents
    are written in parallel). Yields whether the lock is held (always True when ``wait``). The
    kernel releases it when the holder dies; lock files are never deleted (that would race)."""
    folder.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha256(source.encode("utf-8")).hexdigest()[:32] + ".lock"
    fd = os.open(folder / name, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            held = True
        except BlockingIOError:
            held = False
        yield held
    finally:
        os.close(fd)  # closing the descriptor releases the flock


class WriterLock:
    """An exclusive, non-blocking file lock: one writing process per embedded index.

    The kernel releases it when the holder dies (even on kill -9), so a crash never leaves the
    index locked. Threads of the holding process queue on an in-process lock instead of failing.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._depth = 0
        self._threads = threading.RLock()

    def __enter__(self) -> "WriterLock":
        self._threads.acquire()
        if self._depth == 0:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                self._threads.release()
                holder = self._holder()
                raise IndexBusy(
                    f"the index {self.path.parent} is busy: another process{holder} is writing to it; "
                    "wait for it to finish, or use a Chroma server (ASSISTANT_CHROMA_URL) for several writers"
                ) from None
            os.ftruncate(fd, 0)
            os.write(fd, str(os.getpid()).encode())
            self._fd = fd
        self._depth += 1
        return self

    def __exit__(self, *exc: object) -> None:
        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
        self._threads.release()

    def _holder(self) -> str:
        try:
            pid = self.path.read_text().strip()
        except OSError:
            return ""
        return f" (pid {pid})" if pid else ""
