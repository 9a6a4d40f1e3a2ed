"""Table rows as candidates (``answering/candidates.py``): each row is read, and quoted, under its
table's header line and the group label above it."""

from __future__ import annotations

from assistant.answering.candidates import _sentences, with_header
from assistant.types import Chunk, Passage


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
