"""The vector store behind a small Protocol: Chroma embedded (PersistentClient) or server (HttpClient).

Only precomputed embeddings go in and out: the collection never gets an embedding function,
because Chroma's default one downloads a model.
"""

from __future__ import annotations

import functools
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse

from ..errors import IndexCorrupt, ServiceUnavailable
from ..storage import storage_error
from ..types import Chunk

COLLECTION = "assistant-chunks"
MAX_CHROMA_BATCH = 5000  # Chroma refuses more than 5461 records in one add


class VectorStore(Protocol):
    def add(self, chunks: Sequence[Chunk], embeddings: Sequence[Sequence[float]]) -> None: ...

    def delete(self, ids: Sequence[str]) -> None: ...

    def query(self, embedding: Sequence[float], n: int, sources: Sequence[str] | None = None) -> list[tuple[str, float]]:
        """(chunk_id, cosine similarity) of the ``n`` nearest chunks, best first."""
        ...

    def embeddings(self, ids: Sequence[str]) -> dict[str, list[float]]: ...

    def ids(self) -> set[str]: ...

    def count(self) -> int: ...

    def reset(self) -> None: ...

    def close(self) -> None: ...


def _served(method):
    """Server mode: a lost connection to Chroma becomes ``ServiceUnavailable`` naming the server
    (the HTTP client connects again on the next call, so the process recovers when it is back)."""

    @functools.wraps(method)
    def call(self: "ChromaStore", *args, **kwargs):
        import httpx

        try:
            return method(self, *args, **kwargs)
        except httpx.TransportError as exc:
            raise chroma_unreachable(self.url, exc) from None

    return call


def chroma_unreachable(url: str, exc: Exception) -> ServiceUnavailable:
    return ServiceUnavailable(
        f"the vector index (the Chroma server at {url}) is unreachable ({exc or type(exc).__name__}); "
        "check that `chroma run` is running, then try again"
    )


class ChromaStore:
    def __init__(self, client, url: str = "") -> None:
        self.client = client
        self.url = url  # empty: embedded
        self.collection = self._open()

    def _open(self):
        return self.client.get_or_create_collection(
            COLLECTION, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )

    @_served
    def add(self, chunks: Sequence[Chunk], embeddings: Sequence[Sequence[float]]) -> None:
        for i in range(0, len(chunks), MAX_CHROMA_BATCH):
            part = chunks[i : i + MAX_CHROMA_BATCH]
            self.collection.upsert(
                ids=[c.chunk_id for c in part],
                embeddings=[list(map(float, e)) for e in embeddings[i : i + MAX_CHROMA_BATCH]],
                documents=[c.text for c in part],
                metadatas=[c.metadata() for c in part],
            )

    @_served
    def delete(self, ids: Sequence[str]) -> None:
        ids = list(ids)
        for i in range(0, len(ids), MAX_CHROMA_BATCH):
            self.collection.delete(ids=ids[i : i + MAX_CHROMA_BATCH])

    @_served
    def query(self, embedding: Sequence[float], n: int, sources: Sequence[str] | None = None) -> list[tuple[str, float]]:
        if n <= 0:
            return []
        where = {"source": {"$in": list(sources)}} if sources else None
        result = self.collection.query(
            query_embeddings=[list(map(float, embedding))], n_results=n, where=where, include=["distances"]
        )
        return [(i, 1.0 - d) for i, d in zip(result["ids"][0], result["distances"][0])]

    @_served
    def embeddings(self, ids: Sequence[str]) -> dict[str, list[float]]:
        if not ids:
            return {}
        got = self.collection.get(ids=list(ids), include=["embeddings"])
        return dict(zip(got["ids"], got["embeddings"]))

    @_served
    def ids(self) -> set[str]:
        found: set[str] = set()
        offset, page = 0, 10000
        while True:
            got = self.collection.get(include=[], limit=page, offset=offset)
            found.update(got["ids"])
            if len(got["ids"]) < page:
                return found
            offset += page

    @_served
    def count(self) -> int:
        return self.collection.count()

    @_served
    def reset(self) -> None:
        self.client.delete_collection(COLLECTION)
        self.collection = self._open()

    def close(self) -> None:
        """Let go of the client; the last client of an embedded folder in this process stops
        Chroma's in-memory copy of it, so the next ``open_store`` reads the folder afresh."""
        self.client.close()


def open_store(index_dir: Path, chroma_url: str = "", *, read_only: bool = False) -> ChromaStore:
    """Embedded Chroma under ``index_dir/chroma``, or the server at ``chroma_url``.

    ``read_only``: the index folder cannot be written (a read-only mount). Chroma's core writes
    to its database whenever it opens it, so it opens a private copy, deleted at exit; reads then
    work as usual (the copy costs about the index's size in the temp folder, and its time)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    try:
        if read_only and not chroma_url:
            copy = tempfile.TemporaryDirectory(prefix="assistant-read-only-index-")
            shutil.copytree(index_dir / "chroma", Path(copy.name) / "chroma")
            store = ChromaStore(chromadb.PersistentClient(path=str(Path(copy.name) / "chroma"), settings=settings))
            store.copy = copy  # type: ignore[attr-defined]  (kept alive with the store; removed at exit)
            return store
        if chroma_url:
            url = urlparse(chroma_url)
            client = chromadb.HttpClient(
                host=url.hostname or "127.0.0.1", port=url.port or 8000, ssl=url.scheme == "https", settings=settings
            )
        else:
            client = chromadb.PersistentClient(path=str(index_dir / "chroma"), settings=settings)
        return ChromaStore(client, chroma_url)
    except Exception as exc:  # chromadb raises untyped errors for unreachable servers and bad files
        where = chroma_url or str(index_dir / "chroma")
        typed = storage_error(exc, index_dir)
        if typed is not None and not chroma_url:
            raise typed from None
        if chroma_url:
            raise chroma_unreachable(chroma_url, exc) from None
        raise IndexCorrupt(f"cannot open the vector index at {where} ({exc}); run `assistant reindex`") from None
