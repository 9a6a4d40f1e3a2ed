"""The document registry: the record of what is committed (SQLite beside the vectors, or PostgreSQL).

It holds each document's content hash and chunks (with their text, which also feeds BM25), the
embedding model that built the index, and a ``pending`` journal of vector writes in flight. A
chunk counts as indexed only once its row is committed here, so a crash between the vector write
and the registry commit leaves vectors nobody reads, which ``repair`` deletes.

Every write transaction moves the ``generation`` counter and logs, under that generation, the
chunk ids it added and removed (``changes``), so a reader catches up by what changed
(``changes_since``), not by reading every committed id. The SQL is written once for both engines;
what differs (connection, write lock, per-document lock) is in registry_dialects.py.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..errors import IndexBusy, IndexOutdated, ModelMismatch
from ..types import SECTION_SEPARATOR, Chunk
from .registry_dialects import PostgresDialect, SqliteDialect, is_postgres_url

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    source TEXT PRIMARY KEY, sha256 TEXT NOT NULL, title TEXT NOT NULL, pages INTEGER NOT NULL,
    chunks INTEGER NOT NULL, bytes INTEGER NOT NULL, added TEXT NOT NULL, updated TEXT NOT NULL,
    chunker INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY, source TEXT NOT NULL REFERENCES documents(source) ON DELETE CASCADE,
    chunk_index INTEGER NOT NULL, page INTEGER, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    title TEXT NOT NULL, text TEXT NOT NULL, section TEXT NOT NULL DEFAULT '', kind TEXT NOT NULL DEFAULT 'text'
);
CREATE INDEX IF NOT EXISTS chunks_by_source ON chunks(source, chunk_index);
CREATE TABLE IF NOT EXISTS pending (source TEXT PRIMARY KEY, chunk_ids TEXT NOT NULL, started TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS changes (
    generation INTEGER NOT NULL, source TEXT NOT NULL, chunk_id TEXT NOT NULL, added INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS changes_by_generation ON changes(generation);
INSERT INTO meta VALUES ('generation', '0') ON CONFLICT (key) DO NOTHING;
INSERT INTO meta SELECT 'changes_since', value FROM meta WHERE key = 'generation' ON CONFLICT (key) DO NOTHING;
"""
# The change log keeps this many generations (a write batch is about three); a reader further
# behind, or older than the log itself (meta 'changes_since'), reads every committed id instead.
CHANGE_LOG_GENERATIONS = 3000
CHANGE_LOG_PRUNE_EVERY = 300  # generations between two prunings of the log
DOCUMENT_CHANGED = ""  # a change row's chunk_id when it records the document itself (new hash, title)
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


# A ``Chunk``'s fields, in order, as the chunks table holds them.
_CHUNK_COLUMNS = 'chunk_id, text, source, title, page, chunk_index, start, "end", section, kind'


class Registry:
    def __init__(self, location: Path | str, *, read_only: bool = False) -> None:
        """``location``: the SQLite file, or a ``postgresql://`` URL (ASSISTANT_REGISTRY_URL).
        ``read_only`` (SQLite): opened for reading only (see ``SqliteDialect``)."""
        self.dialect = (
            PostgresDialect(location, SCHEMA) if is_postgres_url(location)
            else SqliteDialect(Path(location), SCHEMA, read_only=read_only)
        )
        self.path = self.dialect.where
        self.db = self.dialect.db
        self._writing = 0  # the generation the open write transaction records its changes under
        if self.dialect.name == "sqlite":  # PostgreSQL registries were created with every column
            self._add_columns(read_only=read_only)

    def close(self) -> None:
        self.dialect.close()

    def _add_columns(self, *, read_only: bool) -> None:
        """Migrate a registry made before ``ADDED_COLUMNS`` (in place; old readers ignore them).
        A reader cannot: it says which command brings the index up to date."""
        for table, columns in ADDED_COLUMNS.items():
            have = {row[1] for row in self.db.execute(f"PRAGMA table_info({table})")}
            missing = [(name, definition) for name, definition in columns.items() if name not in have]
            if missing and read_only:
                raise IndexOutdated(
                    f"the index {self.path} was built by an older version of assistant: run `assistant sync` "
                    "(it adds what is missing and re-reads the documents)"
                )
            if missing:
                with self.transaction() as db:
                    have = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}  # another process may have won
                    for name, definition in missing:
                        if name not in have:
                            db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {definition}")

    @contextmanager
    def transaction(self) -> Iterator:
        """One write transaction (writers take turns: registry_dialects.py), under a new generation."""
        with self.dialect.writing():
            self.db.execute("UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'generation'")
            self._writing = self.generation()
            if self._writing % CHANGE_LOG_PRUNE_EVERY == 0:
                self._prune_changes(self._writing - CHANGE_LOG_GENERATIONS)
            yield self.db

    def source_lock(self, source: str, *, wait: bool = True):
        """One writer per document across processes (and machines, on PostgreSQL): a context
        manager yielding whether the lock is held (always True when ``wait``)."""
        return self.dialect.source_lock(source, wait=wait)

    # -- model fingerprint -------------------------------------------------------------------
    def check_model(self, name: str, dimension: int, *, claim: bool) -> None:
        """Refuse an index built by another model; record the model on the first write."""
        row = dict(self.db.execute("SELECT key, value FROM meta WHERE key IN ('model', 'dimension')").fetchall())
        if not row:
            if not claim:
                return
            # Race-free claim: the first writer's INSERT wins inside the write transaction; every other
            # process (server mode: several writers) re-reads the winner and is checked against it.
            with self.transaction() as db:
                db.execute(
                    "INSERT INTO meta VALUES ('model', ?), ('dimension', ?) ON CONFLICT (key) DO NOTHING", (name, str(dimension))
                )
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

    def headings(self) -> dict[str, list[str]]:
        """Each document's top-level section headings, in reading order (the first heading of its
        chunks' heading paths)."""
        headings: dict[str, list[str]] = {}
        rows = self.db.execute(
            "SELECT source, section, MIN(chunk_index) AS first_chunk FROM chunks WHERE section <> ''"
            " GROUP BY source, section ORDER BY source, first_chunk"
        )
        for source, section, _ in rows:
            heading = section.split(SECTION_SEPARATOR, 1)[0]
            seen = headings.setdefault(source, [])
            if heading not in seen:
                seen.append(heading)
        return headings

    def sections(self, sources: Sequence[str]) -> list[tuple[str, str]]:
        """(source, heading path) of every section of ``sources``, each document's in reading order."""
        wanted = list(sources)
        if not wanted:
            return []
        rows = self.db.execute(
            "SELECT source, section, MIN(chunk_index) AS first_chunk FROM chunks WHERE section <> ''"
            f" AND source IN ({','.join('?' * len(wanted))}) GROUP BY source, section ORDER BY source, first_chunk",
            wanted,
        ).fetchall()
        return [(source, section) for source, section, _ in rows]

    def section_chunks(self, source: str, section: str) -> list[Chunk]:
        """The chunks of one section of ``source``, in reading order."""
        rows = self.db.execute(f"SELECT {_CHUNK_COLUMNS} FROM chunks WHERE source = ? AND section = ? ORDER BY chunk_index",
                               (source, section)).fetchall()
        return [Chunk(*row) for row in rows]

    def chunks_beside(self, source: str, chunk_index: int, *, after: bool, limit: int = 3) -> list[Chunk]:
        """Up to ``limit`` chunks of ``source`` nearest the one at ``chunk_index`` on one side: those
        after it in reading order, or those before it, the nearest first."""
        side, order = (">", "") if after else ("<", " DESC")
        rows = self.db.execute(f"SELECT {_CHUNK_COLUMNS} FROM chunks WHERE source = ? AND chunk_index {side} ?"
                               f" ORDER BY chunk_index{order} LIMIT ?", (source, chunk_index, limit)).fetchall()
        return [Chunk(*row) for row in rows]

    def first_chunks_under_heading(self, words: str, sources: Sequence[str] | None = None, limit: int = 20) -> list[str]:
        """The first chunk of each section whose heading path holds ``words`` (case-insensitive,
        as written: "focal loss" finds "3. Focal Loss"), earliest in their documents first.
        (A "%" or "_" in ``words`` matches any one character: the caller checks the terms.)"""
        pattern = "%" + words.lower().replace("%", "_") + "%"
        wanted = list(sources or [])
        within = f" AND source IN ({','.join('?' * len(wanted))})" if wanted else ""
        rows = self.db.execute(
            f"SELECT source, section, chunk_index, chunk_id FROM chunks WHERE LOWER(section) LIKE ?{within}",
            (pattern, *wanted),
        ).fetchall()
        first: dict[tuple[str, str], tuple[int, str]] = {}
        for source, section, index, chunk_id in rows:
            first[(source, section)] = min(first.get((source, section), (index, chunk_id)), (index, chunk_id))
        return [chunk_id for _, chunk_id in sorted(first.values())[:limit]]

    def chunk_count(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])

    def chunks(self, ids: Iterable[str] | None = None) -> list[Chunk]:
        if ids is None:
            rows = self.db.execute(f"SELECT {_CHUNK_COLUMNS} FROM chunks ORDER BY source, chunk_index").fetchall()
        else:
            wanted = list(ids)
            rows = []
            for i in range(0, len(wanted), 900):  # SQLite's bound-parameter limit
                part = wanted[i : i + 900]
                marks = ",".join("?" * len(part))
                rows += self.db.execute(f"SELECT {_CHUNK_COLUMNS} FROM chunks WHERE chunk_id IN ({marks})", part).fetchall()
        return [Chunk(*row) for row in rows]

    # -- the write protocol: begin (journal) -> vectors -> commit -> vectors cleaned -> end ----
    def begin_write(self, source: str, touched_ids: Iterable[str]) -> None:
        self.begin_writes({source: touched_ids})

    def begin_writes(self, touched: Mapping[str, Iterable[str]]) -> None:
        """Journal the chunk ids each source's write may add or delete (one transaction)."""
        with self.transaction() as db:
            stamp = now()
            db.executemany(
                "INSERT INTO pending VALUES (?, ?, ?) ON CONFLICT (source) DO UPDATE SET chunk_ids = excluded.chunk_ids, started = excluded.started",
                [(source, json.dumps(sorted(ids)), stamp) for source, ids in touched.items()],
            )

    def commit_documents(self, documents: Sequence[tuple[DocumentRecord, list[Chunk]]]) -> None:
        """Replace each document's record and chunks, all in one transaction."""
        with self.transaction() as db:
            for record, chunks in documents:
                self._log_changes(record.source, {c.chunk_id for c in chunks})
                db.execute("DELETE FROM chunks WHERE source = ?", (record.source,))
                db.execute("DELETE FROM documents WHERE source = ?", (record.source,))
                db.execute(f"INSERT INTO documents ({_DOCUMENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", _row(record))
                db.executemany(
                    'INSERT INTO chunks (chunk_id, source, chunk_index, page, start, "end", title, text, section, kind)'
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (c.chunk_id, c.source, c.chunk_index, c.page, c.start, c.end, c.title, c.text, c.section, c.kind)
                        for c in chunks
                    ],
                )

    def commit_removal(self, source: str) -> None:
        with self.transaction() as db:
            self._log_changes(source, set())
            db.execute("DELETE FROM chunks WHERE source = ?", (source,))
            db.execute("DELETE FROM documents WHERE source = ?", (source,))

    def _log_changes(self, source: str, new_ids: set[str]) -> None:
        """Inside a write transaction, before ``source``'s chunks are replaced by ``new_ids``."""
        old_ids = self.chunk_ids(source)
        rows = [(self._writing, source, DOCUMENT_CHANGED, 1)]
        rows += [(self._writing, source, i, 1) for i in sorted(new_ids - old_ids)]
        rows += [(self._writing, source, i, 0) for i in sorted(old_ids - new_ids)]
        self.db.executemany("INSERT INTO changes VALUES (?, ?, ?, ?)", rows)

    def _prune_changes(self, before: int) -> None:
        if before > 0:
            self.db.execute("DELETE FROM changes WHERE generation <= ?", (before,))
            self.db.execute(
                "UPDATE meta SET value = ? WHERE key = 'changes_since' AND CAST(value AS INTEGER) < ?", (str(before), before)
            )

    def changes_since(self, generation: int) -> list[tuple[str, str, bool]] | None:
        """(source, chunk_id, added) of every change committed after ``generation``, oldest
        first; a row with chunk_id ``DOCUMENT_CHANGED`` marks the document itself. None when the
        log no longer (or not yet) reaches back that far: the caller reads the whole state."""
        row = self.db.execute("SELECT value FROM meta WHERE key = 'changes_since'").fetchone()
        if row is None or generation < int(row[0]):
            return None
        rows = self.db.execute(
            "SELECT source, chunk_id, added FROM changes WHERE generation > ? ORDER BY generation", (generation,)
        ).fetchall()
        return [(source, chunk_id, bool(added)) for source, chunk_id, added in rows]

    def end_write(self, source: str) -> None:
        self.end_writes([source])

    def end_writes(self, sources: Iterable[str]) -> None:
        with self.transaction() as db:
            db.executemany("DELETE FROM pending WHERE source = ?", [(s,) for s in sources])

    def pending(self) -> dict[str, set[str]]:
        return {s: set(json.loads(ids)) for s, ids in self.db.execute("SELECT source, chunk_ids FROM pending")}

    def reset(self) -> None:
        with self.transaction() as db:
            for table in ("chunks", "documents", "pending", "changes"):
                db.execute(f"DELETE FROM {table}")
            # The generation keeps counting (a reader that saw generation n before a rebuild must
            # not take the rebuilt index's n for the one it knows) and the log starts again here:
            # a reader from before the reset reads the whole state.
            db.execute("DELETE FROM meta WHERE key NOT IN ('generation', 'changes_since')")
            db.execute("UPDATE meta SET value = ? WHERE key = 'changes_since'", (str(self._writing),))

    def integrity_errors(self) -> list[str]:
        return self.dialect.integrity_errors()


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
