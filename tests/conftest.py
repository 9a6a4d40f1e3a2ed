"""Shared fixtures: real model, real Chroma on disk, and a guard that fails any non-loopback connection."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT, Settings

from .servers import free_port  # noqa: F401  (one copy; the tests import it from here)

# ../shared beside the checkout (/work/main), or beside the worktrees' folder (/work/wt/<branch>).
SHARED = next((p / "shared" for p in PROJECT_ROOT.parents[:2] if (p / "shared").is_dir()), PROJECT_ROOT.parent / "shared")
PAPERS = SHARED / "papers"
SEED_QUESTIONS = SHARED / "eval" / "seed_questions.jsonl"
SEED_CORPUS = PROJECT_ROOT / "corpus"
RESNET_PDF = PAPERS / "resnet_1512.03385.pdf"

NETGUARD = Path(__file__).parent / "netguard"
sys.path.insert(0, str(NETGUARD))
import network_guard  # noqa: E402  (the same module sitecustomize.py installs in subprocesses)

NETWORK_LOG: Path | None = None
NAMESPACE_PROBLEM: list[str | None] = [None]  # why the run is not in a loopback-only namespace
_reported = [0]


def pytest_configure(config: pytest.Config) -> None:
    """The network guard, before any fixture runs (session fixtures load the encoder and build
    indexes) and in every Python process the tests start: see tests/netguard/network_guard.py.
    The run also moves into a loopback-only network namespace when it may (root): that stops
    what bypasses Python's sockets too (Chromium, the Rust `chroma run`), without naming it."""
    global NETWORK_LOG
    if not any(PAPERS.glob("*.pdf")) or not SEED_QUESTIONS.is_file():
        # Without the shared papers and questions a third of the suites would fail as if the
        # answerer had regressed: say what is missing instead.
        pytest.exit(f"the tests read ../shared (papers, eval, beir) beside the checkout; none at {SHARED}", returncode=4)
    NAMESPACE_PROBLEM[:] = [network_guard.isolate_network()]
    network_guard.install()
    NETWORK_LOG = Path(tempfile.mkdtemp(prefix="network-guard-")) / "attempts.log"
    NETWORK_LOG.touch()
    os.environ[network_guard.LOG_VARIABLE] = str(NETWORK_LOG)
    path = [str(NETGUARD), *[p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]]
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(path))


def _new_attempts() -> list[str]:
    """Attempts logged since the last call (by any process of the run), now reported."""
    seen = network_guard.logged(NETWORK_LOG) if NETWORK_LOG else []
    fresh, _reported[0] = seen[_reported[0] :], len(seen)
    return fresh


@pytest.fixture(autouse=True)
def no_network():
    """Every test proves the assistant stays offline: a non-loopback connect or datagram logged
    since the previous test ended (this test's, its fixtures', or a subprocess's) fails it.
    Yields a function giving the attempts logged so far in this test."""
    start = _reported[0]
    yield lambda: network_guard.logged(NETWORK_LOG)[start:]
    fresh = _new_attempts()
    assert not fresh, "non-loopback connections attempted:\n" + "\n".join(fresh)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    fresh = _new_attempts()
    if fresh:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter:
            reporter.write_line("network guard: non-loopback connections attempted outside any test:", red=True)
            for line in fresh:
                reporter.write_line(f"  {line}", red=True)
    if NETWORK_LOG:
        shutil.rmtree(NETWORK_LOG.parent, ignore_errors=True)


@cache
def export_the_encoder() -> None:
    """On a fresh machine the first process to load the encoder exports it, loading torch to do
    so: subprocesses under test (apps, timed CLI runs) should start as users' do, with the export
    already made (as `make run`'s indexing step makes it)."""
    from assistant.encoder.encoder import Encoder

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
    from assistant.ingest.library import Library

    root = tmp_path_factory.mktemp("seed")
    shutil.copytree(SEED_CORPUS, root / "corpus")
    report = Library(make_settings(root)).sync()
    assert report.ok and report.added, report.summary()
    return root


@pytest.fixture(scope="session")
def seed_assistant(seed_root: Path):
    from assistant.pipeline import Assistant

    return Assistant(make_settings(seed_root))


@pytest.fixture
def fresh_root(tmp_path: Path) -> Path:
    """An empty corpus and index for a test that writes."""
    (tmp_path / "corpus").mkdir()
    return tmp_path


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL cluster on loopback for the session (tests/servers.py); each test
    takes its own database with ``postgres.database()``."""
    from .servers import PostgresCluster

    cluster = PostgresCluster(PROJECT_ROOT / "test-artifacts")
    yield cluster
    cluster.remove()


@pytest.fixture(scope="module")
def scripted_llm():
    """A scripted OpenAI-compatible server on loopback (tests/servers.py); a test sets its ``script``."""
    from .servers import ScriptedChatServer

    llm = ScriptedChatServer()
    yield llm
    llm.close()
