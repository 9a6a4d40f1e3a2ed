"""The caption of a table, for the table's rows to be quoted under it, and checked against the
variant a question asks (``answering/variants.py``: "Table 2. Top-1 error ..." answers no top-5
question); and the rows of a table whose caption was retrieved (``with_table_rows``).

A PDF's table comes out as one or more chunks of rows under a header line ("model top-1 err.
top-5 err."), and its caption ("Table 3. Error rates (%, 10-crop testing) on ImageNet
validation.") as a chunk of its own beside them: what the rows measure, on which data and how,
is only in the caption. Which side a caption stands on is the document's style (the ResNet paper
puts captions below its tables, the Faster R-CNN paper above): each document's style is read from
its tables with a caption on one side only, and a table between two captions takes the one on its
document's side. The sentence model does not read the caption (docs/EVALUATION.md, session 17):
fitted on rows without one, it then ranked rows above the prose that states the fact.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache

from ..store.registry import Registry
from ..types import Chunk, Passage
from .search import Searcher

_TABLE_CAPTION = re.compile(r"(?:Table|Tab\.)\s*\d+\s*[.:]")


def with_captions(registry: Registry, passages: Sequence[Passage]) -> list[Passage]:
    """``passages`` with each table passage's ``caption``, when its document gives one."""
    if not any(p.chunk.kind == "table" for p in passages):
        return list(passages)
    generation = registry.generation()
    return [replace(p, caption=_caption_of(registry, p.chunk, generation)) if p.chunk.kind == "table" else p
            for p in passages]


def _caption_of(registry: Registry, row: Chunk, generation: int) -> Chunk | None:
    """The caption chunk of the table ``row`` is a chunk of, or None."""
    found = _tables(registry, row.source, generation).get(row.chunk_index)
    return found[1] if found else None


# A table found by its caption adds up to this many of its row chunks to the passages, each with
# this fused score (the passages' own are min-max normalised, in [0, 1]). Chosen on wide dev
# (docs/EVALUATION.md, session 38): 1, 2 or 4 row chunks at score 0 gain 5, 6, 7 questions; 2 at
# 0.5 gains 10 (14 gained, 4 lost, two of them look-alikes); 1.0 one more but fewer right answers
# open with the fact; the caption's own score 9.
TABLE_ROW_CHUNKS = 2
TABLE_ROW_SCORE = 0.5


def with_table_rows(searcher: Searcher, question: str, passages: Sequence[Passage]) -> list[Passage]:
    """``passages`` with the rows of each table whose caption is among them and none of whose rows
    is, after them: the caption says what the table measures in the words a question uses
    ("Classification error on the CIFAR-10 test set using ResNet-110 ..."), the rows hold the
    values asked in words it seldom does ("BN after addition Fig. 4(b) 8.17 6.50")."""
    registry = searcher.index.registry
    captions = [p for p in passages if p.chunk.kind == "caption" and _TABLE_CAPTION.match(p.chunk.text)]
    if not captions:
        return list(passages)
    generation = registry.generation()
    have = {p.chunk.chunk_id for p in passages}
    rows: list[Chunk] = []
    for caption in captions:
        table = _table_of(registry, caption.chunk, generation)
        if table and not any(row.chunk_id in have for row in table):
            rows.extend(table[:TABLE_ROW_CHUNKS])
    if not rows:
        return list(passages)
    query_vector = searcher.encoder.encode_sentences([question])[0]
    return [*passages, *searcher.as_passages(rows, query_vector, score=TABLE_ROW_SCORE)]


def _table_of(registry: Registry, caption: Chunk, generation: int) -> list[Chunk]:
    """The row chunks (in order) of the table whose caption is ``caption``; [] for none."""
    tables = _tables(registry, caption.source, generation)
    return [row for _, (row, its_caption) in sorted(tables.items()) if its_caption.chunk_id == caption.chunk_id]


@lru_cache(maxsize=32)
def _tables(registry: Registry, source: str, generation: int) -> dict[int, tuple[Chunk, Chunk]]:
    """Each table chunk of ``source`` that has a caption, by chunk index: (it, its table's caption
    chunk); a table is a run of consecutive table chunks. The registry's ``generation`` keys the
    cache: a document re-ingested is read again."""
    chunks = sorted(registry.chunks(registry.chunk_ids(source)), key=lambda c: c.chunk_index)
    at = {c.chunk_index: c for c in chunks}

    def caption(index: int) -> Chunk | None:
        chunk = at.get(index)
        return chunk if chunk is not None and chunk.kind == "caption" and _TABLE_CAPTION.match(chunk.text) else None

    tables: list[list[Chunk]] = []
    for chunk in chunks:
        if chunk.kind == "table":
            if tables and tables[-1][-1].chunk_index == chunk.chunk_index - 1:
                tables[-1].append(chunk)
            else:
                tables.append([chunk])
    sides = [(caption(rows[0].chunk_index - 1), caption(rows[-1].chunk_index + 1)) for rows in tables]
    above = sum(1 for before, after in sides if before and not after)
    below = sum(1 for before, after in sides if after and not before)
    found: dict[int, tuple[Chunk, Chunk]] = {}
    for rows, (before, after) in zip(tables, sides):
        chosen = (before or after) if above > below else (after or before)
        if chosen is not None:
            found.update({row.chunk_index: (row, chosen) for row in rows})
    return found


def caption_title(text: str) -> tuple[int, int]:
    """The span of a caption's first sentence past its label ("Table 3. Error rates (%, 10-crop
    testing) on ImageNet validation."): what the table measures, without its notes."""
    label = _TABLE_CAPTION.match(text)
    end = _SENTENCE_END.search(text, label.end() if label else 0)
    return 0, end.end() if end else len(text)


_SENTENCE_END = re.compile(r"[.:](?=\s|$)")
