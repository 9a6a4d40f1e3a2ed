"""The inverted index under BM25: ``Postings`` over keyed token lists, grown by segments and
forgetting keys through a mask, so a write costs what it changed, not a rebuild; Lucene's BM25
computed at query time from raw term frequencies and the live collection statistics. Kept in
step with the registry by ``lexical.Bm25Side``."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np


# Merge the segments when more than this share of the indexed entries has been masked out, or
# when there are more segments than this (each query term reads every segment).
COMPACT_DEAD_SHARE = 0.25
COMPACT_SEGMENTS = 32
SEGMENT_SIZE = 10_000  # chunks tokenized into one segment when many arrive at once


@dataclass
class _Segment:
    """Postings of a run of positions: ``positions[indptr[t]:indptr[t + 1]]`` hold term ``t``."""

    indptr: np.ndarray  # int64, len = vocabulary size when built + 1
    positions: np.ndarray  # int64
    frequencies: np.ndarray  # float32

    @classmethod
    def build(cls, rows: Iterable[tuple[int, Counter]], vocabulary_size: int) -> "_Segment":
        term_ids, positions, frequencies = [], [], []
        for position, counts in rows:
            term_ids.extend(counts.keys())
            positions.extend([position] * len(counts))
            frequencies.extend(counts.values())
        return cls.from_arrays(
            np.asarray(term_ids, dtype=np.int64), np.asarray(positions, dtype=np.int64),
            np.asarray(frequencies, dtype=np.float32), vocabulary_size,
        )

    @classmethod
    def from_arrays(cls, term_ids: np.ndarray, positions: np.ndarray, frequencies: np.ndarray, vocabulary_size: int) -> "_Segment":
        order = np.lexsort((positions, term_ids))
        indptr = np.searchsorted(term_ids[order], np.arange(vocabulary_size + 1), side="left")
        return cls(indptr=indptr.astype(np.int64), positions=positions[order], frequencies=frequencies[order])

    def postings(self, term_id: int) -> tuple[np.ndarray, np.ndarray]:
        if term_id + 1 >= len(self.indptr):
            return self.positions[:0], self.frequencies[:0]
        start, end = self.indptr[term_id], self.indptr[term_id + 1]
        return self.positions[start:end], self.frequencies[start:end]

    def term_ids(self) -> np.ndarray:
        return np.repeat(np.arange(len(self.indptr) - 1, dtype=np.int64), np.diff(self.indptr))


class Postings:
    """An incremental BM25 (Lucene variant) index over keyed token lists."""

    def __init__(self, *, k1: float, b: float) -> None:
        self.k1, self.b = k1, b
        self.vocabulary: dict[str, int] = {}
        self.keys: list[str] = []  # position -> key (positions are never reused before a merge)
        self.position: dict[str, int] = {}  # live key -> position
        self.lengths = np.zeros(0, dtype=np.float32)
        self.alive = np.zeros(0, dtype=bool)
        self.segments: list[_Segment] = []
        self.renumbered = 0  # counts merges and restores, which give entries new positions
        self._parts: dict[str, list[str]] = {}  # ``_dotted_parts``, for its vocabulary version
        self._parts_version: int | None = None

    def __len__(self) -> int:
        return len(self.position)

    def add(self, items: Sequence[tuple[str, list[str]]]) -> None:
        """Index ``(key, tokens)`` pairs; a key already present is replaced."""
        self.remove([key for key, _ in items if key in self.position])
        start = len(self.keys)
        rows = []
        for offset, (key, tokens) in enumerate(items):
            self.keys.append(key)
            self.position[key] = start + offset
            rows.append((start + offset, Counter(self.vocabulary.setdefault(t, len(self.vocabulary)) for t in tokens)))
        self.lengths = np.concatenate([self.lengths, np.asarray([len(tokens) for _, tokens in items], dtype=np.float32)])
        self.alive = np.concatenate([self.alive, np.ones(len(items), dtype=bool)])
        if items:
            self.segments.append(_Segment.build(rows, len(self.vocabulary)))
        self._compact_if_worth_it()

    def remove(self, keys: Iterable[str]) -> None:
        for key in keys:
            position = self.position.pop(key, None)
            if position is not None:
                self.alive[position] = False

    def contains(self, term: str) -> bool:
        """Whether any live entry holds ``term``."""
        term_id = self.vocabulary.get(term)
        return term_id is not None and self._postings(term_id)[0].size > 0

    def contains_within(self, term: str) -> bool:
        """Whether any live entry holds ``term`` as a dot-separated part of a longer term: a web
        address is one term, so "github.com" holds "github"."""
        return any(held != term and self.contains(held) for held in self._dotted_parts().get(term, ()))

    def _dotted_parts(self) -> dict[str, list[str]]:
        """Each part of the vocabulary's dotted terms -> those terms; built again once the
        vocabulary grows (it never shrinks) or is restored."""
        if self._parts_version != len(self.vocabulary):
            self._parts = {}
            for held in self.vocabulary:
                if "." in held:
                    for part in held.split("."):
                        self._parts.setdefault(part, []).append(held)
            self._parts_version = len(self.vocabulary)
        return self._parts

    def idf(self, term: str) -> float:
        """The term's BM25 idf over the live entries (0 for a term none holds)."""
        term_id = self.vocabulary.get(term)
        found = self._postings(term_id)[0].size if term_id is not None else 0
        count = len(self.position)
        return math.log(1 + (count - found + 0.5) / (found + 0.5)) if found else 0.0

    def scores(self, query_terms: list[str]) -> np.ndarray:
        """BM25 of every position for ``query_terms`` (a repeated term counts again, as in
        bm25s); masked positions score 0."""
        scores = np.zeros(len(self.keys), dtype=np.float32)
        count = len(self.position)
        if count == 0:
            return scores
        average_length = float(self.lengths[self.alive].sum()) / count or 1.0
        normaliser = None
        for term in query_terms:
            term_id = self.vocabulary.get(term)
            if term_id is None:
                continue
            positions, frequencies = self._postings(term_id)
            if positions.size == 0:
                continue
            if normaliser is None:
                normaliser = (self.k1 * (1 - self.b + self.b * self.lengths / average_length)).astype(np.float32)
            idf = math.log(1 + (count - positions.size + 0.5) / (positions.size + 0.5))
            scores[positions] += np.float32(idf) * frequencies / (frequencies + normaliser[positions])
        return scores

    def state(self, prefix: str) -> dict[str, np.ndarray]:
        """Arrays that ``restore`` turns back into this index (merged first: one segment)."""
        self.compact()
        empty = np.zeros(0, dtype=np.int64)
        segment = self.segments[0] if self.segments else _Segment(np.zeros(1, dtype=np.int64), empty, empty.astype(np.float32))
        return {
            f"{prefix}vocabulary": np.asarray(sorted(self.vocabulary, key=self.vocabulary.get), dtype=str),
            f"{prefix}keys": np.asarray(self.keys, dtype=str),
            f"{prefix}lengths": self.lengths,
            f"{prefix}indptr": segment.indptr,
            f"{prefix}positions": segment.positions,
            f"{prefix}frequencies": segment.frequencies,
        }

    def restore(self, arrays, prefix: str) -> None:
        self.vocabulary = {term: i for i, term in enumerate(arrays[f"{prefix}vocabulary"].tolist())}
        self._parts_version = None
        self.keys = arrays[f"{prefix}keys"].tolist()
        self.position = {key: i for i, key in enumerate(self.keys)}
        self.lengths = arrays[f"{prefix}lengths"].astype(np.float32)
        self.alive = np.ones(len(self.keys), dtype=bool)
        segment = _Segment(arrays[f"{prefix}indptr"], arrays[f"{prefix}positions"], arrays[f"{prefix}frequencies"])
        self.segments = [segment] if len(self.keys) else []
        self.renumbered += 1

    def _postings(self, term_id: int) -> tuple[np.ndarray, np.ndarray]:
        parts = [segment.postings(term_id) for segment in self.segments]
        positions = np.concatenate([p for p, _ in parts]) if parts else np.zeros(0, dtype=np.int64)
        frequencies = np.concatenate([f for _, f in parts]) if parts else np.zeros(0, dtype=np.float32)
        live = self.alive[positions]
        return positions[live], frequencies[live]

    def _compact_if_worth_it(self) -> None:
        dead = len(self.keys) - len(self.position)
        if dead > COMPACT_DEAD_SHARE * max(len(self.keys), 1) or len(self.segments) > COMPACT_SEGMENTS:
            self.compact()

    def compact(self) -> None:
        """Merge the segments into one that holds only live positions, renumbered in order."""
        renumber = np.cumsum(self.alive) - 1
        term_ids, positions, frequencies = [], [], []
        for segment in self.segments:
            live = self.alive[segment.positions]
            term_ids.append(segment.term_ids()[live])
            positions.append(renumber[segment.positions[live]])
            frequencies.append(segment.frequencies[live])
        merged = _Segment.from_arrays(
            np.concatenate(term_ids) if term_ids else np.zeros(0, dtype=np.int64),
            np.concatenate(positions) if positions else np.zeros(0, dtype=np.int64),
            np.concatenate(frequencies) if frequencies else np.zeros(0, dtype=np.float32),
            len(self.vocabulary),
        )
        self.keys = [key for key, live in zip(self.keys, self.alive) if live]
        self.position = {key: i for i, key in enumerate(self.keys)}
        self.lengths = self.lengths[self.alive]
        self.alive = np.ones(len(self.keys), dtype=bool)
        self.segments = [merged] if len(self.keys) else []
        self.renumbered += 1
