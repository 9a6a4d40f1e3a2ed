"""Server mode against a real ``chroma run``: ingestion and a cited answer through HttpClient, then
two ingesting processes and a querying one at once, with exact counts afterwards.

Each test gets its own Chroma server (free loopback port, tmp ``--path``), torn down after; the
SQLite registry lives in the shared ``--index`` folder (docs/SCALING.md says why).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT, Settings

from ..conftest import free_port, stop_process
from ..helpers import cli_env, two_writers_inputs
from .conftest import ARTIFACTS, SEED_CORPUS

CHROMA = Path(sys.executable).with_name("chroma")
START_TIMEOUT_S = 90
WRITER_TIMEOUT_S = 240
FILES_PER_WRITER = 6


def _env() -> dict[str, str]:
    return cli_env(None, PYTHONUNBUFFERED="1")


@pytest.fixture
def chroma_url(tmp_path: Path) -> Iterator[str]:
    """A real Chroma server on a free loopback port, answering its heartbeat; stopped after."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    port = free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log = (ARTIFACTS / f"chroma-server-{port}.log").open("w")
    process = subprocess.Popen(
        [str(CHROMA), "run", "--path", str(tmp_path / "chroma-data"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, env=_env(), start_new_session=True,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            assert process.poll() is None, f"chroma run exited with {process.returncode}; see {log.name}"
            try:
                chromadb.HttpClient(
                    host="127.0.0.1", port=port, settings=ChromaSettings(anonymized_telemetry=False)
                ).heartbeat()
                break
            except Exception:
                assert time.monotonic() < deadline, f"chroma run did not answer in {START_TIMEOUT_S} s; see {log.name}"
                time.sleep(0.5)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(process)
        log.close()


def _settings(root: Path, url: str) -> Settings:
    return Settings.from_env(corpus=root / "corpus", index=root / "index", chroma_url=url)


def test_ingest_and_cited_answer_through_the_server(tmp_path: Path, chroma_url: str):
    from assistant.pipeline import Assistant
    from assistant.ingest.library import Library

    shutil.copytree(SEED_CORPUS, tmp_path / "corpus")
    settings = _settings(tmp_path, chroma_url)
    library = Library(settings)
    report = library.sync()
    assert report.ok and report.added, report.summary()
    assert not (tmp_path / "index" / "chroma").exists()  # the vectors went to the server
    assert library.store.count() == library.registry.chunk_count() > 0
    assert library.check() == []

    answer = Assistant(settings, index=library.index, encoder=library.encoder).ask("Which lab produced the ResNet paper?")
    assert not answer.refused, answer.answer
    cited = " ".join([answer.answer] + [c.quote for c in answer.citations])
    assert "Microsoft Research Asia" in cited or "MSRA" in cited, cited
    assert answer.citations and all(c.source == "who-benefits-from-american-ai-research-in-china.txt" for c in answer.citations)

    refused = Assistant(settings, index=library.index, encoder=library.encoder).ask("What is the boiling point of tungsten?")
    assert refused.refused


QUERY_LOOP = textwrap.dedent(
    """
    import io, json, sys, time
    from contextlib import redirect_stdout
    from assistant.cli import main
    url, index, corpus, stop = sys.argv[1:5]
    ok = empty = 0
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not __import__("os").path.exists(stop):
        out = io.StringIO()
        with redirect_stdout(out):
            code = main(["--chroma-url", url, "--index", index, "--corpus", corpus, "--quiet", "search", "station sensor reading", "--json"])
        if code == 0:
            json.loads(out.getvalue())
            ok += 1
        else:
            empty += 1  # before the first commit the index is empty (exit 1, "no documents yet")
        time.sleep(0.2)
    print(json.dumps({"ok": ok, "empty": empty}))
    """
)


def test_two_writers_and_a_reader_lose_and_duplicate_nothing(tmp_path: Path, chroma_url: str):
    from assistant.pipeline import Assistant
    from assistant.ingest.library import Library

    index, corpus = tmp_path / "index", tmp_path / "corpus"
    corpus.mkdir()
    inputs = two_writers_inputs(tmp_path, FILES_PER_WRITER)

    stop = tmp_path / "stop-querying"
    common = [sys.executable, "-m", "assistant.cli", "--chroma-url", chroma_url, "--index", str(index),
              "--corpus", str(corpus), "--quiet"]
    reader = subprocess.Popen(
        [sys.executable, "-c", QUERY_LOOP, chroma_url, str(index), str(corpus), str(stop)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(), cwd=PROJECT_ROOT,
    )
    writers = [
        subprocess.Popen(common + ["add", *map(str, files), "--json"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=_env(), cwd=PROJECT_ROOT)
        for files in inputs.values()
    ]
    try:
        results = [w.communicate(timeout=WRITER_TIMEOUT_S) for w in writers]
    finally:
        stop.touch()
        for w in writers:
            if w.poll() is None:
                w.kill()
    reader_out, reader_err = reader.communicate(timeout=120)
    for w, (out, err) in zip(writers, results):
        assert w.returncode == 0, err
        report = json.loads(out)
        assert not report["failed"], report
    assert reader.returncode == 0, reader_err
    assert json.loads(reader_out.strip().splitlines()[-1])["ok"] >= 1, reader_out + reader_err

    library = Library(_settings(tmp_path, chroma_url))
    documents = library.documents()
    expected = {f"zq{w}{i}x.txt" for w in "ab" for i in range(FILES_PER_WRITER)} | {"shared.txt"}
    assert {d.source for d in documents} == expected
    assert sorted(p.name for p in corpus.iterdir() if not p.name.startswith(".")) == sorted(expected)
    registry_ids, stored_ids = library.registry.chunk_ids(), library.store.ids()
    assert library.store.count() == library.registry.chunk_count() == sum(d.chunks for d in documents)
    assert registry_ids == stored_ids  # nothing lost, nothing orphaned
    assert not library.registry.pending()
    assert library.check() == []

    searcher = Assistant(_settings(tmp_path, chroma_url), index=library.index, encoder=library.encoder).searcher
    for document in documents:
        tag = document.source.removesuffix(".txt").replace("shared", "zqsharedx")
        passages = searcher.search(f"{tag} station sensor", k=3)
        assert passages[0].chunk.source == document.source, (document.source, [p.chunk.source for p in passages])
