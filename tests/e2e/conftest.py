"""The web app as a real subprocess (``python app.py``) on a free loopback port.

Each server gets its own copy of the seed corpus and an empty index folder, so its start-up
indexes the corpus itself (the "empty index, files in corpus/" path). The encoder's ONNX export
is made before the first server starts, as `make run`'s indexing step makes it. Server output
goes to test-artifacts/, kept for CI.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT

from ..conftest import export_the_encoder, free_port, stop_process

SEED_CORPUS = PROJECT_ROOT / "corpus"
SEED_FILE = "who-benefits-from-american-ai-research-in-china.txt"
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
START_TIMEOUT_S = 240  # model load + first indexing on a loaded 2-core CI machine
WAIT_MS = 60_000  # a browser's wait for a page or an answer, on a loaded 2-core machine
UPLOAD_LIMIT_MB = 1  # small, so the size limit is testable without big files


def app_environment(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "GRADIO_"))}
    env.update(
        PYTHONUNBUFFERED="1",
        GRADIO_TEMP_DIR=str(tmp / "gradio-uploads"),
        ASSISTANT_MAX_UPLOAD_MB=str(UPLOAD_LIMIT_MB),
    )
    env.update(extra)
    return env


@dataclass
class Server:
    url: str
    root: Path
    process: subprocess.Popen
    log: Path
    launched: float
    ready_after_s: float | None = None

    @property
    def corpus(self) -> Path:
        return self.root / "corpus"

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_for(self, pattern: str, timeout: float) -> re.Match:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(pattern, self.output())
            if found:
                return found
            if self.process.poll() is not None:
                raise AssertionError(f"the app exited ({self.process.returncode}) before {pattern!r}:\n{self.output()}")
            time.sleep(0.2)
        raise AssertionError(f"no {pattern!r} within {timeout:.0f} s:\n{self.output()}")

    def stop(self) -> None:
        stop_process(self.process)


def start_server(
    root: Path, name: str, *, env: dict[str, str] | None = None, wait_ready: bool = True, corpus: bool = True,
    app: Sequence[str] = (str(PROJECT_ROOT / "app.py"),),
) -> Server:
    """``app``: the script (and its first arguments) that runs the app, app.py unless a test
    holds its start-up (held_start_up.py)."""
    export_the_encoder()
    if corpus and not (root / "corpus").exists():
        shutil.copytree(SEED_CORPUS, root / "corpus", copy_function=shutil.copyfile)
    (root / "corpus").mkdir(exist_ok=True)
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / f"e2e-server-{name}.log"
    port = free_port()
    command = [
        sys.executable, *app, "--port", str(port),
        "--corpus", str(root / "corpus"), "--index", str(root / "index"),
    ]
    launched = time.monotonic()
    with log.open("w") as out:
        process = subprocess.Popen(
            command, cwd=root, env=env or app_environment(root), stdout=out, stderr=subprocess.STDOUT
        )
    server = Server(url=f"http://127.0.0.1:{port}", root=root, process=process, log=log, launched=launched)
    try:
        server.wait_for(r"web chat on http://", START_TIMEOUT_S)
        if wait_ready:
            server.wait_for(r"assistant\.web: (ready in|not ready|start-up failed)", START_TIMEOUT_S)
            server.ready_after_s = time.monotonic() - launched
    except BaseException:
        server.stop()
        raise
    return server


def open_chat(context, server: Server):
    """A new page of the Playwright browser ``context`` on ``server``'s web chat, once the
    question box and the seed article's entry in the documents list have loaded."""
    page = context.new_page()
    page.goto(server.url, wait_until="load", timeout=WAIT_MS)
    page.wait_for_selector("#question textarea")
    page.wait_for_selector(f"#documents .doc[data-source='{SEED_FILE}']")
    return page


@pytest.fixture(scope="package")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One app for the tests that only read (ask, chat, list, try and fail to escape): the seed
    corpus, indexed by the app at start-up. No test changes its documents, so these tests do not
    depend on each other's order or failures. Package-scoped: stopped when the e2e tests end, as
    an idle app still takes ~4% of a core (and ~0.5 GB) from the rest of the run."""
    server = start_server(tmp_path_factory.mktemp("webapp"), "main")
    yield server
    server.stop()


@pytest.fixture(scope="package")
def documents_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A second app, for the tests that add, update and remove documents (each leaves the seed
    corpus as it found it, and checks what it changed against the listing it found); stopped
    with the e2e package, as app_server is."""
    server = start_server(tmp_path_factory.mktemp("documents-app"), "documents")
    yield server
    server.stop()


@pytest.fixture
def start_app(tmp_path: Path):
    """A factory for servers of the test's own (stopped at the end of the test), in the test's
    tmp_path, with the seed corpus unless the test put a corpus/ there: start_app(name, **env)."""
    servers: list[Server] = []

    def start(name: str, *, wait_ready: bool = True, app: Sequence[str] | None = None, **extra_env: str) -> Server:
        server = start_server(
            tmp_path, name, env=app_environment(tmp_path, **extra_env), wait_ready=wait_ready,
            **({"app": app} if app else {}),
        )
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def app_env():
    """The environment a test app runs with: app_env(tmp, **extra)."""
    return app_environment


@pytest.fixture(scope="package")
def api_client(app_server: Server):
    from gradio_client import Client

    return Client(app_server.url, verbose=False, analytics_enabled=False)


@pytest.fixture(scope="package")
def documents_client(documents_app: Server):
    from gradio_client import Client

    return Client(documents_app.url, verbose=False, analytics_enabled=False)


@pytest.fixture(scope="session")
def sample_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two pages; the distinctive fact is on page 2 only."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title("Notes on the Zorblax Protocol")
    pdf.set_font("Helvetica", size=12)
    pdf.add_page()
    pdf.multi_cell(0, 8, (
        "Notes on the Zorblax Protocol\n\n"
        "This short report describes a fictional agreement used to test document uploads. "
        "The first page only introduces the subject and says nothing about dates or places."
    ))
    pdf.add_page()
    pdf.multi_cell(0, 8, (
        "History\n\n"
        "The Zorblax protocol was ratified in 1987 in Tallinn. "
        "Delegates from eleven coastal towns signed it after three weeks of negotiation."
    ))
    path = tmp_path_factory.mktemp("uploads") / "zorblax.pdf"
    pdf.output(str(path))
    return path
