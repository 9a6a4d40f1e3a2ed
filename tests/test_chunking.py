"""Chunking: every chunk fits the encoder (measured with its own tokenizer), is the exact slice
``page_text[start:end]``, and keeps its id across runs and across edits elsewhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from assistant.ingest.chunking import chunk_pages, fast_token_counter, make_splitter
from assistant.config import PROJECT_ROOT, Settings
from assistant.encoder.encoder import Encoder
from assistant.encoder.runtimes import sentence_transformer
from assistant.ingest.loaders import load
from assistant.types import Page
from tests.conftest import RESNET_PDF

SEED_ARTICLE = PROJECT_ROOT / "corpus" / "who-benefits-from-american-ai-research-in-china.txt"
DEFAULTS = Settings()


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return Encoder()


def splitter_for(encoder: Encoder, chunk_tokens: int = DEFAULTS.chunk_tokens, overlap: int = DEFAULTS.chunk_overlap):
    return make_splitter(fast_token_counter(encoder), chunk_tokens=chunk_tokens, overlap=overlap)


def _pages(path: Path, source: str):
    if not path.is_file():
        pytest.skip(f"{path} is not there")
    return load(path, source=source, max_bytes=50 * 2**20)


@pytest.fixture(scope="module")
def seed_pages():
    return _pages(SEED_ARTICLE, SEED_ARTICLE.name)


@pytest.fixture(scope="module")
def resnet_pages():
    return _pages(RESNET_PDF, "papers/resnet.pdf")


def assert_well_formed(pages: list[Page], chunks, encoder: Encoder, limit: int) -> None:
    """Every chunk is an exact, fitting slice of one block of its page, carrying the block's
    section and kind; chunks follow each other in order; no text of a block is left out."""
    by_page = {p.page: p for p in pages}
    assert [c.chunk_index for c in chunks] == list(range(len(chunks)))
    assert len({c.chunk_id for c in chunks}) == len(chunks)
    previous: dict[int | None, tuple[int, int, object]] = {}
    covered: dict[int | None, set[int]] = {p.page: set() for p in pages}
    for chunk in chunks:
        page = by_page[chunk.page]
        assert page.text[chunk.start : chunk.end] == chunk.text  # exact provenance
        assert chunk.text == chunk.text.strip() and chunk.text
        [block] = [b for b in page.text_blocks() if b.start <= chunk.start and chunk.end <= b.end]
        assert (chunk.section, chunk.kind) == (block.section, block.kind)
        tokens = encoder.count_tokens(chunk.text)
        assert tokens <= limit, (tokens, chunk.text[:80])
        assert tokens + 2 <= encoder.max_tokens  # [CLS] + pieces + [SEP]: nothing is cut off
        if chunk.page in previous:
            start, end, previous_block = previous[chunk.page]
            if previous_block == block:
                assert start < chunk.start <= end + 2  # in order: overlapping or following
            else:
                assert chunk.start >= end  # the next block
        previous[chunk.page] = (chunk.start, chunk.end, block)
        covered[chunk.page].update(range(chunk.start, chunk.end))
        assert chunk.source == page.source and chunk.title == page.title
    for page in pages:  # no text of a block is lost between chunks
        inside = {i for b in page.text_blocks() for i in range(b.start, b.end)}
        lost = [i for i in sorted(inside) if not page.text[i].isspace() and i not in covered[page.page]]
        assert not lost, (page.page, page.text[lost[0] : lost[0] + 40])


def test_encoder_window_is_256_word_pieces(encoder: Encoder):
    assert encoder.max_tokens == 256
    assert DEFAULTS.chunk_tokens + 2 <= encoder.max_tokens


def test_seed_article_chunks_fit_and_are_slices(encoder: Encoder, seed_pages):
    chunks = chunk_pages(seed_pages, splitter_for(encoder))
    assert len(chunks) >= 5
    assert_well_formed(seed_pages, chunks, encoder, DEFAULTS.chunk_tokens)
    assert all(c.page is None and c.metadata()["page"] == 0 for c in chunks)
    assert any(b.start < a.end for a, b in zip(chunks, chunks[1:]))  # consecutive chunks overlap


def test_resnet_chunks_fit_and_are_slices(encoder: Encoder, resnet_pages):
    chunks = chunk_pages(resnet_pages, splitter_for(encoder))
    assert len(chunks) > 50
    assert_well_formed(resnet_pages, chunks, encoder, DEFAULTS.chunk_tokens)
    assert {c.page for c in chunks} == set(range(1, 13))
    meta = chunks[0].metadata()
    assert set(meta) == {"chunk_id", "source", "title", "page", "chunk_index", "start", "end", "section", "kind"}
    assert meta["source"] == "papers/resnet.pdf" and meta["page"] == 1


def test_chunks_at_the_largest_size_still_fit(encoder: Encoder, resnet_pages):
    """At 254 word pieces (256 minus [CLS] and [SEP]) the splitter's sum of piece lengths must
    not undercount the joined text."""
    limit = encoder.max_tokens - 2
    chunks = chunk_pages(resnet_pages, splitter_for(encoder, chunk_tokens=limit, overlap=50))
    assert_well_formed(resnet_pages, chunks, encoder, limit)


def test_token_counts_are_what_sentence_transformers_counts(encoder: Encoder, resnet_pages):
    """Chunk sizes are measured with the model folder's Rust tokenizer (no torch needed); the
    counts must be those of the tokenizer sentence-transformers encodes with, untruncated."""
    reference = sentence_transformer(encoder.path).tokenizer
    counter = fast_token_counter(encoder)
    text = "\n".join(p.text for p in resnet_pages)
    samples = ["", " ", "ﬁ", "naïve café — 東京 😀", "x" * 3000, text[:20000]]
    samples += [text[i : i + n] for i, n in zip(range(0, 60000, 997), [7, 60, 400, 1500] * 20)]
    for sample in samples:
        expected = len(reference(sample, add_special_tokens=False, truncation=False)["input_ids"])
        assert counter(sample) == encoder.count_tokens(sample) == expected, sample[:60]
    assert counter(text[:20000]) > 512  # measured whole, not truncated at the model's limit


def test_repetitive_text_is_placed_in_order(encoder: Encoder):
    """Identical chunk texts used to be placed at the first copy (start 0) near the page's end."""
    for text in (
        " ".join(["Residual networks are easy to optimize."] * 120),
        "\n".join(["abc " * 150] * 4).strip(),
        "\n\n".join(["A paragraph that repeats itself word for word, again and again."] * 40),
    ):
        pages = [Page(text=text, source="repeat.txt", title="Repeat")]
        chunks = chunk_pages(pages, splitter_for(encoder))
        assert_well_formed(pages, chunks, encoder, DEFAULTS.chunk_tokens)
        assert chunks[-1].end == len(text)


def test_ids_are_stable_across_runs_and_edits_elsewhere(encoder: Encoder, seed_pages, tmp_path: Path):
    first = chunk_pages(seed_pages, splitter_for(encoder))
    again = chunk_pages(seed_pages, splitter_for(encoder))
    assert [c.chunk_id for c in first] == [c.chunk_id for c in again]
    # The ids name the source: the same text under another name is another chunk.
    renamed = [Page(text=p.text, source="other.txt", title=p.title) for p in seed_pages]
    assert not {c.chunk_id for c in chunk_pages(renamed, splitter_for(encoder))} & {c.chunk_id for c in first}
    # An edit at the end keeps the ids (and so the vectors) of the chunks before it.
    edited_file = tmp_path / SEED_ARTICLE.name
    edited_file.write_text(SEED_ARTICLE.read_text(encoding="utf-8") + "\n\nA new closing paragraph about something else entirely.\n")
    edited = load(edited_file, source=SEED_ARTICLE.name, max_bytes=2**26)
    after = chunk_pages(edited, splitter_for(encoder))
    before_ids = [c.chunk_id for c in first]
    after_ids = [c.chunk_id for c in after]
    assert after_ids[: len(before_ids) - 1] == before_ids[:-1]
    assert after_ids[-1] not in before_ids


_OTHER_PROCESS = r"""
import json, sys
from pathlib import Path
from types import SimpleNamespace
from assistant.ingest.chunking import chunk_pages, fast_token_counter, make_splitter
from assistant.config import Settings
from assistant.encoder.runtimes import default_model_path, load_tokenizer
from assistant.ingest.loaders import load

tokenizer = load_tokenizer(default_model_path())
stand_in = SimpleNamespace(count_tokens=lambda text: len(tokenizer.encode(text, add_special_tokens=False).ids))
s = Settings()
pages = load(Path(sys.argv[1]), source=Path(sys.argv[1]).name, max_bytes=2**26)
splitter = make_splitter(fast_token_counter(stand_in), chunk_tokens=s.chunk_tokens, overlap=s.chunk_overlap)
print(json.dumps([[c.chunk_id, c.start, c.end] for c in chunk_pages(pages, splitter)]))
"""


def test_ids_are_stable_in_another_process(encoder: Encoder, seed_pages):
    """Another interpreter (another hash seed, the bare Rust tokenizer) finds the same chunks
    with the same ids and offsets."""
    ours = [[c.chunk_id, c.start, c.end] for c in chunk_pages(seed_pages, splitter_for(encoder))]
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    done = subprocess.run(
        [sys.executable, "-c", _OTHER_PROCESS, str(SEED_ARTICLE)], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == ours


_WORDS = st.sampled_from(
    "the residual network learns identity mappings ﬁne-tuned 3.57% ImageNet error rate, CIFAR-10; "
    "深度 naïve (see Fig. 2) — x_{l+1} = x_l + F(x_l) supercalifragilisticexpialidocious".split(" ")
)
_SEPARATORS = st.sampled_from([" ", " ", " ", " ", "\n", "\n\n", ". ", ", ", "; ", "? "])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(_WORDS, _SEPARATORS), min_size=1, max_size=700), st.integers(20, 120))
@example(  # a last chunk that repeats the previous one's tail was put on the tail, leaving the end uncovered
    pieces=[("the", " ")] * 4 + [("ﬁne-tuned", " "), ("x_{l+1}", " "), ("x_l", "\n"), ("x_l", " ")], chunk_tokens=20
)
def test_any_text_chunks_into_exact_fitting_slices(encoder: Encoder, pieces, chunk_tokens):
    text = "".join(word + sep for word, sep in pieces).strip()
    if not text:
        return
    pages = [Page(text=text, source="gen.txt", title="Generated")]
    chunks = chunk_pages(pages, splitter_for(encoder, chunk_tokens=chunk_tokens, overlap=chunk_tokens // 5))
    assert_well_formed(pages, chunks, encoder, chunk_tokens)
