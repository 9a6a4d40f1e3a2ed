"""The section step of retrieval: for a who/which-company question, the rest of the section whose
heading states what it asks ("Who Benefitted and Who Lost Out?" for "Which organisations profited
from the deep residual learning paper?").

Such a section lists the answer's items one sentence after another, and a question's own
retrieval finds the chunk of it nearest the question's words, not every chunk: Facebook, Megvii
and Momenta stand in the chunk after Microsoft's. When the heading of a retrieved passage's
section is near the question's relation (``RELATION_HEADING``), the section's other chunks take
the places of the last passages from other sections. When no retrieved section's heading is, any
other section of the retrieved documents may be: "Who cashed in on ResNet?" retrieves none of the
article's "Who Benefitted" chunks (the headline sets +3, wide dev unchanged; docs/EVALUATION.md,
session 14).
"""

from __future__ import annotations

import numpy as np

from ..types import Passage
from .search import Searcher

SECTION_PASSAGES = 3  # chunks added at most
# The cosine between a section's heading and the question's relation at which the section's other
# chunks join. Higher than the answerer's (``Selection.relation_heading``, 0.25): a retrieved
# heading this near stops the search of the documents' other sections, and at 0.25 "The People: Who
# Was Behind the Breakthrough?" (0.27) kept "who ended up better off because of resnet" from "Who
# Benefitted and Who Lost Out?" (one threshold for both: the headline sets +11; two: +14; session 42).
RELATION_HEADING = 0.3


def with_relation_section(searcher: Searcher, question: str, relation: str, passages: list[Passage], *,
                          threshold: float | None = RELATION_HEADING, n: int = SECTION_PASSAGES) -> list[Passage]:
    """``passages`` with up to ``n`` further chunks (in document order) of the retrieved section
    whose heading is nearest ``relation`` ("Who benefited?", ``answering.asking.relation``) in
    place of the last passages from elsewhere, when that cosine reaches ``threshold``; unchanged
    when there is no relation or no such section.
    (The chunks come from a retrieved passage's document, so within any ``sources`` it was searched in.)"""
    if not relation or threshold is None or not passages or n <= 0:
        return passages
    registry = searcher.index.registry
    keys = sorted({(p.chunk.source, p.chunk.section) for p in passages if p.chunk.section})
    vectors = searcher.encoder.encode_sentences([question, relation, *(section for _, section in keys)])
    cosines = vectors[2:] @ vectors[1]
    if not keys or cosines.max() < threshold:
        # No retrieved section is near enough: any other of the retrieved documents' may be, read
        # only then. (All at once, a heading naming the question's topic, "What's So Important
        # About ResNet?", outranked the retrieved "Who Benefitted" for "who did resnet help,
        # company-wise?": headline9 −1.)
        others = [key for key in registry.sections(sorted({p.chunk.source for p in passages})) if key not in keys]
        if not others:
            return passages
        keys = others
        cosines = searcher.encoder.encode_sentences([section for _, section in others]) @ vectors[1]
    best = int(np.argmax(cosines))
    if cosines[best] < threshold:
        return passages
    source, section = keys[best]
    # They take the places of the lowest-ranked passages from elsewhere: the answer still reads
    # the k passages it was asked to (``Question.k``), now more of them from the section.
    elsewhere = [p for p in passages if (p.chunk.source, p.chunk.section) != (source, section)]
    have = {p.chunk.chunk_id for p in passages}
    rest = [c for c in registry.section_chunks(source, section) if c.chunk_id not in have][: min(n, len(elsewhere))]
    added = searcher.as_passages(rest, vectors[0], score=0.0)
    dropped = {id(p) for p in elsewhere[len(elsewhere) - len(added):]} if added else set()
    return [*(p for p in passages if id(p) not in dropped), *added]
