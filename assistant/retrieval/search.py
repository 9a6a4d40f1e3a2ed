"""Hybrid retrieval: dense (Chroma, MiniLM) + BM25 over the same committed chunks, fused.

Fusion is a convex combination of min-max normalised scores (``dense_weight``), chosen over
reciprocal rank fusion, z-scores and max-scaling by measurement (docs/BENCHMARKS.md, "Retrieval:
BEIR SciFact"). The dense score of every fused candidate is its exact cosine to the question, so
``Passage.relevance`` is comparable across questions and feeds the refusal gate.

The lexical side (assistant/retrieval/lexical.py) is BM25 over the registry's committed chunks, blended
with their documents' BM25, and follows every add, update and remove incrementally, so it never
holds a stale or missing chunk.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..encoder.encoder import Encoder
from ..errors import EmptyIndex

from ..store.index import NO_DOCUMENTS, Index
from .documents import DocumentNames
from .lexical import Bm25Side
from ..types import Chunk, Passage


def _minmax(values: dict[str, float], keys: list[str]) -> dict[str, float]:
    if not values:
        return {k: 0.0 for k in keys}
    low, high = min(values.values()), max(values.values())
    span = high - low
    return {k: ((values[k] - low) / span if span > 0 else 1.0) if k in values else 0.0 for k in keys}


LEXICAL_SNAPSHOT = "lexical.npz"  # in the index folder: a cache of the BM25 side for large indexes


class Searcher:
    """Finds passages for a query; the one retrieval entry point of the chain, CLI and benchmarks.
    Reads the index only (``Index``: no writer needed); ``encoder`` encodes the query."""

    def __init__(self, index: Index, encoder: Encoder) -> None:
        self.index = index
        self.encoder = encoder
        settings = index.settings
        self.bm25 = Bm25Side(
            index.registry, k1=settings.bm25_k1, b=settings.bm25_b, document_weight=settings.bm25_document_weight,
            snapshot=settings.index / LEXICAL_SNAPSHOT,
        )
        self.documents = DocumentNames(index.registry)

    def search(
        self,
        query: str,
        *,
        k: int | None = None,
        sources: Sequence[str] | None = None,
        mode: str = "hybrid",
        candidates: int | None = None,
        named: Sequence[str] | None = None,
    ) -> list[Passage]:
        """The ``k`` best passages for ``query``. The chunks of the documents it names (``named``;
        None: those ``query`` itself names, retrieval/documents.py) are fetched too and ranked by
        their fused score times 1 + ``settings.document_boost``: favoured (a weak chunk stays
        weak), never the only ones searched."""
        settings = self.index.settings
        k = k or settings.k
        n = max(candidates or settings.candidates, k)
        if self.index.registry.chunk_count() == 0:
            raise EmptyIndex(NO_DOCUMENTS)
        self.index.check_model(self.encoder)
        query_vector = self.encoder.encode_sentences([query])[0]  # the answerer reads it again
        store = self.index.store
        dense = dict(store.query(query_vector, n, sources)) if mode != "bm25" else {}
        lexical = dict(self.bm25.search(query, n, sources)) if mode != "dense" else {}
        named = self._scope(query, named, sources)
        if named:  # the named documents' best candidates too, however the others score
            if mode != "bm25":
                dense.update(store.query(query_vector, n, named))
            if mode != "dense":
                lexical.update(self.bm25.search(query, n, named))
        candidates_ids = list(dict.fromkeys([*dense, *lexical]))
        cosine = dict(dense)
        missing = [i for i in candidates_ids if i not in cosine]
        cosine.update(self.cosines(missing, query_vector))
        chunks = {c.chunk_id: c for c in self.index.registry.chunks(candidates_ids)}
        candidates_ids = [i for i in candidates_ids if i in chunks]  # committed chunks only
        if mode == "dense":
            fused = {i: cosine.get(i, 0.0) for i in candidates_ids}
        elif mode == "bm25":
            fused = {i: lexical.get(i, 0.0) for i in candidates_ids}
        else:
            weight = settings.dense_weight
            dense_norm = _minmax({i: cosine[i] for i in candidates_ids if i in cosine}, candidates_ids)
            lexical_norm = _minmax({i: lexical[i] for i in candidates_ids if i in lexical}, candidates_ids)
            fused = {i: weight * dense_norm[i] + (1 - weight) * lexical_norm[i] for i in candidates_ids}
        # Named documents' chunks are ranked up, but keep their own fused score: the answerer's
        # sentence model and gate were fitted on scores in [0, 1] (a raised score lifted the
        # gate's probability for look-alike questions naming a paper: docs/EVALUATION.md).
        boost = {i: 1 + settings.document_boost if chunks[i].source in named else 1 for i in candidates_ids}
        ranked = sorted(candidates_ids, key=lambda i: (-fused[i] * boost[i], i))[:k]
        self._remember_sentences([chunks[i] for i in ranked])
        return [Passage(chunk=chunks[i], score=fused[i], relevance=cosine.get(i, 0.0)) for i in ranked]

    def cosines(self, chunk_ids: Sequence[str], query_vector: np.ndarray) -> dict[str, float]:
        """Each chunk's stored vector's cosine to ``query_vector`` (a chunk with none left out)."""
        return {chunk_id: float(np.dot(np.asarray(vector, dtype=np.float32), query_vector))
                for chunk_id, vector in self.index.store.embeddings(list(chunk_ids)).items()}

    def as_passages(self, chunks: Sequence[Chunk], query_vector: np.ndarray, *, score: float) -> list[Passage]:
        """``chunks`` found by a retrieval step of its own (a definition, a byline, a section), as
        passages of the query: ``score`` given, relevance the stored vector's cosine to
        ``query_vector`` (a chunk with no stored vector left out)."""
        cosine = self.cosines([c.chunk_id for c in chunks], query_vector)
        self._remember_sentences([c for c in chunks if c.chunk_id in cosine])
        return [Passage(chunk=c, score=score, relevance=cosine[c.chunk_id]) for c in chunks if c.chunk_id in cosine]

    def _remember_sentences(self, chunks: Sequence[Chunk]) -> None:
        """Hand the encoder the stored vectors of the sentences the answerer will read from
        ``chunks`` (computed at ingest), so that it does not encode them again."""
        sentences = self.index.sentences
        if sentences is not None:
            self.encoder.remember(sentences.lookup(chunks))

    def _scope(self, query: str, named: Sequence[str] | None, sources: Sequence[str] | None) -> list[str]:
        """The documents to favour: those named (or that ``query`` names), within ``sources``;
        none when they would be every document searched (favouring all is favouring none)."""
        if self.index.settings.document_boost <= 0:
            return []
        named = self.documents.named(query) if named is None else list(named)
        if sources:
            named = [s for s in named if s in sources]
        return named if named and len(named) < len(sources or self.documents.sources()) else []
