"""Real servers on loopback for the tests: a throwaway PostgreSQL cluster and `chroma run`.

PostgreSQL comes from Debian's ``postgresql`` package (``make test`` installs it). It refuses to
run as root, so when the tests run as root (CI) the cluster is made and run as ``nobody``, in a
folder under /tmp that ``nobody`` owns; as any other user it runs as that user. Each cluster
listens on a free loopback port only (no Unix socket outside its folder), trusts local
connections, and is deleted afterwards.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
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
