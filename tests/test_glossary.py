"""Abbreviations a quote names together are spelled out where their document defines them
(retrieval/glossary.py; docs/EVALUATION.md, session 16)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.retrieval.glossary import spelled_out

from .helpers import document_registry, quote_in

INTRODUCTION = ("Selective Search (SS) greedily merges superpixels. EdgeBoxes (EB) currently provides the best "
                "tradeoff between proposal quality and speed. We apply non-maximum suppression (NMS) to the proposals.")
TABLE = "method proposals mAP\nSS 2000 58.7\nEB 2000 58.6"
EXPERIMENTS = ("We compare with SS and EB, and the N proposals are the top-N ranked ones. "
               "Using 300 proposals without NMS keeps the detection mAP. RPN vs. SS shows the same trend.")


@pytest.fixture
def registry(tmp_path: Path):
    registry, chunks = document_registry(tmp_path / "registry.sqlite3", [(INTRODUCTION, "text"), (TABLE, "table"), (EXPERIMENTS, "text")])
    yield registry, chunks
    registry.close()


def test_abbreviations_named_together_are_spelled_out_where_the_document_defines_them(registry):
    registry, chunks = registry
    quote = quote_in(chunks[2], "We compare with SS and EB, and the N proposals are the top-N ranked ones.")
    found = spelled_out(registry, "Which proposal methods is the RPN compared against?", [quote], room=120)
    assert [q.text for q in found] == ["Selective Search (SS)", "EdgeBoxes (EB)"]
    assert all(q.passage.chunk.chunk_id == "c0" for q in found)


def test_an_abbreviation_used_in_passing_or_known_from_the_question_is_left_as_it_is(registry):
    registry, chunks = registry
    passing = quote_in(chunks[2], "Using 300 proposals without NMS keeps the detection mAP.")
    assert spelled_out(registry, "Does NMS harm the mAP?", [passing], room=120) == []
    assert spelled_out(registry, "How do proposals affect the mAP?", [passing], room=120) == []
    compared = quote_in(chunks[2], "RPN vs. SS shows the same trend.")
    # The question names SS; RPN is not defined by this document.
    assert spelled_out(registry, "How does SS compare?", [compared], room=120) == []
    # Spelled out in the answer already, or no room left in it.
    spelled = quote_in(chunks[0], "Selective Search (SS) greedily merges superpixels.")
    assert [q.text for q in spelled_out(registry, "What is compared?", [spelled, compared], room=120)] == []
    assert spelled_out(registry, "What is compared?", [compared], room=2) == []
