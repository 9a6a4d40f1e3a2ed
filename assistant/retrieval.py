"""Hybrid retrieval: dense (Chroma, MiniLM) + BM25 over the same committed chunks, fused.

Fusion is a convex combination of min-max normalised scores (``dense_weight``), chosen over
reciprocal rank fusion, z-scores and max-scaling by measurement (docs/BENCHMARKS.md, "Retrieval:
BEIR SciFact"). The dense score of every fused candidate is its exact cosine to the question, so
``Passage.relevance`` is comparable across questions and feeds the refusal gate.

A chunk's lexical score blends its own BM25 with its whole document's BM25
(``bm25_document_weight``): query terms spread over a document's chunks, or in its title, count
for each of them that matches the query itself (measured on SciFact's train queries, where it
adds +0.006 nDCG@10 at the default depth). The document part is the same for every chunk of a
document and min-max normalisation removes a common offset, so the passages of a one-document
corpus are fused exactly as without it.

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
    model: Any  # BM25 over chunks (title + chunk text)
    documents: Any  # BM25 over whole documents (title + the text their chunks cover), or None
    chunk_document: np.ndarray  # chunk position -> document position
    document_weight: float

    def scores(self, query_terms: list[str]) -> np.ndarray:
        """Every chunk's lexical score: (1 - w) * its BM25 + w * its document's BM25, for the
        chunks that match a query term themselves (the others keep 0, as without the blend)."""
        if not query_terms or not self.ids:
            return np.zeros(len(self.ids), dtype=np.float32)
        scores = np.asarray(self.model.get_scores(query_terms), dtype=np.float32)
        if self.documents is not None and self.document_weight > 0:
            whole = np.asarray(self.documents.get_scores(query_terms), dtype=np.float32)
            blended = (1 - self.document_weight) * scores + self.document_weight * whole[self.chunk_document]
            scores = np.where(scores > 0, blended, np.float32(0.0)).astype(np.float32)
        return scores


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

        settings = self.library.settings
        rows = self.library.registry.db.execute(
            "SELECT chunk_id, source, title, text, page, start, end FROM chunks ORDER BY source, chunk_index"
        ).fetchall()
        model = bm25s.BM25(k1=settings.bm25_k1, b=settings.bm25_b)
        documents = None
        position: dict[str, int] = {}
        chunk_document = np.array([position.setdefault(r[1], len(position)) for r in rows], dtype=np.int64)
        if rows:
            # A title-less chunk of a long document still matches words of the title.
            model.index([terms(f"{title}\n{text}") or ["\x00"] for _, _, title, text, *_ in rows], show_progress=False)
            if settings.bm25_document_weight > 0:
                documents = bm25s.BM25(k1=settings.bm25_k1, b=settings.bm25_b)
                documents.index([terms(text) or ["\x00"] for text in _document_texts(rows)], show_progress=False)
        return _Bm25Index(
            generation=generation,
            ids=[r[0] for r in rows],
            sources=np.array([r[1] for r in rows], dtype=object),
            model=model,
            documents=documents,
            chunk_document=chunk_document,
            document_weight=settings.bm25_document_weight,
        )

    def scores(self, query: str, sources: Sequence[str] | None = None) -> tuple[_Bm25Index, np.ndarray]:
        """The index and every chunk's lexical score for ``query`` (0 outside ``sources``)."""
        index = self.current()
        scores = np.asarray(index.scores(terms(query)), dtype=np.float32)
        if sources:
            scores = np.where(np.isin(index.sources, list(sources)), scores, 0.0)
        return index, scores

    def search(self, query: str, n: int, sources: Sequence[str] | None = None) -> list[tuple[str, float]]:
        index, scores = self.scores(query, sources)
        return [(index.ids[i], float(scores[i])) for i in _top_positive(scores, n)]


def _top_positive(scores: np.ndarray, n: int) -> np.ndarray:
    """Positions of the ``n`` best positive scores, best first (ties: lower position first)."""
    n = min(n, int((scores > 0).sum()))
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    top = np.argpartition(-scores, n - 1)[:n]
    return top[np.argsort(-scores[top], kind="stable")]


def _document_texts(rows: list[tuple]) -> list[str]:
    """Each document's title and the page text its chunks cover (overlaps counted once), rebuilt
    from the chunks' exact offsets; ``rows`` are ordered by source, one document after another."""
    texts: list[str] = []
    current, pages = None, {}
    for _, source, title, text, page, start, end in [*rows, (None, None, "", "", None, 0, 0)]:
        if source != current:
            if current is not None:
                body = "\n".join(_stitch(spans) for _, spans in sorted(pages.items(), key=lambda kv: kv[0] or 0))
                texts.append(body if body.startswith(current_title) else f"{current_title}\n{body}")
            current, current_title, pages = source, title, {}
        pages.setdefault(page, []).append((start, end, text))
    return texts


def _stitch(spans: list[tuple[int, int, str]]) -> str:
    out, covered = [], None
    for start, end, text in sorted(spans):
        if covered is None or start > covered:
            out.append(text if covered is None else " " + text)
        elif end > covered:
            out.append(text[covered - start :])
        covered = end if covered is None else max(covered, end)
    return "".join(out)


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
