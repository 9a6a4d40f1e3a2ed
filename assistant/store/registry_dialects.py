"""The two engines the registry runs on, behind the few operations that differ between them.

``Registry`` (store/registry.py) writes its SQL once, in the subset both engines understand (``?``
placeholders, ``ON CONFLICT`` upserts, quoted ``"end"``). A dialect owns what cannot be shared:
the connection, how a write transaction takes the registry's write lock, the per-document lock,
and the integrity check.

- ``SqliteDialect``: a file in the ``--index`` folder; one machine (docs/SCALING.md). A write is
  ``BEGIN IMMEDIATE``; a document's lock is a ``flock`` on a file beside the registry.
- ``PostgresDialect``: ``ASSISTANT_REGISTRY_URL=postgresql://...``; processes on several machines.
  A write is ``BEGIN`` plus a transaction-scoped advisory lock taken first, so write transactions
  run one at a time in commit order exactly as under ``BEGIN IMMEDIATE`` (the generation counter
  and the change log then never show a later commit before an earlier one). A document's lock is
  a session advisory lock on a connection of the holding thread; PostgreSQL releases it when that
  connection ends, even when its process is killed.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

from ..errors import IndexCorrupt, IndexReadOnly, ServiceUnavailable, UsageError
from ..storage import storage_error

# Advisory lock keys live in one 64-bit space shared by everything on the PostgreSQL server;
# this one serialises the registry's write transactions (the value spells "assistnt").
WRITE_LOCK_KEY = int.from_bytes(b"assistnt", "big", signed=True)
# How long a connection attempt to PostgreSQL may take before the service counts as unreachable.
CONNECT_TIMEOUT_S = 5


def lock_key(source: str) -> int:
    """A document's advisory lock key: 64 bits of its name's SHA-256 (a collision would only
    make two documents wait for each other; at 64 bits it does not happen in practice)."""
    return int.from_bytes(hashlib.sha256(source.encode("utf-8")).digest()[:8], "big", signed=True)


def is_postgres_url(location: str | Path) -> bool:
    return isinstance(location, str) and location.startswith(("postgresql://", "postgres://"))


def describe(url: str) -> str:
    """The URL without its password, for messages."""
    parsed = urlparse(url)
    host = parsed.hostname or "localhost"
    return f"postgresql://{host}:{parsed.port or 5432}{parsed.path}"


def connect_sqlite(path: Path, *, read_only: bool) -> sqlite3.Connection:
    """A connection to the SQLite file ``path`` as the index opens its files: in autocommit mode
    (transactions are explicit, ``immediate_transaction``), shared by threads, waiting 30 s on a
    lock. A writer's is in WAL mode, so readers in other processes see each commit; ``read_only``
    opens an existing file with SQLite refusing writes, immutable when its folder cannot be written
    (a read-only mount: in WAL mode SQLite could not open it without creating -wal/-shm files)."""
    if read_only:
        immutable = "&immutable=1" if not os.access(path.parent, os.W_OK) else ""
        return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro{immutable}", uri=True, timeout=30,
                               isolation_level=None, check_same_thread=False)
    db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    return db


@contextmanager
def immediate_transaction(db: sqlite3.Connection) -> Iterator[None]:
    """One write transaction, the write lock taken up front (no deadlock upgrading a read lock)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


class SqliteDialect:
    name = "sqlite"

    def __init__(self, path: Path, schema: str, *, read_only: bool = False) -> None:
        """``read_only``: for a process that only answers (SQLite refuses any write through it;
        it reads in WAL mode beside a writing process and sees each commit once it is made). The
        file must exist: only a writer creates it. When the folder itself cannot be written (a
        read-only mount) the file is opened immutable: in WAL mode SQLite cannot open it at all
        without creating -wal/-shm files beside it, and nothing else can be writing it."""
        self.path = path
        self.where = str(path)
        self.locks = path.parent / "locks"
        try:
            if read_only:
                if not path.is_file():
                    raise IndexReadOnly(
                        f"the index folder {path.parent} is read-only and holds no index: make it writable, "
                        "or use another --index"
                    )
                self.db = connect_sqlite(path, read_only=True)
                self.db.execute("SELECT 1 FROM meta LIMIT 1")  # an unreadable file fails here, not mid-question
                return
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = connect_sqlite(path, read_only=False)
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.executescript(schema)
        except sqlite3.DatabaseError as exc:
            typed = storage_error(exc, path.parent)
            if typed is not None:
                raise typed from None
            raise IndexCorrupt(
                f"the registry {path} cannot be read ({exc}); run `assistant reindex` to rebuild it"
            ) from None

    def writing(self):
        """One write transaction (``immediate_transaction``)."""
        return immediate_transaction(self.db)

    @contextmanager
    def source_lock(self, source: str, *, wait: bool = True) -> Iterator[bool]:
        """An exclusive flock on ``locks/<sha256 of source>.lock``: one writer per document across
        the processes of this machine. Yields whether the lock is held (always True when
        ``wait``). The kernel releases it when the holder dies; lock files are never deleted
        (that would race)."""
        self.locks.mkdir(parents=True, exist_ok=True)
        name = hashlib.sha256(source.encode("utf-8")).hexdigest()[:32] + ".lock"
        fd = os.open(self.locks / name, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
                held = True
            except BlockingIOError:
                held = False
            yield held
        finally:
            os.close(fd)  # closing the descriptor releases the flock

    def integrity_errors(self) -> list[str]:
        rows = [r[0] for r in self.db.execute("PRAGMA integrity_check")]
        return [] if rows == ["ok"] else rows

    def close(self) -> None:
        self.db.close()


class _Rows:
    """A result read in full (the connection's lock is released before the caller iterates)."""

    def __init__(self, rows: list[tuple]) -> None:
        self._rows = rows

    def fetchall(self) -> list[tuple]:
        return self._rows

    def fetchone(self) -> tuple | None:
        return self._rows[0] if self._rows else None

    def __iter__(self):
        return iter(self._rows)


class PostgresConnection:
    """The registry's connection to PostgreSQL with sqlite3's ``execute``/``executemany`` surface.

    ``?`` placeholders become ``%s`` (the registry's SQL holds no other ``?`` or ``%``). Threads
    share the connection one statement (or one transaction) at a time. A lost connection raises
    ``ServiceUnavailable`` and is opened again by the next statement, so the process recovers
    when PostgreSQL is back."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.lock = threading.RLock()
        self._conn = None
        self.in_transaction = False

    def connection(self):
        try:
            import psycopg
        except ImportError:
            raise UsageError(
                "a PostgreSQL registry (ASSISTANT_REGISTRY_URL) needs psycopg: pip install -e '.[server]'"
            ) from None

        if self._conn is None or self._conn.closed or self._conn.broken:
            try:
                self._conn = psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
            except psycopg.OperationalError as exc:
                raise unreachable(self.url, exc) from None
        return self._conn

    def execute(self, sql: str, params: Sequence = ()) -> _Rows:
        return self._run(lambda conn: conn.execute(_placeholders(sql), params or None))

    def executemany(self, sql: str, rows) -> _Rows:
        def run(conn):
            with conn.cursor() as cursor:
                cursor.executemany(_placeholders(sql), list(rows))
            return None

        return self._run(run)

    def _run(self, statement) -> _Rows:
        import psycopg

        with self.lock:
            conn = self.connection()
            try:
                cursor = statement(conn)
                rows = cursor.fetchall() if cursor is not None and cursor.description is not None else []
            except psycopg.OperationalError as exc:
                if conn.broken or conn.closed:
                    raise unreachable(self.url, exc) from None
                raise
            return _Rows([tuple(r) for r in rows])

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()


def unreachable(url: str, exc: Exception) -> ServiceUnavailable:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return ServiceUnavailable(
        f"the registry database (PostgreSQL at {describe(url)}) is unreachable ({reason}); "
        "check that PostgreSQL is running, then try again"
    )


def _placeholders(sql: str) -> str:
    return sql.replace("?", "%s")


class PostgresDialect:
    name = "postgresql"

    def __init__(self, url: str, schema: str) -> None:
        self.url = url
        self.where = describe(url)
        self.db = PostgresConnection(url)
        self._locks = threading.local()  # per thread: the connection its document locks live on
        with self.writing():  # concurrent CREATE ... IF NOT EXISTS can clash in PostgreSQL's catalog
            for statement in filter(str.strip, schema.split(";")):
                self.db.execute(statement)

    @contextmanager
    def writing(self) -> Iterator[None]:
        import psycopg

        with self.db.lock:
            self.db.execute("BEGIN")
            try:
                self.db.execute("SELECT pg_advisory_xact_lock(?)", (WRITE_LOCK_KEY,))
                yield
            except BaseException:
                try:
                    self.db.execute("ROLLBACK")
                except (ServiceUnavailable, psycopg.Error):
                    pass  # a lost connection rolled the transaction back already
                raise
            self.db.execute("COMMIT")

    @contextmanager
    def source_lock(self, source: str, *, wait: bool = True) -> Iterator[bool]:
        """A session advisory lock on this thread's lock connection: one writer per document
        across every machine that shares the registry. Yields whether it is held."""
        connection = getattr(self._locks, "connection", None)
        if connection is None:
            connection = self._locks.connection = PostgresConnection(self.url)
        key = lock_key(source)
        if wait:
            connection.execute("SELECT pg_advisory_lock(?)", (key,))
            held = True
        else:
            held = bool(connection.execute("SELECT pg_try_advisory_lock(?)", (key,)).fetchone()[0])
        try:
            yield held
        finally:
            if held:
                try:
                    connection.execute("SELECT pg_advisory_unlock(?)", (key,))
                except ServiceUnavailable:
                    pass  # the connection is gone, and its locks with it

    def integrity_errors(self) -> list[str]:
        # PostgreSQL checks its own pages; what can be wrong is a chunk without its document,
        # which the foreign key forbids, so only reachability is checked here.
        self.db.execute("SELECT 1")
        return []

    def close(self) -> None:
        self.db.close()
        connection = getattr(self._locks, "connection", None)
        if connection is not None:
            connection.close()
