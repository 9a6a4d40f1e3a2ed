"""Shared fixtures: real model, real Chroma on disk, and a guard that fails any non-loopback connection."""

from __future__ import annotations

import ipaddress
import shutil
import socket
import subprocess
from functools import cache
from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT, Settings

# ../shared beside the checkout (/work/main), or beside the worktrees' folder (/work/wt/<branch>).
SHARED = next((p / "shared" for p in PROJECT_ROOT.parents[:2] if (p / "shared").is_dir()), PROJECT_ROOT.parent / "shared")
PAPERS = SHARED / "papers"
SEED_QUESTIONS = SHARED / "eval" / "seed_questions.jsonl"
SEED_CORPUS = PROJECT_ROOT / "corpus"
RESNET_PDF = PAPERS / "resnet_1512.03385.pdf"


def _is_loopback(address: object) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX paths
        return True
    host = str(address[0]) if isinstance(address, tuple) and address else ""
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch):
    """Every test proves the assistant stays offline: a non-loopback connect fails the test."""
    attempts: list[object] = []
    original = socket.socket.connect
    original_ex = socket.socket.connect_ex

    def guarded(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
            attempts.append(address)
            raise ConnectionRefusedError(f"test network guard: connection to {address!r} refused")
        return original(self, address)

    def guarded_ex(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
            attempts.append(address)
            return 111
        return original_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_ex)
    yield attempts
    assert not attempts, f"non-loopback connections attempted: {attempts}"


@cache
def export_the_encoder() -> None:
    """On a fresh machine the first process to load the encoder exports it, loading torch to do
    so: subprocesses under test (apps, timed CLI runs) should start as users' do, with the export
    already made (as `make run`'s indexing step makes it)."""
    from assistant.embeddings import Encoder

    assert Encoder().model.runtime == "onnx"


def stop_process(process: subprocess.Popen, timeout: float = 20) -> None:
    """Terminate a server the test started; kill it if it does not exit within ``timeout``."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)


def make_settings(root: Path, **overrides) -> Settings:
    return Settings.from_env(corpus=root / "corpus", index=root / "index", **overrides)


@pytest.fixture(scope="session")
def seed_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A corpus with the seed article, indexed once per test session (read-only for tests)."""
    from assistant.ingest import Library

    root = tmp_path_factory.mktemp("seed")
    shutil.copytree(SEED_CORPUS, root / "corpus")
    report = Library(make_settings(root)).sync()
    assert report.ok and report.added, report.summary()
    return root


@pytest.fixture(scope="session")
def seed_assistant(seed_root: Path):
    from assistant.chain import Assistant

    return Assistant(make_settings(seed_root))


@pytest.fixture
def fresh_root(tmp_path: Path) -> Path:
    """An empty corpus and index for a test that writes."""
    (tmp_path / "corpus").mkdir()
    return tmp_path
