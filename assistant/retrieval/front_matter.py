"""The front and back matter of the document a question asks the authors (or their affiliation) of: its first chunk,
where a paper's byline stands under its title ("Who wrote Fast R-CNN?"), and its last, where an
article names its author ("Matt Sheehan is a Fellow at MacroPolo.").

A question's own retrieval rarely finds it: a byline is names and affiliations, nothing like the
question's words. The answerer quotes the byline from it (``answering/candidates.byline``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..text import fold
from ..types import Passage
from .search import Searcher

# A question about a paper asks for its byline: "the ResNet paper" also names an article about
# it, whose author note at its end names the article's author, not the paper's.
_A_PAPER = re.compile(r"\bpapers?\b", re.I)


def with_front_matter(searcher: Searcher, question: str, named: Sequence[str], passages: list[Passage], *,
                      several: bool = False) -> list[Passage]:
    """``passages`` with the first chunk of the one document ``named`` put first, and its last
    unless the question asks about a paper, for a question that asks who wrote it; unchanged for
    any other question, or when it names none or several ("the ResNet paper" names the paper and
    the article about it: whose byline?). With ``several`` (a question asking the authors'
    affiliations, "... on Fast R-CNN, and on the focal loss paper?") every named document's, in
    the order ``named`` gives."""
    if not named or (len(named) > 1 and not several):
        return passages
    registry = searcher.index.registry
    ends = []
    for source in named:
        chunks = registry.chunks(registry.chunk_ids(source))
        if not chunks:
            continue
        first, last = min(chunks, key=lambda c: c.chunk_index), max(chunks, key=lambda c: c.chunk_index)
        ends += [first] if last is first or _A_PAPER.search(question) else [first, last]
    if not ends:
        return passages
    matter = searcher.as_passages(ends, searcher.encoder.encode_sentences([question])[0], score=1.0)
    taken = {p.chunk.chunk_id for p in matter}
    return [*matter, *(p for p in passages if p.chunk.chunk_id not in taken)]


def with_bylines_naming(searcher: Searcher, people: Sequence[str], passages: list[Passage],
                        sources: Sequence[str] | None = None) -> list[Passage]:
    """``passages`` with the first chunk of every document (of ``sources``, if given) that names one
    of ``people`` there, in the library's order, put first: the bylines of the documents a question
    asks a person wrote ("Which papers in the library did Jian Sun co-author?")."""
    registry = searcher.index.registry
    firsts = []
    for document in registry.documents():
        if sources and document.source not in sources:
            continue
        first = registry.chunks_beside(document.source, -1, after=True, limit=1)
        if first and any(fold(person) in fold(first[0].text) for person in people):
            firsts.append(first[0])
    if not firsts:
        return passages
    matter = searcher.as_passages(firsts, searcher.encoder.encode_sentences([" ".join(people)])[0], score=1.0)
    taken = {p.chunk.chunk_id for p in matter}
    return [*matter, *(p for p in passages if p.chunk.chunk_id not in taken)]
