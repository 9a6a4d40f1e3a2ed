"""The front and back matter of the document a question asks the authors (or their affiliation) of: its first chunk,
where a paper's byline stands under its title ("Who wrote Fast R-CNN?"), and its last, where an
article names its author ("Matt Sheehan is a Fellow at MacroPolo."); and the opening of the
document a question asks the gist of ("What is this article about?"): its abstract or lede.

A question's own retrieval rarely finds it: a byline is names and affiliations, nothing like the
question's words. The answerer quotes the byline from it (``answering/candidates.byline``).

A question may also name a person by their place in a byline: "What startup did the first author
of Faster R-CNN co-found?" asks about Shaoqing Ren, whom only the byline connects with the
paper. ``named_by_role`` reads that name from the byline, for the question to be read with it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..types import SECTION_SEPARATOR, AuthorRole, Chunk, Passage
from .search import Searcher

OPENING_CHUNKS = 4  # at most, of a document's opening: an abstract or a lede runs over two or three
CLOSING_CHUNKS = 2  # at most, of its conclusion: the papers' run over one or two

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
    return put_first(_passages_of(searcher, ends, question), passages)


def with_bylines_naming(searcher: Searcher, people: Sequence[str], passages: list[Passage],
                        sources: Sequence[str] | None = None) -> list[Passage]:
    """``passages`` with the first chunk of every document (of ``sources``, if given) that names one
    of ``people`` there, in the library's order, put first: the bylines of the documents a question
    asks a person wrote ("Which papers in the library did Jian Sun co-author?")."""
    registry = searcher.index.registry
    firsts = []
    for source in searcher.documents.opening_naming(people):
        if not sources or source in sources:
            firsts += registry.chunks_beside(source, -1, after=True, limit=1)
    return put_first(_passages_of(searcher, firsts, " ".join(people)), passages)


def put_first(first: Sequence[Passage], passages: Sequence[Passage]) -> list[Passage]:
    """``first``, then ``passages`` without the chunks ``first`` holds: what a retrieval step of the
    front matter found leads the question's own passages."""
    taken = {p.chunk.chunk_id for p in first}
    return [*first, *(p for p in passages if p.chunk.chunk_id not in taken)]


def _passages_of(searcher: Searcher, chunks: Sequence[Chunk], text: str) -> list[Passage]:
    """``chunks``, found by a step of their own, as passages of ``text`` (fused score 1)."""
    return searcher.as_passages(chunks, searcher.encoder.encode_sentences([text])[0], score=1.0) if chunks else []


def named_by_role(searcher: Searcher, question: str, role: AuthorRole) -> tuple[str, tuple[int, int]] | None:
    """The person ``question`` names by their place in a byline (``role``): the author at that
    place of the byline of the document that the first of the role's document words naming one
    names ("Faster R-CNN", "the ResNet paper"), and where the question's words naming them stand,
    the role's with the document's name and a "the" before them ("the first author of Faster R-CNN",
    "Faster R-CNN's first author"). None when no such document has a byline. A name several
    documents use names the paper known by it, as "the X paper" does ("ResNet's lead author": the
    ResNet paper's byline; the article about it writes of him so too)."""
    for offset, words in role.documents:
        naming = searcher.documents.naming(words) or [
            (start, min(end, len(words)), sources) for start, end, sources in searcher.documents.naming(f"{words} paper")]
        if not naming:
            continue
        found_start, found_end, sources = naming[0]
        for source in sources:
            authors = searcher.documents.byline(source)
            if authors and role.place < len(authors):
                span_start, span_end = min(role.start, offset + found_start), max(role.end, offset + found_end)
                article = _THE_BEFORE.search(question[:span_start])
                return authors[role.place], (article.start() if article else span_start, span_end)
        return None
    return None


_THE_BEFORE = re.compile(r"\bthe\s+$", re.I)


def opening_passages(searcher: Searcher, source: str, query: str) -> list[Passage]:
    """The opening of ``source``, as passages of ``query``: its prose chunks to the end of its
    abstract, or, with none, those of the section it opens with (an article's lede before its first
    heading, a README's introduction); at most ``OPENING_CHUNKS``. A paper's introduction comes
    after its abstract and says more than the gist; an article's first heading ends its lede."""
    registry = searcher.index.registry
    chunks = sorted(registry.chunks(registry.chunk_ids(source)), key=lambda c: c.chunk_index)
    opening = []
    for chunk in chunks:
        if chunk.section not in ("", chunks[0].section) and not _abstract(chunk.section):
            break
        if chunk.kind == "text":
            opening.append(chunk)
        if len(opening) == OPENING_CHUNKS:
            break
    return _passages_of(searcher, opening, query)


def closing_passages(searcher: Searcher, source: str, query: str) -> list[Passage]:
    """The conclusion of ``source``, as passages of ``query``: the prose chunks of its last section
    whose heading says "Conclusion(s)", else "Discussion" or "Summary", else of its last section
    before its references (an article's closing section); ``CLOSING_CHUNKS`` at most."""
    registry = searcher.index.registry
    chunks = sorted(registry.chunks(registry.chunk_ids(source)), key=lambda c: c.chunk_index)
    prose = [c for c in chunks if c.kind == "text"]
    sections = list(dict.fromkeys(c.section for c in prose))
    closing = next((section for word in ("conclusion", "discussion", "summary")
                    for section in reversed(sections) if word in _heading(section)), None)
    if closing is None:
        references = next((c.chunk_index for c in chunks if c.kind == "references"), None)
        before = [c for c in prose if references is None or c.chunk_index < references]
        closing = before[-1].section if before else None
    # Its first chunks: a conclusion is short, and an appendix whose heading was not found runs on
    # under it ("6 Conclusions" of the identity mappings paper holds "Appendix: Implementation Details").
    ending = [c for c in prose if c.section == closing][:CLOSING_CHUNKS] if closing is not None else []
    return _passages_of(searcher, ending, query)


def _heading(section: str) -> str:
    return section.split(SECTION_SEPARATOR)[-1].strip().lower()


def _abstract(section: str) -> bool:
    return _heading(section) == "abstract"
