"""The section step of retrieval (retrieval/sections.py): a who/which-company question reads the
whole section whose heading states its relation."""

from __future__ import annotations

from assistant.answering.asking import asked_relation
from assistant.retrieval.sections import RELATION_HEADING, with_relation_section

HEADING = "Who Benefitted and Who Lost Out?"
THRESHOLD = RELATION_HEADING


def _one_chunk_of_the_section(searcher, question: str) -> list:
    """The question's own passages with only the first of the section's chunks among them."""
    own = searcher.search(question, k=6)
    first = next(p for p in own if p.chunk.section == HEADING)
    return [p for p in own if p.chunk.section != HEADING or p is first]


def test_a_who_list_reads_the_rest_of_the_section_that_states_its_relation(seed_assistant):
    question = "Which organisations profited from the deep residual learning paper?"
    own = _one_chunk_of_the_section(seed_assistant.searcher, question)
    assert not any("Momenta" in p.chunk.text for p in own)
    passages = with_relation_section(seed_assistant.searcher, question, asked_relation(question), own, threshold=THRESHOLD)
    # As many passages as asked for: the section's other chunks take the places of the last
    # passages from other sections; the section's own passages and the best ones stay, in order.
    assert len(passages) == len(own)
    dropped = [p for p in own if p not in passages]
    elsewhere = [p for p in own if p.chunk.section != HEADING]
    kept, added = passages[: len(own) - len(dropped)], passages[len(own) - len(dropped):]
    assert added and all(p.chunk.section == HEADING for p in added)
    assert dropped == elsewhere[len(elsewhere) - len(dropped):] and kept == [p for p in own if p not in dropped]
    assert any("Momenta" in p.chunk.text for p in added)
    assert [p.chunk.chunk_index for p in added] == sorted(p.chunk.chunk_index for p in added)
    assert all(0.0 < p.relevance <= 1.0 for p in added)


def test_other_questions_read_no_further_section(seed_assistant):
    searcher = seed_assistant.searcher
    # A definition, a number, and one company asked for: no list, no section to read whole (the
    # last drew the article's beneficiaries section into a generative answer about Kaiming He).
    for question in ("What is ResNet?", "How many times has the ResNet paper been cited?",
                     "Which company did Kaiming He join after leaving MSRA?"):
        assert asked_relation(question) == ""
        own = searcher.search(question, k=3)
        assert with_relation_section(searcher, question, asked_relation(question), own, threshold=THRESHOLD) == own
    # A relation no heading is near enough.
    question = "Which organisations profited from the deep residual learning paper?"
    own = _one_chunk_of_the_section(searcher, question)
    assert with_relation_section(searcher, question, asked_relation(question), own, threshold=0.99) == own


def test_a_section_no_passage_was_retrieved_from_is_read_when_its_document_was(seed_assistant):
    """"Who cashed in on ResNet?" retrieves the article's chunks about the paper and none under
    "Who Benefitted ...?": that section of the retrieved document is read all the same."""
    searcher = seed_assistant.searcher
    question = "Who cashed in on ResNet?"
    own = [p for p in searcher.search(question, k=6) if p.chunk.section != HEADING]
    assert own and not any("Momenta" in p.chunk.text for p in own)
    passages = with_relation_section(searcher, question, asked_relation(question), own, threshold=THRESHOLD)
    added = [p for p in passages if p not in own]
    assert added and all(p.chunk.section == HEADING for p in added)
    assert any("Momenta" in p.chunk.text for p in added)
    # A retrieved section near enough keeps its place before any other of the document's.
    first = _one_chunk_of_the_section(searcher, "Which organisations profited from the deep residual learning paper?")
    kept = with_relation_section(searcher, question, asked_relation(question), first, threshold=THRESHOLD)
    assert {p.chunk.section for p in kept if p not in first} <= {HEADING}
