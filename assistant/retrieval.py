"""Hybrid retrieval: dense (Chroma, MiniLM) + BM25 over the same committed chunks, fused.

Fusion is a convex combination of min-max normalised scores (``dense_weight``), chosen over
reciprocal rank fusion, z-scores and max-scaling by measurement (docs/BENCHMARKS.md, "Retrieval:
BEIR SciFact"). The dense score of every fused candidate is its exact cosine to the question, so
``Passage.relevance`` is comparable across questions and feeds the refusal gate.

The lexical side (assistant/lexical.py) is BM25 over the registry's committed chunks, blended
with their documents' BM25, and follows every add, update and remove incrementally, so it never
holds a stale or missing chunk.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from .errors import EmptyIndex
from .ingest import Library
from .lexical import Bm25Side
from .text import terms
from .types import Chunk, Passage


def _minmax(values: dict[str, float], keys: list[str]) -> dict[str, float]:
    if not values:
        return {k: 0.0 for k in keys}
    low, high = min(values.values()), max(values.values())
    span = high - low
    return {k: ((values[k] - low) / span if span > 0 else 1.0) if k in values else 0.0 for k in keys}


LEXICAL_SNAPSHOT = "lexical.npz"  # in the index folder: a cache of the BM25 side for large indexes


class Searcher:
    """Finds passages for a query; the one retrieval entry point of the chain, CLI and benchmarks."""

    def __init__(self, library: Library) -> None:
        self.library = library
        settings = library.settings
        self.bm25 = Bm25Side(
            library.registry, k1=settings.bm25_k1, b=settings.bm25_b, document_weight=settings.bm25_document_weight,
            snapshot=settings.index / LEXICAL_SNAPSHOT,
        )

    def search(
        self,
        query: str,
        *,
        k: int | None = None,
        sources: Sequence[str] | None = None,
        mode: str = "hybrid",
        candidates: int | None = None,
    ) -> list[Passage]:
        settings = self.library.settings
        k = k or settings.k
        n = max(candidates or settings.candidates, k)
        if self.library.registry.chunk_count() == 0:
            raise EmptyIndex("no documents yet: add some with `assistant add` or the upload panel")
        self.library.check_model()
        query_vector = self.library.encoder.encode_sentences([query])[0]  # the answerer reads it again
        dense = dict(self.library.store.query(query_vector, n, sources)) if mode != "bm25" else {}
        lexical = dict(self.bm25.search(query, n, sources)) if mode != "dense" else {}
        candidates_ids = list(dict.fromkeys([*dense, *lexical]))
        cosine = dict(dense)
        missing = [i for i in candidates_ids if i not in cosine]
        for chunk_id, vector in self.library.store.embeddings(missing).items():
            cosine[chunk_id] = float(np.dot(np.asarray(vector, dtype=np.float32), query_vector))
        chunks = {c.chunk_id: c for c in self.library.registry.chunks(candidates_ids)}
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
        ranked = sorted(candidates_ids, key=lambda i: (-fused[i], i))[:k]
        return [Passage(chunk=chunks[i], score=fused[i], relevance=cosine.get(i, 0.0)) for i in ranked]


class HybridRetriever(BaseRetriever):
    """The ``Searcher`` as a LangChain retriever (Documents carry the chunk's provenance)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    searcher: Searcher
    k: int = 6
    sources: list[str] | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        return [passage_to_document(p) for p in self.searcher.search(query, k=self.k, sources=self.sources)]


def passage_to_document(passage: Passage) -> Document:
    chunk = passage.chunk
    return Document(
        page_content=chunk.text,
        id=chunk.chunk_id,
        metadata={**chunk.metadata(), "page": chunk.page, "score": passage.score, "relevance": passage.relevance},
    )


def document_to_passage(document: Document) -> Passage:
    meta = document.metadata
    chunk = Chunk(
        chunk_id=meta["chunk_id"], text=document.page_content, source=meta["source"], title=meta["title"],
        page=meta["page"], chunk_index=meta["chunk_index"], start=meta["start"], end=meta["end"],
        section=meta.get("section", ""), kind=meta.get("kind", "text"),
    )
    return Passage(chunk=chunk, score=meta["score"], relevance=meta["relevance"])


_PRONOUN = re.compile(r"\b(he|she|they|it|its|his|her|hers|him|them|their|theirs|this|that|these|those|there|then)\b", re.I)


REFUSED_PREFIX = "The corpus does not contain"


def follow_up_context(question: str, history: Sequence[tuple[str, str]]) -> str:
    """What a follow-up refers back to, without an LLM: the previous answered user question
    (itself resolved) when this one has a pronoun or a single content word; else "".
    Earlier answers' text is left out (a wrong one would steer the follow-up astray), and so
    are refused turns: nothing in them can be what a pronoun points at."""
    if not (_PRONOUN.search(question) or len(terms(question)) < 2):
        return ""
    answered = [turn for turn in history if not turn[1].startswith(REFUSED_PREFIX)]
    if not answered:
        return ""
    previous, earlier = answered[-1][0], answered[:-1]
    context = follow_up_context(previous, earlier)
    return f"{previous} ({context})" if context else previous


def condense(question: str, history: Sequence[tuple[str, str]]) -> str:
    """A standalone retrieval query for a follow-up question."""
    context = follow_up_context(question, history)
    return f"{question} ({context})" if context else question
