"""Reserved places for the parts of a question asked in several (``answering.question_parts``).

The passages most like a whole two-part question are mostly one part's: "Which detection system
did the ResNet paper plug ResNet-101 into, and what frame rate did that system reach with VGG-16
in its own paper?" retrieves the ResNet paper, and the Faster R-CNN paper, which holds the frame
rate, is not among the top k. So each part is also searched on its own, and its best passages take
places in the top k from the question's own lowest ranked ones. The answerer then scores each part
against that part's own passages (``Part.passages``), ranked as for a question of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from itertools import zip_longest

from ..types import Part, Passage
from .followup import joined, with_context
from .search import Searcher

RESERVED = 2  # places in the top k reserved for each part's best passages (docs/EVALUATION.md, "Cross-document questions")
# A part is answered from more passages than a whole question's k: it asks one fact, mostly of one
# document, and its own top k often stops just short of the chunk stating it ("what weight decay
# did the original ResNets use on ImageNet?"). Wide dev: 2 more passages +5, 4 more +11 (+12 −1),
# 8 more +9, 14 more +12, 24 more +16 but the headline sets −2; 4 more in ``searched_again`` too,
# +16 (+18 −2). A whole question read deeper loses (k = 8: −21). docs/EVALUATION.md, session 31.
PART_DEPTH = 4


def search_parts(searcher: Searcher, parts: Sequence[str], k: int, sources: Sequence[str] | None = None,
                 context: str = "", leaned: Sequence[str] = ()) -> tuple[Part, ...]:
    """Each part searched on its own (with what a follow-up refers back to, and the parts before it
    that it leans on, ``leaned``, aligned with ``parts``), its ``k`` + ``PART_DEPTH`` best passages."""
    leaned = tuple(leaned) or ("",) * len(parts)
    return tuple(Part(text, tuple(searcher.search(with_context(text, joined(before, context)), k=k + PART_DEPTH,
                                                  sources=sources)),
                      leans_on=before)
                 for text, before in zip(parts, leaned, strict=True))


def searched_again(searcher: Searcher, part: Part, context: str, k: int,
                   sources: Sequence[str] | None = None) -> Part:
    """``part`` with the passages of a second search, with ``context``, taking turns with its first
    search's (best first, ``k`` + ``PART_DEPTH`` in all, as ``search_parts``). A part pointing back
    to what an earlier part's answer names ("..., and how many anchors per position did that method
    use?" after an answer naming RPN) was first searched with the earlier part's words, which find
    that part's document again; the names the answer gave find the one that holds the rest
    (docs/EVALUATION.md, session 26)."""
    depth = k + PART_DEPTH
    again = searcher.search(with_context(part.text, context), k=depth, sources=sources)
    merged: dict[str, Passage] = {}
    for pair in zip_longest(again, part.passages):
        for passage in pair:
            if passage is not None:
                merged.setdefault(passage.chunk.chunk_id, passage)
    return replace(part, passages=tuple(merged.values())[:depth])


def with_reserved(passages: list[Passage], parts: Sequence[Part], reserved: int = RESERVED) -> list[Passage]:
    """``passages`` (the whole question's, best first) with each part's ``reserved`` best passages
    among them: those missing replace the lowest ranked of the others, so the count stays."""
    wanted: dict[str, Passage] = {}
    for rank in range(reserved):  # the parts take turns, so each gets its best first
        for part in parts:
            if rank < len(part.passages):
                wanted.setdefault(part.passages[rank].chunk.chunk_id, part.passages[rank])
    reserved_ids = list(wanted)[: len(passages)]
    have = {p.chunk.chunk_id for p in passages}
    missing = [wanted[i] for i in reserved_ids if i not in have]
    if not missing:
        return passages
    room = len(passages) - len(reserved_ids)  # places left for the whole question's own best
    kept = []
    for passage in passages:
        if passage.chunk.chunk_id in reserved_ids:
            kept.append(passage)
        elif room > 0:
            kept.append(passage)
            room -= 1
    return kept + missing
