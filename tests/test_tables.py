"""Table rows as candidates (``answering/candidates.py``): each row is read, and quoted, under its
table's caption (``retrieval/tables.py``), its header line and the group label above it."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.answering.candidates import _sentences, as_quoted, with_header
from assistant.retrieval.tables import with_captions
from assistant.types import Chunk, Passage

from .helpers import document_registry


def test_a_table_row_is_read_under_its_header_and_group_label():
    """The identity mappings paper's Table 3 groups its rows by dataset: a row without its
    group label reads as CIFAR-10's and CIFAR-100's alike."""
    table = ("dataset network baseline unit pre-activation unit\nCIFAR-10\nResNet-164 5.93 5.46\n"
             "ResNet-1001 7.61 4.92\nCIFAR-100\nResNet-164 25.16 24.33\nResNet-1001 27.82 22.71")
    passage = Passage(Chunk("t", table, "identity.pdf", "Identity", 10, 50, 0, len(table), kind="table"), 1.0, 0.5)
    rows = [with_header(quote, header).split("\n") for quote, header in _sentences([passage])[0]]
    assert rows == [["dataset network baseline unit pre-activation unit", label, row] for label, row in [
        ("CIFAR-10", "ResNet-164 5.93 5.46"), ("CIFAR-10", "ResNet-1001 7.61 4.92"),
        ("CIFAR-100", "ResNet-164 25.16 24.33"), ("CIFAR-100", "ResNet-1001 27.82 22.71")]]


def test_a_table_opening_with_a_line_of_names_has_rows():
    """A first line of names without a value was no header (it is not mostly words), so the table
    had no rows: "CIFAR-10 error (%)" over a group of rows, "CIFAR-100 error (%)" over the others,
    or Table 2's "case Fig. ResNet-110 ResNet-164" over "ReLU-only pre-activation Fig. 4(d) 6.71 5.91"."""
    table = "CIFAR-10 error (%)\nNIN [15] 8.81\nAll-CNN [14] 7.25\nCIFAR-100 error (%)\nNIN [15] 35.68\nAll-CNN [14] 33.71"
    passage = Passage(Chunk("t", table, "identity.pdf", "Identity", 12, 59, 0, len(table), kind="table"), 1.0, 0.5)
    rows = [with_header(quote, header).split("\n") for quote, header in _sentences([passage])[0]]
    assert rows == [["CIFAR-10 error (%)", "NIN [15] 8.81"], ["CIFAR-10 error (%)", "All-CNN [14] 7.25"],
                    ["CIFAR-100 error (%)", "NIN [15] 35.68"], ["CIFAR-100 error (%)", "All-CNN [14] 33.71"]]
    table = "case Fig. ResNet-110 ResNet-164\nReLU-only pre-activation Fig. 4(d) 6.71 5.91"
    passage = Passage(Chunk("t", table, "identity.pdf", "Identity", 7, 30, 0, len(table), kind="table"), 1.0, 0.5)
    rows = [with_header(quote, header).split("\n") for quote, header in _sentences([passage])[0]]
    assert rows == [["case Fig. ResNet-110 ResNet-164", "ReLU-only pre-activation Fig. 4(d) 6.71 5.91"]]


# A document whose captions stand below their tables (the ResNet paper's style): the table between
# two captions takes the one below it.
PROSE = "We evaluate our method on the ImageNet 2012 classification dataset that consists of 1000 classes."
TABLE_2 = "plain ResNet\n18 layers 27.94 27.88\n34 layers 28.54 25.03"
CAPTION_2 = "Table 2. Top-1 error (%, 10-crop testing) on ImageNet validation. Here the ResNets have no extra parameter."
TABLE_3 = "model top-1 err. top-5 err.\nResNet-50 22.85 6.71\nResNet-152 21.43 5.71"
CAPTION_3 = "Table 3. Error rates (%, 10-crop testing) on ImageNet validation. VGG-16 is based on our test."
TABLE_4 = "method top-1 err. top-5 err.\nResNet-152 19.38 4.49"
CAPTION_4 = "Table 4. Error rates (%) of single-model results on the ImageNet validation set."


@pytest.fixture
def registry(tmp_path: Path):
    registry, chunks = document_registry(tmp_path / "registry.sqlite3", [
        (PROSE, "text"), (TABLE_2, "table"), (CAPTION_2, "caption"), (TABLE_3, "table"), (CAPTION_3, "caption"),
        (TABLE_4, "table"), (CAPTION_4, "caption"), (PROSE, "text")], page=6)
    yield registry, chunks
    registry.close()


def test_a_tables_rows_are_read_under_its_caption_on_the_documents_side(registry):
    registry, chunks = registry
    passages = with_captions(registry, [Passage(chunks[5], 1.0, 0.7)])
    assert passages[0].caption == chunks[6]  # Table 4's, below it, not Table 3's above it
    rows = [as_quoted(quote, header).split("\n") for quote, header in _sentences(passages)[0]]
    assert rows == [["Table 4. Error rates (%) of single-model results on the ImageNet validation set.",
                     "method top-1 err. top-5 err.", "ResNet-152 19.38 4.49"]]
    # The sentence model reads the row without its caption (it was fitted on rows without one).
    [(quote, header)] = _sentences(passages)[0]
    assert with_header(quote, header) == "method top-1 err. top-5 err.\nResNet-152 19.38 4.49"
