"""Document structure and clean PDF text (issue 12, items 2-3): the real papers of ../shared/papers
and the seed article, loaded and chunked as ingestion does; Markdown and HTML headings; the
registry's migration of an index made before sections and kinds existed."""

from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path
from types import SimpleNamespace

import pytest

from assistant.ingest.chunking import CHUNKER_VERSION, chunk_pages, fast_token_counter, make_splitter
from assistant.citations import Quote, cite, location
from assistant.config import PROJECT_ROOT, Settings
from assistant.encoder.runtimes import default_model_path, load_tokenizer
from assistant.ingest.loaders import load
from assistant.ingest.pdf_text import join_hyphenated
from assistant.store.registry import Registry
from assistant.types import Passage
from tests.conftest import PAPERS, make_settings
from tests.helpers import paper_pages

SEED_ARTICLE = PROJECT_ROOT / "corpus" / "who-benefits-from-american-ai-research-in-china.txt"
DEFAULTS = Settings()
MIB = 2**20


def _paper(name: str) -> tuple:
    path = PAPERS / name
    if not path.is_file():
        pytest.skip(f"{path} is not there")
    return paper_pages(name)


@pytest.fixture(scope="module")
def splitter():
    """The ingest splitter, counting with the model folder's tokenizer (no encoder needed)."""
    tokenizer = load_tokenizer(default_model_path())
    counter = SimpleNamespace(count_tokens=lambda text: len(tokenizer.encode(text, add_special_tokens=False).ids))
    return make_splitter(fast_token_counter(counter), chunk_tokens=DEFAULTS.chunk_tokens, overlap=DEFAULTS.chunk_overlap)


@pytest.fixture(scope="module")
def resnet():
    return _paper("resnet_1512.03385.pdf")


@pytest.fixture(scope="module")
def article():
    return load(SEED_ARTICLE, source=SEED_ARTICLE.name, max_bytes=50 * MIB)


def _blocks(pages):
    return [(page, block, page.text[block.start : block.end]) for page in pages for block in page.text_blocks()]


# -- clean text from PDFs --------------------------------------------------------------------
def test_page_numbers_and_running_lines_are_gone():
    """Identity Mappings: page 14 opened "14\\ndepth (so a 1001-layer net ..." (the page number,
    then the sentence). AlphaGo Zero is a browser print: every page had the page's title and URL
    at the top and "N of 20 10/19/17, 8:30 AM" at the bottom."""
    identity = _paper("identity_mappings_1603.05027.pdf")
    assert identity[13].text.startswith("depth (so a 1001-layer net is")
    alphago = "\n".join(p.text for p in _paper("alphago_zero_nature2017.pdf"))
    assert "of 20" not in alphago and "8:30 AM" not in alphago
    assert "https://www.nature.com/nature/journal" not in alphago
    assert alphago.count("Mastering the game of Go without human knowl") == 1  # the title, once
    for path in sorted(PAPERS.glob("*.pdf")):
        for page in paper_pages(path.name):
            assert not re.match(r"\d{1,3}\s+[a-z]", page.text), (path.name, page.page, page.text[:40])


def test_lines_are_joined_into_prose(resnet):
    """No line breaks inside a paragraph: a quoted sentence reads as one line."""
    abstract = next(text for _, block, text in _blocks(resnet) if block.section == "Abstract")
    assert "We explicitly reformulate the layers as learning residual functions with reference to the layer inputs" in abstract
    assert "provide comprehensive empirical evidence" in abstract
    prose = [text for _, block, text in _blocks(resnet) if block.kind in ("text", "caption", "references")]
    assert not any(re.search(r"(?<!\n)\n(?!\n)", text) for text in prose)  # paragraphs are "\n\n" apart


@pytest.mark.parametrize(
    ("left", "right", "joined"),
    [
        ("as learn-", "ing residual", "as learning residual"),
        ("com-", "prehensive", "comprehensive"),
        ("the parameter-", "free shortcuts", "the parameter-free shortcuts"),  # a compound keeps its hyphen
        ("full pre-", "activation", "full pre-activation"),
        ("a mini-", "batch of", "a mini-batch of"),
        ("thresh-", "olding", "thresholding"),  # threshold + ing
        ("ImageNet-", "pre-trained", "ImageNet-pre-trained"),  # inside a longer compound
        ("end-to-", "end", "end-to-end"),
        ("101-", "layer", "101-layer"),
    ],
)
def test_hyphenation(left: str, right: str, joined: str):
    assert join_hyphenated(left, right, set()) == joined


def test_parameter_free_stays_in_the_paper(resnet):
    text = "\n".join(p.text for p in resnet)
    assert "parameter-free" in text and "parameterfree" not in text
    assert not re.search(r"\b(learn|classi|com)- ?(ing|fication|prehensive)", text)


# -- structure of the papers -------------------------------------------------------------------
def test_resnet_sections_are_heading_paths(resnet):
    sections = {block.section for _, block, _ in _blocks(resnet)}
    assert {
        "Abstract", "1. Introduction", "3. Deep Residual Learning › 3.1. Residual Learning",
        "4. Experiments › 4.1. ImageNet Classification", "4. Experiments › 4.2. CIFAR-10 and Analysis",
        "References", "A. Object Detection Baselines",
    } <= sections
    # The front matter (title, authors) comes before any heading; nothing is filed under them.
    assert resnet[0].text_blocks()[0].section == "" and "Kaiming He" in resnet[0].text[: resnet[0].text_blocks()[0].end]
    assert not any("Kaiming" in s or "Microsoft" in s for s in sections)


def test_captions_tables_and_references_have_their_kind(resnet):
    blocks = _blocks(resnet)
    caption = next((b, t) for _, b, t in blocks if "Table 5. Error rates (%) of ensembles." in t)
    assert caption[0].kind == "caption"
    # The labels drawn inside Figure 2 go with its caption, not into the prose around it.
    figure = next((b, t) for _, b, t in blocks if "identity weight layer weight layer relu relu" in t)
    assert figure[0].kind == "caption" and "Figure 2. Residual learning: a building block." in figure[1]
    # The table's rows stay rows, under their header line, in one table block.
    table = next(t for _, b, t in blocks if "ResNet (ILSVRC’15) 3.57" in t)
    assert next(b.kind for _, b, t in blocks if t == table) == "table"
    assert table.split("\n")[0] == "method top-5 err. (test)" and "\nResNet (ILSVRC’15) 3.57" in table
    references = [(b, t) for _, b, t in blocks if b.section == "References"]
    assert references and all(b.kind == "references" for b, _ in references)
    assert any(t.startswith("[1] Y. Bengio, P. Simard, and P. Frasconi.") for _, t in references)
    # Every paper's bibliography is found, and prose is still most of each paper.
    for path in sorted(PAPERS.glob("*.pdf")):
        kinds = [(b.kind, len(t)) for _, b, t in _blocks(paper_pages(path.name))]
        assert any(kind == "references" for kind, _ in kinds), path.name
        assert any(kind == "caption" for kind, _ in kinds), path.name
        assert sum(n for kind, n in kinds if kind == "text") > 0.5 * sum(n for _, n in kinds), path.name


def test_a_table_row_is_quoted_with_its_header(resnet, splitter):
    chunks = chunk_pages(resnet, splitter)
    row = next(c for c in chunks if "ResNet (ILSVRC’15) 3.57" in c.text)
    assert row.kind == "table" and row.text.startswith("method top-5 err. (test)")
    assert row.section == "4. Experiments › 4.1. ImageNet Classification"


@pytest.mark.parametrize("name", [p.name for p in sorted(PAPERS.glob("*.pdf"))] if PAPERS.is_dir() else [])
def test_chunks_are_exact_slices_in_one_block(name: str, splitter):
    """Offsets stay exact against the stored page text; a chunk lies in one block (one section,
    one kind) and holds no heading line."""
    pages = _paper(name)
    chunks = chunk_pages(pages, splitter)
    by_page = {p.page: p for p in pages}
    headings = set()
    for page in pages:
        inside = {i for b in page.text_blocks() for i in range(b.start, b.end)}
        outside = "".join(ch if i not in inside else "\n" for i, ch in enumerate(page.text))
        headings.update(line.strip() for line in outside.split("\n") if len(line.strip()) > 8)
    for chunk in chunks:
        page = by_page[chunk.page]
        assert page.text[chunk.start : chunk.end] == chunk.text
        [block] = [b for b in page.text_blocks() if b.start <= chunk.start and chunk.end <= b.end]
        assert (chunk.section, chunk.kind) == (block.section, block.kind)
        assert not any(heading in chunk.text.split("\n") for heading in headings), chunk.text[:80]


# -- text files: the seed article, Markdown, HTML ------------------------------------------------
def test_article_chunks_carry_their_section(article, splitter):
    chunks = chunk_pages(article, splitter)

    def section_of(words: str) -> str:
        return next(c.section for c in chunks if words in c.text)

    assert section_of("Microsoft itself also benefited") == "Who Benefitted and Who Lost Out?"
    assert section_of("ResNet’s central contribution") == "The Breakthrough: What’s So Important About ResNet?"
    assert section_of("Who benefits from the research breakthroughs") == ""  # the introduction
    for chunk in chunks:  # the headings are between chunks, never glued into one
        assert "Who Benefitted and Who Lost Out?" not in chunk.text
        assert not chunk.text.startswith("Who Benefits From American AI Research in China?")
        assert chunk.kind == "text"
    assert len({c.section for c in chunks}) == 6


MARKDOWN_PAGE = (
    "# Residual Networks\n\nIntro words.\n\n## Results\n\nThe ensemble did well.\n\n"
    "| model | top-5 |\n|---|---|\n| ResNet | 3.57 |\n\nTable 1. Errors of the models.\n\n"
    "### On CIFAR\n\nDeeper nets.\n\n## References\n\n[1] K. He. Deep residual learning.\n"
)
HTML_PAGE = (
    "<html><head><title>T</title></head><body><h1>Residual Networks</h1><p>Intro.</p>"
    "<h2>Results</h2><p>The ensemble did well.</p><table><caption>Table 1. Errors.</caption>"
    "<tr><th>model</th><th>top-5</th></tr><tr><td>ResNet</td><td>3.57</td></tr></table>"
    "<h3>On  CIFAR</h3><p>Deeper nets.</p><figure><figcaption>Figure 2. Curves.</figcaption></figure></body></html>"
)


@pytest.mark.parametrize(
    ("name", "content", "blocks", "title"),
    [
        ("notes.md", MARKDOWN_PAGE, [
            ("", "text", "Intro words."),  # the lone top heading is the title, not a section
            ("Results", "text", "The ensemble did well."),
            ("Results", "table", "| model | top-5 |\n|---|---|\n| ResNet | 3.57 |"),
            ("Results", "caption", "Table 1. Errors of the models."),
            ("Results › On CIFAR", "text", "Deeper nets."),
            ("References", "references", "[1] K. He. Deep residual learning."),
        ], "Residual Networks"),
        ("page.html", HTML_PAGE, [
            ("", "text", "Intro."),
            ("Results", "text", "The ensemble did well."),
            ("Results", "caption", "Table 1. Errors."),
            ("Results", "table", "model | top-5\nResNet | 3.57"),
            ("Results › On CIFAR", "text", "Deeper nets."),
            ("Results › On CIFAR", "caption", "Figure 2. Curves."),
        ], "T"),  # an HTML page's <title> names it
    ],
    ids=["markdown", "html"],
)
def test_headings_tables_and_captions(tmp_path: Path, name: str, content: str, blocks: list, title: str):
    path = tmp_path / name
    path.write_text(content)
    [page] = load(path, source=path.name, max_bytes=MIB)
    found = [(b.section, b.kind, page.text[b.start : b.end]) for b in page.text_blocks()]
    assert found == blocks
    assert page.title == title
    assert "\ue000" not in page.text  # the loader's internal role marks never reach the text


# -- citations ---------------------------------------------------------------------------------
def test_citations_carry_and_show_the_section(article, splitter):
    chunk = next(c for c in chunk_pages(article, splitter) if "Microsoft itself also benefited" in c.text)
    at = chunk.text.index("Microsoft itself")
    citation = cite(Quote(Passage(chunk, 1.0, 1.0), at, at + 40), 1)
    assert citation.section == "Who Benefitted and Who Lost Out?"
    assert article[0].text[citation.start : citation.end] == citation.quote
    assert location(citation) == f"{SEED_ARTICLE.name}, Who Benefitted and Who Lost Out?"


# -- the registry: stored, migrated, re-chunked -----------------------------------------------------
OLD_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE documents (source TEXT PRIMARY KEY, sha256 TEXT NOT NULL, title TEXT NOT NULL, pages INTEGER NOT NULL,
    chunks INTEGER NOT NULL, bytes INTEGER NOT NULL, added TEXT NOT NULL, updated TEXT NOT NULL);
CREATE TABLE chunks (chunk_id TEXT PRIMARY KEY, source TEXT NOT NULL REFERENCES documents(source) ON DELETE CASCADE,
    chunk_index INTEGER NOT NULL, page INTEGER, start INTEGER NOT NULL, end INTEGER NOT NULL,
    title TEXT NOT NULL, text TEXT NOT NULL);
CREATE TABLE pending (source TEXT PRIMARY KEY, chunk_ids TEXT NOT NULL, started TEXT NOT NULL);
INSERT INTO documents VALUES ('a.txt', 'abc', 'A', 1, 1, 10, '2026-01-01', '2026-01-01');
INSERT INTO chunks VALUES ('id1', 'a.txt', 0, NULL, 0, 5, 'A', 'Hello');
"""


def test_a_registry_from_before_sections_is_migrated(tmp_path: Path):
    path = tmp_path / "registry.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(OLD_SCHEMA)
    db.close()
    registry = Registry(path)
    [record] = registry.documents()
    assert record.source == "a.txt" and record.chunker == 0 < CHUNKER_VERSION  # so sync reads it again
    [chunk] = registry.chunks()
    assert (chunk.text, chunk.section, chunk.kind) == ("Hello", "", "text")
    registry.close()
    Registry(path).close()  # a second open finds the columns there


def test_sync_rechunks_an_older_chunkers_documents_and_stores_the_fields(fresh_root: Path):
    from assistant.ingest.library import Library

    shutil.copyfile(SEED_ARTICLE, fresh_root / "corpus" / SEED_ARTICLE.name)
    library = Library(make_settings(fresh_root))
    assert library.sync().added == [SEED_ARTICLE.name]
    assert library.sync().unchanged == [SEED_ARTICLE.name]
    stored = library.registry.chunks()
    assert {c.section for c in stored} >= {"", "Who Benefitted and Who Lost Out?"}
    got = library.store.collection.get(ids=[c.chunk_id for c in stored], include=["metadatas"])
    meta = {i: m for i, m in zip(got["ids"], got["metadatas"])}
    assert all(meta[c.chunk_id]["section"] == c.section and meta[c.chunk_id]["kind"] == c.kind for c in stored)
    # An index made by an older loader and chunker is read again, not left mixed.
    library.registry.db.execute("UPDATE documents SET chunker = 0")
    library.registry.db.execute("UPDATE chunks SET section = ''")
    report = library.sync()
    assert report.updated == [SEED_ARTICLE.name]
    assert library.registry.document(SEED_ARTICLE.name).chunker == CHUNKER_VERSION
    assert {c.section for c in library.registry.chunks()} == {c.section for c in stored}
    assert library.check() == []
