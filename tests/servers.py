"""Real servers on loopback for the tests: a throwaway PostgreSQL cluster, `chroma run`, and a
scripted OpenAI-compatible chat server.

PostgreSQL comes from Debian's ``postgresql`` package (``make test`` installs it). It refuses to
run as root, so when the tests run as root (CI) the cluster is made and run as ``nobody``, in a
folder under /tmp that ``nobody`` owns; as any other user it runs as that user. Each cluster
listens on a free loopback port only (no Unix socket outside its folder), trusts local
connections, and is deleted afterwards.
"""

from __future__ import annotations

import glob
import http.server
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

CHROMA = Path(sys.executable).with_name("chroma")
START_TIMEOUT_S = 90
SERVICE_USER = "nobody"


def free_port() -> int:
    """A loopback port nothing listens on (for a server a test starts, or to find nothing there)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL server's bin folder (Debian keeps them out of PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PostgresCluster:
    """``initdb`` + ``pg_ctl`` in a temp folder; ``database()`` hands each test a fresh database."""

    def __init__(self, log_dir: Path) -> None:
        self.bin = postgres_bin()
        if self.bin is None:
            raise RuntimeError("no PostgreSQL server found: `make test` installs Debian's postgresql package")
        self.as_root = os.geteuid() == 0
        self.folder = Path(tempfile.mkdtemp(prefix="assistant-pg-"))
        if self.as_root:
            user = pwd.getpwnam(SERVICE_USER)
            os.chown(self.folder, user.pw_uid, user.pw_gid)
        self.data = self.folder / "data"
        self.port = free_port()
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log = log_dir / f"postgres-{self.port}.log"
        self._run("initdb", "-D", str(self.data), "-U", "assistant", "--auth=trust", "-E", "UTF8", "--no-sync")
        self.start()

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin / tool), *args]
        if self.as_root:
            command = ["runuser", "-u", SERVICE_USER, "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=START_TIMEOUT_S)

    def start(self) -> None:
        # fsync off: a throwaway cluster; -k: the Unix socket stays in our folder.
        options = f"-h 127.0.0.1 -p {self.port} -k {self.folder} -F -c max_connections=200"
        if self.as_root:
            user = pwd.getpwnam(SERVICE_USER)
            self.log.touch()
            os.chown(self.log, user.pw_uid, user.pw_gid)
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", str(START_TIMEOUT_S), "-o", options, "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    @property
    def admin_url(self) -> str:
        return f"postgresql://assistant@127.0.0.1:{self.port}/postgres"

    def database(self) -> str:
        """A new, empty database's URL."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return f"postgresql://assistant@127.0.0.1:{self.port}/{name}"

    def remove(self) -> None:
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.folder, ignore_errors=True)


class ChromaServer:
    """``chroma run`` on a free loopback port over ``path``; ``kill()`` is a kill -9."""

    def __init__(self, path: Path, log_dir: Path, env: dict[str, str]) -> None:
        self.path, self.env = path, env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"chroma-server-{self.port}.log"
        self.process: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        with self.log_path.open("a") as log:
            self.process = subprocess.Popen(
                [str(CHROMA), "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)],
                stdout=log, stderr=subprocess.STDOUT, env=self.env, start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"chroma run exited with {self.process.returncode}; see {self.log_path}")
            try:
                chromadb.HttpClient(
                    host="127.0.0.1", port=self.port, settings=ChromaSettings(anonymized_telemetry=False)
                ).heartbeat()
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"chroma run did not answer in {START_TIMEOUT_S} s; see {self.log_path}") from None
                time.sleep(0.3)

    def kill(self) -> None:
        """kill -9 (its whole process group) and wait."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, 9)
            self.process.wait()

    def stop(self) -> None:
        from .conftest import stop_process

        if self.process is not None:
            stop_process(self.process)


# In a ScriptedChatServer's script: the server dies mid-answer (the connection closes mid-body) ...
DROP = object()
# ... or reports an error in the stream.
ERROR_EVENT = object()

# A passage as the generative prompt numbers it: "[n] Source: ...", then its text in <passage> tags.
PROMPT_PASSAGE = re.compile(r"(?ms)^\[(\d+)\] Source:[^\n]*\n<passage>\n(.*?)\n</passage>")


def prompt_passages(request: dict) -> dict[int, str]:
    """The numbered passages of a chat request's (first) user message: number -> text."""
    user = next(m["content"] for m in request["messages"] if m["role"] == "user")
    return {int(n): text for n, text in PROMPT_PASSAGE.findall(user)}


class ScriptedChatServer:
    """An OpenAI-compatible chat server on loopback (``POST /v1/chat/completions``) that streams
    what ``script(passages)`` returns, piece by piece, as chunked SSE (the way llama.cpp's and
    vLLM's servers send it), waiting ``delay_s`` after each event.

    The script reads the prompt's numbered passages (``prompt_passages``), so it can cite the
    passage that really holds a fact whatever the retrieval order; a ``DROP`` or ``ERROR_EVENT``
    piece makes the stream fail there. Every request body is kept in ``requests``, the pieces
    sent for each in ``sent``, and ``hung_up`` is set when a client closes the connection before
    the stream ends (as Stop in the web chat does).
    """

    def __init__(self, script: Callable[[dict[int, str]], list] | None = None, delay_s: float = 0.0) -> None:
        self.script = script or (lambda passages: ["No script was set."])
        self.delay_s = delay_s
        self.requests: list[dict] = []
        self.sent: list[int] = []  # content pieces written, per request
        self.hung_up = threading.Event()
        chat = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if self.path != "/v1/chat/completions":
                    self.send_error(404, f"no {self.path} here: a scripted chat server answers /v1/chat/completions")
                    return
                chat.requests.append(body)
                request_number = len(chat.sent)
                chat.sent.append(0)
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                try:
                    for piece in [*chat.script(prompt_passages(body)), None]:
                        if piece is DROP:
                            self.wfile.flush()
                            self.close_connection = True
                            return  # no terminating chunk: the body is incomplete
                        self._chunk(f"data: {json.dumps(self._event(piece, body['model']))}\n\n".encode())
                        chat.sent[request_number] += isinstance(piece, str)
                        if chat.delay_s:
                            time.sleep(chat.delay_s)
                    self._chunk(b"data: [DONE]\n\n")
                    self._chunk(b"")
                except (BrokenPipeError, ConnectionResetError):
                    chat.hung_up.set()
                    self.close_connection = True

            @staticmethod
            def _event(piece, model: str) -> dict:
                """The SSE event for a content piece, ``ERROR_EVENT``, or the end (``None``)."""
                if piece is ERROR_EVENT:
                    return {"error": {"message": "scripted failure: the model crashed", "type": "server_error"}}
                delta = {"content": piece} if piece is not None else {}
                return {
                    "id": "scripted", "object": "chat.completion.chunk", "created": 0, "model": model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": None if piece is not None else "stop"}],
                }

            def _chunk(self, data: bytes) -> None:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
