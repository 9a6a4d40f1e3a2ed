"""Crash and recovery: `assistant sync` and `assistant add` killed with SIGKILL during their
writes, several times in a row on one index, then `sync` + `check`: registry and Chroma agree
exactly and no document is half present. And `check --repair` finds and mends damage injected on
purpose.

Each kill is triggered by the registry's state, not by a clock: a helper process watches the
journal, and the writer is killed as its j-th batch write opens (j drawn from the seed), so kills
land inside writes whatever the machine's speed (a clock-drawn moment landed before the first
write ~78% of the time). At least one kill must leave a journal entry or a staged upload behind.

ASSISTANT_KILL_LOOPS sets how many kills (5 here, to keep CI quick; docs/RELIABILITY.md reports
a 10-kill run). ASSISTANT_KILL_SEED makes a failing sequence repeatable (the seed is printed).
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from assistant.config import Settings
from assistant.ingest.corpus import STAGING, CorpusFolder
from assistant.ingest.library import Library

from .conftest import export_the_encoder
from .helpers import cli_env, write_text_corpus
from .test_ingest import _RegistryWatch

KILLS = int(os.environ.get("ASSISTANT_KILL_LOOPS", "5"))
SEED = int(os.environ.get("ASSISTANT_KILL_SEED", str(int(time.time()) % 10_000)))


def _env(root: Path) -> dict[str, str]:
    return cli_env(root, ASSISTANT_EMBED_BATCH="2")  # batches of two documents: several writes per run


def _cli(root: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "--quiet", *args],
        env=_env(root), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def _assert_agree(library: Library, sources: set[str]) -> None:
    assert library.registry.integrity_errors() == []
    assert library.registry.pending() == {}
    assert library.store.ids() == library.registry.chunk_ids()
    assert {d.source for d in library.documents()} == sources
    for record in library.documents():  # whole documents only
        assert len(library.registry.chunk_ids(record.source)) == record.chunks > 0, record.source
        assert (library.corpus / record.source).is_file()
    assert not (library.corpus / STAGING).exists()
    assert library.check() == []


def _leftovers(root: Path) -> set:
    """What an interrupted write leaves: journal entries (source, start time) and staged files."""
    registry = root / "index" / "registry.sqlite3"
    found: set = set()
    if registry.exists():
        db = sqlite3.connect(f"file:{registry}?mode=ro", uri=True)
        try:
            found |= set(db.execute("SELECT source, started FROM pending"))
        finally:
            db.close()
    staging = root / "corpus" / STAGING
    found |= {(str(p), p.stat().st_mtime_ns) for p in staging.rglob("*") if p.is_file()} if staging.exists() else set()
    return found


def _kill_at_write(root: Path, command: list[str], write: int) -> tuple[str, bool]:
    """Run the CLI and kill -9 it as its ``write``-th batch write opens a journal entry. Returns
    ("killed" or "finished", whether the kill left new leftovers: a journal entry or staged files
    this run made, not ones an earlier kill left for it to repair)."""
    before = _leftovers(root)
    process = _cli(root, *command)
    watch = _RegistryWatch(root / "index" / "registry.sqlite3")
    opened, pending, outcome = 0, 0, "finished"
    try:
        deadline = time.monotonic() + 300
        while process.poll() is None and time.monotonic() < deadline:
            state = watch.next(timeout=0.02)
            if state is None:
                continue
            if state[2] > 0 and pending == 0:
                opened += 1
                if opened == write:
                    os.kill(process.pid, signal.SIGKILL)
                    outcome = "killed"
                    break
            pending = state[2]
    finally:
        watch.close()
        if process.poll() is None and outcome != "killed":
            process.kill()
        returncode = process.wait(timeout=60)
        stderr = process.stderr.read().decode(errors="replace")
        process.stdout.close()
        process.stderr.close()
    if outcome == "finished":
        assert returncode == 0, stderr
    after = _leftovers(root)
    return outcome, bool(after - before)


def test_random_kill_9_loop_then_sync_and_check_agree(tmp_path: Path):
    rng = random.Random(SEED)
    print(f"\nkill loop seed {SEED} (ASSISTANT_KILL_SEED={SEED} repeats it)")
    export_the_encoder()  # the CLI runs start as users' do, with the encoder's export made
    root = tmp_path / "root"
    write_text_corpus(root / "corpus", documents=10)
    incoming = tmp_path / "incoming"
    write_text_corpus(incoming, documents=3, seed=99)
    for file in incoming.iterdir():
        file.rename(incoming / f"extra-{file.name}")
    sources = {p.name for p in (root / "corpus").iterdir()}
    outcomes = []
    for n in range(KILLS):
        # Every third run is an `add` (staged copies), the others a `sync` with a corpus edit.
        if n % 3 == 2:
            command = ["add", str(incoming)]
        else:
            victim = root / "corpus" / f"doc{rng.randrange(10):02d}.txt"
            victim.write_text(victim.read_text() + f"\n\nEdit {n}: the harbour bell rang {rng.randrange(100)} times.")
            command = ["sync"]
        write = rng.randint(1, 2)
        outcomes.append((command[0], write, *_kill_at_write(root, command, write)))
    print(f"kill loop (command, killed at write, outcome, left a journal entry or staged files): {outcomes}")
    assert any(o[2] == "killed" and o[3] for o in outcomes), outcomes  # at least one kill hit a write

    finish = _cli(root, "sync")
    out, err = finish.communicate(timeout=600)
    assert finish.returncode == 0, err.decode()
    check = _cli(root, "check", "--json")
    out, err = check.communicate(timeout=300)
    assert check.returncode == 0 and json.loads(out)["ok"], (out, err)

    library = Library(Settings.from_env(corpus=root / "corpus", index=root / "index"))
    # A killed `add` put in whole files or none: whatever is in the corpus now is indexed.
    extras = {f"incoming/{p.name}" for p in (root / "corpus" / "incoming").glob("*")}
    assert extras <= {f"incoming/{p.name}" for p in incoming.iterdir()}
    _assert_agree(library, sources | extras)
    # The index holds exactly what the corpus files say now (every edit that landed is indexed).
    for record in library.documents():
        text = " ".join(c.text for c in library.registry.chunks(library.registry.chunk_ids(record.source)))
        last_line = (root / "corpus" / record.source).read_text().strip().split("\n")[-1]
        assert last_line[-40:] in text, record.source


def test_check_detects_and_repairs_orphan_and_missing_vectors(tmp_path: Path):
    write_text_corpus(tmp_path / "corpus", documents=3)
    library = Library(Settings.from_env(corpus=tmp_path / "corpus", index=tmp_path / "index"))
    assert library.sync().ok
    sources = {d.source for d in library.documents()}
    assert library.check() == []

    # An orphan: a vector no committed chunk owns (what a crash between add and commit leaves).
    some = library.registry.chunks(sorted(library.registry.chunk_ids("doc00.txt")))[0]
    vector = library.store.embeddings([some.chunk_id])[some.chunk_id]
    orphan = dataclasses.replace(some, chunk_id="f" * 32, source="ghost.txt")
    library.store.add([orphan], [vector])
    # Missing: a committed chunk whose vector is gone (Chroma damaged or cleaned by hand).
    lost = sorted(library.registry.chunk_ids("doc01.txt"))[0]
    library.store.delete([lost])

    problems = library.check()
    assert any("1 vectors belong to no document" in p for p in problems), problems
    assert any("1 chunks have no vector" in p for p in problems), problems
    check = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "--quiet", "check", "--json"],
        env=_env(tmp_path), capture_output=True, timeout=300,
    )
    assert check.returncode != 0 and not json.loads(check.stdout)["ok"]  # the CLI says so too, and exits non-zero

    assert library.check(repair=True) == problems
    assert "f" * 32 not in library.store.ids() and lost in library.store.ids()
    _assert_agree(library, sources)


def test_sqlite_damage_is_reported_not_hidden(tmp_path: Path):
    write_text_corpus(tmp_path / "corpus", documents=1)
    settings = Settings.from_env(corpus=tmp_path / "corpus", index=tmp_path / "index")
    library = Library(settings)
    assert library.sync().ok
    library.registry.close()
    registry = tmp_path / "index" / "registry.sqlite3"
    for extra in ("-wal", "-shm"):
        Path(f"{registry}{extra}").unlink(missing_ok=True)
    registry.write_bytes(b"this is not a database" * 100)
    result = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "--quiet", "check"], env=_env(tmp_path), capture_output=True, timeout=300
    )
    assert result.returncode != 0 and b"reindex" in result.stderr, result.stderr


def test_web_app_start_up_finishes_an_interrupted_write_and_upload(tmp_path: Path):
    """What a crash leaves (a journaled orphan vector, an upload staged after its commit) is
    repaired by the app's start-up, which then finds registry and vectors in agreement."""
    from assistant.web.service import Service

    write_text_corpus(tmp_path / "corpus", documents=2)
    settings = Settings.from_env(corpus=tmp_path / "corpus", index=tmp_path / "index")
    library = Library(settings)
    assert library.sync().ok
    some = library.registry.chunks(sorted(library.registry.chunk_ids("doc00.txt")))[0]
    vector = library.store.embeddings([some.chunk_id])[some.chunk_id]
    orphan = dataclasses.replace(some, chunk_id="e" * 32)
    upload = tmp_path / "upload.txt"
    upload.write_text("The dredger worked the channel all night.")
    original_settle = CorpusFolder.settle
    CorpusFolder.settle = lambda self, staged: None  # the crash: committed, never moved into place
    try:
        assert library.add([upload]).added == ["upload.txt"]
    finally:
        CorpusFolder.settle = original_settle
    library.registry.begin_write("doc00.txt", {orphan.chunk_id})  # the journal, then the vector, then the crash
    library.store.add([orphan], [vector])
    assert library.check() != [] and not (library.corpus / "upload.txt").exists()
    library.registry.close()
    del library

    service = Service(settings).start(background=False)
    assert service.status().level == "ok", service.status()
    repaired = service.library
    assert (repaired.corpus / "upload.txt").is_file() and not (repaired.corpus / STAGING).exists()
    _assert_agree(repaired, {"doc00.txt", "doc01.txt", "upload.txt"})
