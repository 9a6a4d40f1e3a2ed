"""The assistant's retrieval as LangChain components, for a LangChain user's own chains.

- ``HybridRetriever``: dense + BM25 fused search over an index folder, as a ``BaseRetriever``.
  ``HybridRetriever.from_index("index")`` opens it read-only (``store.index.Index``), so it works
  beside the web app or an ingester writing to the same folder. ``invoke(query, k=..., sources=...)``
  overrides the retriever's own ``k`` and ``sources`` for one call. Each ``Document`` carries the
  chunk's provenance (source, title, page, offsets, chunk id) and the fused ``score`` and dense
  ``relevance``.
- ``EncoderEmbeddings``: the assistant's sentence encoder (all-MiniLM-L6-v2 on ONNX Runtime) as
  LangChain ``Embeddings``.

Both pass langchain-tests' standard suites (tests/test_langchain_integration.py).
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from ..config import Settings
from ..encoder.encoder import COMPUTE_LOCK, Encoder
from ..store.index import Index
from ..retrieval import Searcher
from ..types import Chunk, Passage


class HybridRetriever(BaseRetriever):
    """The ``Searcher`` as a LangChain retriever. ``k``: passages per query (None: the index
    settings' ``k``, ``ASSISTANT_K``); ``sources``: only these documents (None: all)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    searcher: Searcher
    k: int | None = None
    sources: list[str] | None = None

    @classmethod
    def from_index(cls, path: str | Path, **fields) -> "HybridRetriever":
        """The index folder at ``path`` opened read-only, with the encoder it was built with
        (``ASSISTANT_*`` settings apply, e.g. ``ASSISTANT_CHROMA_URL`` for a Chroma server)."""
        settings = Settings.from_env(index=Path(path))
        return cls(searcher=Searcher(Index(settings), Encoder.from_settings(settings)), **fields)

    def _get_relevant_documents(
        self,
        query: str,
        *,
        run_manager: CallbackManagerForRetrieverRun,
        k: int | None = None,
        sources: list[str] | None = None,
    ) -> list[Document]:
        passages = self.searcher.search(query, k=k or self.k, sources=sources or self.sources)
        return [passage_to_document(p) for p in passages]


def passage_to_document(passage: Passage) -> Document:
    chunk = passage.chunk
    return Document(
        page_content=chunk.text,
        id=chunk.chunk_id,
        metadata={**chunk.metadata(), "page": chunk.page, "score": passage.score, "relevance": passage.relevance},
    )


def document_to_passage(document: Document) -> Passage:
    """The inverse of ``passage_to_document``: a retrieved ``Document`` back to the ``Passage``
    the assistant's citations are made from."""
    meta = document.metadata
    chunk = Chunk(text=document.page_content, **{f.name: meta[f.name] for f in fields(Chunk) if f.name != "text"})
    return Passage(chunk=chunk, score=meta["score"], relevance=meta["relevance"])


class EncoderEmbeddings(Embeddings):
    """The assistant's encoder as LangChain ``Embeddings``: normalised vectors (a dot product is
    the cosine). By default the encoder the ``ASSISTANT_*`` settings name, as the index uses."""

    def __init__(self, encoder: Encoder | None = None) -> None:
        self.encoder = encoder or Encoder.from_settings(Settings.from_env())

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        with COMPUTE_LOCK:  # a batch of documents takes turns with local generation, as ingestion does
            return self.encoder.encode(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encoder.encode_sentences([text])[0].tolist()
