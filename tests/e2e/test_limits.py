"""Issue 16 against the running app: every bad /ask gets a message saying what to fix; uploads
are deleted once added or refused (and so never served after removal); a write can be cancelled
from the web app with nothing half-written; with sign-in, every route needs it and guesses are
throttled."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from assistant.config import PROJECT_ROOT

HUGE_ITEM = "he did research on networks " * 112_000  # 3 MB: 12-45 s of work per request before
BIG_ITEM = "he did research " * 87_500  # 1.4 MB: under the request size limit, over the item limits


def paragraphs(topic: str, n: int) -> str:
    return "\n\n".join(
        f"The {topic} report, part {i}, notes that committee {i} of the {topic} council met in room {100 + i} "
        f"and approved budget line {i * 7} for the {topic} archive after a long debate." for i in range(n)
    )


@pytest.mark.parametrize(
    "options, message",
    [
        ({"history": [["What did he do?", "He did X."]] * 2000}, "the history has 2,000 turns, over the limit of 50"),
        ({"history": [[HUGE_ITEM, ""]]}, "the request is 3.0 MiB, over the 2 MiB limit of one call (ASSISTANT_MAX_REQUEST_MB)"),
        ({"history": [["Who?", HUGE_ITEM]]}, "the request is 3.0 MiB, over the 2 MiB limit of one call"),
        ({"history": [[BIG_ITEM, ""]]}, "history turn 1's question is 1,400,000 characters long, over the limit of 2,000"),
        ({"history": [["Who?", BIG_ITEM]]}, "history turn 1's answer is 1,400,000 characters long, over the limit of 8,000"),
        ({"history": [["Who?"], "no pair"]}, "history turn 2 must be a [question, answer] pair"),
        ({"k": "abc"}, "k (passages per answer) must be a whole number from 1 to 50"),
        ({"k": -1}, "got -1"),
        ({"k": 10**9}, "got 1000000000"),
        ({"sources": [1, None, {}]}, "sources item 1 must be text, not int 1"),
        ({"question": 42}, "the question must be text, not int 42"),
    ],
)
def test_every_bad_ask_gets_a_message_saying_what_to_fix(api_client, options, message):
    from gradio_client.exceptions import AppError, ValidationError

    arguments = {"question": "What did Kaiming He do?", **options}
    with pytest.raises((AppError, ValidationError)) as caught:
        api_client.predict(**arguments, api_name="/ask")
    assert message in str(caught.value)
    assert "upstream Gradio app has raised an exception" not in str(caught.value)


@pytest.mark.parametrize(
    "body, message",
    [
        ('["What did Kaiming He do?", NaN, "", null, null]', "must be a whole number from 1 to 50 (ASSISTANT_MAX_K), or 0 for the default 6; got nan"),
        ('["What did \\ud83d do?", 0, "", null, null]', "the question holds an invalid character at position 9 (U+D83D"),
        ('["Who?", 0, "", ["paper\\ud800.pdf"], null]', "sources item 1 holds an invalid character at position 5"),
        ('["Who?", 0, "", null, [["Who is \\udc00 he?", ""]]]', "history turn 1's question holds an invalid character at position 7"),
    ],
)
def test_what_gradio_client_cannot_send_gets_a_message_too(app_server, body, message):
    """NaN and lone surrogates are not valid JSON text (gradio_client and httpx refuse to send
    them) but Python's JSON parser takes them: sent as raw HTTP."""
    kind, payload = _events(app_server.url, "ask", f'{{"data": {body}}}')
    assert kind == "error"
    assert message in payload


def _events(url: str, api_name: str, body: str) -> tuple[str, str]:
    """Gradio's two-step HTTP API: POST the call, then read its last event (kind, data)."""
    with httpx.Client(base_url=url, timeout=300) as http:
        posted = http.post(f"/gradio_api/call/{api_name}", content=body, headers={"content-type": "application/json"})
        event = posted.raise_for_status().json()["event_id"]
        with http.stream("GET", f"/gradio_api/call/{api_name}/{event}") as stream:
            lines = [line for line in stream.iter_lines() if line.startswith(("event:", "data:"))]
    kinds = [line.split(":", 1)[1].strip() for line in lines if line.startswith("event:")]
    payloads = [line.split(":", 1)[1].strip() for line in lines if line.startswith("data:")]
    return kinds[-1], payloads[-1]


def _call(url: str, api_name: str, data: list) -> dict:
    kind, payload = _events(url, api_name, json.dumps({"data": data}))
    assert kind == "complete", (kind, payload)
    return json.loads(payload)[0]


def _upload(url: str, file: Path) -> str:
    """Upload a file as the page does; the path Gradio keeps it under."""
    with httpx.Client(base_url=url, timeout=60) as http:
        response = http.post("/gradio_api/upload", files=[("files", (file.name, file.read_bytes()))])
    return response.raise_for_status().json()[0]


def _file_data(path: str) -> dict:
    return {"path": path, "orig_name": Path(path).name, "meta": {"_type": "gradio.FileData"}}


def test_uploads_are_deleted_and_a_write_can_be_cancelled_from_the_web_app(tmp_path: Path, start_app):
    server = start_app("limits-uploads")

    # Added and refused uploads alike leave nothing in Gradio's upload folder, and a removed
    # document cannot be fetched through /gradio_api/file= by the path its upload had.
    good, empty = tmp_path / "hygiene-note.txt", tmp_path / "hygiene-empty.txt"
    good.write_text(paragraphs("hygiene", 4))
    empty.write_text("")
    kept = [_upload(server.url, good), _upload(server.url, empty)]
    assert all(Path(p).is_file() for p in kept)
    report = _call(server.url, "add_documents", [[_file_data(p) for p in kept]])
    assert report["added"] == ["hygiene-note.txt"] and [f["file"] for f in report["failed"]] == ["hygiene-empty.txt"]
    assert [p for p in kept if Path(p).exists()] == []
    assert _call(server.url, "remove_document", ["hygiene-note.txt"])["removed"] == ["hygiene-note.txt"]
    with httpx.Client(base_url=server.url, timeout=30) as http:
        assert http.get(f"/gradio_api/file={kept[0]}").status_code != 200

    # A batch being written is cancelled: what was committed stays, the rest is reported as
    # not written, and the index checks clean.
    names = [f"long-{i}.txt" for i in range(6)]
    for name in names:
        (tmp_path / name).write_text(paragraphs(name, 150))
    paths = [_upload(server.url, tmp_path / name) for name in names]
    result: dict = {}
    writer = threading.Thread(target=lambda: result.update(_call(server.url, "add_documents", [[_file_data(p) for p in paths]])))
    writer.start()
    cancelled = False
    deadline = time.monotonic() + 120
    while not cancelled and writer.is_alive() and time.monotonic() < deadline:
        time.sleep(0.5)
        cancelled = _call(server.url, "cancel_write", [])["cancelled"]
    writer.join(timeout=300)
    assert cancelled, f"the write ended before it could be cancelled: {result}"
    assert result["failed"], result
    assert all("the write was cancelled" in f["reason"] for f in result["failed"])
    assert sorted(result["added"] + [f["file"] for f in result["failed"]]) == sorted(names)
    listed = {d["source"] for d in _call(server.url, "list_documents", [])["documents"]}
    assert set(result["added"]) <= listed and not listed & {f["file"] for f in result["failed"]}
    assert not any((server.corpus / f["file"]).exists() for f in result["failed"])
    assert [p for p in paths if Path(p).exists()] == []
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    check = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "--corpus", str(server.corpus), "--index", str(server.root / "index"),
         "check", "--json"], env=env, capture_output=True, text=True, timeout=300,
    )
    assert json.loads(check.stdout)["ok"], check.stdout + check.stderr


def test_sign_in_guards_every_route_and_throttles_guesses(tmp_path: Path, start_app):
    from gradio_client import Client

    server = start_app("limits-auth", ASSISTANT_AUTH="reader:correct horse")
    with httpx.Client(base_url=server.url, timeout=30) as anonymous:
        assert anonymous.get("/").status_code == 200  # the sign-in page
        cancel = {"session_hash": "x", "fn_index": 0, "event_id": "y"}
        assert anonymous.post("/gradio_api/cancel", json=cancel).status_code == 401
        assert anonymous.post("/gradio_api/reset", json={"session_hash": "x", "fn_index": 0, "event_id": "y"}).status_code == 401
        assert anonymous.get("/gradio_api/heartbeat/x").status_code == 401
        assert anonymous.get("/gradio_api/app_id").status_code == 401

        for _ in range(5):
            assert anonymous.post("/login", data={"username": "reader", "password": "guess"}).status_code == 400
        throttled = anonymous.post("/login", data={"username": "reader", "password": "correct horse"})
        assert throttled.status_code == 429  # even the right password waits
        assert "Too many failed sign-ins from your address: wait" in throttled.json()["detail"]
        time.sleep(float(throttled.headers["retry-after"]) + 0.2)
        assert anonymous.post("/login", data={"username": "reader", "password": "correct horse"}).status_code == 200
        assert anonymous.post("/gradio_api/cancel", json=cancel).status_code == 200  # now signed in

    client = Client(server.url, auth=("reader", "correct horse"), verbose=False, analytics_enabled=False)
    assert "documents" in client.predict(api_name="/list_documents")
