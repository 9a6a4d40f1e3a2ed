"""A sentence a page break cuts in two is quoted whole, each part cited on its own page
(retrieval/continuations.py; docs/EVALUATION.md, session 15)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.citations import Quote
from assistant.retrieval.continuations import unfinished, whole_sentence
from assistant.store.registry import Registry
from assistant.types import Chunk, Passage

from .helpers import document_registry
from .test_registry import _doc

# The foot of page 1 and the head of page 2 of the focal loss paper, a figure's caption between.
PAGE_1 = ("Despite the success of two-stage detectors, a natural question to ask is: could a simple one-stage "
          "detector achieve similar accuracy? This paper pushes the envelop further: we present a one-stage "
          "object detector that, for the first time, matches the\n\n1")
CAPTION = "Figure 2. Speed (ms) versus accuracy (AP) on COCO test-dev."
PAGE_2 = ("state-of-the-art COCO AP of more complex two-stage detectors, such as FPN. To achieve this result, "
          "we identify class imbalance as the main obstacle.")


@pytest.fixture
def registry(tmp_path: Path):
    chunks = [Chunk("c0", PAGE_1, "p.pdf", "P", 1, 0, 0, len(PAGE_1)),
              Chunk("c1", CAPTION, "p.pdf", "P", 2, 1, 0, len(CAPTION), kind="caption"),
              Chunk("c2", PAGE_2, "p.pdf", "P", 2, 2, len(CAPTION) + 2, len(CAPTION) + 2 + len(PAGE_2))]
    registry = Registry(tmp_path / "registry.sqlite3")
    registry.commit_documents([(_doc("p.pdf", chunks=len(chunks)), chunks)])
    yield registry, {c.chunk_id: c for c in chunks}
    registry.close()


def _quote(chunk: Chunk, text: str) -> Quote:
    start = chunk.text.index(text)
    return Quote(Passage(chunk, 1.0, 1.0), start, start + len(text))


def test_a_sentence_cut_at_the_foot_of_a_page_goes_on_past_a_caption(registry):
    registry, chunks = registry
    cut = _quote(chunks["c0"], "This paper pushes the envelop further: we present a one-stage object detector that, "
                               "for the first time, matches the")
    whole = whole_sentence(registry, cut)
    assert [q.passage.chunk.chunk_id for q in whole] == ["c0", "c2"]
    assert whole[1].text == "state-of-the-art COCO AP of more complex two-stage detectors, such as FPN."


def test_a_sentence_cut_at_the_head_of_a_page_takes_its_start(registry):
    registry, chunks = registry
    rest = _quote(chunks["c2"], "state-of-the-art COCO AP of more complex two-stage detectors, such as FPN.")
    whole = whole_sentence(registry, rest)
    assert [q.passage.chunk.chunk_id for q in whole] == ["c0", "c2"]
    assert whole[0].text.startswith("This paper pushes") and whole[0].text.endswith("matches the")


def test_a_whole_sentence_is_left_alone(registry):
    registry, chunks = registry
    for chunk, text in ((chunks["c0"], "Despite the success of two-stage detectors, a natural question to ask is: "
                                       "could a simple one-stage detector achieve similar accuracy?"),
                        (chunks["c2"], "To achieve this result, we identify class imbalance as the main obstacle.")):
        quote = _quote(chunk, text)
        assert whole_sentence(registry, quote) == (quote,)


def test_a_sentence_goes_on_past_the_tables_and_captions_a_column_puts_between(tmp_path: Path):
    """pypdf reads a two-column page's tables between a sentence's parts (the ResNet paper, page 8)."""
    texts = [("The testing result of this 1202-layer network is worse than that of our 110-layer network, although both", "text"),
             ("training data 07+12 07++12\nVGG-16 73.2 70.4", "table"),
             ("Table 7. Object detection mAP (%) on the PASCAL VOC 2007/2012 test sets.", "caption"),
             ("metric mAP@.5 mAP@[.5, .95]\nVGG-16 41.5 21.2", "table"),
             ("Table 8. Object detection mAP (%) on the COCO validation set.", "caption"),
             ("have similar training error. We argue that this is because of overfitting.", "text")]
    registry, chunks = document_registry(tmp_path / "registry.sqlite3", texts, page=8)
    try:
        whole = whole_sentence(registry, _quote(chunks[0], texts[0][0]))
        assert [q.passage.chunk.chunk_id for q in whole] == ["c0", "c5"]
        assert whole[1].text == "have similar training error."
    finally:
        registry.close()


def test_a_footnote_at_the_foot_of_a_page_is_not_the_start_of_the_sentence(tmp_path: Path):
    """The Faster R-CNN paper's page 5 ends "... For Selective Search (SS) [22], we generate about
    2k SS" and then its footnote; page 6 goes on "proposals by the “fast” mode."."""
    foot = "These results use the ZF net. For Selective Search (SS) [22], we generate about 2k SS"
    note = "5www.robots.ox.ac.uk/~vgg/research/very_deep/"
    head = "proposals by the “fast” mode. For EdgeBoxes (EB) [24], we use the default setting."
    chunks = [Chunk("c0", foot, "p.pdf", "P", 5, 0, 0, len(foot)),
              Chunk("c1", note, "p.pdf", "P", 5, 1, len(foot) + 2, len(foot) + 2 + len(note)),
              Chunk("c2", head, "p.pdf", "P", 6, 2, 0, len(head))]
    registry = Registry(tmp_path / "registry.sqlite3")
    registry.commit_documents([(_doc("p.pdf", chunks=len(chunks)), chunks)])
    try:
        whole = whole_sentence(registry, _quote(chunks[2], "proposals by the “fast” mode."))
        assert [q.passage.chunk.chunk_id for q in whole] == ["c0", "c2"]
        assert whole[0].text == "For Selective Search (SS) [22], we generate about 2k SS"
    finally:
        registry.close()


def test_a_part_after_a_page_break_may_open_with_a_number(tmp_path: Path):
    """The ResNet paper's page 11 ends "... Our single model with ResNet-101 has" and page 12 goes on
    "58.8% mAP and our ensemble of 3 models has 62.1% mAP ...": the head names the model asked of."""
    texts = [("We use the ImageNet DET training set. Our single model with ResNet-101 has\n\n11", "text"),
             ("58.8% mAP and our ensemble of 3 models has 62.1% mAP on the DET test set (Table 12). "
              "This result won the 1st place.", "text")]
    registry, chunks = document_registry(tmp_path / "registry.sqlite3", texts)
    try:
        whole = whole_sentence(registry, _quote(chunks[1], "58.8% mAP and our ensemble of 3 models has 62.1% mAP "
                                                           "on the DET test set (Table 12)."))
        assert [q.passage.chunk.chunk_id for q in whole] == ["c0", "c1"]
        assert whole[0].text == "Our single model with ResNet-101 has"
    finally:
        registry.close()


def test_a_tables_header_line_is_no_part_of_a_cut_sentence(tmp_path: Path):
    """A table's header line opens in lower case ("method augmentation ... top-1 top-5"), as the
    rest of a cut sentence does; it is no part of the sentence the page before left unfinished."""
    header = "method augmentation train crop test crop top-1 top-5\nInception v3 [19] scale+asp ratio 299×299 299×299 21.2 5.6"
    chunks = [Chunk("c0", PAGE_1, "p.pdf", "P", 1, 0, 0, len(PAGE_1)),
              Chunk("c1", header, "p.pdf", "P", 2, 1, 0, len(header), kind="table")]
    registry = Registry(tmp_path / "registry.sqlite3")
    registry.commit_documents([(_doc("p.pdf", chunks=len(chunks)), chunks)])
    try:
        line = _quote(chunks[1], "method augmentation train crop test crop top-1 top-5")
        assert whole_sentence(registry, line) == (line,)
    finally:
        registry.close()


def test_prose_stopping_mid_sentence_before_its_footnote_is_unfinished():
    """A footnote or the page's number closing the chunk is no part of its prose."""
    cut = "The first is the CaffeNet from R-CNN. We alternatively refer\n\n2https://github.com/BVLC/caffe/wiki/Model-Zoo"
    ended = "The first is the CaffeNet from R-CNN.\n\n4"
    assert unfinished(Chunk("c0", cut, "p.pdf", "P", 4, 0, 0, len(cut)))
    assert not unfinished(Chunk("c0", ended, "p.pdf", "P", 4, 0, 0, len(ended)))
    assert not unfinished(Chunk("c0", "method top-1 err", "p.pdf", "P", 4, 0, 0, 16, kind="table"))


def test_a_sentence_goes_on_past_a_page_of_tables(tmp_path: Path):
    """Fast R-CNN's page 4 ends "We alternatively refer"; page 5 opens with three tables, each its
    rows and caption, before "to this CaffeNet as model S ..." (twelve chunks between)."""
    tables = [(f"FRCN [ours] 07 74.{n} 78.3 69.2", "table") if n % 4 else (f"Table {n // 4 + 1}. VOC test detection average precision (%).", "caption")
              for n in range(1, 13)]
    texts = [("The first is the CaffeNet from R-CNN. We alternatively refer", "text"), *tables,
             ("to this CaffeNet as model S, for small. The second network is VGG CNN M 1024.", "text")]
    registry, chunks = document_registry(tmp_path / "registry.sqlite3", texts, page=5)
    try:
        whole = whole_sentence(registry, _quote(chunks[0], "We alternatively refer"))
        assert [q.text for q in whole] == ["We alternatively refer", "to this CaffeNet as model S, for small."]
    finally:
        registry.close()
