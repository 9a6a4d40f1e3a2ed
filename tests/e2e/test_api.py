"""The web app's API, driven with gradio_client against a real ``python app.py`` subprocess."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT

from .conftest import SEED_CORPUS

pytestmark = pytest.mark.timeout(600)

RESNET_QUESTION = "Who benefited from the ResNet research done at Microsoft Research Asia?"
FOLLOW_UP = "Where did he go after MSRA?"
CONTEXTS = {"Facebook": "What did Kaiming He do?", "Momenta": "What did Shaoqing Ren do?"}
SEED_FILE = "who-benefits-from-american-ai-research-in-china.txt"
UPLOAD_LIMIT_MB = 1  # what the conftest's servers run with (ASSISTANT_MAX_UPLOAD_MB)
CITATION_KEYS = {"n", "source", "title", "page", "chunk_id", "text", "quote", "start", "end", "section"}


def _client(url: str, **kwargs):
    from gradio_client import Client

    return Client(url, verbose=False, analytics_enabled=False, **kwargs)


def _text(content) -> str:
    """A chat message's content: a string, or (Gradio 6) a list of {"type": "text", "text": ...}."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)
    return str(content)


def _in_parallel(work: dict, timeout: float = 300) -> dict:
    """Run each callable in its own thread at the same time; their results by key."""
    results: dict = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(work))

    def run(key: str, fn) -> None:
        try:
            barrier.wait(timeout=60)
            results[key] = fn()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=item) for item in work.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not errors, errors
    assert set(results) == set(work), "a thread did not finish"
    return results


# -- /ask ---------------------------------------------------------------------------------------


def test_ask_returns_the_cli_json_contract(api_client):
    result = api_client.predict(RESNET_QUESTION, api_name="/ask")
    assert set(result) >= {
        "question", "answer", "refused", "backend", "citations", "sentences", "retrieved", "latency_s"
    }
    assert result["question"] == RESNET_QUESTION
    assert result["refused"] is False
    assert result["backend"] == "extractive"
    assert result["citations"], result
    for n, citation in enumerate(result["citations"], start=1):
        assert set(citation) == CITATION_KEYS
        assert citation["n"] == n
        assert citation["source"] == SEED_FILE
        assert citation["quote"] and citation["quote"] in citation["text"]
        assert 0 <= citation["start"] < citation["end"]
    assert "[1]" in result["answer"]
    assert all({"text", "citations", "supported"} <= set(s) for s in result["sentences"])
    assert result["retrieved"] and {"source", "page", "chunk_id", "score"} <= set(result["retrieved"][0])
    assert isinstance(result["latency_s"], float)


def test_the_app_answers_without_loading_torch(app_server, api_client):
    """Start-up speed rests on the encoder running on ONNX Runtime: a silent fall-back to torch
    would still answer, only seconds later (docs/BENCHMARKS.md, "Startup"). The app says which
    encoder it loaded, and torch's library is not in the process even after answering."""
    assert api_client.predict(RESNET_QUESTION, api_name="/ask")["citations"]
    assert "onnx encoder" in app_server.wait_for(r"assistant\.web: ready in .*", 5).group(0)
    mapped = Path(f"/proc/{app_server.process.pid}/maps").read_text()
    assert "onnxruntime" in mapped and "libtorch" not in mapped


def test_ask_options_and_refusal(api_client):
    result = api_client.predict(RESNET_QUESTION, k=2, backend="extractive", api_name="/ask")
    assert len(result["retrieved"]) <= 2
    refused = api_client.predict("What is the boiling point of liquid nitrogen in Kelvin?", api_name="/ask")
    assert refused["refused"] is True
    assert refused["citations"] == []
    assert refused["retrieved"], "a refusal still reports the closest passages"


def test_ask_errors_are_messages_not_tracebacks(api_client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError) as empty:
        api_client.predict("   ", api_name="/ask")
    assert "question is empty" in str(empty.value)
    with pytest.raises(AppError) as backend:
        api_client.predict(RESNET_QUESTION, backend="gpt-99", api_name="/ask")
    assert "unknown backend" in str(backend.value)
    assert "Traceback" not in str(backend.value)


def test_follow_ups_use_their_own_history_under_concurrency(app_server, api_client):
    """Two clients at once, each with its own conversation: each gets the answer its own
    history gives when asked alone, never the other's."""
    alone = {
        key: api_client.predict(FOLLOW_UP, history=[[context, ""]], api_name="/ask")
        for key, context in CONTEXTS.items()
    }
    assert "Facebook" in alone["Facebook"]["answer"], alone["Facebook"]
    assert "Momenta" in alone["Momenta"]["answer"], alone["Momenta"]
    assert alone["Facebook"]["citations"] and alone["Momenta"]["citations"]
    assert alone["Facebook"]["answer"] != alone["Momenta"]["answer"]

    def converse(context: str):
        client = _client(app_server.url)
        return [client.predict(FOLLOW_UP, history=[[context, ""]], api_name="/ask")["answer"] for _ in range(2)]

    together = _in_parallel({key: (lambda c=context: converse(c)) for key, context in CONTEXTS.items()})
    for key in CONTEXTS:
        assert together[key] == [alone[key]["answer"]] * 2, (key, together[key])


# -- the chat endpoint keeps history per session ------------------------------------------------


def test_chat_history_is_per_session(app_server):
    """The chat's history lives in per-session state: two sessions asking the same follow-up
    at the same time each get the answer their own earlier question leads to."""

    def session(context: str):
        client = _client(app_server.url)  # a Client is one browser-like session
        client.predict(context, "extractive", 6, [], api_name="/chat")
        return client.predict(FOLLOW_UP, "extractive", 6, [], api_name="/chat")

    outputs = _in_parallel({key: (lambda c=context: session(c)) for key, context in CONTEXTS.items()})
    finals = {}
    for key, context in CONTEXTS.items():
        messages, cleared = outputs[key]
        assert cleared == ""
        assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]
        assert _text(messages[0]["content"]) == context and _text(messages[2]["content"]) == FOLLOW_UP
        finals[key] = _text(messages[-1]["content"])
        assert "[1]" in finals[key] and "<mark>" in finals[key] and SEED_FILE in finals[key]
    answers = {key: final.split("class='sources'")[0] for key, final in finals.items()}
    assert "Facebook" in answers["Facebook"], answers
    assert "Momenta" in answers["Momenta"], answers
    assert answers["Facebook"] != answers["Momenta"]


# -- documents ----------------------------------------------------------------------------------


def test_list_add_update_remove_documents(start_app, tmp_path: Path):
    """On an app of its own, as every test that changes documents: a failure half-way cannot
    change what another test finds."""
    from gradio_client import handle_file

    client = _client(start_app("documents-crud").url)

    listing = client.predict(api_name="/list_documents")
    before = [d["source"] for d in listing["documents"]]
    assert SEED_FILE in before and listing["chunks"] > 0 and listing["embedding_model"]["name"]

    note = tmp_path / "notes+drafts & more.md"  # the name is sanitised on the way in
    note.write_text("# Field notes\n\nThe quokka census of 2021 counted 12,345 quokkas on Rottnest Island.\n")
    report = client.predict([handle_file(note)], api_name="/add_documents")
    assert report["added"] == ["notes_drafts _ more.md"], report
    assert report["failed"] == []
    name = report["added"][0]

    answer = client.predict("How many quokkas did the 2021 census count?", sources=[name], api_name="/ask")
    assert not answer["refused"], answer
    assert {c["source"] for c in answer["citations"]} == {name}
    assert "12,345" in answer["answer"]
    # "Answer only from selected documents" with two indexed: each question sees only its choice.
    seed_only = client.predict(RESNET_QUESTION, sources=[SEED_FILE], api_name="/ask")
    assert not seed_only["refused"] and {c["source"] for c in seed_only["citations"]} == {SEED_FILE}
    assert {r["source"] for r in seed_only["retrieved"]} == {SEED_FILE}
    note_only = client.predict(RESNET_QUESTION, sources=[name], api_name="/ask")
    assert note_only["refused"] and {r["source"] for r in note_only["retrieved"]} == {name}, note_only

    again = client.predict([handle_file(note)], api_name="/add_documents")
    assert again["unchanged"] == [name], again

    note.write_text("# Field notes\n\nThe quokka census of 2022 counted 23,456 quokkas on Rottnest Island.\n")
    updated = client.predict([handle_file(note)], api_name="/add_documents")
    assert updated["updated"] == [name], updated
    answer = client.predict("How many quokkas did the 2022 census count?", sources=[name], api_name="/ask")
    assert "23,456" in answer["answer"], answer

    removed = client.predict(name, api_name="/remove_document")
    assert removed["removed"] == [name], removed
    assert [d["source"] for d in client.predict(api_name="/list_documents")["documents"]] == before

    missing = client.predict("no-such-file.pdf", api_name="/remove_document")
    assert missing["removed"] == [] and missing["failed"][0]["file"] == "no-such-file.pdf"


def test_failed_upload_leaves_nothing_behind(start_app, tmp_path: Path):
    from gradio_client import handle_file

    server = start_app("failed-upload")
    client = _client(server.url)

    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.4 garbage")
    good = tmp_path / "fine.txt"
    good.write_text("The lighthouse keeper's cat was named Biscuit and lived to the age of nineteen.\n")
    report = client.predict([handle_file(bad), handle_file(good)], api_name="/add_documents")
    assert report["added"] == ["fine.txt"], report
    assert [f["file"] for f in report["failed"]] == ["broken.pdf"]
    assert "corrupt" in report["failed"][0]["reason"] or "PDF" in report["failed"][0]["reason"]
    assert not (server.corpus / "broken.pdf").exists(), "a failed file must not stay in the corpus folder"
    assert (server.corpus / "fine.txt").exists()

    # A broken new version of an indexed file keeps the indexed version in the corpus folder.
    indexed = (server.corpus / "fine.txt").read_bytes()
    broken_version = tmp_path / "again" / "fine.txt"
    broken_version.parent.mkdir()
    broken_version.write_bytes(b"\x00\x01binary\x00" * 10)
    report = client.predict([handle_file(broken_version)], api_name="/add_documents")
    assert [f["file"] for f in report["failed"]] == ["fine.txt"], report
    assert (server.corpus / "fine.txt").read_bytes() == indexed

    assert client.predict("fine.txt", api_name="/remove_document")["removed"] == ["fine.txt"]
    assert not (server.corpus / "fine.txt").exists()


def test_server_files_cannot_be_added_or_read(documents_app):
    """The API takes uploads only: a path on the server is refused, and no folder is served."""
    import httpx

    secret = documents_app.root / "secret.txt"
    secret.write_text("The vault code is 4711.\n")
    call = httpx.post(
        f"{documents_app.url}/gradio_api/call/add_documents",
        json={"data": [[{"path": str(secret), "meta": {"_type": "gradio.FileData"}}]]},
        timeout=30,
    )
    if call.status_code == 200:
        events = httpx.get(f"{documents_app.url}/gradio_api/call/add_documents/{call.json()['event_id']}", timeout=120)
        assert "event: error" in events.text, events.text
    assert not (documents_app.corpus / "secret.txt").exists()
    for path in (secret, documents_app.corpus / SEED_FILE):
        assert httpx.get(f"{documents_app.url}/gradio_api/file={path}", timeout=30).status_code in (403, 404)


def test_upload_size_limit_is_enforced(documents_client, documents_app, tmp_path: Path):
    """The limit is advertised (gradio_client refuses the file before sending it) and enforced by
    the server (a raw upload gets 413); nothing is added either way."""
    import httpx
    from gradio_client import handle_file

    big = tmp_path / "big.txt"
    big.write_text("word " * int(UPLOAD_LIMIT_MB * 2**20 / 5 + 1000))
    with pytest.raises(ValueError, match=f"exceeds the maximum file size of {UPLOAD_LIMIT_MB * 2**20} bytes"):
        documents_client.predict([handle_file(big)], api_name="/add_documents")
    raw = httpx.post(
        f"{documents_app.url}/gradio_api/upload", files={"files": ("big.txt", big.read_bytes(), "text/plain")}, timeout=60
    )
    assert raw.status_code == 413, (raw.status_code, raw.text[:300])
    listing = documents_client.predict(api_name="/list_documents")
    assert "big.txt" not in [d["source"] for d in listing["documents"]]
    assert not (documents_app.corpus / "big.txt").exists()


# -- start-up -----------------------------------------------------------------------------------


def test_questions_asked_during_start_up_wait_and_are_answered(tmp_path: Path, start_app, app_env):
    """On a built index the server listens before the index is open and the encoder loaded. A
    question asked then (API and chat, at the same time) waits for start-up and gets the same cited
    answer as later, never an error; start-up then skips its own warm-up answer. The app's start-up
    is held until both questions wait for it (held_start_up.py), so they arrive during start-up
    on any machine, instead of racing it; everything else is app.py's."""
    shutil.copytree(SEED_CORPUS, tmp_path / "corpus", copy_function=shutil.copyfile)
    subprocess.run(
        [sys.executable, "-m", "assistant.cli", "--corpus", str(tmp_path / "corpus"), "--index", str(tmp_path / "index"),
         "--quiet", "sync"],
        cwd=PROJECT_ROOT, env=app_env(tmp_path), check=True, capture_output=True, timeout=300,
    )
    held = [str(Path(__file__).with_name("held_start_up.py")), "2"]
    server = start_app("startup", wait_ready=False, app=held)

    def chat():
        messages, _ = _client(server.url).predict(RESNET_QUESTION, "extractive", 6, [], api_name="/chat")
        return _text(messages[-1]["content"])

    results = _in_parallel({"ask": lambda: _client(server.url).predict(RESNET_QUESTION, api_name="/ask"), "chat": chat})
    log = server.wait_for(r"(?s)held start-up: .*assistant\.web: ready in .*", 120).group(0)
    assert "begins with 2 of 2 questions waiting" in log, "both questions waited for start-up:\n" + log
    assert "no warm-up: a question was waiting" in log, log

    answer = results["ask"]
    assert answer["refused"] is False and answer["citations"], answer
    assert {c["source"] for c in answer["citations"]} == {SEED_FILE}
    assert "Could not answer" not in results["chat"] and "Waiting for start-up" not in results["chat"]
    assert "[1]" in results["chat"] and SEED_FILE in results["chat"] and "<mark>" in results["chat"]
    later = _client(server.url).predict(RESNET_QUESTION, api_name="/ask")
    assert later["answer"] == answer["answer"], "a question asked during start-up gets the usual answer"


def test_assistant_serve_listens_on_gradio_server_port(tmp_path: Path, app_env):
    """`assistant serve` is the web app, on the port GRADIO_SERVER_PORT names (README "Web chat")."""
    import httpx

    from ..conftest import free_port, stop_process

    port = free_port()
    (tmp_path / "corpus").mkdir()
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "assistant.cli", "--corpus", str(tmp_path / "corpus"), "--index", str(tmp_path / "index"), "serve"],
            cwd=PROJECT_ROOT, env=app_env(tmp_path, GRADIO_SERVER_PORT=str(port)), stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 240
        while f"web chat on http://127.0.0.1:{port}" not in log.read_text():
            assert server.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        page = httpx.get(f"http://127.0.0.1:{port}/", timeout=30)
        assert page.status_code == 200 and "gradio" in page.text.lower()
    finally:
        stop_process(server)


# -- binding and authentication -----------------------------------------------------------------


def test_public_address_without_auth_refuses_to_start(tmp_path: Path, app_env):
    env = app_env(tmp_path)
    result = subprocess.run(
        [sys.executable, "app.py", "--host", "0.0.0.0", "--port", "9", "--corpus", str(tmp_path / "c"),
         "--index", str(tmp_path / "i")],
        cwd=Path(__file__).resolve().parents[2], env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode != 0
    assert "authentication is required" in result.stderr
    assert "ASSISTANT_AUTH" in result.stderr
    assert not (tmp_path / "i").exists(), "nothing may be created before the refusal"


def test_auth_is_enforced_and_a_wrong_index_is_explained(tmp_path: Path, start_app):
    """Auth on (loopback), and an index built by another embedding model: the app starts, says
    what to do, and answers nothing until it is rebuilt."""
    import sqlite3

    import httpx

    index = tmp_path / "index"
    index.mkdir()
    registry = sqlite3.connect(index / "registry.sqlite3")
    registry.executescript(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "INSERT INTO meta VALUES ('model', 'some-other-model'), ('dimension', '768');"
    )
    registry.commit()
    registry.close()
    auth_file = tmp_path / "users.txt"
    auth_file.write_text("# user:password per line\nreader:correct horse battery\n")
    server = start_app("auth", ASSISTANT_AUTH_FILE=str(auth_file))
    assert "sign-in required" in server.output()
    anonymous = httpx.post(f"{server.url}/gradio_api/call/list_documents", json={"data": []}, timeout=30)
    assert anonymous.status_code in (401, 403), anonymous.text
    from gradio_client.exceptions import AppError, AuthenticationError

    with pytest.raises(AuthenticationError, match="credentials were not provided"):
        _client(server.url)
    with pytest.raises(ValueError, match="Could not login"):  # gradio_client's word for a wrong password
        _client(server.url, auth=("reader", "wrong password"))
    client = _client(server.url, auth=("reader", "correct horse battery"))

    with pytest.raises(AppError) as refused:
        client.predict(RESNET_QUESTION, api_name="/ask")
    assert "assistant reindex" in str(refused.value)


def test_load_auth_reads_env_and_file(tmp_path: Path):
    from assistant.config import Settings
    from assistant.errors import UsageError
    from assistant.web.auth import is_loopback, load_auth, resolve_auth

    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")
    users = tmp_path / "users"
    users.write_text("a:b:c\n\n# comment\nd: e\n")
    assert load_auth({"ASSISTANT_AUTH": "x:y", "ASSISTANT_AUTH_FILE": str(users)}) == [("x", "y"), ("a", "b:c"), ("d", " e")]
    with pytest.raises(UsageError):
        load_auth({"ASSISTANT_AUTH": "no-colon"})
    public = Settings.from_env(host="0.0.0.0")
    with pytest.raises(UsageError, match="authentication is required"):
        resolve_auth(public, {})
    assert resolve_auth(public, {"ASSISTANT_AUTH": "u:p"}) == [("u", "p")]
    assert resolve_auth(Settings.from_env(host="127.0.0.1"), {}) is None
