"""What the PostgreSQL registry adds: the change log both engines keep (and the BM25 side catches
up from), per-document locks and the model claim across processes, and a restart of the server
survived with a typed error. Runs against a real PostgreSQL cluster on loopback (tests/servers.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from assistant.errors import ModelMismatch, ServiceUnavailable
from assistant.retrieval.lexical import Bm25Side
from assistant.store.registry import CHANGE_LOG_GENERATIONS, DOCUMENT_CHANGED, Registry

from .test_registry import _chunks, _doc


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    if request.param == "sqlite":
        return tmp_path / "index" / "registry.sqlite3"
    return request.getfixturevalue("postgres").database()


def _words(source: str, n: int, word: str) -> list:
    """Chunks whose ids, like real ones, change with their text."""
    return [replace(c, text=f"{word} {c.text} {source}") for c in _chunks(source, n, tag=f"{word}-")]


def test_the_change_log_names_what_each_commit_added_and_removed(location):
    registry = Registry(location)
    registry.commit_documents([(_doc("a.txt"), _chunks("a.txt", 3))])
    seen = registry.generation()
    registry.commit_documents([(_doc("a.txt", sha="c" * 64), _chunks("a.txt", 1) + _chunks("a.txt", 1, tag="v2-"))])
    registry.commit_documents([(_doc("b.txt", sha="b" * 64), _chunks("b.txt", 1))])
    registry.commit_removal("b.txt")
    changes = registry.changes_since(seen)
    assert changes == [
        ("a.txt", DOCUMENT_CHANGED, True), ("a.txt", "a.txt-v2-0", True),
        ("a.txt", "a.txt-1", False), ("a.txt", "a.txt-2", False),
        ("b.txt", DOCUMENT_CHANGED, True), ("b.txt", "b.txt-0", True),
        ("b.txt", DOCUMENT_CHANGED, True), ("b.txt", "b.txt-0", False),
    ]
    assert registry.changes_since(registry.generation()) == []
    registry.reset()  # the log restarts: a reader from before must read the whole state
    assert registry.changes_since(seen) is None
    assert registry.generation() > seen
    registry.close()


def test_the_bm25_side_catches_up_from_the_log_and_equals_a_fresh_one(location, monkeypatch: pytest.MonkeyPatch):
    writer, reader = Registry(location), Registry(location)  # two processes' connections
    writer.commit_documents([(_doc("a.txt"), _words("a.txt", 3, "alpha"))])
    writer.commit_documents([(_doc("b.txt", sha="b" * 64), _words("b.txt", 2, "beta"))])
    side = Bm25Side(reader, k1=1.2, b=0.75, document_weight=0.7)
    side.sync()

    def no_scan():
        raise AssertionError("a catch-up read every committed id")

    monkeypatch.setattr(side, "_apply_changes", no_scan)
    writer.commit_documents([(_doc("c.txt", sha="d" * 64), _words("c.txt", 2, "gamma"))])
    writer.commit_documents([(_doc("a.txt", sha="e" * 64), _words("a.txt", 1, "delta"))])  # the alpha chunks go
    writer.commit_removal("b.txt")
    side.sync()
    assert set(side.chunks.position) == writer.chunk_ids() == {"a.txt-delta-0", "c.txt-gamma-0", "c.txt-gamma-1"}
    fresh = Bm25Side(Registry(location), k1=1.2, b=0.75, document_weight=0.7)
    for query in ("gamma", "delta a.txt", "beta", "alpha text"):
        caught_up, rebuilt = side.search(query, 5), fresh.search(query, 5)
        assert [key for key, _ in caught_up] == [key for key, _ in rebuilt]
        assert [score for _, score in caught_up] == pytest.approx([score for _, score in rebuilt], rel=1e-5)
    assert side.search("beta", 5) == []  # the removed document is gone from the lexical side
    assert [key for key, _ in side.search("delta", 5)] == ["a.txt-delta-0"]


def test_a_reader_behind_the_log_reads_the_whole_state(location):
    registry = Registry(location)
    registry.commit_documents([(_doc("a.txt"), _chunks("a.txt", 2))])
    side = Bm25Side(registry, k1=1.2, b=0.75, document_weight=0.0)
    side.sync()
    registry._prune_changes(registry.generation() + CHANGE_LOG_GENERATIONS)  # as if far behind
    registry.commit_documents([(_doc("b.txt", sha="b" * 64), _chunks("b.txt", 1))])
    assert registry.changes_since(side._generation) is None
    side.sync()
    assert set(side.chunks.position) == registry.chunk_ids()


_HOLDER = r"""
import sys, time
from assistant.store.registry import Registry
registry = Registry(sys.argv[1])
with registry.source_lock("a.txt"):
    print("locked", flush=True)
    time.sleep(120)
"""


def test_a_document_lock_holds_across_processes_and_dies_with_its_holder(postgres):
    url = postgres.database()
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, url], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        registry = Registry(url)
        with registry.source_lock("a.txt", wait=False) as held:
            assert not held
        with registry.source_lock("b.txt", wait=False) as held:
            assert held  # another document is free
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
        deadline = time.monotonic() + 10
        while True:  # PostgreSQL notices the closed connection and drops its locks
            with registry.source_lock("a.txt", wait=False) as held:
                if held:
                    break
            assert time.monotonic() < deadline, "the killed holder's lock was never released"
            time.sleep(0.1)
    finally:
        holder.kill()
        holder.wait()


_CLAIM = r"""
import sys
from assistant.errors import ModelMismatch
from assistant.store.registry import Registry
registry = Registry(sys.argv[1])
sys.stdin.readline()  # start together
try:
    registry.check_model(sys.argv[2], 384, claim=True)
    print("ok")
except ModelMismatch:
    print("mismatch")
"""


def test_the_model_claim_has_one_winner_across_processes(postgres):
    url = postgres.database()
    models = ["model-a", "model-b", "model-a", "model-c"]
    claimers = [
        subprocess.Popen([sys.executable, "-c", _CLAIM, url, m], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for m in models
    ]
    time.sleep(3)  # every process has imported and connected
    for c in claimers:
        c.stdin.write("go\n")
        c.stdin.flush()
    results = [c.communicate(timeout=60)[0].strip() for c in claimers]
    winner = Registry(url).model()
    assert winner is not None and winner[0] in models
    assert results == ["ok" if m == winner[0] else "mismatch" for m in models]
    with pytest.raises(ModelMismatch):
        Registry(url).check_model("model-z", 384, claim=True)


def test_a_restarted_postgres_is_reported_then_recovered(postgres):
    registry = Registry(postgres.database())
    registry.commit_documents([(_doc("a.txt"), _chunks("a.txt"))])
    postgres.stop()
    try:
        with pytest.raises(ServiceUnavailable, match="PostgreSQL at postgresql://127.0.0.1") as caught:
            registry.commit_documents([(_doc("b.txt", sha="b" * 64), _chunks("b.txt"))])
        assert "check that PostgreSQL is running" in str(caught.value)
        with pytest.raises(ServiceUnavailable):
            registry.documents()
    finally:
        postgres.start()
    # The same object reconnects; the failed commit left nothing.
    assert [d.source for d in registry.documents()] == ["a.txt"]
    registry.commit_documents([(_doc("b.txt", sha="b" * 64), _chunks("b.txt"))])
    assert registry.chunk_ids() == {"a.txt-0", "a.txt-1", "b.txt-0", "b.txt-1"}


def test_a_shared_registry_without_a_chroma_server_is_refused(tmp_path: Path):
    from assistant.errors import UsageError
    from assistant.ingest.library import Library

    from .conftest import make_settings

    with pytest.raises(UsageError, match="ASSISTANT_CHROMA_URL"):  # vectors on one machine, registry shared: refused
        Library(make_settings(tmp_path, registry_url="postgresql://assistant@127.0.0.1:1/none"))


def test_headings_are_each_documents_top_level_sections_in_reading_order(location):
    registry = Registry(location)
    paths = ["", "2. Method", "2. Method › 2.1. Data", "1. Setup", "2. Method", "2. Method › 2.2. Loss", "Results"]
    registry.commit_documents([
        (_doc("a.txt", chunks=len(paths)), [replace(c, section=p) for c, p in zip(_chunks("a.txt", len(paths)), paths)]),
        (_doc("b.txt", sha="b" * 64), _chunks("b.txt", 2)),  # no headings at all
    ])
    assert registry.headings() == {"a.txt": ["2. Method", "1. Setup", "Results"]}
    registry.close()


def test_sections_and_their_chunks_in_reading_order(location):
    """The section step's reads: every (document, heading path) of the documents asked for, in
    reading order, and one section's chunks, in order."""
    registry = Registry(location)
    paths = ["", "2. Method", "2. Method › 2.1. Data", "1. Setup", "2. Method", "Results"]
    registry.commit_documents([
        (_doc("a.txt", chunks=len(paths)), [replace(c, section=p) for c, p in zip(_chunks("a.txt", len(paths)), paths)]),
        (_doc("b.txt", sha="b" * 64), [replace(c, section="Intro") for c in _chunks("b.txt", 2)]),
    ])
    assert registry.sections(["a.txt"]) == [("a.txt", "2. Method"), ("a.txt", "2. Method › 2.1. Data"),
                                            ("a.txt", "1. Setup"), ("a.txt", "Results")]
    assert [s for _, s in registry.sections(["a.txt", "b.txt"])].count("Intro") == 1
    assert registry.sections([]) == []
    assert [c.chunk_index for c in registry.section_chunks("a.txt", "2. Method")] == [1, 4]
    registry.close()


def test_the_chunks_beside_one_nearest_first(location):
    """What a sentence cut by a page break reads for its other part (retrieval/continuations.py)."""
    registry = Registry(location)
    registry.commit_documents([(_doc("a.txt", chunks=6), _chunks("a.txt", 6)),
                               (_doc("b.txt", sha="b" * 64), _chunks("b.txt", 3))])
    assert [c.chunk_index for c in registry.chunks_beside("a.txt", 2, after=True)] == [3, 4, 5]
    assert [c.chunk_index for c in registry.chunks_beside("a.txt", 2, after=False)] == [1, 0]
    assert [c.chunk_index for c in registry.chunks_beside("a.txt", 4, after=True, limit=3)] == [5]
    assert registry.chunks_beside("b.txt", 0, after=False) == []
    registry.close()
