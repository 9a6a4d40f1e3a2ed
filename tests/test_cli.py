"""The `assistant` command's contract: `list --json`, JSON on stdout and messages on stderr, exit
codes 0 (done) / 1 (some inputs failed) / 2 (usage). Real processes, real model, real Chroma."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.config import PROJECT_ROOT

SEED_ARTICLE = PROJECT_ROOT / "corpus" / "who-benefits-from-american-ai-research-in-china.txt"
SCRIPT = Path(sys.executable).parent / "assistant"


def run(root: Path | None, *args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    if root is not None:
        environment.update(ASSISTANT_CORPUS=str(root / "corpus"), ASSISTANT_INDEX=str(root / "index"))
    environment.update(env or {})
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "assistant.cli"]
    return subprocess.run([*command, *args], capture_output=True, text=True, env=environment, timeout=timeout)


def assert_listing_contract(listing: dict) -> None:
    assert set(listing) == {"documents", "chunks", "embedding_model"}
    assert isinstance(listing["chunks"], int)
    assert set(listing["embedding_model"]) == {"name", "dimension"}
    assert isinstance(listing["embedding_model"]["name"], str) and isinstance(listing["embedding_model"]["dimension"], int)
    for document in listing["documents"]:
        assert set(document) == {"source", "title", "pages", "chunks", "sha256", "added"}
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
def _bad_batch(folder: Path) -> dict[str, str]:
    """name -> a word the reason must contain (with ASSISTANT_MAX_FILE_MB=0.05)."""
    from fpdf import FPDF
    from pypdf import PdfWriter

    folder.mkdir(parents=True)
    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for text in ("First page of a valid file.", "Second page."):
        pdf.add_page()
        pdf.cell(0, 8, text)
    valid = bytes(pdf.output())
    (folder / "corrupt.pdf").write_bytes(b"%PDF-1.5\n" + bytes(range(256)) * 8)
    (folder / "truncated.pdf").write_bytes(valid[: len(valid) // 2])
    (folder / "valid.pdf").write_bytes(valid)
    writer = PdfWriter(clone_from=folder / "valid.pdf")
    writer.encrypt(user_password="pw", owner_password="owner", algorithm="RC4-128")
    with (folder / "encrypted.pdf").open("wb") as fh:
        writer.write(fh)
    (folder / "valid.pdf").unlink()
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(b"text\x00\x00\x01\x02 and then binary")
    (folder / "latin1.txt").write_bytes("Straße".encode("latin-1"))
    (folder / "deck.pptx").write_bytes(b"PK\x03\x04")
    (folder / "huge.txt").write_bytes(b"word " * 20_000)
    (folder / "seed-copy.txt").write_bytes(SEED_ARTICLE.read_bytes())
    return {
        "corrupt.pdf": "corrupt", "truncated.pdf": "truncated", "encrypted.pdf": "encrypted", "empty.txt": "empty",
        "binary.txt": "binary", "latin1.txt": "UTF-8", "deck.pptx": "unsupported", "huge.txt": "limit",
        "seed-copy.txt": "same content", "missing.txt": "no such file",
    }


@pytest.fixture(scope="module")
def cli_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("cli")
    (root / "corpus").mkdir()
    return root


@pytest.fixture(scope="module")
def added(cli_root: Path, tmp_path_factory) -> tuple[subprocess.CompletedProcess, dict[str, str]]:
    """One `assistant add` of the seed article and every kind of bad file (the one heavy process)."""
    incoming = tmp_path_factory.mktemp("incoming") / "batch"
    reasons = _bad_batch(incoming)
    paths = [str(SEED_ARTICLE)] + [str(incoming / name) for name in reasons]
    done = run(cli_root, "add", *paths, "--json", env={"ASSISTANT_MAX_FILE_MB": "0.05"})
    return done, reasons


def test_add_reports_each_bad_file_takes_the_rest_and_exits_1(added, cli_root: Path):
    done, reasons = added
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)  # exactly one JSON document on stdout
    assert report["added"] == [SEED_ARTICLE.name] and report["embedded"] > 0
    failed = {Path(f["file"]).name: f["reason"] for f in report["failed"]}
    assert set(failed) == set(reasons)
    for name, word in reasons.items():
        assert word in failed[name], (name, failed[name])
        assert re.search(rf"failed: .*{re.escape(name)}: .*{re.escape(word)}", done.stderr), name  # and for people
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
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; from assistant.registry import WriterLock\n"
         "with WriterLock(Path(sys.argv[1])):\n print('locked', flush=True); time.sleep(120)", str(cli_root / "index" / "write.lock")],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        extra = tmp_path / "extra.txt"
        extra.write_text("An extra note that must wait for the other writer.")
        started = time.monotonic()
        done = run(cli_root, "add", str(extra))
        assert done.returncode == 1 and "busy" in done.stderr and f"pid {holder.pid}" in done.stderr
        assert time.monotonic() - started < 60  # refused, not queued behind the other writer
        assert not (cli_root / "corpus" / "extra.txt").exists()
    finally:
        holder.kill()
        holder.wait()

    # Another embedding model: refused with the way out, before any model is loaded.
    from assistant.embeddings import default_model_path

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
