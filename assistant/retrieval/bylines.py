"""A document's byline: the authors listed under its title on its first chunk ("Kaiming He, Xiangyu
Zhang, Shaoqing Ren, and Jian Sun" under "Deep Residual Learning for Image Recognition"), read as
names. The front matter step quotes it for "Who wrote X?" (``front_matter``, ``answering/candidates``);
a question may name a document by its authors ("Ren et al.", ``documents``; "Girshick's loss", the
gate's coverage)."""

from __future__ import annotations

import re

from ..text import word_count
from ..types import Chunk

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


# An article names its author at its end, in a short paragraph of its own: "Matt Sheehan is a
# Fellow at MacroPolo. You can find his work ... here."
_AUTHOR_NOTE = re.compile(r"(?:^|\n\n)(?P<note>(?P<name>[A-Z][\w’'-]+(?: [A-Z][\w’'.-]*){1,2}) (?:is|was) (?:a|an|the) [^\n]{3,300}?)"
                          r"(?=\n\n|\s*$)")
AUTHOR_NOTE_WORDS = 40


def _author_notes(text: str) -> list[re.Match]:
    return [m for m in _AUTHOR_NOTE.finditer(text) if word_count(m.group("note")) <= AUTHOR_NOTE_WORDS]


def author_note_span(text: str) -> tuple[int, int] | None:
    """Where ``text``'s last author note stands: a paragraph of at most ``AUTHOR_NOTE_WORDS`` words
    that opens by saying who a named person is; None when there is none."""
    notes = _author_notes(text)
    return notes[-1].span("note") if notes else None


def author_note_names(text: str) -> tuple[str, ...]:
    """The person ``text``'s last author note names ("Matt Sheehan" of "Matt Sheehan is a Fellow at
    MacroPolo."): who wrote an article that has no byline; () when there is none."""
    notes = _author_notes(text)
    return (notes[-1].group("name"),) if notes else ()


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
