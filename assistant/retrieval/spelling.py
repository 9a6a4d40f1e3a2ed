"""A question read as the corpus spells its words: British and American spellings of one word
("organisation" / "organization", "licence" / "license", "initialised" / "initialized",
"modelling" / "modeling") stem to different terms, so a question in one spelling missed the
passages written in the other (BM25), and the answerer did not count the word as held by a quote
that spells it the other way.

A word of the question that no indexed chunk mentions is read as its other spelling when a chunk
mentions that one. The corpus decides, not a word list: a word the corpus spells as the question
does is never changed ("otherwise", "precise" and "author" have no other spelling in it), and either
way round works (an American question over a British corpus too).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

# (British ending, American ending) of the regular spelling differences, longest first.
_ENDINGS = (
    ("isations", "izations"), ("isation", "ization"), ("ising", "izing"), ("isers", "izers"), ("iser", "izer"),
    ("ised", "ized"), ("ises", "izes"), ("ise", "ize"),
    ("ysing", "yzing"), ("ysed", "yzed"), ("yses", "yzes"), ("yse", "yze"),
    ("lled", "led"), ("lling", "ling"), ("ller", "ler"), ("llers", "lers"),
    ("ours", "ors"), ("our", "or"), ("ence", "ense"), ("tres", "ters"), ("tre", "ter"), ("ogues", "ogs"), ("ogue", "og"),
)
_WORD = re.compile(r"(?<![\w-])[A-Za-z]{5,}(?![\w-])")


def other_spellings(word: str) -> list[str]:
    """The spellings of ``word`` (lower case) with each regular British ending as the American one,
    and the other way round."""
    found = []
    for british, american in _ENDINGS:
        # A British ending first: "modelling" ends with "lling" and with the American "ling".
        ending, other = (british, american) if word.endswith(british) else (american, british)
        if word.endswith(ending) and len(word) > len(ending) + 2:
            found.append(word[: -len(ending)] + other)
    return list(dict.fromkeys(found))


def spelled_as_indexed(text: str, unknown: Callable[[Iterable[str]], list[str]]) -> str:
    """``text`` with each word the corpus does not mention (``unknown``: the words no indexed chunk
    mentions, ``Bm25Side.unknown``) spelled as the corpus does, when one of its other spellings is
    mentioned; its first letter's case kept."""
    words = list(dict.fromkeys(m.group(0) for m in _WORD.finditer(text)))
    missing = set(unknown(words)) if words else set()
    if not missing:
        return text
    others = {word: other_spellings(word.lower()) for word in missing}
    candidates = [w for spellings in others.values() for w in spellings]
    mentioned = set(candidates) - set(unknown(candidates))  # one lookup for them all
    spelled: dict[str, str] = {}
    for word, spellings in others.items():
        other = next((w for w in spellings if w in mentioned), None)
        if other:
            spelled[word] = other[0].upper() + other[1:] if word[0].isupper() else other
    if not spelled:
        return text
    return _WORD.sub(lambda m: spelled.get(m.group(0), m.group(0)), text)
