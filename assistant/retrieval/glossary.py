"""Where a quote's abbreviations are spelled out: the place its document defines each.

A paper introduces a term with its abbreviation once and uses the abbreviation after that, so a
quote from its experiments may name the things it compares by abbreviations a reader of the
answer has never seen spelled out ("We compare with SS and EB, and the N proposals are ...").
Each abbreviation a quote names so that neither the question nor the answer spells out is looked
up where its document defines it ("Selective Search (SS)", read as ``abbreviations`` reads a
sentence), and that definition is quoted, cited, after the answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from ..abbreviations import abbreviations
from ..citations import Quote
from ..store.registry import Registry
from ..text import fold, word_count
from ..types import Passage

MAX_ENTRIES = 3  # abbreviations spelled out at most per answer


def spelled_out(registry: Registry, question: str, quotes: Sequence[Quote], *, room: int, asked: str = "") -> list[Quote]:
    """The definitions of the abbreviations ``quotes`` name together (``_compared``) that the
    question does not use, and that the quotes do not spell out themselves, in the order the quotes
    name them, at most ``MAX_ENTRIES`` within ``room`` words; each is its document's "long form (SHORT)".
    First the abbreviation a definition question asks about (``asked``: "What is MCTS?"), where the
    first quote's document spells it out, unless a quote does."""
    said = fold(" ".join(q.text for q in quotes))
    found: list[Quote] = []
    if asked and quotes:
        entry = _definitions(registry, quotes[0].passage.chunk.source, registry.generation()).get(asked)
        if entry and fold(entry[0]) not in said and word_count(entry[1].text) <= room:
            room -= word_count(entry[1].text)
            found.append(entry[1])
    for quote in quotes:
        if not _COMPARED.search(quote.text):
            continue  # most quotes compare nothing: their document's definitions are not read
        defined = _definitions(registry, quote.passage.chunk.source, registry.generation())
        for short in _compared(quote.text, defined):
            long, definition = defined[short]
            if (len(found) >= MAX_ENTRIES or _uses(short, question) or fold(long) in said
                    or fold(long) in fold(question) or definition in found or word_count(definition.text) > room):
                continue
            room -= word_count(definition.text)
            found.append(definition)
    return found


# Abbreviations named together as the things a sentence compares or lists: "SS and EB", "SS, EB
# and RPN", "RPN vs. SS".
_ABBREVIATION = r"[A-Z][A-Za-z]*[A-Z]s?"
_COMPARED = re.compile(rf"(?<![\w-]){_ABBREVIATION}(?:\s*(?:,\s*(?:and\s+|or\s+)?|and|or|vs\.?|versus)\s*{_ABBREVIATION})+(?![\w-])")


def _compared(text: str, defined: dict[str, tuple[str, Quote]]) -> list[str]:
    """The abbreviations ``text`` names together as the things it compares or lists, that its
    document defines, in order: a reader cannot tell what was compared without them spelled out;
    an abbreviation used in passing ("(without NMS)", "the detection mAP") is left as it is."""
    named = [m.group(0) for group in _COMPARED.finditer(text) for m in re.finditer(_ABBREVIATION, group.group(0))]
    return [short for short in dict.fromkeys(named) if short in defined]


def _uses(short: str, text: str) -> re.Match | None:
    return re.search(rf"(?<![\w-]){re.escape(short)}(?![\w-])", text)


@lru_cache(maxsize=32)
def _definitions(registry: Registry, source: str, generation: int) -> dict[str, tuple[str, Quote]]:
    """Each abbreviation ``source`` defines in its prose, with its long form and its first
    definition. The registry's ``generation`` keys the cache: a document re-ingested is read again."""
    chunks = sorted(registry.chunks(registry.chunk_ids(source)), key=lambda c: c.chunk_index)
    defined: dict[str, tuple[str, Quote]] = {}
    for chunk in chunks:
        if chunk.kind != "text":
            continue
        for short, long in abbreviations(chunk.text):
            at = re.search(rf"{re.escape(long)}\s*\(\s*{re.escape(short)}\s*\)", chunk.text)
            if at and short not in defined:
                defined[short] = (long, Quote(Passage(chunk=chunk, score=0.0, relevance=0.0), at.start(), at.end()))
    return defined
