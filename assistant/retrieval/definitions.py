"""The definition step of retrieval: for "What is X?", the passages where the corpus says what X is.

A question's own retrieval finds the passages most like "What is ResNet?", which are mostly those
that use the term most ("ResNet-152 has lower complexity than ..."); the sentence that defines it
is often not among them. Papers and articles define a term where they introduce it: under a
heading naming it ("The Breakthrough: What's So Important About ResNet?", "3. Focal Loss"), or
in a sentence of a defining form ("we define the focal loss as", "X is a ..."), early in the
document. This step looks up such chunks with a BM25 query on the subject alone and the section
headings, and adds the best few to the passages, after the question's own: the sentence model
chooses among all of them (its ``subject_heading``, ``opening_section`` and ``early`` features).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from ..abbreviations import stands_for
from ..text import fold, sentence_spans, terms
from ..types import SECTION_SEPARATOR, Chunk, Passage
from .search import Searcher

# A bracket after a term: its abbreviation or citations ("Shortcut connections [2, 34, 49] are those ...").
BRACKET = r"(?:\s+(?:\([^)]*\)|\[[^\]]*\]))?"
DEFINITION_PASSAGES = 2  # chunks added at most (dev: see docs/EVALUATION.md, "Definition questions")
SUBJECT_CANDIDATES = 30  # chunks the subject-only BM25 query reads


def with_definitions(searcher: Searcher, question: str, subject: str, passages: list[Passage],
                     sources: Sequence[str] | None = None, n: int = DEFINITION_PASSAGES) -> list[Passage]:
    """``passages`` and up to ``n`` chunks that define ``subject``, what the definition question
    ``question`` asks about (``answering.definitions.definition_subject``), that are not among them
    already; ``passages`` unchanged when there is no subject."""
    subject = " ".join(subject.split())
    wanted = set(terms(subject))
    if not wanted or n <= 0:
        return passages
    have = {p.chunk.chunk_id for p in passages}
    registry = searcher.index.registry
    ids = [i for i, _ in searcher.bm25.search(subject, SUBJECT_CANDIDATES, sources)]
    ids += registry.first_chunks_under_heading(subject, sources)
    chunks = [c for c in registry.chunks(dict.fromkeys(i for i in ids if i not in have))
              if wanted <= set(terms(c.text)) or wanted <= set(terms(c.section))]
    chosen = sorted(chunks, key=lambda c: _defining_rank(subject, wanted, c))[:n]
    if not chosen:
        return passages
    added = searcher.as_passages(chosen, searcher.encoder.encode_sentences([question])[0], score=0.0)
    return [*passages, *added]


def _defining_rank(subject: str, wanted: set[str], chunk: Chunk) -> tuple:
    """Sort key, best first: a heading naming the subject, then a sentence of a defining form or
    one that gives the subject's abbreviation ("Region Proposal Network (RPN)" for "RPN"), then
    the earlier chunk of its document (terms are defined where they are introduced)."""
    heading = set(terms(chunk.section.split(SECTION_SEPARATOR)[-1]))
    defining = any(definitional(subject, chunk.text[s:e]) or stands_for(subject, chunk.text[s:e])
                   for s, e in sentence_spans(chunk.text))
    return (not wanted <= heading, not defining, chunk.chunk_index, chunk.source)


def definitional(subject: str, sentence: str) -> bool:
    """The sentence is of a form that states what ``subject`` is, stricter than ``defines``: X
    as the grammatical subject of "is a/an/the ..." or of an apposition ("X, a ...", "X, which
    ..."), "X refers to / denotes / stands for", "we propose/present/introduce/call ... X",
    "we define X as", "called/known as X". ("ResNet is deeper than VGG" is not one: no article.)"""
    if not subject:
        return False
    text = fold(sentence)
    return any(p.search(text) for p in _defining_forms(subject))


@functools.lru_cache(maxsize=64)
def _defining_forms(subject: str) -> tuple[re.Pattern, ...]:
    """``definitional``'s patterns for one subject, built once for all the sentences it reads."""
    x = re.escape(fold(subject)).replace(r"\ ", r"[\s-]+") + r"\w*" + BRACKET
    return (
        re.compile(rf"^(?:(?:the|a|an|our|this|these)\s+)?{x},?\s+(?:is|are|was|were)\s+"
                   r"(?:simply\s+|essentially\s+|basically\s+)?(?:an?|the|those|ones|defined|called|designed)\b"),
        re.compile(rf"^(?:(?:the|a|an|our)\s+)?{x},\s+(?:an?|the|which|that|whose)\b"),
        re.compile(rf"\b{x}\s+(?:refers to|denotes|means|stands for)\b"),
        re.compile(rf"\bwe\s+(?:propose|present|introduce|call|term|name|dub|define|refer to)\s+(?:[\w-]+\s+){{0,3}}?{x}"),
        re.compile(rf"\bdefined?\s+(?:the\s+)?{x}\s+as\b"),
        re.compile(rf"\b(?:called|named|dubbed|termed|known as)\s+(?:an?\s+|the\s+)?[\"“]?{x}"),
    )
