"""The definition step of retrieval (assistant/retrieval/definitions.py), on the real seed index."""

from __future__ import annotations

import pytest

from assistant.answering.question import definition_subject
from assistant.retrieval.definitions import definitional, with_definitions


@pytest.mark.parametrize("subject, sentence, expected", [
    ("focal loss", "We define the focal loss as FL(pt) = −(1 − pt)γ log(pt).", True),
    ("anchors", "We refer to these reference boxes, which we call anchors.", True),
    ("Region Proposal Networks", "To this end, we introduce novel Region Proposal Networks (RPNs) that share layers.", True),
    ("shortcut connections", "Shortcut connections are those skipping one or more layers.", True),
    ("ResNet", "ResNet is deeper than VGG nets but still has lower complexity.", False),
    ("shortcut connections", "When shortcut connections are used, they are connected to the pairs of 3×3 layers.", False),
    ("degradation problem", "We present comprehensive experiments on ImageNet to show the degradation problem.", False),
])
def test_a_defining_form_needs_the_subject_as_what_is_defined(subject, sentence, expected):
    assert definitional(subject, sentence) is expected


def test_what_is_resnet_reads_the_section_whose_heading_names_it(seed_assistant):
    """The issue's case: the article's "The Breakthrough: What's So Important About ResNet?"
    section joins the passages of "What is ResNet?" when the question's own retrieval missed it."""
    question = "What is ResNet?"
    heading = "What’s So Important About ResNet?"
    own = [p for p in seed_assistant.searcher.search(question, k=6) if heading not in p.chunk.section][:3]
    passages = with_definitions(seed_assistant.searcher, question, definition_subject(question), own)
    added = passages[len(own):]
    assert passages[: len(own)] == own
    assert any(heading in p.chunk.section for p in added)
    assert {p.chunk.chunk_id for p in added}.isdisjoint(p.chunk.chunk_id for p in own)
    assert all(0.0 < p.relevance <= 1.0 for p in added)


def test_other_questions_get_no_definition_passages(seed_assistant):
    question = "Who benefited from ResNet?"
    own = seed_assistant.searcher.search(question, k=3)
    assert with_definitions(seed_assistant.searcher, question, definition_subject(question), own) == own
