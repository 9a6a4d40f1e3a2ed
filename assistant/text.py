"""Word and sentence analysis shared by BM25, the extractive answerer, the verifier and evaluation."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_WORD = re.compile(r"[^\W_]+(?:[.,'’-][^\W_]+)*", re.UNICODE)
# A sentence ends at . ! ? (optionally closed by a quote or bracket) before a space and a capital,
# digit or opening quote; or at a blank line. Abbreviations below do not end sentences.
_BOUNDARY = re.compile(r"(?<=[.!?])(?P<close>[\"'”’)\]]*)\s+(?=[\"'“‘(\[]?[A-Z0-9])|\n\s*\n")
_ABBREVIATIONS = {
    "e.g", "i.e", "et al", "al", "fig", "figs", "eq", "eqs", "no", "vs", "mr", "mrs", "ms", "dr", "prof",
    "inc", "ltd", "co", "corp", "jr", "sr", "st", "u.s", "u.k", "sec", "tab", "ref", "refs", "approx", "cf",
}

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have
    having he her here hers herself him himself his how i if in into is it its itself just me more most my
    myself no nor not now of off on once only or other our ours ourselves out over own same she should so
    some such than that the their theirs them themselves then there these they this those through to too
    under until up very was we were what when where which while who whom why will with would you your
    yours yourself yourselves also did does done many much may might must shall us""".split()
)
QUESTION_WORDS = frozenset("what which who whom whose when where why how".split())


def fold(text: str) -> str:
    """NFKC, case and whitespace folding: how answers are compared with expected facts."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def words(text: str) -> list[str]:
    return [m.group(0) for m in _WORD.finditer(fold(text))]


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    return _stemmer().stemWord(word)


# A Greek letter is the term of its name: the papers print "γ = 2" and "α-balanced", a reader
# types "gamma = 2" and "alpha-balanced".
# (Folding has made a capital or a final sigma small.)
_GREEK_NAMES = dict(zip("αβγδεζηθικλμνξοπρστυφχψω", (
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau upsilon phi chi "
    "psi omega").split(), strict=True))


def terms(text: str) -> list[str]:
    """Content terms: folded words without stopwords, stemmed. BM25 indexes these."""
    return list(_cached_terms(text) if len(text) <= CACHED_TERMS_CHARS else _terms(text))


# An answer reads the terms of the same question, sentences and passages many times over (about
# 230 calls a question, 13% of its time, in session 27's profile; 95% of them repeat one): each is
# split once. Not a whole document's text, which ingest reads once: 8,192 texts of at most 4,000
# characters (a passage is about 1,000) bound the cache to tens of MB.
CACHED_TERMS_CHARS = 4000


@lru_cache(maxsize=8192)
def _cached_terms(text: str) -> tuple[str, ...]:
    return _terms(text)


def _terms(text: str) -> tuple[str, ...]:
    out = []
    for word in words(text):
        for part in re.split(r"[.,'’-]", word) if "-" in word or "’" in word or "'" in word else (word,):
            if part and part not in STOPWORDS:
                out.append(stem(_GREEK_NAMES.get(part, part)))
    return tuple(out)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of ``text``, trimmed of surrounding white space."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        closing = match.group("close")
        if closing is not None:  # a punctuation boundary, unless it ends an abbreviation or initial
            before = text[start : match.start()].split()
            # ... also in brackets: "converges well (Fig. 6, middle)"
            last_word = before[-1].rstrip(".").lstrip("([{\"'“‘").lower() if before else ""
            if last_word in _ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha()):
                continue
        _append_trimmed(spans, text, start, match.start() + len(closing or ""))
        start = match.end()
    _append_trimmed(spans, text, start, len(text))
    return spans


def _append_trimmed(spans: list[tuple[int, int]], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))


def word_count(text: str) -> int:
    return len(text.split())
