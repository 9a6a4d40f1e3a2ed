"""How a document enumerates items: a sentence announcing items it does not name ("... it undergoes
three transformations."), and marked series, sentences that open as the items of one enumeration ("In
the first step, ...", "The second network is ...", "Second, ...", "(3) dual-conv: ..."), how many
items a question says it asks for ("Which two backbones ...?"), and how many the words before a
series say it has ("We compare three distinct versions of AlphaGo: (1) ..."). ``selection`` answers
a question asking a count, or a list whose document announces one, with the whole series its best
sentence is an item of. Nothing here is fitted.
"""

from __future__ import annotations

import re

from ..text import terms
from .candidates import Pool, following, position, preceding

# Where a sentence, or a sentence the splitter glued to the one before it ("... available online.2
# The first is the CaffeNet ..."), opens as an item of a marked series, by the kind of its marker:
# a step, an ordinal ("The second network ...", "Second, ..."), a number or letter in brackets.
_SERIES = re.compile(
    r"(?:^|[.!?:]\S*\s+)(?:"
    r"(?:In\s+)?(?:the\s+)?(?P<step>first|second|third|fourth|fifth|final|last)\s+step\b"
    r"|(?:The\s+(?P<ordinal>first|second|third|fourth|fifth|final|last)\b(?!\s+(?:time|place|author)\b)"
    r"|(?P<adverb>First|Second|Third|Fourth|Fifth)(?:ly)?,)"
    r"|\((?P<bracketed>\d|i{1,3}|iv|v|vi|[a-f])\)\s"
    r")"
)
# "Finally, ..." or "Lastly, ..." closes a series of any kind.
_SERIES_END = re.compile(r"^(?:Finally|Lastly),")
_PLACE = {word: n for n, word in enumerate("first second third fourth fifth".split(), start=1)}
_PLACE.update({"final": 99, "last": 99})
_PLACE.update({numeral: n for n, numeral in enumerate("i ii iii iv v vi".split(), start=1)})


def _series_item(text: str) -> tuple[str, int] | None:
    """The kind of series a sentence opens an item of, and the item's place in it."""
    end = _SERIES_END.match(text.strip())
    if end:
        return "end", 99
    found = _SERIES.search(text)
    if found is None:
        return None
    kind, marker = next((k, v) for k, v in found.groupdict().items() if v)
    kind = "ordinal" if kind == "adverb" else kind
    marker = marker.lower()
    place = int(marker) if marker.isdigit() else _PLACE.get(marker, ord(marker[0]) - ord("a") + 1)
    return kind, place


_COUNT_WORDS = {word: n for n, word in enumerate("two three four five six seven eight nine ten".split(), start=2)}
# ("the four-step training" says how many steps it has, not how many items are asked)
_ASKED_COUNT = re.compile(r"\b(" + "|".join(_COUNT_WORDS) + r")\b(?!-)", re.I)


def asked_count(question: str) -> int | None:
    """How many items a question says it asks for ("Which two backbones ...?": 2), if it says."""
    found = _ASKED_COUNT.search(question)
    return _COUNT_WORDS[found.group(1).lower()] if found else None


def announced_count(pool: Pool, first: int) -> int | None:
    """How many items the words before a series' ``first`` item say it has: those before its
    marker in its sentence ("We compare three distinct versions of AlphaGo: (1) ..."), else the
    sentence before it in its passage."""
    text = pool.quotes[first].text
    found = _SERIES.search(text)
    before = text[: found.start()] if found else ""
    if not before.strip() and (j := preceding(pool, first)) is not None:
        before = pool.quotes[j].text
    counts = list(_ASKED_COUNT.finditer(before))
    return _COUNT_WORDS[counts[-1].group(1).lower()] if counts else None


def series(pool: Pool, i: int) -> list[int]:
    """The other items of the marked series sentence ``i`` is an item of, in the document's order:
    the candidates of its document and section whose markers are of the same kind and count on
    from it (a "Finally, ..." closes any series); [] when ``i`` is none."""
    item = _series_item(pool.quotes[i].text)
    if item is None or item[0] == "end":
        return []
    chunk = pool.quotes[i].passage.chunk
    marked = {j: _series_item(q.text) for j, q in enumerate(pool.quotes)
              if q.passage.chunk.source == chunk.source and q.passage.chunk.section == chunk.section}
    marked = {j: m for j, m in marked.items() if m is not None and m[0] in (item[0], "end")}
    order = sorted(marked, key=lambda j: position(pool.quotes[j]))

    def follows_on(a: int, b: int) -> bool:
        # (an item may be missing: its chunk need not be a candidate)
        return marked[a][0] != "end" and (marked[b][1] == 99 or marked[a][1] < marked[b][1] <= marked[a][1] + 2)

    k = order.index(i)
    first, last = k, k
    while first > 0 and follows_on(order[first - 1], order[first]):
        first -= 1
    while last + 1 < len(order) and follows_on(order[last], order[last + 1]):
        last += 1
    return [j for j in order[first : last + 1] if j != i]


# A count of things, or "the following", near a sentence's end with no item after it (nor a colon
# before it): the items come in the sentences after it.
_ANNOUNCING = re.compile(r"\b(?P<count>two|three|four|five|six|following|as follows|(?:two|three|four)fold)\b"
                         r"(?P<rest>(?:\W+\w+){0,4})\W*[.:]?\W*$", re.I)


def announces(sentence: str) -> bool:
    """The sentence ends announcing things it does not name ("... it undergoes three transformations.")."""
    return _announcement(sentence.strip()) is not None


def _announcement(text: str) -> re.Match | None:
    """Where ``text`` (stripped) announces things it does not name, if it does."""
    found = _ANNOUNCING.search(text)
    # (Items after a colon are named: "... three transformations: a RoI pooling layer, ... and two data inputs.")
    if found is None or ":" in text[: found.start()] or re.search(r",|\band\b|\bor\b|\(", found.group("rest")):
        return None
    return found


def announcing_as_asked(pool: Pool, candidates: list[int], asked: int) -> int | None:
    """The first of ``candidates`` that announces ``asked`` items (``announces``) of something the
    question names, or says its subject is "twofold", and whose next sentence opens a marked series
    ("We find the impact of pre-activation is twofold. First, ..."); None when none does. Not "...
    over the past two decades." (no series after it), nor "between the two countries" (the items
    are named already), nor "three transformations" for "Which three networks ...?"."""
    asked_terms = set(terms(pool.question.text))
    for i in candidates:
        announced = _announced_items(pool.quotes[i].text)
        if (announced is not None and announced[0] == asked
                and (not announced[1] or set(terms(announced[1])) & asked_terms)
                and (j := following(pool, i)) is not None and _opens_series(pool.quotes[j].text)):
            return i
    return None


def _announced_items(sentence: str) -> tuple[int, str] | None:
    """How many items an announcing sentence says follow it, and the words naming them: "... it
    undergoes three transformations." (3, "transformations"), "The impact of pre-activation is
    twofold." (2, ""); None for "the following" or "the two countries"."""
    text = sentence.strip()
    found = _announcement(text)
    if found is None or re.search(r"\b(?:the|these|those|its|their|our|both|all)\s+$", text[: found.start()], re.I):
        return None
    count = _COUNT_WORDS.get(found.group("count").lower().removesuffix("fold"))
    return (count, found.group("rest").strip(" .:")) if count else None


def _opens_series(sentence: str) -> bool:
    """The sentence is the first item of a marked series ("First, ...", "The first is ...", "(1) ...")."""
    item = _series_item(sentence)
    return item is not None and item[1] == 1
