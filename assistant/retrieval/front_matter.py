"""The front and back matter of the document a question asks the authors (or their affiliation) of: its first chunk,
where a paper's byline stands under its title ("Who wrote Fast R-CNN?"), and its last, where an
article names its author ("Matt Sheehan is a Fellow at MacroPolo.").

A question's own retrieval rarely finds it: a byline is names and affiliations, nothing like the
question's words. The answerer quotes the byline from it (``answering/candidates.byline``).

A question may also name a person by their place in a byline: "What startup did the first author
of Faster R-CNN co-found?" asks about Shaoqing Ren, whom only the byline connects with the
paper. ``named_by_role`` reads that name from the byline, for the question to be read with it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..store.registry import Registry
from ..text import fold
from ..types import AuthorRole, Chunk, Passage
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


_EMAIL = re.compile(r"\{[^}]*\}\S*|\S+@\S+")
_WORD = re.compile(r"[^\W\d_][\w’'-]*")


def byline_span(chunk: Chunk) -> tuple[int, int, int] | None:
    """Where a document's first chunk gives its byline: what follows its title, in the title's
    paragraph or the next one ("Ross Girshick Microsoft Research" under "Fast R-CNN"), when it
    reads as names (mostly capitalised words, not a question). As (the title's start, the
    byline's start, its end) in ``chunk.text``; None when there is none."""
    title = chunk.title.split()
    if not title:
        return None
    text = chunk.text
    found = re.search(r"\s+".join(map(re.escape, title)), text)
    if not found:
        return None
    start, stop = found.end(), _paragraph_end(text, found.end())
    if not text[start:stop].strip():  # the title ends its paragraph: the byline is the next one
        start, stop = stop, _paragraph_end(text, stop + 2)
    while start < stop and text[start] in " \t\n,:;–—-":
        start += 1
    while stop > start and text[stop - 1].isspace():
        stop -= 1
    words = _WORD.findall(_EMAIL.sub(" ", text[start:stop]))
    if len(words) < 2 or text[start:stop].endswith("?") or sum(w[0].isupper() for w in words) < 0.6 * len(words):
        return None
    return found.start(), start, stop


def _paragraph_end(text: str, start: int) -> int:
    end = text.find("\n\n", start)
    return len(text) if end < 0 else end


# A word of a person's name: "Kaiming", "He", "Tsung-Yi", "Dollár"; not "AI", "R-CNN" or "(FAIR)";
# within one, a particle ("George van den Driessche").
_NAME_WORD = re.compile(r"[A-Z][a-zß-ÿ]+(?:-[A-Z]?[a-zß-ÿ]+)?")
_PARTICLE = frozenset("van von den der de del da di du le la".split())
# The words of an institution's kind of name: where a byline's names end ("Microsoft Research",
# "Facebook AI Research"); what shows a sentence names where its authors work (``candidates``).
INSTITUTION_WORD = r"(?:Research|Universit\w*|Institut\w*|Laborator\w*|Labs?|College|School|Cent(?:er|re)|Academy|Inc|Corporation)"
_INSTITUTION_WORD = re.compile(INSTITUTION_WORD)
_SEPARATOR = re.compile(r"\s*(?:,|&|\band\b)\s*")


def byline_authors(chunk: Chunk) -> list[str]:
    """The authors a document's byline lists, in its order: names between commas or "and"
    ("Kaiming He, Xiangyu Zhang, Shaoqing Ren, and Jian Sun"), else its run of name words up to
    the first institution, read two words a name ("Shaoqing Ren∗ Kaiming He Ross Girshick Jian Sun
    Microsoft Research": a word left over is the institution's, "Microsoft"). [] without a byline."""
    span = byline_span(chunk)
    if span is None:
        return []
    text = _EMAIL.sub(" ", chunk.text[span[1]:span[2]])
    pieces = [p for p in _SEPARATOR.split(text) if p.strip()]
    if len(pieces) > 1:
        names = [" ".join(_name_words(piece)[:4]) for piece in pieces]
        return [n for n in names if " " in n]
    words = _name_words(text)
    return [" ".join(words[k:k + 2]) for k in range(0, len(words) - 1, 2)]


def byline_names(registry: Registry, source: str) -> tuple[str, ...]:
    """The authors the byline of ``source`` lists (``byline_authors`` of its first chunk); () when
    it has none."""
    first = registry.chunks_beside(source, -1, after=True, limit=1)
    return tuple(byline_authors(first[0])) if first else ()


def _name_words(text: str) -> list[str]:
    """The name words ``text`` opens with (marks such as "∗" or "1" stripped), up to an institution's."""
    words = []
    for token in text.split():
        word = token.strip("∗*†‡§¶#0123456789,;:.")
        if word in _PARTICLE and words:
            words.append(word)
            continue
        if not _NAME_WORD.fullmatch(word) or _INSTITUTION_WORD.fullmatch(word):
            break
        words.append(word)
    while words and words[-1] in _PARTICLE:
        words.pop()
    return words


def named_by_role(searcher: Searcher, question: str, role: AuthorRole) -> tuple[str, tuple[int, int]] | None:
    """The person ``question`` names by their place in a byline (``role``): the author at that
    place of the byline of the document that the first of the role's document words naming one
    names ("Faster R-CNN", "the ResNet paper"), and where the question's words naming them stand,
    the role's with the document's name and a "the" before them ("the first author of Faster R-CNN",
    "Faster R-CNN's first author"). None when no such document has a byline. A name several
    documents use names none ("ResNet's lead author" is the article's phrase as much as the
    ResNet paper's)."""
    registry = searcher.index.registry
    for offset, words in role.documents:
        naming = searcher.documents.naming(words)
        if not naming:
            continue
        found_start, found_end, sources = naming[0]
        for source in sources:
            first = registry.chunks_beside(source, -1, after=True, limit=1)
            authors = byline_authors(first[0]) if first else []
            if authors and role.place < len(authors):
                span_start, span_end = min(role.start, offset + found_start), max(role.end, offset + found_end)
                article = _THE_BEFORE.search(question[:span_start])
                return authors[role.place], (article.start() if article else span_start, span_end)
        return None
    return None


_THE_BEFORE = re.compile(r"\bthe\s+$", re.I)
