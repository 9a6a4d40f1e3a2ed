"""Sentence vectors computed at ingest, so that an answer reads its candidates' vectors instead of
encoding them.

The extractive answerer compares the question with every sentence of its passages and with their
section headings (``answering/candidates.py``). Encoding those ~30-60 short texts is most of a
fresh answer's time (docs/BENCHMARKS.md, "Sentence vectors at ingest"), and the same texts come
back question after question. The writer encodes each new chunk's texts once, beside its chunk
vector, and keeps them here; the read side looks up the passages' texts and hands the encoder the
vectors it has (``Encoder.remember``), so only what is missing (a table row read under its header,
a sentence a page break cut) is encoded when a question is asked.

It is a cache, never the truth: the rows live in their own SQLite file in the index folder
(``sentences.sqlite3``), keyed by chunk id and by a digest of the exact text encoded. A text not
found is encoded as before, so a missing, stale or unreadable file costs time, never a wrong or
lost answer, and the registry's crash protocol does not extend to it. The writer adds a
document's rows after its registry commit and drops those of the chunks it replaced; a reader on
another machine (a shared PostgreSQL registry) has no such file and encodes, as without it.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from ..text import sentence_spans
from ..types import Chunk
from .registry_dialects import connect_sqlite, immediate_transaction

log = logging.getLogger(__name__)

SENTENCES_FILE = "sentences.sqlite3"  # in the index folder, beside registry.sqlite3


def sentence_texts(chunk: Chunk) -> list[str]:
    """The texts the answerer encodes for ``chunk`` when it is a passage: its section heading and,
    for prose, each of its sentences (``text.sentence_spans``). A table's rows are read under their
    header line, made at answer time; a caption or a references list is never quoted."""
    texts = [chunk.section] if chunk.section else []
    if chunk.kind == "text":
        texts += [chunk.text[start:end] for start, end in sentence_spans(chunk.text)]
    return list(dict.fromkeys(texts))


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


class SentenceVectors:
    """The sentence-vector file of an index folder. ``read_only``: open it for lookups only (None
    from ``open`` when there is no file yet)."""

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self.db = db
        self.path = path
        self._lock = threading.Lock()

    @classmethod
    def open(cls, folder: Path, *, read_only: bool) -> "SentenceVectors | None":
        path = Path(folder) / SENTENCES_FILE
        try:
            if read_only and not path.is_file():
                return None
            db = connect_sqlite(path, read_only=read_only)
            if not read_only:
                db.execute("CREATE TABLE IF NOT EXISTS sentences (chunk_id TEXT NOT NULL, digest BLOB NOT NULL, "
                           "vector BLOB NOT NULL, PRIMARY KEY (chunk_id, digest))")
            db.execute("SELECT 1 FROM sentences LIMIT 1")
        except sqlite3.Error as exc:
            log.warning("the sentence vectors in %s cannot be used (%s): sentences are encoded when asked", path, exc)
            return None
        return cls(db, path)

    def close(self) -> None:
        self.db.close()

    def lookup(self, chunks: Sequence[Chunk]) -> dict[str, np.ndarray]:
        """text -> vector for the stored ``sentence_texts`` of ``chunks`` (those not stored left out)."""
        ids = list(dict.fromkeys(c.chunk_id for c in chunks))
        if not ids:
            return {}
        try:
            with self._lock:
                rows = self.db.execute(
                    f"SELECT digest, vector FROM sentences WHERE chunk_id IN ({','.join('?' * len(ids))})", ids
                ).fetchall()
        except sqlite3.Error as exc:
            log.warning("the sentence vectors in %s cannot be read (%s)", self.path, exc)
            return {}
        stored = {bytes(digest): vector for digest, vector in rows}
        found = {}
        for chunk in chunks:
            for text in sentence_texts(chunk):
                vector = stored.get(_digest(text))
                if vector is not None:
                    found[text] = np.frombuffer(vector, dtype=np.float32)
        return found

    def chunk_ids(self) -> set[str]:
        """The chunks with vectors stored."""
        try:
            with self._lock:
                return {r[0] for r in self.db.execute("SELECT DISTINCT chunk_id FROM sentences")}
        except sqlite3.Error as exc:
            log.warning("the sentence vectors in %s cannot be read (%s)", self.path, exc)
            return set()

    def put(self, rows: Iterable[tuple[str, str, np.ndarray]]) -> None:
        """Keep (chunk id, text, vector) rows, in one transaction."""
        values = [(chunk_id, _digest(text), np.asarray(vector, dtype=np.float32).tobytes()) for chunk_id, text, vector in rows]
        self._write("INSERT OR REPLACE INTO sentences VALUES (?, ?, ?)", values)

    def forget(self, chunk_ids: Iterable[str]) -> None:
        """Drop the rows of chunks that left the index."""
        self._write("DELETE FROM sentences WHERE chunk_id = ?", [(i,) for i in chunk_ids])

    def reset(self) -> None:
        self._write("DELETE FROM sentences", [()])

    def _write(self, statement: str, values: list[tuple]) -> None:
        if not values:
            return
        try:
            with self._lock, immediate_transaction(self.db):
                self.db.executemany(statement, values)
        except sqlite3.Error as exc:  # a cache: the index is whole without it
            log.warning("the sentence vectors in %s were not written (%s): those sentences are encoded when asked",
                        self.path, exc)

