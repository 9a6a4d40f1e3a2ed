"""Hybrid retrieval: dense (Chroma, MiniLM) + BM25 over the same committed chunks, fused.

Fusion is a convex combination of min-max normalised scores (``dense_weight``), chosen over
reciprocal rank fusion by measurement (docs/BENCHMARKS.md). The dense score of every fused
candidate is its exact cosine to the question, so ``Passage.relevance`` is comparable across
questions and feeds the refusal gate.

The BM25 side is built from the registry's committed chunks and rebuilt whenever the registry's
generation changes, so it never holds a stale or missing chunk.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from .errors import EmptyIndex
from .ingest import Library
from .text import terms
from .types import Chunk, Passage


@dataclass
class _Bm25Index:
    generation: int
    ids: list[str]
    sources: np.ndarray
    model: Any

    def scores(self, query_terms: list[str]) -> np.ndarray:
        if not query_terms or not self.ids:
            return np.zeros(len(self.ids), dtype=np.float32)
        return self.model.get_scores(query_terms)


class Bm25Side:
    """BM25 (bm25s, Lucene variant) over the registry's chunks, kept in step with its generation."""

    def __init__(self, library: Library) -> None:
        self.library = library
        self._index: _Bm25Index | None = None
        self._lock = threading.Lock()

    def current(self) -> _Bm25Index:
        generation = self.library.registry.generation()
        with self._lock:
            if self._index is None or self._index.generation != generation:
                self._index = self._build(generation)
            return self._index

    def _build(self, generation: int) -> _Bm25Index:
        import bm25s

        rows = self.library.registry.db.execute("SELECT chunk_id, source, title, text FROM chunks").fetchall()
        model = bm25s.BM25(k1=self.library.settings.bm25_k1, b=self.library.settings.bm25_b)
        if rows:
            # A title-less chunk of a long document still matches words of the title.
            model.index([terms(f"{title}\n{text}") or ["\x00"] for _, _, title, text in rows], show_progress=False)
        return _Bm25Index(
            generation=generation,
            ids=[r[0] for r in rows],
            sources=np.array([r[1] for r in rows], dtype=object),
            model=model,
        )

    def search(self, query: str, n: int, sources: Sequence[str] | None = None) -> list[tuple[str, float]]:
        index = self.current()
        scores = np.asarray(index.scores(terms(query)), dtype=np.float32)
        if sources:
            scores = np.where(np.isin(index.sources, list(sources)), scores, 0.0)
        positive = int((scores > 0).sum())
        n = min(n, positive)
        if n <= 0:
            return []
        top = np.argpartition(-scores, n - 1)[:n]
        top = top[np.argsort(-scores[top])]
        return [(index.ids[i], float(scores[i])) for i in top]


def _minmax(values: dict[str, float], keys: list[str]) -> dict[str, float]:
    if not values:
        return {k: 0.0 for k in keys}
    low, high = min(values.values()), max(values.values())
    span = high - low
    return {k: ((values[k] - low) / span if span > 0 else 1.0) if k in values else 0.0 for k in keys}


class Searcher:
    """Finds passages for a query; the one retrieval entry point of the chain, CLI and benchmarks."""

    def __init__(self, library: Library) -> None:
        self.library = library
        self.bm25 = Bm25Side(library)

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
        query_vector = self.library.encoder.encode([query])[0]
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
    )
    return Passage(chunk=chunk, score=meta["score"], relevance=meta["relevance"])


_PRONOUN = re.compile(r"\b(he|she|they|it|its|his|her|hers|him|them|their|theirs|this|that|these|those|there|then)\b", re.I)


def follow_up_context(question: str, history: Sequence[tuple[str, str]]) -> str:
    """What a follow-up refers back to, without an LLM: the previous user question (itself
    resolved) when this one has a pronoun or too few content words to stand alone; else "".
    Earlier answers are left out: a wrong or refused one would steer the follow-up astray."""
    if not history or not (_PRONOUN.search(question) or len(terms(question)) < 3):
        return ""
    previous, earlier = history[-1][0], history[:-1]
    context = follow_up_context(previous, earlier)
    return f"{previous} ({context})" if context else previous


def condense(question: str, history: Sequence[tuple[str, str]]) -> str:
    """A standalone retrieval query for a follow-up question."""
    context = follow_up_context(question, history)
    return f"{question} ({context})" if context else question
