"""An exposed deployment: no file outside the corpus can be read, written or removed through any
endpoint of the running app (traversal in names, absolute paths, URL-encoding, Gradio's file
routes). Binding beyond loopback without auth refusing to start is tested in test_api.py. Run on
an app of this module's own: a traversal that worked would change its documents (and fail the
test that made it), never another module's; each upload test removes what it added and checks
only the bytes it uploaded, so the tests here do not depend on each other's order."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import Server, start_server

pytestmark = pytest.mark.timeout(600)

SEED_FILE = "who-benefits-from-american-ai-research-in-china.txt"
TRAVERSALS = [
    "../../etc/passwd", "/etc/passwd", "..%2F..%2Fetc%2Fpasswd", "%2e%2e/%2e%2e/etc/passwd",
    "..\\..\\etc\\passwd", "../secret.txt", "../index/registry.sqlite3", "corpus/../secret.txt",
    "....//....//etc/passwd", "/proc/self/environ",
]


@pytest.fixture(scope="module")
def exposure_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("exposure-app"), "exposure")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def exposure_client(exposure_app: Server):
    from gradio_client import Client

    return Client(exposure_app.url, verbose=False, analytics_enabled=False)


@pytest.fixture
def secret(exposure_app) -> Path:
    path = exposure_app.root / "secret.txt"  # beside the corpus, where a traversal would land
    path.write_text("The vault code is 4711.\n")
    return path


@pytest.mark.parametrize("name", TRAVERSALS + ["SECRET_ABSOLUTE"])
def test_remove_document_cannot_leave_the_corpus(exposure_client, exposure_app, secret: Path, name: str):
    if name == "SECRET_ABSOLUTE":
        name = str(secret)
    before = exposure_client.predict(api_name="/list_documents")
    report = exposure_client.predict(name, api_name="/remove_document")
    assert report["removed"] == [] and report["failed"], report
    assert secret.read_text() == "The vault code is 4711.\n"
    assert (exposure_app.root / "index" / "registry.sqlite3").exists()
    assert (exposure_app.corpus / SEED_FILE).exists()
    assert exposure_client.predict(api_name="/list_documents") == before


@pytest.mark.parametrize("name", ["../../escape.txt", "..%2F..%2Fescape.txt", "/tmp/escape.txt", "..\\..\\escape.txt"])
def test_an_upload_named_with_traversal_lands_in_the_corpus_or_is_refused(exposure_app, exposure_client, name: str):
    import httpx

    body = b"The escape hatch is painted green.\n"
    upload = httpx.post(f"{exposure_app.url}/gradio_api/upload", files={"files": (name, body, "text/plain")}, timeout=60)
    assert upload.status_code == 200, upload.text  # Gradio keeps any upload under its own folder
    [stored] = upload.json()
    assert Path(stored).resolve().is_relative_to((exposure_app.root / "gradio-uploads").resolve()), stored
    call = httpx.post(
        f"{exposure_app.url}/gradio_api/call/add_documents",
        json={"data": [[{"path": stored, "meta": {"_type": "gradio.FileData"}}]]},
        timeout=30,
    )
    assert call.status_code == 200, call.text
    events = httpx.get(f"{exposure_app.url}/gradio_api/call/add_documents/{call.json()['event_id']}", timeout=120)
    listing = exposure_client.predict(api_name="/list_documents")
    if "event: error" in events.text:
        # Gradio keeps the upload under its name's last part; "..%2F..%2Fescape.txt" or
        # "..\\..\\escape.txt" is then a dotfile, which Gradio refuses to hand to the app at all.
        assert Path(stored).name.startswith("."), (stored, events.text)
        assert not [p for p in exposure_app.corpus.rglob("*") if p.is_file() and p.read_bytes() == body]
        assert all("escape" not in d["source"] for d in listing["documents"])
        added = None
    else:
        assert "event: complete" in events.text, events.text
        report = json.loads(events.text.strip().rsplit("data:", 1)[1])[0]
        [added] = report["added"]  # taken, under a safe name inside the corpus
        assert "/" not in added and "\\" not in added and not added.startswith(".")
        assert (exposure_app.corpus / added).read_bytes() == body
    for outside in (exposure_app.root / "escape.txt", exposure_app.root.parent / "escape.txt", Path("/tmp/escape.txt")):
        assert not outside.exists() or outside.read_bytes() != body, outside
    written = [p for p in exposure_app.corpus.rglob("*escape*")]
    for path in written:
        assert path.resolve().parent == exposure_app.corpus.resolve()
    for document in listing["documents"]:
        assert ".." not in document["source"] and not document["source"].startswith("/")
    if added:
        assert exposure_client.predict(added, api_name="/remove_document")["removed"] == [added]


@pytest.mark.parametrize(
    "route",
    [
        "/gradio_api/file=/etc/passwd", "/gradio_api/file=../../../../etc/passwd",
        "/gradio_api/file=%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/gradio_api/file=..%2F..%2F..%2Fetc%2Fpasswd",
        "/file=/etc/passwd", "/gradio_api/file=/proc/self/environ", "/gradio_api/file={secret}",
        "/gradio_api/file={index}/registry.sqlite3", "/gradio_api/file={corpus}/" + SEED_FILE,
        "/static/../../../../etc/passwd", "/assets/..%2F..%2F..%2Fetc%2Fpasswd",
    ],
)
def test_file_routes_serve_nothing_outside_the_upload_folder(exposure_app, secret: Path, route: str):
    import httpx

    url = exposure_app.url + route.format(secret=secret, index=exposure_app.root / "index", corpus=exposure_app.corpus)
    response = httpx.get(url, timeout=30)
    assert response.status_code in (400, 403, 404, 405), (url, response.status_code)
    assert b"root:" not in response.content and b"4711" not in response.content and b"SQLite" not in response.content
