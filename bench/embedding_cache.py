"""An ``Encoder`` that remembers vectors on disk, keyed by model name + text hash.

Benchmarks embed the same texts again and again (5,183 SciFact abstracts take ~4 min on two
cores); with this cache a re-run only embeds what it has never seen. The cache is a SQLite file
under ``bench/.cache/`` (gitignored). It is a drop-in for ``assistant.encoder.encoder.Encoder``: same
``name`` (so the index fingerprint is unchanged), same float32 normalised vectors.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from pathlib import Path

import numpy as np

from assistant.encoder.encoder import Encoder

DEFAULT_CACHE = Path(__file__).resolve().parent / ".cache" / "embeddings.sqlite3"


class CachedEncoder(Encoder):
    def __init__(
        self, model_path: str | Path | None = None, *, batch_size: int = 64, cache_path: Path = DEFAULT_CACHE
    ) -> None:
        super().__init__(model_path, batch_size=batch_size)
        self.cache_path = Path(cache_path)
        self.cache_path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.cache_path, timeout=60, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, dim INTEGER NOT NULL, vector BLOB NOT NULL)")
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def _key(self, text: str) -> str:
        return hashlib.sha256(f"{self.name}\x00{text}".encode("utf-8")).hexdigest()

    def encode(self, texts: list[str], *, batch_size: int | None = None):
        texts = list(texts)
        keys = [self._key(t) for t in texts]
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for i in range(0, len(keys), 900):
                part = list(set(keys[i : i + 900]))
                marks = ",".join("?" * len(part))
                for key, dim, blob in self._db.execute(f"SELECT key, dim, vector FROM vectors WHERE key IN ({marks})", part):
                    vector = np.frombuffer(blob, dtype=np.float32)
                    if vector.shape[0] == dim:
                        found[key] = vector
        missing = list(dict.fromkeys(k for k in keys if k not in found))
        self.hits += len(keys) - sum(1 for k in keys if k not in found)
        if missing:
            first = {k: t for k, t in zip(keys, texts)}
            vectors = super().encode([first[k] for k in missing], batch_size=batch_size)
            with self._lock:
                self._db.execute("BEGIN")
                self._db.executemany(
                    "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                    [(k, int(v.shape[0]), np.asarray(v, dtype=np.float32).tobytes()) for k, v in zip(missing, vectors)],
                )
                self._db.execute("COMMIT")
            self.misses += len(missing)
            found.update(zip(missing, (np.asarray(v, dtype=np.float32) for v in vectors)))
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([found[k] for k in keys]).astype(np.float32, copy=False)
