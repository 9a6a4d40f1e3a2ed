"""The section step of retrieval: for a who/which-company question, the rest of the section whose
heading states what it asks ("Who Benefitted and Who Lost Out?" for "Which organisations profited
from the deep residual learning paper?").

Such a section lists the answer's items one sentence after another, and a question's own
retrieval finds the chunk of it nearest the question's words, not every chunk: Facebook, Megvii
and Momenta stand in the chunk after Microsoft's. When the heading of a retrieved passage's
section is near the question's relation (the same cosine the answerer gathers a list's items by,
``Selection.relation_heading``), the section's other chunks take the places of the last passages
from other sections.
"""

from __future__ import annotations

import numpy as np

from ..types import Passage
from .search import Searcher

SECTION_PASSAGES = 3  # chunks added at most


def with_relation_section(searcher: Searcher, question: str, relation: str, passages: list[Passage], *,
                          threshold: float | None, n: int = SECTION_PASSAGES) -> list[Passage]:
    """``passages`` with up to ``n`` further chunks (in document order) of the retrieved section
    whose heading is nearest ``relation`` ("Who benefited?", ``answering.question.relation``) in
    place of the last passages from elsewhere, when that cosine reaches ``threshold``; unchanged
    when there is no relation or no such section.
    (The chunks come from a retrieved passage's document, so within any ``sources`` it was searched in.)"""
    keys = sorted({(p.chunk.source, p.chunk.section) for p in passages if p.chunk.section})
    if not relation or threshold is None or not keys or n <= 0:
        return passages
    vectors = searcher.encoder.encode_sentences([question, relation, *(section for _, section in keys)])
    cosines = vectors[2:] @ vectors[1]
    best = int(np.argmax(cosines))
    if cosines[best] < threshold:
        return passages
    source, section = keys[best]
    # They take the places of the lowest-ranked passages from elsewhere: the answer still reads
    # the k passages it was asked to (``Question.k``), now more of them from the section.
    elsewhere = [p for p in passages if (p.chunk.source, p.chunk.section) != (source, section)]
    have = {p.chunk.chunk_id for p in passages}
    registry = searcher.index.registry
    rest = sorted((c for c in registry.chunks(registry.chunk_ids(source)) if c.section == section and c.chunk_id not in have),
                  key=lambda c: c.chunk_index)[: min(n, len(elsewhere))]
    added = searcher.as_passages(rest, vectors[0], score=0.0)
    dropped = {id(p) for p in elsewhere[len(elsewhere) - len(added):]} if added else set()
    return [*(p for p in passages if id(p) not in dropped), *added]
