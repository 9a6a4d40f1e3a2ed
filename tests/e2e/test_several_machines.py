"""Several machines, simulated on loopback: the registry on a real PostgreSQL, the vectors on a real
``chroma run``, and every assistant process with its *own* ``--index`` and ``--corpus`` folders
(nothing shared on disk, as on two hosts). The configuration is deploy/compose.yaml's.

1. Two ingesters (CLI ``add``) and two web apps at once: every document lands exactly once, no
   vector is lost, each app answers from the other's upload on its next question, any machine
   opens any original, and ``assistant check`` is clean.
2. Faults while answering: Chroma killed (-9), PostgreSQL stopped; the app names the service that
   is down (a typed error, no traceback) and answers again once it is back.
3. Faults while ingesting: the ingester killed -9, Chroma killed -9, PostgreSQL restarted, each
   mid-ingest; the ingest stops (with the same plain message when a server failed), nothing
   half-written is visible, the next run repairs and finishes the job, and ``check`` agrees.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT, Settings

from ..helpers import cli_env, tagged_document, two_writers_inputs
from ..servers import ChromaServer
from .conftest import ARTIFACTS, Server, app_environment, start_server

FILES_PER_INGESTER = 4
DOCUMENT_SENTENCES = 7  # ~900 characters a paragraph, as these tests were measured with
INGEST_TIMEOUT_S = 300
FAULT_FILES = 24

UPLOADS = {
    "a": ("quillmere.txt", "Quillmere lighthouse",
          "The Quillmere lighthouse was painted teal in 1911 by its keeper, Odile Brask, after a storm "
          "stripped the old whitewash from the tower.", "What colour was the Quillmere lighthouse painted in 1911?", "teal"),
    "b": ("varrow.txt", "Varrow glacier survey",
          "The Varrow glacier retreated 412 metres between 1950 and 2010, according to the survey led "
          "by the geologist Imre Tallos.", "How far did the Varrow glacier retreat between 1950 and 2010?", "412 metres"),
}


def _env(**extra: str) -> dict[str, str]:
    return cli_env(None, PYTHONUNBUFFERED="1", **extra)


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory, postgres) -> Iterator[dict]:
    chroma = ChromaServer(tmp_path_factory.mktemp("chroma") / "data", ARTIFACTS, _env())
    try:
        yield {"chroma": chroma, "postgres": postgres, "registry_url": postgres.database()}
    finally:
        chroma.stop()


def _machine_env(services: dict) -> dict[str, str]:
    return {"ASSISTANT_CHROMA_URL": services["chroma"].url, "ASSISTANT_REGISTRY_URL": services["registry_url"]}


def _cli(services: dict, root: Path, *args: str, **env_extra: str) -> subprocess.Popen:
    """``assistant`` started as a process of a machine whose folders are under ``root``."""
    command = [sys.executable, "-m", "assistant.cli", "--index", str(root / "index"), "--corpus", str(root / "corpus"), "--quiet", *args]
    env = _env(**_machine_env(services), **env_extra)
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=PROJECT_ROOT)


def _library(services: dict, root: Path):
    from assistant.ingest.library import Library

    return Library(Settings.from_env(
        corpus=root / "corpus", index=root / "index", chroma_url=services["chroma"].url, registry_url=services["registry_url"],
    ))


def _assert_consistent(library) -> None:
    documents = library.documents()
    assert library.registry.chunk_ids() == library.store.ids()  # nothing lost, nothing orphaned
    assert library.store.count() == library.registry.chunk_count() == sum(d.chunks for d in documents)
    assert not library.registry.pending()
    assert library.blobs.missing() == []
    assert library.check() == []


@pytest.fixture(scope="module")
def apps(services: dict, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Server]]:
    started: dict[str, Server] = {}
    try:
        for name in ("a", "b"):
            root = tmp_path_factory.mktemp(f"machine-{name}")
            env = app_environment(root, **_machine_env(services))
            started[name] = start_server(root, f"machine-{name}", env=env, wait_ready=False, corpus=False)
        for server in started.values():
            server.wait_for(r"assistant\.web: (ready in|not ready|start-up failed)", 240)
            assert "ready in" in server.output(), server.output()
        yield started
    finally:
        for server in started.values():
            server.stop()


def test_two_ingesters_and_two_apps_share_one_library(services: dict, tmp_path: Path, request: pytest.FixtureRequest):
    from gradio_client import Client, handle_file

    inputs = two_writers_inputs(tmp_path, FILES_PER_INGESTER, sentences=DOCUMENT_SENTENCES)
    ingesters = [_cli(services, tmp_path / f"ingester-{n}", "add", *map(str, files), "--json")
                 for n, files in inputs.items()]
    apps: dict[str, Server] = request.getfixturevalue("apps")  # the apps start while the ingesters write
    for ingester in ingesters:
        out, err = ingester.communicate(timeout=INGEST_TIMEOUT_S)
        assert ingester.returncode == 0, err
        assert not json.loads(out)["failed"], out

    # Each app takes an upload; the other answers from it on its next question.
    clients = {name: Client(server.url, verbose=False, analytics_enabled=False) for name, server in apps.items()}
    for name, (file_name, title, fact, _, _) in UPLOADS.items():
        upload = tmp_path / file_name
        upload.write_text(f"{title}\n\n{fact}\n", encoding="utf-8")
        report = clients[name].predict([handle_file(upload)], api_name="/add_documents")
        assert report["added"] == [file_name] and not report["failed"], report
    for name, other in (("a", "b"), ("b", "a")):
        file_name, _, _, question, expected = UPLOADS[name]
        answer = clients[other].predict(question, api_name="/ask")
        assert not answer["refused"], answer
        assert expected in answer["answer"] and answer["citations"][0]["source"] == file_name, answer

    # A third machine with empty folders sees one library, exactly once, and opens any original.
    reader = tmp_path / "reader"
    library = _library(services, reader)
    expected = {f"zq{w}{i}x.txt" for w in "ab" for i in range(FILES_PER_INGESTER)} | {"shared.txt"} | {u[0] for u in UPLOADS.values()}
    assert {d.source for d in library.documents()} == expected
    _assert_consistent(library)
    for name, (file_name, *_) in UPLOADS.items():  # uploaded to one app, opened on another machine
        assert library.original(file_name) == (tmp_path / file_name).read_bytes()
    # `sync` of an ingester's folder removes only what came from that folder, not the others'.
    (tmp_path / "ingester-a" / "corpus" / "zqa0x.txt").unlink()
    synced = _library(services, tmp_path / "ingester-a").sync()
    assert synced.removed == ["zqa0x.txt"] and not synced.added, synced.to_dict()
    assert {d.source for d in library.documents()} == expected - {"zqa0x.txt"}
    _assert_consistent(library)


def _ask_until_answered(client, question: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return client.predict(question, api_name="/ask")
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def test_an_app_names_the_service_that_is_down_and_recovers(services: dict, apps: dict[str, Server]):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    client = Client(apps["a"].url, verbose=False, analytics_enabled=False)
    question = UPLOADS["b"][3]
    assert not client.predict(question, api_name="/ask")["refused"]
    for service, stop, start, named in (
        ("chroma", services["chroma"].kill, services["chroma"].start, "the Chroma server at http://127.0.0.1"),
        ("postgres", services["postgres"].stop, services["postgres"].start, "PostgreSQL at postgresql://127.0.0.1"),
    ):
        stop()
        try:
            with pytest.raises(AppError) as caught:
                client.predict(question, api_name="/ask")
            assert named in str(caught.value) and "unreachable" in str(caught.value), (service, str(caught.value))
        finally:
            start()
        answer = _ask_until_answered(client, question)
        assert not answer["refused"] and UPLOADS["b"][4] in answer["answer"], (service, answer)
    # Gradio logs the gr.Error it sends; nothing else (no psycopg, httpx or chromadb error) escaped.
    raised = re.findall(r"^([\w.]+(?:Error|Exception)): ", apps["a"].output(), flags=re.MULTILINE)
    assert raised and set(raised) == {"gradio.exceptions.Error"}, raised


def _wait_for_a_commit(library, before: int, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while len(library.documents()) <= before:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the ingest committed nothing"
        time.sleep(0.2)


def test_an_ingest_survives_its_own_kill_chroma_killed_and_postgres_restarted(services: dict, tmp_path: Path):
    folder = tmp_path / "input"
    folder.mkdir()
    for i in range(FAULT_FILES):
        (folder / f"zqk{i}x.txt").write_text(tagged_document(f"zqk{i}x", 2, DOCUMENT_SENTENCES), encoding="utf-8")
    machine = tmp_path / "ingester"
    faults = (  # (what fails, how, how it comes back, what the ingest's message names; None: killed, no message)
        ("the ingester", lambda ingest: ingest.kill(), lambda: None, None),
        ("chroma", lambda ingest: services["chroma"].kill(), services["chroma"].start, "the Chroma server at http://127.0.0.1"),
        ("postgres", lambda ingest: services["postgres"].restart(), lambda: None, "PostgreSQL at postgresql://127.0.0.1"),
    )
    for service, fail, recover, named in faults:
        observer = _library(services, tmp_path / "observer")
        before = len(observer.documents())
        # Small batches: many commits, so the fault lands between two of them.
        ingest = _cli(services, machine, "add", str(folder), "--json", ASSISTANT_EMBED_BATCH="2")
        try:
            _wait_for_a_commit(observer, before, ingest)
            fail(ingest)
            out, err = ingest.communicate(timeout=120)
            recover()
        finally:
            if ingest.poll() is None:
                ingest.kill()
        assert ingest.returncode != 0, f"the ingest finished before {service} failed; give it more to do"
        if named is None:
            assert ingest.returncode == -9
        else:
            assert ingest.returncode == 1 and named in err and "unreachable" in err, err
            assert "Traceback" not in err, err
        # Nothing half-written is visible: each committed document has all its chunks and vectors.
        observer = _library(services, tmp_path / "observer")
        assert observer.registry.chunk_ids() <= observer.store.ids()
        assert observer.registry.chunk_count() == sum(d.chunks for d in observer.documents())
    # The same `add` again (here in-process) repairs the interrupted writes and finishes the job.
    library = _library(services, machine)
    report = library.add([folder])
    assert report.ok and report.added, report.summary()
    assert {f"input/zqk{i}x.txt" for i in range(FAULT_FILES)} <= {d.source for d in library.documents()}
    _assert_consistent(library)
