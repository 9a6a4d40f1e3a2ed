"""Document scoping (assistant/retrieval/documents.py): the documents a question names, read from
the titles and coined names of a real index, favoured by retrieval but never the only ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.ingest.library import Library
from assistant.retrieval.documents import title_names
from assistant.retrieval.search import Searcher
from assistant.store.index import Index

from .conftest import make_settings

FAST = """# Fast R-CNN

Fast R-CNN trains the very deep VGG16 network 9x faster than R-CNN and is 213x faster at test time.
Fast R-CNN is faster to train than SPPnet, and the faster detector needs no disk storage for features.
Fast R-CNN is released under the open-source MIT License.
"""
FASTER = """# Faster R-CNN: Towards Real-Time Object Detection with Region Proposal Networks

A Region Proposal Network takes an image as input and outputs rectangular object proposals, each with an objectness score.
Objectness measures membership to a set of object classes versus background.
The proposals are then classified by a detection network that shares its convolutional layers.
"""
# RetinaNet: a name the document coins (capitals past its first letter), used ten times or more.
FOCAL = "# Focal Loss for Dense Object Detection\n\n" + "\n".join(
    f"RetinaNet result {i}: the focal loss down-weights the easy negatives of a dense detector." for i in range(12)
) + "\nThe objectness of an anchor is not predicted by RetinaNet, which classifies every anchor directly.\n"


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory, seed_assistant) -> Library:
    root = tmp_path_factory.mktemp("scoping")
    (root / "corpus").mkdir()
    notes = "# Notes\n\nNotes on bread: flour, water, salt and a long rise.\n"
    for name, text in (("fast.md", FAST), ("faster.md", FASTER), ("focal.md", FOCAL), ("notes.md", notes)):
        (root / "corpus" / name).write_text(text)
    library = Library(make_settings(root), encoder=seed_assistant.encoder)
    assert library.sync().ok
    return library


def test_a_title_names_its_document_by_its_head():
    assert title_names("Faster R-CNN: Towards Real-Time Object Detection with Region Proposal Networks") == [
        "Faster R-CNN: Towards Real-Time Object Detection with Region Proposal Networks", "Faster R-CNN"]
    assert title_names("Focal Loss for Dense Object Detection") == ["Focal Loss for Dense Object Detection", "Focal Loss"]
    assert title_names("Fast R-CNN") == ["Fast R-CNN"]
    assert title_names("Mastering Go") == ["Mastering Go"]  # no linking word: the title alone


def test_the_documents_a_question_names(library: Library):
    names = Searcher(library.index, library.encoder).documents
    assert names.named("What does 'objectness' mean in the Faster R-CNN paper?") == ["faster.md"]
    assert names.named("what license is fast r-cnn released under?") == ["fast.md"]
    assert names.named("Which one-stage detectors does the focal loss paper mention?") == ["focal.md"]
    assert names.named("How is RetinaNet's classification subnet initialised?") == ["focal.md"]  # a coined name
    assert names.named("Is Faster R-CNN faster than Fast R-CNN?") == ["faster.md", "fast.md"]
    assert names.named("What does RetinaNet-101 cost?") == []  # another name, not RetinaNet's
    assert names.named("What is objectness?") == []
    assert names.named("What do the notes say about bread?") == []  # a title of one plain word names nothing
    assert names.named("the  focal\nloss paper") == ["focal.md"]
    # a follow-up: the document the nearest earlier question named
    assert names.named_in_conversation("Who wrote it?", ["What is objectness?", "What is the Faster R-CNN paper about?"]) == ["faster.md"]
    assert names.named_in_conversation("Who wrote Fast R-CNN?", ["What is the Faster R-CNN paper about?"]) == ["fast.md"]


def test_a_named_document_is_favoured_not_the_only_one_searched(library: Library):
    """The license sentence is Fast R-CNN's, which also says "faster" three times: unscoped, it
    ranks first for a question naming the Faster R-CNN paper; scoped (a boost large enough to lift
    the named paper's weak match past it), the named paper ranks first and Fast R-CNN is still
    found."""
    scoped = Searcher(Index(make_settings(_root(library), document_boost=50.0)), library.encoder)
    plain = Searcher(Index(make_settings(_root(library), document_boost=0.0)), library.encoder)
    question = "What license is the Faster R-CNN paper released under?"
    unscoped_order = [p.chunk.source for p in plain.search(question, k=4)]
    scoped_order = [p.chunk.source for p in scoped.search(question, k=4)]
    assert unscoped_order[0] == "fast.md" and "faster.md" in unscoped_order
    assert scoped_order[:2] == ["faster.md", "fast.md"]
    # a question that names no document is searched as before
    unnamed = "Which detector needs no disk storage for features?"
    assert [(p.chunk.chunk_id, p.score) for p in scoped.search(unnamed, k=3)] == [
        (p.chunk.chunk_id, p.score) for p in plain.search(unnamed, k=3)]
    # nor does naming every document searched favour any of them
    within = ["faster.md"]
    assert [(p.chunk.chunk_id, p.score) for p in scoped.search(question, k=1, sources=within)] == [
        (p.chunk.chunk_id, p.score) for p in plain.search(question, k=1, sources=within)]


def test_the_names_follow_the_index(library: Library):
    searcher = Searcher(library.index, library.encoder)
    assert searcher.documents.named("the focal loss paper") == ["focal.md"]
    corpus = _root(library) / "corpus"
    (corpus / "focal.md").unlink()
    assert library.sync().ok
    try:
        assert searcher.documents.named("the focal loss paper") == []
    finally:
        (corpus / "focal.md").write_text(FOCAL)
        assert library.sync().ok
    assert searcher.documents.named("the focal loss paper") == ["focal.md"]


def _root(library: Library) -> Path:
    return library.settings.index.parent
