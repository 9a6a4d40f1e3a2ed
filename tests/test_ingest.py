"""Ingestion with the real model and a real Chroma on disk: incremental sync, edits and removals
that leave nothing retrievable behind, the model fingerprint, bad input that changes nothing,
one writer at a time, and a kill -9 at several moments of a multi-file ingest."""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from assistant.ingest.chunking import chunk_pages
from assistant.config import PROJECT_ROOT, Settings
from assistant.errors import IndexBusy, ModelMismatch
from assistant.ingest.library import Library
from assistant.ingest.loaders import load
from assistant.retrieval import Searcher

from .conftest import make_settings
from .helpers import HOSTILE_LIMITS, NOT_FILES, cli_env, make_bad_files, pdf, snapshot, write_text_corpus

SEED_ARTICLE = PROJECT_ROOT / "corpus" / "who-benefits-from-american-ai-research-in-china.txt"
SEED = SEED_ARTICLE.name


def assert_consistent(library: Library) -> None:
    committed, stored = library.registry.chunk_ids(), library.store.ids()
    assert committed == stored, (len(committed - stored), len(stored - committed))
    assert library.registry.pending() == {}
    for record in library.documents():
        assert len(library.registry.chunk_ids(record.source)) == record.chunks
    assert library.check() == []


# Paragraphs with facts that no other document holds, so that retrieval can be asked for them.
NOTES = [
    "Field notes from the harbour survey",
    "The survey team met every morning at the old customs house to plan the tides. " * 8,
    "Water samples were taken at nine stations along the breakwater, each labelled by hand. " * 8,
    "Gulls nested on the roof of the fish market, and the survey counted forty-two nests. " * 8,
    "The lighthouse keeper's parrot is called Bartholomew and it whistles sea shanties at dawn. " * 3,
]
GARDEN = "# Allotment diary\n\nThe giant pumpkin in plot seventeen weighed ninety-one kilograms at the autumn show.\n"


def _passages(searcher: Searcher, query: str):
    return searcher.search(query, k=20, candidates=80)


def test_sync_edit_remove_lifecycle(fresh_root: Path):
    corpus = fresh_root / "corpus"
    shutil.copyfile(SEED_ARTICLE, corpus / SEED)
    (corpus / "notes.txt").write_text("\n\n".join(NOTES))
    (corpus / "garden.md").write_text(GARDEN)
    library = Library(make_settings(fresh_root))

    first = library.sync()
    assert first.ok and sorted(first.added) == sorted([SEED, "notes.txt", "garden.md"])
    total = library.registry.chunk_count()
    assert first.embedded == total == library.store.count() > 10
    assert_consistent(library)
    ids = library.registry.chunk_ids()

    # Twice: nothing embedded, nothing changed, also for a new Library (as a new process would be).
    for again in (library.sync(), Library(make_settings(fresh_root), encoder=library.encoder).sync()):
        assert again.ok and again.embedded == 0 and again.added == [] and len(again.unchanged) == 3
    assert library.registry.chunk_ids() == ids and library.store.count() == total

    searcher = Searcher(library.index, library.encoder)
    hits = _passages(searcher, "What is the lighthouse keeper's parrot called?")
    assert any("Bartholomew" in p.chunk.text for p in hits[:3])
    old_notes = library.registry.chunk_ids("notes.txt")
    first_added = library.registry.document("notes.txt").added
    old_parrot = {p.chunk.chunk_id for p in hits if "Bartholomew" in p.chunk.text}

    # Edit the last paragraph: its old chunks go from the registry and from Chroma; the chunks
    # before it keep their ids and are not embedded again.
    edited = NOTES[:-1] + ["The lighthouse keeper's parrot is called Penelope and it sleeps through the dawn. " * 3]
    (corpus / "notes.txt").write_text("\n\n".join(edited))
    update = library.sync()
    assert update.ok and update.updated == ["notes.txt"] and len(update.unchanged) == 2
    new_notes = library.registry.chunk_ids("notes.txt")
    assert library.registry.document("notes.txt").added == first_added  # an update keeps "added"
    assert 0 < update.embedded < len(new_notes)  # only the changed part was embedded
    gone = old_notes - new_notes
    assert old_parrot <= gone
    assert not gone & library.store.ids() and not gone & library.registry.chunk_ids()
    assert_consistent(library)
    hits = _passages(searcher, "What is the lighthouse keeper's parrot called?")
    assert not [p for p in hits if "Bartholomew" in p.chunk.text or p.chunk.chunk_id in gone]
    assert any("Penelope" in p.chunk.text for p in hits[:3])
    assert library.store.embeddings(sorted(gone)) == {}

    # Remove by name: out of the corpus, the registry, Chroma and the results.
    garden_ids = library.registry.chunk_ids("garden.md")
    removed = library.remove(["garden.md"])
    assert removed.ok and removed.removed == ["garden.md"]
    assert not (corpus / "garden.md").exists()
    assert library.registry.document("garden.md") is None and not garden_ids & library.store.ids()
    hits = _passages(searcher, "How heavy was the giant pumpkin in plot seventeen?")
    assert not [p for p in hits if p.chunk.source == "garden.md" or "pumpkin" in p.chunk.text]

    # A file deleted from the corpus folder leaves the index at the next sync.
    (corpus / "notes.txt").unlink()
    report = library.sync()
    assert report.removed == ["notes.txt"] and report.embedded == 0
    hits = _passages(searcher, "What is the lighthouse keeper's parrot called?")
    assert not [p for p in hits if p.chunk.source == "notes.txt"]
    assert [d.source for d in library.documents()] == [SEED]
    assert_consistent(library)

    unknown = library.remove(["no-such-document.txt"])
    assert not unknown.ok and "no-such-document.txt" in unknown.summary() and "no such document" in unknown.summary()


def _model_copy(tmp_path: Path) -> Path:
    """The packaged model under another folder name (files linked, not copied): another model
    as far as the index can tell."""
    from assistant.encoder.encoder import default_model_path

    original = default_model_path()
    other = tmp_path / "models" / "other-minilm"
    other.mkdir(parents=True)
    for item in original.iterdir():
        (other / item.name).symlink_to(item, target_is_directory=item.is_dir())
    return other


def test_another_embedding_model_is_refused_until_reindex(fresh_root: Path, tmp_path_factory):
    corpus = fresh_root / "corpus"
    (corpus / "garden.md").write_text(GARDEN)
    library = Library(make_settings(fresh_root))
    assert library.sync().ok
    before = snapshot(library)
    assert before["listing"]["embedding_model"] == {"name": "all-MiniLM-L6-v2", "dimension": 384}

    other_path = _model_copy(tmp_path_factory.mktemp("model"))
    other_settings = make_settings(fresh_root, embedding_model=str(other_path), cache_dir=tmp_path_factory.mktemp("cache"))
    other = Library(other_settings, store=library.store)
    with pytest.raises(ModelMismatch) as caught:
        other.sync()
    message = str(caught.value)
    assert "`assistant reindex`" in message and "all-MiniLM-L6-v2" in message and "other-minilm" in message
    extra = tmp_path_factory.mktemp("extra") / "extra.txt"
    extra.write_text("An extra document that must not be copied in while the model is wrong.")
    with pytest.raises(ModelMismatch, match="reindex"):
        other.add([extra])
    assert not (corpus / "extra.txt").exists()
    with pytest.raises(ModelMismatch, match="reindex"):
        Searcher(other.index, other.encoder).search("pumpkin")
    assert snapshot(library) == before  # refused: nothing changed

    rebuilt = other.reindex()
    assert rebuilt.ok and rebuilt.added == ["garden.md"] and rebuilt.embedded == other.registry.chunk_count()
    assert other.registry.model() == ("other-minilm", 384)
    assert_consistent(other)
    assert any("pumpkin" in p.chunk.text for p in Searcher(other.index, other.encoder).search("giant pumpkin weight"))
    with pytest.raises(ModelMismatch, match="reindex"):  # and now the original model is the stranger
        library.sync()


# -- bad input -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def guarded_library(tmp_path_factory) -> Library:
    """An index holding the seed article, with the limits the bad files are made for."""
    root = tmp_path_factory.mktemp("guarded")
    (root / "corpus").mkdir()
    shutil.copyfile(SEED_ARTICLE, root / "corpus" / SEED)
    library = Library(make_settings(root, **HOSTILE_LIMITS))
    assert library.sync().ok
    return library


# Each kind of bad file alone: tests/test_hostile.py (the same HOSTILE catalogue, one by one).


def test_a_batch_with_bad_files_still_takes_the_good_ones(guarded_library: Library, tmp_path: Path):
    library = guarded_library
    bad = make_bad_files(tmp_path / "incoming")
    good = tmp_path / "incoming" / "good-notes.txt"
    good.write_text("\n\n".join(NOTES))
    good_pdf = pdf(tmp_path / "incoming" / "good.pdf", ["Residual learning on page one.", "Shortcut connections on page two."])
    twin_a = tmp_path / "incoming" / "twin-a.md"
    twin_a.write_text("# Twin\n\nThe same words twice under two names.\n")
    twin_b = tmp_path / "incoming" / "twin-b.md"
    twin_b.write_text(twin_a.read_text())
    before = snapshot(library)

    report = library.add([p for p, _ in bad.values()] + [good, good_pdf, twin_a, twin_b])

    assert sorted(report.added) == ["good-notes.txt", "good.pdf", "twin-a.md"]
    failed = {Path(e.file).name: e.reason for e in report.failed}
    assert set(failed) == {p.name for p, _ in bad.values()} | {"twin-b.md"}
    for path, reason in bad.values():
        assert all(word in failed[path.name] for word in reason), failed[path.name]
    assert "same content" in failed["twin-b.md"] and "twin-a.md" in failed["twin-b.md"]
    after = snapshot(library)
    new_ids = after["chunk_ids"] - before["chunk_ids"]
    assert before["chunk_ids"] <= after["chunk_ids"] and after["vectors"] == after["chunk_ids"]
    assert {c.source for c in library.registry.chunks(new_ids)} == {"good-notes.txt", "good.pdf", "twin-a.md"}
    assert sorted(p.name for p in library.corpus.iterdir()) == sorted([SEED, "good-notes.txt", "good.pdf", "twin-a.md"])
    assert library.registry.document("good.pdf").pages == 2
    assert_consistent(library)
    assert library.remove(["good-notes.txt", "good.pdf", "twin-a.md"]).ok  # leave the fixture as it was
    assert snapshot(library) == before


def test_a_bad_new_version_keeps_the_indexed_one(guarded_library: Library, tmp_path: Path):
    library = guarded_library
    before = snapshot(library)
    original = (library.corpus / SEED).read_bytes()
    broken = tmp_path / SEED
    broken.write_bytes(original[:100] + b"\xff\xfe broken encoding")
    report = library.add([broken])
    assert [e.file for e in report.failed] == [SEED] and "UTF-8" in report.failed[0].reason
    assert (library.corpus / SEED).read_bytes() == original  # the corpus file the index holds is back
    assert snapshot(library) == before
    assert not [p for p in library.corpus.iterdir() if p.name.startswith(".")]


def test_bad_files_put_straight_into_the_corpus_are_reported_by_sync(fresh_root: Path):
    corpus = fresh_root / "corpus"
    shutil.copyfile(SEED_ARTICLE, corpus / SEED)
    bad = {kind: made for kind, made in make_bad_files(fresh_root / "bad").items() if kind not in NOT_FILES}
    for path, _ in bad.values():
        shutil.copyfile(path, corpus / path.name)
    report = Library(make_settings(fresh_root, **HOSTILE_LIMITS)).sync()
    # The seed article and its copy are both new: whichever comes first goes in, the other is refused.
    assert len(report.added) == 1 and report.added[0] in (SEED, "copy-of-seed.txt")
    assert len(report.failed) == len(bad)
    failed = {e.file: e.reason for e in report.failed}
    for kind, (path, reason) in bad.items():
        if kind == "duplicate":
            continue
        assert all(word in failed[path.name] for word in reason), (kind, failed[path.name])


# -- one writer at a time, and kill -9 at any moment -----------------------------------------
_POLLER = r"""
import sqlite3, sys, time
from pathlib import Path
path, last = Path(sys.argv[1]), None
while True:
    state = None
    if path.exists():
        try:
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.2)
            try:
                state = (
                    int(db.execute("SELECT COUNT(*) FROM meta WHERE key = 'model'").fetchone()[0] > 0),
                    db.execute("SELECT COUNT(*) FROM documents").fetchone()[0],
                    db.execute("SELECT COUNT(*) FROM pending").fetchone()[0],
                )
            finally:
                db.close()
        except sqlite3.Error:
            state = None
    if state is not None and state != last:
        print(*state, flush=True)
        last = state
    time.sleep(0.002)
"""


class _RegistryWatch:
    """(model claimed, committed documents, journal rows) of a registry another process writes,
    read by a helper process: a reader that shares the WAL index of a writer being killed has
    died of SIGBUS here once, and that must not take pytest with it (the helper is restarted)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.states: queue.Queue = queue.Queue()
        self.process: subprocess.Popen | None = None
        self._start()

    def _start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", _POLLER, str(self.path)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        threading.Thread(target=self._pump, args=(self.process,), daemon=True).start()

    def _pump(self, process: subprocess.Popen) -> None:
        for line in process.stdout:
            self.states.put(tuple(int(x) for x in line.split()))

    def next(self, timeout: float) -> tuple[int, int, int] | None:
        if self.process.poll() is not None:
            self._start()
        try:
            return self.states.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        self.process.kill()
        self.process.wait()


class _NoStore:
    """A Library that is refused the lock never reaches its vector store: open none (a second
    in-process Chroma client on an index another process writes would cache stale state)."""

    def __getattr__(self, name):
        raise AssertionError(f"the vector store was used ({name}) without the writer lock")


def _kill_when(root: Path, condition, *, check_busy: bool) -> int:
    """Run `assistant sync` in a subprocess and kill -9 it once ``condition(registry state)``
    holds. Returns how many documents were committed at the kill."""
    registry_path = root / "index" / "registry.sqlite3"
    lock_path = root / "index" / "write.lock"
    # Small embedding batches: documents are committed one or two at a time, over a few seconds.
    writer = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "--quiet", "sync"],
        env=cli_env(root, ASSISTANT_EMBED_BATCH="1"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    busy_checked = not check_busy
    state = None
    watch = _RegistryWatch(registry_path)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and writer.poll() is None:
            if not busy_checked and lock_path.exists() and lock_path.read_text().strip() == str(writer.pid):
                # One writer at a time: a second one is refused at once, by name, and writes nothing.
                second = Library(make_settings(root), store=_NoStore())
                with pytest.raises(IndexBusy, match="busy") as caught:
                    second.sync()
                # Refused, not queued behind the writer: it is still writing (no wall-clock bound,
                # which a loaded 2-core machine could break).
                assert writer.poll() is None and lock_path.read_text().strip() == str(writer.pid)
                assert f"pid {writer.pid}" in str(caught.value)
                second.registry.close()
                del caught, second
                busy_checked = True
            seen = watch.next(timeout=0.02)
            if seen is not None:
                state = seen
                if condition(state):
                    os.kill(writer.pid, signal.SIGKILL)
                    break
    finally:
        watch.close()
        if writer.poll() is None and (state is None or not condition(state)):
            writer.kill()
        returncode = writer.wait(timeout=60)
        stderr = writer.stderr.read().decode(errors="replace")
        writer.stderr.close()
    assert returncode == -signal.SIGKILL and state is not None and condition(state), (
        f"the writer ended before the crash point: {returncode} {state}\n{stderr}"
    )
    assert busy_checked
    return state[1]


def _assert_whole_documents_after_kill(root: Path, copy: Path, *, expect_journal: bool | None) -> set[str]:
    """Inspect a copy of the killed index (this process must not cache a Chroma client on an
    index another process goes on writing): no document is half present, every stray vector is
    journaled, and `check --repair` makes registry and vectors agree. Returns committed sources."""
    shutil.copytree(root / "index", copy / "index")
    library = Library(Settings.from_env(corpus=root / "corpus", index=copy / "index"))
    stored = library.store.ids()
    for record in library.documents():  # each committed document has all its vectors
        ids = library.registry.chunk_ids(record.source)
        assert len(ids) == record.chunks and ids <= stored, record.source
    journal = library.registry.pending()
    if expect_journal is not None:  # None: the kill may land just as the next write opens its entry
        assert bool(journal) == expect_journal, journal
    strays = stored - library.registry.chunk_ids()
    assert strays <= set().union(*journal.values())  # where repair() finds them
    committed = {d.source for d in library.documents()}

    problems = library.check(repair=True)  # what `assistant check --repair` does
    assert bool(problems) == bool(journal or strays), problems
    assert library.store.ids() == library.registry.chunk_ids()
    assert library.registry.pending() == {} and library.check() == []
    assert {d.source for d in library.documents()} == committed  # repair drops no whole document
    library.registry.close()
    return committed


def test_kill_9_during_sync_leaves_no_partial_document(tmp_path: Path):
    """Three kills of `assistant sync` on one growing index: while the first batch is embedded
    (nothing committed), inside a document's write (journal open, vectors going in, registry
    not committed), and half-way (documents committed, more to come). After each, the index
    holds whole documents only; then the next sync completes it."""
    root = tmp_path / "root"
    write_text_corpus(root / "corpus")
    all_sources = {f"doc{n:02d}.txt" for n in range(8)}

    assert _kill_when(root, lambda state: state[0], check_busy=True) == 0
    assert _assert_whole_documents_after_kill(root, tmp_path / "after-embedding", expect_journal=False) == set()

    _kill_when(root, lambda state: state[2] > 0, check_busy=False)
    committed = _assert_whole_documents_after_kill(root, tmp_path / "after-mid-write", expect_journal=True)

    target = len(committed) + 2
    assert _kill_when(root, lambda state: state[1] >= target and state[2] == 0, check_busy=False) >= target
    committed = _assert_whole_documents_after_kill(root, tmp_path / "after-half-way", expect_journal=None)
    assert len(committed) >= target and committed < all_sources

    library = Library(make_settings(root))  # the lock died with the writer
    report = library.sync()  # the next sync repairs and finishes the job
    assert report.ok, report.summary()
    assert {d.source for d in library.documents()} == all_sources
    assert set(report.unchanged) >= committed
    assert_consistent(library)
    splitter = library.writer.splitter()
    want = set()
    for source in sorted(all_sources):
        path = root / "corpus" / source
        want |= {c.chunk_id for c in chunk_pages(load(path, source=source, max_bytes=2**20), splitter)}
    assert library.registry.chunk_ids() == want == library.store.ids()
    assert library.sync().embedded == 0


def test_progress_reports_each_pdf_page_then_the_file_then_the_passages(fresh_root: Path):
    """A long PDF is read for seconds: the faces hear every page ("page", n, pages) before the
    file counts as read, then the embedding; a text file has no pages to report."""
    settings = make_settings(fresh_root)
    # Distinct wording on every page (a line that comes back on each page is a running header).
    notes = ["Spring tides flooded the northern quay twice in March.", "Fishermen repaired nets beside the lighthouse.",
             "A storm surge closed the ferry crossing for days.", "Salt merchants unloaded barrels at the western pier.",
             "Gulls nested along the crumbling breakwater wall."]
    pdf(fresh_root / "tides.pdf", notes)
    (fresh_root / "plain.txt").write_text("A plain note about the neap tide at the south quay.\n")
    heard: list[tuple[str, int, int]] = []
    report = Library(settings).add([fresh_root / "tides.pdf", fresh_root / "plain.txt"],
                                   progress=lambda stage, done, total: heard.append((stage, done, total)))
    assert sorted(report.added) == ["plain.txt", "tides.pdf"], report.failed
    pages = [event for event in heard if event[0] == "page"]
    assert pages == [("page", n, 5) for n in range(1, 6)]
    assert heard.index(pages[-1]) < heard.index(("reading", 1, 2))  # the PDF is read first, page by page
    assert heard[-1][0] == "embedding" and heard[-1][1] == heard[-1][2]
