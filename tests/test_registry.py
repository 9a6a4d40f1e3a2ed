"""The registry (documents, chunks, model fingerprint, write journal, change log) on both of its
engines, SQLite and a real PostgreSQL (tests/servers.py), and the writer lock."""

from __future__ import annotations

import os
import signal
import sqlite3
from pathlib import Path

import pytest

from assistant.errors import IndexBusy, IndexCorrupt, ModelMismatch
from assistant.store.registry import DocumentRecord, Registry, WriterLock, now
from assistant.types import Chunk

from .helpers import hold_writer_lock


def _doc(source: str, sha: str = "a" * 64, chunks: int = 2) -> DocumentRecord:
    stamp = now()
    return DocumentRecord(source=source, sha256=sha, title=f"Title of {source}", pages=1, chunks=chunks, bytes=10, added=stamp, updated=stamp)


def _chunks(source: str, n: int = 2, tag: str = "") -> list[Chunk]:
    return [
        Chunk(chunk_id=f"{source}-{tag}{i}", text=f"text {tag}{i}", source=source, title="t", page=None, chunk_index=i, start=i, end=i + 1)
        for i in range(n)
    ]


@pytest.fixture(params=["sqlite", "postgresql"])
def registry(request: pytest.FixtureRequest, tmp_path: Path):
    if request.param == "sqlite":
        reg = Registry(tmp_path / "index" / "registry.sqlite3")
    else:
        reg = Registry(request.getfixturevalue("postgres").database())
    yield reg
    reg.close()


def test_model_is_claimed_once_and_another_is_refused(registry: Registry):
    registry.check_model("all-MiniLM-L6-v2", 384, claim=False)  # an empty index refuses nothing
    assert registry.model() is None
    registry.check_model("all-MiniLM-L6-v2", 384, claim=True)
    assert registry.model() == ("all-MiniLM-L6-v2", 384)
    registry.check_model("all-MiniLM-L6-v2", 384, claim=True)  # same model: fine
    for name, dim in (("other-model", 384), ("all-MiniLM-L6-v2", 768)):
        with pytest.raises(ModelMismatch) as caught:
            registry.check_model(name, dim, claim=True)
        message = str(caught.value)
        assert "all-MiniLM-L6-v2" in message and name in message and "`assistant reindex`" in message
    with pytest.raises(ModelMismatch, match="reindex"):
        registry.check_model_name("other-model")
    registry.check_model_name("all-MiniLM-L6-v2")
    assert registry.model() == ("all-MiniLM-L6-v2", 384)


def test_commit_replace_and_remove_documents(registry: Registry):
    generation = registry.generation()
    registry.commit_documents([(_doc("a.txt"), _chunks("a.txt"))])
    registry.commit_documents([(_doc("b.txt", sha="b" * 64, chunks=3), _chunks("b.txt", 3))])
    assert registry.generation() > generation
    assert [d.source for d in registry.documents()] == ["a.txt", "b.txt"]
    assert registry.chunk_count() == 5
    assert registry.find_by_hash("b" * 64) == ["b.txt"]
    # A new version replaces every old chunk of that document, and only of that one.
    registry.commit_documents([(_doc("a.txt", sha="c" * 64, chunks=1), _chunks("a.txt", 1, tag="v2-"))])
    assert registry.chunk_ids("a.txt") == {"a.txt-v2-0"}
    assert registry.chunk_ids("b.txt") == {"b.txt-0", "b.txt-1", "b.txt-2"}
    assert sorted(c.text for c in registry.chunks(["a.txt-v2-0", "b.txt-1", "nope"])) == ["text 1", "text v2-0"]
    registry.commit_removal("a.txt")
    assert registry.document("a.txt") is None and registry.chunk_ids("a.txt") == set()
    assert registry.chunk_count() == 3


def test_chunks_lookup_beyond_the_parameter_limit(registry: Registry):
    registry.commit_documents([(_doc("big.txt", chunks=2000), _chunks("big.txt", 2000))])
    wanted = [f"big.txt-{i}" for i in range(2000)]
    assert len(registry.chunks(wanted)) == 2000


def test_journal_records_and_clears_writes(registry: Registry):
    registry.begin_write("a.txt", {"x", "y"})
    registry.begin_write("b.txt", set())
    assert registry.pending() == {"a.txt": {"x", "y"}, "b.txt": set()}
    registry.end_write("a.txt")
    assert registry.pending() == {"b.txt": set()}


def test_a_failed_transaction_leaves_nothing(registry: Registry):
    registry.commit_documents([(_doc("a.txt"), _chunks("a.txt"))])
    duplicate = _chunks("b.txt") + _chunks("b.txt")[:1]  # a primary-key clash half-way through
    import psycopg

    with pytest.raises((sqlite3.IntegrityError, psycopg.IntegrityError)):  # the clash, nothing else
        registry.commit_documents([(_doc("b.txt", sha="b" * 64), duplicate)])
    assert [d.source for d in registry.documents()] == ["a.txt"]
    assert registry.chunk_ids() == {"a.txt-0", "a.txt-1"}


def test_reset_forgets_everything(registry: Registry):
    registry.check_model("m", 3, claim=True)
    registry.commit_documents([(_doc("a.txt"), _chunks("a.txt"))])
    registry.begin_write("a.txt", {"z"})
    registry.reset()
    assert registry.documents() == [] and registry.chunk_count() == 0 and registry.pending() == {}
    assert registry.model() is None
    assert registry.integrity_errors() == []


def test_unreadable_registry_is_reported(tmp_path: Path):
    path = tmp_path / "registry.sqlite3"
    path.write_bytes(b"this is not an SQLite database, just bytes " * 100)
    with pytest.raises(IndexCorrupt, match="reindex"):
        Registry(path)


def test_registry_survives_reopening(tmp_path: Path):
    path = tmp_path / "registry.sqlite3"
    first = Registry(path)
    first.check_model("m", 3, claim=True)
    first.commit_documents([(_doc("a.txt"), _chunks("a.txt"))])
    first.close()
    second = Registry(path)
    assert second.model() == ("m", 3) and second.chunk_ids() == {"a.txt-0", "a.txt-1"}
    second.close()


# -- the writer lock -------------------------------------------------------------------------
def test_lock_is_reentrant_in_one_process(tmp_path: Path):
    lock = WriterLock(tmp_path / "write.lock")
    with lock:
        with lock:
            assert (tmp_path / "write.lock").read_text() == str(os.getpid())
    with lock:  # released and taken again
        pass


def test_a_second_process_is_told_the_index_is_busy(tmp_path: Path):
    path = tmp_path / "write.lock"
    holder = hold_writer_lock(path)
    try:
        with pytest.raises(IndexBusy) as caught:
            with WriterLock(path):
                pass
        assert holder.poll() is None  # refused while the holder still holds it: not after a wait
        message = str(caught.value)
        assert "busy" in message and f"pid {holder.pid}" in message
    finally:
        holder.kill()
        holder.wait()


def test_the_lock_dies_with_its_holder(tmp_path: Path):
    path = tmp_path / "write.lock"
    holder = hold_writer_lock(path)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    with WriterLock(path):  # the kernel dropped the lock with the killed process
        assert path.read_text() == str(os.getpid())
