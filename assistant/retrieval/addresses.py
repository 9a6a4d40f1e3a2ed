"""The address step of retrieval: for "Where is the code for ...?", the chunks of the documents
the question is about that give a web address.

A paper gives its code's address once, in its abstract or introduction ("Code is available at:
https://github.com/..."), in words nothing like the question's ("Where can I get the code for
the 1001-layer ResNet?"), so the question's own retrieval seldom finds it. This step looks such
chunks up with a BM25 query of the words that stand around an address, within the documents the
question names (else those of its best passages), and adds the best few after the question's own
passages; the answerer quotes the likeliest sentence holding an address (``answering.selection``).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..types import Passage
from .search import Searcher

ADDRESS_PASSAGES = 2  # chunks added at most
ABOUT_PASSAGES = 3  # without a named document, the question is about those of its best passages
_ADDRESS_WORDS = "code available released at https http www github"
_CANDIDATES = 20  # chunks the address query reads
_MARKS = ("://", "www.")


def with_addresses(searcher: Searcher, question: str, named: Sequence[str], passages: list[Passage],
                   n: int = ADDRESS_PASSAGES) -> list[Passage]:
    """``passages`` and up to ``n`` prose chunks giving a web address of the documents ``named``
    (else of the first passages' documents) that are not among them already."""
    sources = list(named) or list(dict.fromkeys(p.chunk.source for p in passages[:ABOUT_PASSAGES]))
    if not sources or n <= 0:
        return passages
    have = {p.chunk.chunk_id for p in passages}
    ranked = [i for i, _ in searcher.bm25.search(_ADDRESS_WORDS, _CANDIDATES, sources) if i not in have]
    found = {c.chunk_id: c for c in searcher.index.registry.chunks(ranked)
             if c.kind == "text" and any(mark in c.text for mark in _MARKS)}
    chosen = [found[i] for i in ranked if i in found][:n]
    if not chosen:
        return passages
    return [*passages, *searcher.as_passages(chosen, searcher.encoder.encode_sentences([question])[0], score=0.0)]
