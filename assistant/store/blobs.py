"""Documents' original bytes where every replica reads them: a table beside the registry.

With the registry on PostgreSQL there is no shared ``corpus/`` folder: each machine has its own
(or none). Each document's bytes are therefore stored in the registry's database, keyed by their
SHA-256 (the registry's ``documents.sha256``), so a citation can open the original from any
replica. Why a table and not an S3-compatible bucket (docs/SCALING.md): no second service to run
and secure, one backup (``pg_dump``) holds the index's truth and the originals together, and the
bytes are written before the registry commit that names them, so a committed document always has
its original; files are capped at ``max_file_mb`` (50 MiB), well inside ``bytea``'s 1 GB.

``origin`` records which folder (host and corpus path) a document came from: a ``sync`` of a
folder removes only the documents that came from that folder, never another machine's.
"""

from __future__ import annotations

import socket
from pathlib import Path

from .registry import Registry

SCHEMA = "CREATE TABLE IF NOT EXISTS blobs (sha256 TEXT PRIMARY KEY, origin TEXT NOT NULL, data BYTEA NOT NULL)"


def folder_origin(corpus: Path) -> str:
    """This machine's name for a corpus folder: ``host:/absolute/path``."""
    return f"{socket.gethostname()}:{Path(corpus).resolve()}"


class BlobStore:
    def __init__(self, registry: Registry) -> None:
        self.db = registry.db
        with registry.dialect.writing():
            self.db.execute(SCHEMA)

    def put(self, sha256: str, file: Path, origin: str) -> None:
        """Store ``file``'s bytes under ``sha256`` (once: the same content is never stored twice)."""
        if self.db.execute("SELECT 1 FROM blobs WHERE sha256 = ?", (sha256,)).fetchone():
            return
        self.db.execute(
            "INSERT INTO blobs VALUES (?, ?, ?) ON CONFLICT (sha256) DO NOTHING", (sha256, origin, file.read_bytes())
        )

    def get(self, sha256: str) -> bytes | None:
        row = self.db.execute("SELECT data FROM blobs WHERE sha256 = ?", (sha256,)).fetchone()
        return bytes(row[0]) if row else None

    def origins(self) -> dict[str, str]:
        """sha256 -> origin of every stored document."""
        return dict(self.db.execute("SELECT sha256, origin FROM blobs").fetchall())

    def forget(self, sha256s: set[str]) -> None:
        """Drop these contents' bytes unless a committed document still names them."""
        for sha in sorted(sha256s):
            self.db.execute(
                "DELETE FROM blobs WHERE sha256 = ? AND NOT EXISTS (SELECT 1 FROM documents WHERE sha256 = ?)", (sha, sha)
            )

    def missing(self) -> list[str]:
        """Committed documents whose bytes are not stored."""
        rows = self.db.execute(
            "SELECT source FROM documents WHERE NOT EXISTS (SELECT 1 FROM blobs WHERE blobs.sha256 = documents.sha256) ORDER BY source"
        )
        return [r[0] for r in rows]
