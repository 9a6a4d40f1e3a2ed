"""Document scoping (assistant/retrieval/documents.py): the documents a question names, read from
the titles and coined names of a real index, favoured by retrieval but never the only ones."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from assistant.ingest.library import Library
from assistant.retrieval import documents as documents_module
from assistant.retrieval.documents import DocumentNames, aliases, quoted_names, title_names, title_phrases
from assistant.retrieval.search import Searcher
from assistant.store.index import Index

from .conftest import PAPERS, make_settings

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


# A paper known by a name it hardly uses itself, another paper using that name more, and an article
# that gives the first paper's title with the name it is known by.
RESNET = "# Deep Residual Learning for Image Recognition\n\n" + "\n".join(
    f"Residual learning result {i}: the shortcut connections add the input to the ResNet layers." for i in range(6)
) + "\nShortcut option A pads with zero entries; the ResNets have no extra parameter.\n"
IDENTITY = "# Identity Mappings in Deep Residual Networks\n\n" + "\n".join(
    f"ResNet unit {i}: the identity mapping lets the signal propagate to any ResNet block." for i in range(10)
)
ARTICLE = """# Who Benefits From American AI Research?

The case I examine here is the most-cited paper in AI research: Deep Residual Learning for Image
Recognition. Often abbreviated as "ResNet," the 2015 paper was written at Microsoft Research Asia.
The ResNet paper was authored by four researchers. Microsoft and Facebook benefited from ResNet.
"""


@pytest.fixture(scope="module")
def papers(tmp_path_factory: pytest.TempPathFactory, seed_assistant) -> DocumentNames:
    root = tmp_path_factory.mktemp("papers")
    (root / "corpus").mkdir()
    for name, text in (("resnet.md", RESNET), ("identity.md", IDENTITY), ("article.md", ARTICLE)):
        (root / "corpus" / name).write_text(text)
    library = Library(make_settings(root), encoder=seed_assistant.encoder)
    assert library.sync().ok
    return DocumentNames(library.registry)


def test_the_x_paper_names_the_paper_known_as_x_and_the_documents_about_it(papers: DocumentNames):
    # "ResNet" is the identity paper's word more than the ResNet paper's: alone it names no
    # document, but the article gives the paper's title with it, so "the ResNet paper" is that
    # paper (and the article, which writes about it).
    assert papers.named("What is shortcut option A in the ResNet paper?") == ["resnet.md", "article.md"]
    assert papers.named("Who wrote the ResNet paper's first draft?") == ["resnet.md", "article.md"]
    assert papers.named("What does the residual learning paper add to the layers?") == ["resnet.md", "article.md"]
    assert papers.named("Who benefited from ResNet?") == []  # the technique, not the paper
    assert papers.named("What is a ResNet unit?") == []
    assert papers.named("What does the identity mappings paper propagate?") == ["identity.md"]
    # ... hyphenated as a reader may write a compound ("the identity-mappings paper")
    assert papers.named("What does the identity-mappings paper propagate?") == ["identity.md"]
    assert papers.named("What does the residual-learning paper add?") == ["resnet.md", "article.md"]
    assert papers.named("the deep residual paper") == []  # a phrase of two titles names neither


def test_aliases_and_title_phrases():
    titles = {"a.pdf": "Deep Residual Learning for Image Recognition", "b.pdf": "Identity Mappings in Deep Residual Networks"}
    assert aliases(titles, quoted_names(" ".join(ARTICLE.split()))) == [("a.pdf", "ResNet")]
    assert aliases(titles, quoted_names("Deep Residual Learning for Image Recognition (ResNet) won.")) == [("a.pdf", "ResNet")]
    assert aliases(titles, quoted_names("Deep residual learning for image recognition was cited (see Table 2).")) == []
    far = "Deep Residual Learning for Image Recognition. " + "It was a long story, told many times over. " * 3 + '"ResNet"'
    assert aliases(titles, quoted_names(far)) == []  # too far after the title to be its name
    phrases = title_phrases(titles)
    assert phrases["residual learning"] == "a.pdf" and phrases["residual networks"] == "b.pdf"
    assert "deep residual" not in phrases and "learning for" not in phrases


def test_the_library_names_the_resnet_paper():
    """On the library index of bench/library.py: "the ResNet paper" is the paper the MacroPolo
    article gives the title of ("Deep Residual Learning for Image Recognition. Often abbreviated
    as 'ResNet,'"), with that article; "ResNet" alone names none of the four documents using it."""
    if not (PAPERS / "resnet_1512.03385.pdf").is_file():
        pytest.skip(f"{PAPERS} does not hold the papers")
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from bench.library import library_settings

    names = DocumentNames(Index(library_settings()).registry)
    paper_and_article = ["resnet_1512.03385.pdf", "who-benefits-from-american-ai-research-in-china.txt"]
    assert names.named("What is shortcut option A in the ResNet paper?") == paper_and_article
    assert names.named("In the residual learning paper, what is a plain network?") == paper_and_article
    assert names.named("Who benefited from ResNet?") == []
    assert names.named("What does the AlphaGo Zero paper use for its search?") == ["alphago_zero_nature2017.pdf"]
    assert names.named("How is the focal loss paper's RetinaNet built?") == ["focal_loss_1708.02002.pdf"]


def test_the_library_names_a_paper_by_its_first_author():
    """On the library index: "Ren et al." is the paper whose byline Shaoqing Ren opens (Faster R-CNN),
    not the ResNet paper he co-wrote; "He et al." both papers Kaiming He opens. A co-author who
    opens no byline names none ("Zhang et al.")."""
    if not (PAPERS / "resnet_1512.03385.pdf").is_file():
        pytest.skip(f"{PAPERS} does not hold the papers")
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from bench.library import library_settings

    names = DocumentNames(Index(library_settings()).registry)
    assert names.named("Which framework did Ren et al. implement their detector in?") == ["faster_rcnn_nips2015.pdf"]
    assert sorted(names.named("What do He et al. mean by a plain network?")) == [
        "identity_mappings_1603.05027.pdf", "resnet_1512.03385.pdf"]
    assert names.named("how do lin et al. initialise the last layer?") == ["focal_loss_1708.02002.pdf"]
    assert names.named("What did Zhang et al. find?") == []
    # ... and by their name in the possessive: "Girshick's detector" is the paper he opens alone
    # (Fast R-CNN), not Faster R-CNN or the focal loss paper he co-wrote; "He's" is "he is".
    assert names.named("Under what licence is Girshick's detector released?") == ["fast_rcnn_iccv2015.pdf"]
    assert names.named("What did Zhang's team find?") == []
    assert names.named("Where's Kaiming He now? He's at Facebook, right?") == []


def test_the_library_reads_who_wrote_each_document():
    """A paper's byline lists its authors; an article without one names its author at its end
    ("Matt Sheehan is a Fellow at MacroPolo."): a question may name either document by them."""
    if not (PAPERS / "resnet_1512.03385.pdf").is_file():
        pytest.skip(f"{PAPERS} does not hold the papers")
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from bench.library import library_settings

    names = DocumentNames(Index(library_settings()).registry)
    assert names.authors("fast_rcnn_iccv2015.pdf") == ("Ross Girshick",)
    assert names.authors("faster_rcnn_nips2015.pdf")[0] == "Shaoqing Ren"
    assert names.authors("who-benefits-from-american-ai-research-in-china.txt") == ("Matt Sheehan",)
    # The documents whose first chunk (title, byline) names a person, read once per registry
    # generation, not per question ("Which papers did Jian Sun co-author?").
    assert sorted(names.opening_naming(["Jian Sun"])) == [
        "faster_rcnn_nips2015.pdf", "identity_mappings_1603.05027.pdf", "resnet_1512.03385.pdf"]
    assert sorted(names.opening_naming(["ross girshick", "Lee Sedol"])) == [
        "fast_rcnn_iccv2015.pdf", "faster_rcnn_nips2015.pdf", "focal_loss_1708.02002.pdf"]
    assert names.opening_naming(["Lee Sedol"]) == []


# The plain form of a phrase matcher: one alternation of every name. ``_Phrases`` must find what it finds.
def _one_alternation(names: list[str], after: str = "") -> re.Pattern:
    phrases = "|".join(re.escape(n).replace("\\ ", "\\s+") for n in sorted(names, key=len, reverse=True))
    return re.compile(f"(?<![\\w-])({phrases})" + (after or "(?![\\w-])"), re.I)


PHRASE_NAMES = ["fast r-cnn", "faster r-cnn", "r-cnn", "resnet", "alphago zero", "alphago", "deep residual learning",
                "focal loss", "rpn", "(fair)"]
PHRASE_WORDS = ["Fast", "Faster", "R-CNN", "r-cnn", "ResNet", "ResNets", "AlphaGo", "Zero", "paper", "the", "focal",
                "Loss", "deep", "residual", "learning", "RPN’s", "-RPN", "(FAIR)", "x", "\n", ",", "Fast-R-CNN",
                "AlphaGo Zero", "Fast R-CNN paper", "Deep  Residual\nLearning", "focal loss paper"]


@hypothesis_settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PHRASE_WORDS), max_size=12), st.sampled_from(["", documents_module._PAPER]))
def test_the_phrase_matcher_finds_what_one_alternation_finds(words, after):
    text = " ".join(words)
    expected = [(m.start(), m.end(), m.group(1)) for m in _one_alternation(PHRASE_NAMES, after).finditer(text)]
    found = [(m.start(), m.end(), m.group(1)) for m in documents_module._phrases(dict.fromkeys(PHRASE_NAMES), after).finditer(text)]
    assert found == expected
