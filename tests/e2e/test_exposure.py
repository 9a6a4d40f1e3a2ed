"""An exposed deployment: no file outside the corpus can be read, written or removed through any
endpoint of the running app (traversal in names, absolute paths, URL-encoding, Gradio's file
routes). Binding beyond loopback without auth refusing to start is tested in test_api.py."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(600)

SEED_FILE = "who-benefits-from-american-ai-research-in-china.txt"
TRAVERSALS = [
    "../../etc/passwd", "/etc/passwd", "..%2F..%2Fetc%2Fpasswd", "%2e%2e/%2e%2e/etc/passwd",
    "..\\..\\etc\\passwd", "../secret.txt", "../index/registry.sqlite3", "corpus/../secret.txt",
    "....//....//etc/passwd", "/proc/self/environ",
]


@pytest.fixture
def secret(app_server) -> Path:
    path = app_server.root / "secret.txt"  # beside the corpus, where a traversal would land
    path.write_text("The vault code is 4711.\n")
    return path


@pytest.mark.parametrize("name", TRAVERSALS + ["SECRET_ABSOLUTE"])
def test_remove_document_cannot_leave_the_corpus(api_client, app_server, secret: Path, name: str):
    if name == "SECRET_ABSOLUTE":
        name = str(secret)
    before = api_client.predict(api_name="/list_documents")
    report = api_client.predict(name, api_name="/remove_document")
    assert report["removed"] == [] and report["failed"], report
    assert secret.read_text() == "The vault code is 4711.\n"
    assert (app_server.root / "index" / "registry.sqlite3").exists()
    assert (app_server.corpus / SEED_FILE).exists()
    assert api_client.predict(api_name="/list_documents") == before


@pytest.mark.parametrize("name", ["../../escape.txt", "..%2F..%2Fescape.txt", "/tmp/escape.txt", "..\\..\\escape.txt"])
def test_an_upload_named_with_traversal_lands_in_the_corpus_or_nowhere(app_server, api_client, name: str):
    import httpx

    body = b"The escape hatch is painted green.\n"
    upload = httpx.post(f"{app_server.url}/gradio_api/upload", files={"files": (name, body, "text/plain")}, timeout=60)
    if upload.status_code != 200:
        return  # refused at the door
    [stored] = upload.json()
    call = httpx.post(
        f"{app_server.url}/gradio_api/call/add_documents",
        json={"data": [[{"path": stored, "meta": {"_type": "gradio.FileData"}}]]},
        timeout=30,
    )
    if call.status_code == 200:
        httpx.get(f"{app_server.url}/gradio_api/call/add_documents/{call.json()['event_id']}", timeout=120)
    for outside in (app_server.root / "escape.txt", app_server.root.parent / "escape.txt", Path("/tmp/escape.txt")):
        assert not outside.exists() or outside.read_bytes() != body, outside
    written = [p for p in app_server.corpus.rglob("*escape*")]
    for path in written:
        assert path.resolve().parent == app_server.corpus.resolve()
    listing = api_client.predict(api_name="/list_documents")
    for document in listing["documents"]:
        assert ".." not in document["source"] and not document["source"].startswith("/")
        if "escape" in document["source"]:
            assert api_client.predict(document["source"], api_name="/remove_document")["removed"]


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
def test_file_routes_serve_nothing_outside_the_upload_folder(app_server, secret: Path, route: str):
    import httpx

    url = app_server.url + route.format(secret=secret, index=app_server.root / "index", corpus=app_server.corpus)
    response = httpx.get(url, timeout=30)
    assert response.status_code in (400, 403, 404, 405), (url, response.status_code)
    assert b"root:" not in response.content and b"4711" not in response.content and b"SQLite" not in response.content
