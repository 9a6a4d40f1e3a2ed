"""The `assistant` command's contract: `list --json`, JSON on stdout and messages on stderr, exit
codes 0 (done) / 1 (some inputs failed) / 2 (usage). Real processes, real model, real Chroma."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.cli import main

from .conftest import make_settings
from .helpers import HOSTILE_ENV, SEED_ARTICLE, cli_env, hold_writer_lock, make_bad_files
SCRIPT = Path(sys.executable).parent / "assistant"


def run(root: Path | None, *args: str, env: dict[str, str] | None = None, timeout: float = 300, stdin: str | None = None) -> subprocess.CompletedProcess:
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "assistant.cli"]
    return subprocess.run(
        [*command, *args], capture_output=True, text=True, env=cli_env(root, **(env or {})), timeout=timeout, input=stdin
    )


def assert_listing_contract(listing: dict) -> None:
    assert set(listing) == {"documents", "chunks", "embedding_model"}
    assert isinstance(listing["chunks"], int)
    assert set(listing["embedding_model"]) == {"name", "dimension"}
    assert isinstance(listing["embedding_model"]["name"], str) and isinstance(listing["embedding_model"]["dimension"], int)
    for document in listing["documents"]:
        assert set(document) == {"source", "title", "pages", "chunks", "sha256", "added", "sections"}
        assert isinstance(document["sections"], list) and all(isinstance(h, str) and h for h in document["sections"])
        assert isinstance(document["source"], str) and isinstance(document["title"], str)
        assert isinstance(document["pages"], int) and document["pages"] >= 1
        assert isinstance(document["chunks"], int) and document["chunks"] >= 1
        assert re.fullmatch(r"[0-9a-f]{64}", document["sha256"])
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", document["added"])
    assert listing["chunks"] == sum(d["chunks"] for d in listing["documents"])


# -- usage errors: exit 2, nothing on stdout -------------------------------------------------
@pytest.mark.parametrize(
    "argv",
    [
        ["frobnicate"],  # unknown subcommand
        [],  # no subcommand
        ["add"],  # missing PATH
        ["remove"],
        ["search", "q", "--k", "many"],  # bad option value
        ["list", "--no-such-flag"],
        ["ask", "q", "--backend", "nonsense"],
    ],
)
def test_usage_errors_exit_2(argv, capsys):
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and "usage:" in err


def test_help_exits_0(capsys):
    assert main(["--help"]) == 0
    assert "sync" in capsys.readouterr().out


def test_the_console_script_exits_2_on_a_usage_error(tmp_path: Path):
    done = run(tmp_path, "frobnicate")
    assert done.returncode == 2 and done.stdout == ""
    assert "invalid choice" in done.stderr
    done = run(tmp_path, "list", env={"ASSISTANT_MAX_FILE_MB": "lots"})  # a malformed variable
    assert done.returncode == 2 and "ASSISTANT_MAX_FILE_MB" in done.stderr and "Traceback" not in done.stderr
    done = run(tmp_path, "search", "q", env={"ASSISTANT_ENCODER_RUNTIME": "gpu"})  # not one of the choices
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "ASSISTANT_ENCODER_RUNTIME='gpu' is not one of auto, onnx, torch" in done.stderr


# -- one real index, driven through the command line -----------------------------------------
@pytest.fixture(scope="module")
def cli_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("cli")
    (root / "corpus").mkdir()
    return root


@pytest.fixture(scope="module")
def added(cli_root: Path, tmp_path_factory) -> tuple[subprocess.CompletedProcess, dict[str, str]]:
    """One `assistant add` of the seed article and every kind of bad file (the one heavy process)."""
    bad = make_bad_files(tmp_path_factory.mktemp("incoming") / "batch")
    paths = [str(SEED_ARTICLE)] + [str(path) for path, _ in bad.values()]
    done = run(cli_root, "add", *paths, "--json", env=HOSTILE_ENV)
    return done, {path.name: reason for path, reason in bad.values()}


def test_add_reports_each_bad_file_takes_the_rest_and_exits_1(added, cli_root: Path):
    done, reasons = added
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)  # exactly one JSON document on stdout
    assert report["added"] == [SEED_ARTICLE.name] and report["embedded"] > 0
    failed = {Path(f["file"]).name: f["reason"] for f in report["failed"]}
    assert set(failed) == set(reasons)
    for name, words in reasons.items():
        assert all(word in failed[name] for word in words), (name, failed[name])
        assert re.search(rf"failed: .*{re.escape(name)}: .*{re.escape(words[0])}", done.stderr), name  # and for people
    assert "Traceback" not in done.stderr
    assert sorted(p.name for p in (cli_root / "corpus").iterdir()) == [SEED_ARTICLE.name]


def test_list_json_contract(added, cli_root: Path):
    done = run(cli_root, "list", "--json")
    assert done.returncode == 0 and done.stderr == ""
    listing = json.loads(done.stdout)
    assert_listing_contract(listing)
    [document] = listing["documents"]
    assert document["source"] == SEED_ARTICLE.name
    assert document["title"] == "Who Benefits From American AI Research in China?"
    assert document["pages"] == 1 and listing["chunks"] == document["chunks"] == json.loads(added[0].stdout)["embedded"]
    assert listing["embedding_model"] == {"name": "all-MiniLM-L6-v2", "dimension": 384}

    human = run(cli_root, "--corpus", str(cli_root / "corpus"), "--index", str(cli_root / "index"), "list", env={"ASSISTANT_INDEX": "/nonexistent"})
    assert human.returncode == 0
    assert SEED_ARTICLE.name in human.stdout and "1 documents" in human.stderr and "{" not in human.stdout


def test_sync_check_remove_and_busy_through_the_cli(added, cli_root: Path, tmp_path: Path):
    done = run(cli_root, "sync")  # unchanged: no model is even loaded
    assert done.returncode == 0 and done.stdout == "" and "1 unchanged" in done.stderr
    done = run(cli_root, "sync", "--json")
    assert done.returncode == 0 and json.loads(done.stdout)["unchanged"] == [SEED_ARTICLE.name]
    done = run(cli_root, "check", "--json")
    assert done.returncode == 0 and json.loads(done.stdout) == {"ok": True, "problems": [], "repaired": False}

    done = run(cli_root, "remove", "nope.txt")
    assert done.returncode == 1 and "nope.txt" in done.stderr and "no such document" in done.stderr

    done = run(cli_root, "add", str(tmp_path / "missing.pdf"))
    assert done.returncode == 1 and "missing.pdf" in done.stderr and "no such file" in done.stderr

    # A second writer while another process holds the writer lock: "busy", exit 1, at once.
    holder = hold_writer_lock(cli_root / "index" / "write.lock")
    try:
        extra = tmp_path / "extra.txt"
        extra.write_text("An extra note that must wait for the other writer.")
        done = run(cli_root, "add", str(extra))
        assert done.returncode == 1 and "busy" in done.stderr and f"pid {holder.pid}" in done.stderr
        assert holder.poll() is None  # refused while the other writer holds the lock, not queued behind it
        assert not (cli_root / "corpus" / "extra.txt").exists()
    finally:
        holder.kill()
        holder.wait()

    # Another embedding model: refused with the way out, before any model is loaded.
    from assistant.encoder.encoder import default_model_path

    other = tmp_path / "other-minilm"
    shutil.copytree(default_model_path(), other, copy_function=os.symlink)
    done = run(cli_root, "sync", env={"ASSISTANT_EMBEDDING_MODEL": str(other)})
    assert done.returncode == 1 and "`assistant reindex`" in done.stderr and "other-minilm" in done.stderr

    done = run(cli_root, "remove", SEED_ARTICLE.name, "--json")
    assert done.returncode == 0 and json.loads(done.stdout)["removed"] == [SEED_ARTICLE.name]
    listing = json.loads(run(cli_root, "list", "--json").stdout)
    assert listing["documents"] == [] and listing["chunks"] == 0
    assert_listing_contract(listing)
    assert not (cli_root / "corpus" / SEED_ARTICLE.name).exists()


# -- README promises: several documents, --source, interactive follow-ups, reindex, check --repair --
HARBOUR = (
    "Harbour records\n\nThe lighthouse on the breakwater was rebuilt in 1911 after a winter storm destroyed the "
    "old tower. The ferry to the island leaves every morning at nine and returns at six in the evening.\n"
)


@pytest.fixture(scope="module")
def two_documents(tmp_path_factory) -> Path:
    """An index of two documents (the seed article and a harbour note), built by `assistant add`."""
    root = tmp_path_factory.mktemp("two")
    (root / "corpus").mkdir()
    note = tmp_path_factory.mktemp("note") / "harbour.txt"
    note.write_text(HARBOUR)
    done = run(root, "add", str(SEED_ARTICLE), str(note))
    assert done.returncode == 0, done.stderr
    return root


def test_ask_answers_only_from_the_selected_document(two_documents: Path):
    question = "When was the lighthouse rebuilt?"
    chosen = json.loads(run(two_documents, "ask", "--json", "--source", "harbour.txt", question).stdout)
    assert not chosen["refused"] and "1911" in chosen["answer"]
    assert {c["source"] for c in chosen["citations"]} == {r["source"] for r in chosen["retrieved"]} == {"harbour.txt"}
    other = json.loads(run(two_documents, "ask", "--json", "--source", SEED_ARTICLE.name, question).stdout)
    assert other["refused"] and "1911" not in other["answer"]
    assert {r["source"] for r in other["retrieved"]} == {SEED_ARTICLE.name}


def test_interactive_ask_answers_follow_ups_from_stdin(two_documents: Path):
    done = run(two_documents, "ask", stdin="What did Shaoqing Ren do?\nWhere did he go after MSRA?\n\n")
    assert done.returncode == 0, done.stderr
    # Each answer follows the prompt "? " at the start of a line (a section name quoted in the
    # sources may hold "? " too: "Who Benefitted and Who Lost Out? ").
    first, follow_up = [a for a in re.split(r"(?:^|\n)\? ", done.stdout) if a.strip()][:2]
    assert "Sources:" in first and "Sources:" in follow_up
    assert "Momenta" in follow_up.split("Sources:")[0], follow_up  # "he" is Shaoqing Ren, from the conversation
    assert "Traceback" not in done.stderr


def test_reindex_rebuilds_and_check_repair_mends(two_documents: Path):
    before = json.loads(run(two_documents, "list", "--json").stdout)
    rebuilt = run(two_documents, "reindex", "--json")
    assert rebuilt.returncode == 0, rebuilt.stderr
    report = json.loads(rebuilt.stdout)
    assert sorted(report["added"]) == sorted(d["source"] for d in before["documents"])
    assert report["embedded"] == before["chunks"] and report["failed"] == []
    after = json.loads(run(two_documents, "list", "--json").stdout)
    assert [(d["source"], d["sha256"], d["chunks"]) for d in after["documents"]] == [
        (d["source"], d["sha256"], d["chunks"]) for d in before["documents"]
    ]

    from assistant.ingest.library import Library

    library = Library(make_settings(two_documents))  # the damage: a committed chunk loses its vector
    lost = sorted(library.registry.chunk_ids("harbour.txt"))[0]
    library.store.delete([lost])
    library.registry.close()
    del library
    assert run(two_documents, "check", "--json").returncode == 1
    repaired = run(two_documents, "check", "--repair", "--json")
    assert repaired.returncode == 0, repaired.stderr
    assert json.loads(repaired.stdout) == {"ok": False, "problems": ["1 chunks have no vector"], "repaired": True}
    assert json.loads(run(two_documents, "check", "--json").stdout) == {"ok": True, "problems": [], "repaired": False}


# -- ASSISTANT_* overrides (README "Configuration") -----------------------------------------------
MISSION = "Who benefited from the ResNet research done at Microsoft Research Asia?"


@pytest.mark.parametrize(
    "variable, value, holds",
    [
        ("ASSISTANT_K", "2", lambda a: len(a.retrieved) == 2),
        # 35: the default answer has 75 words; one sentence that answers fits in 35 (none fits in
        # 25, and the gate then refuses, as it should for a quote that does not state the fact).
        ("ASSISTANT_MAX_ANSWER_WORDS", "35", lambda a: not a.refused and len(re.sub(r"\[\d+\]", "", a.answer).split()) <= 35),
        ("ASSISTANT_MIN_RELEVANCE", "0.99", lambda a: a.refused),
        ("ASSISTANT_MIN_ANSWER_PROBABILITY", "1.0", lambda a: a.refused),  # the gate's probability is below 1
    ],
)
def test_an_assistant_variable_changes_the_answer(seed_root: Path, seed_assistant, monkeypatch, variable, value, holds):
    from assistant.pipeline import Assistant

    assert not holds(seed_assistant.ask(MISSION))  # the default answer does not already satisfy it
    monkeypatch.setenv(variable, value)
    assert holds(Assistant(make_settings(seed_root), index=seed_assistant.index, encoder=seed_assistant.encoder).ask(MISSION))


def test_assistant_chunk_tokens_changes_the_chunking(seed_root: Path, fresh_root: Path, seed_assistant, monkeypatch):
    from assistant.ingest.library import Library

    monkeypatch.setenv("ASSISTANT_CHUNK_TOKENS", "60")
    shutil.copyfile(SEED_ARTICLE, fresh_root / "corpus" / SEED_ARTICLE.name)
    small = Library(make_settings(fresh_root), encoder=seed_assistant.encoder)
    assert small.sync().ok
    default_chunks = seed_assistant.index.registry.chunk_count()
    assert small.registry.chunk_count() > 2 * default_chunks  # 60 word pieces instead of 200
    assert all(small.encoder.count_tokens(c.text) <= 60 for c in small.registry.chunks())


def test_the_port_comes_from_assistant_port_or_gradio_server_port(monkeypatch):
    from assistant.config import Settings

    monkeypatch.delenv("ASSISTANT_PORT", raising=False)
    monkeypatch.setenv("GRADIO_SERVER_PORT", "7001")
    assert Settings.from_env().port == 7001
    monkeypatch.setenv("ASSISTANT_PORT", "7002")
    assert Settings.from_env().port == 7002
    assert Settings.from_env(port=7003).port == 7003  # --port wins
