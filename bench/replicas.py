"""Several machines on one: the registry on PostgreSQL vs SQLite, and one vs two replicas.

    .venv/bin/python bench/replicas.py registry --chunks 100000     # commit per document, BM25 catch-up
    .venv/bin/python bench/replicas.py replicas --sessions 16       # answers/s and ingest, 1 vs 2 processes

``registry``: a registry of ``--chunks`` chunks (SciFact abstracts, repeated under new names, 10
chunks a document; no vectors are needed), on SQLite and on a throwaway PostgreSQL cluster
(tests/servers.py). Measured per engine: the write protocol of one 10-chunk document (journal,
commit, journal cleared: three transactions), and a BM25 replica's catch-up after one added
document by the change log vs by today's scan of every committed id (the same tokenizing work
for the one new document in both).

``replicas``: a Chroma server and a PostgreSQL registry with the seed article and the six papers
(``--papers`` fewer);
one app process vs two (each with its own index folder) behind a client-side round robin (what
deploy/'s proxy does), ``--sessions`` concurrent sessions asking the bank's dev questions; then
ingest of ``--files`` generated documents by one CLI process vs two (half each).

Each prints JSON lines and a Markdown table. Figures are ratios within one run: the machine is
shared, so absolute times drift between runs.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from assistant.config import PROJECT_ROOT, Settings  # noqa: E402
from assistant.retrieval.lexical import Bm25Side  # noqa: E402
from assistant.store.registry import DocumentRecord, Registry, now  # noqa: E402
from assistant.types import Chunk  # noqa: E402
from tests.servers import ChromaServer, PostgresCluster  # noqa: E402

SCIFACT = PROJECT_ROOT.parent / "shared" / "beir" / "scifact" / "corpus.jsonl.gz"
CHUNKS_PER_DOCUMENT = 10
ARTIFACTS = PROJECT_ROOT / "test-artifacts"


def _abstracts() -> list[str]:
    with gzip.open(SCIFACT, "rt", encoding="utf-8") as fh:
        return [(d.get("title", "") + "\n" + d["text"]).strip() for d in map(json.loads, fh)]


def _document(number: int, texts: list[str]) -> tuple[DocumentRecord, list[Chunk]]:
    source = f"d{number:07d}.txt"
    stamp = now()
    chunks = [
        Chunk(chunk_id=f"{source}-{i}", text=texts[(number * CHUNKS_PER_DOCUMENT + i) % len(texts)], source=source,
              title=source, page=None, chunk_index=i, start=0, end=1)
        for i in range(CHUNKS_PER_DOCUMENT)
    ]
    record = DocumentRecord(source=source, sha256=f"{number:064x}", title=source, pages=1, chunks=len(chunks), bytes=1, added=stamp, updated=stamp)
    return record, chunks


def _median_time(action, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def bench_registry(engine: str, location, chunks: int, texts: list[str]) -> dict:
    registry = Registry(location)
    documents = chunks // CHUNKS_PER_DOCUMENT
    started = time.perf_counter()
    for first in range(0, documents, 200):
        registry.commit_documents([_document(n, texts) for n in range(first, min(first + 200, documents))])
    fill_s = time.perf_counter() - started
    next_number = iter(range(documents, documents + 10_000))

    def write_one() -> None:  # the ingest's protocol for one document, without the vectors
        record, new = _document(next(next_number), texts)
        registry.begin_write(record.source, {c.chunk_id for c in new})
        registry.commit_documents([(record, new)])
        registry.end_write(record.source)

    commit_s = _median_time(write_one, 50)
    settings = Settings()
    side = Bm25Side(Registry(location), k1=settings.bm25_k1, b=settings.bm25_b, document_weight=settings.bm25_document_weight)
    started = time.perf_counter()
    side.sync()
    first_sync_s = time.perf_counter() - started

    def by_scan() -> None:
        side._apply_changes()  # the path every catch-up took before the change log
        side._generation = side.registry.generation()

    times: dict[str, list[float]] = {"log": [], "scan": []}
    for _ in range(7):  # interleaved, so a change in the machine's load hits both alike
        for name, how in (("log", side.sync), ("scan", by_scan)):
            write_one()
            started = time.perf_counter()
            how()
            times[name].append(time.perf_counter() - started)
    log_s, scan_s = statistics.median(times["log"]), statistics.median(times["scan"])
    registry.close()
    return {
        "engine": engine, "chunks": chunks, "fill_s": round(fill_s, 1), "commit_ms": round(commit_s * 1000, 2),
        "first_sync_s": round(first_sync_s, 1), "catch_up_log_ms": round(log_s * 1000, 1),
        "catch_up_scan_ms": round(scan_s * 1000, 1),
    }


def run_registry(args: argparse.Namespace) -> list[dict]:
    texts = _abstracts()
    rows = []
    cluster = PostgresCluster(ARTIFACTS)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for engine, location in (("sqlite", Path(tmp) / "registry.sqlite3"), ("postgresql", cluster.database())):
                row = bench_registry(engine, location, args.chunks, texts)
                print(json.dumps(row), flush=True)
                rows.append(row)
    finally:
        cluster.remove()
    print("\n| engine | chunks | protocol per document (ms) | catch-up, change log (ms) | catch-up, scan (ms) | scan / log |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        ratio = r["catch_up_scan_ms"] / max(r["catch_up_log_ms"], 0.1)
        print(f"| {r['engine']} | {r['chunks']} | {r['commit_ms']} | {r['catch_up_log_ms']} | {r['catch_up_scan_ms']} | {ratio:.1f}x |")
    if len(rows) == 2:
        print(f"\nPostgreSQL / SQLite, protocol per document: {rows[1]['commit_ms'] / rows[0]['commit_ms']:.2f}x")
    return rows


# -- replicas ------------------------------------------------------------------------------------
def _env(chroma_url: str, registry_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "GRADIO_"))}
    env.update(PYTHONUNBUFFERED="1", ASSISTANT_CHROMA_URL=chroma_url, ASSISTANT_REGISTRY_URL=registry_url)
    return env


def _start_app(root: Path, env: dict[str, str]) -> tuple[subprocess.Popen, str, Path]:
    from tests.servers import free_port

    port = free_port()
    (root / "corpus").mkdir(parents=True, exist_ok=True)
    log = root / "app.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, str(PROJECT_ROOT / "app.py"), "--port", str(port), "--corpus", str(root / "corpus"), "--index", str(root / "index")],
            env={**env, "GRADIO_TEMP_DIR": str(root / "uploads")}, stdout=out, stderr=subprocess.STDOUT, cwd=root,
        )
    deadline = time.monotonic() + 600
    while "ready in" not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the app did not start: {log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.5)
    return process, f"http://127.0.0.1:{port}", log


def _connect(url: str, attempts: int = 5):
    from gradio_client import Client

    for attempt in range(attempts):
        try:
            return Client(url, verbose=False, analytics_enabled=False)
        except Exception:  # a busy machine times the config request out; try again
            if attempt == attempts - 1:
                raise
            time.sleep(2)


def _answers_per_second(urls: list[str], questions: list[str], sessions: int, seconds: float) -> dict:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    # Each session on one replica, round robin (as the proxy's ip_hash), connected before the clock starts.
    clients = [_connect(urls[number % len(urls)]) for number in range(sessions)]
    stop = time.monotonic() + seconds

    def session(number: int) -> None:
        client = clients[number]
        i = number
        while time.monotonic() < stop:
            started = time.perf_counter()
            try:
                client.predict(questions[i % len(questions)], api_name="/ask")
                with lock:
                    latencies.append(time.perf_counter() - started)
            except Exception:
                with lock:
                    errors[0] += 1
            i += sessions

    threads = [threading.Thread(target=session, args=(n,)) for n in range(sessions)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "replicas": len(urls), "sessions": sessions, "answers": len(latencies), "errors": errors[0],
        "answers_per_s": round(len(latencies) / elapsed, 2),
        "p50_s": round(latencies[len(latencies) // 2], 2) if latencies else None,
        "p95_s": round(latencies[int(len(latencies) * 0.95)], 2) if latencies else None,
    }


def _ingest(env: dict[str, str], roots: list[Path], inputs: list[list[Path]]) -> float:
    """Seconds until every ingester (one CLI `add` per root, of its inputs) has finished."""
    started = time.perf_counter()
    processes = [
        subprocess.Popen([sys.executable, "-m", "assistant.cli", "--index", str(root / "index"), "--corpus", str(root / "corpus"),
                          "--quiet", "add", *map(str, paths)], env=env, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL)
        for root, paths in zip(roots, inputs)
    ]
    for p in processes:
        if p.wait() != 0:
            raise RuntimeError("an ingester failed")
    return time.perf_counter() - started


def _generated(root: Path, run: str, halves: int, files: int) -> list[list[Path]]:
    """``files`` small text files in ``halves`` folders, their texts unique to ``run``."""
    inputs = []
    for half in range(halves):
        folder = root / f"{run}-{half}"
        folder.mkdir()
        for i in range(files // halves):
            body = " ".join(f"Gauge {run} row {i}.{n} read a steady level by the weir." for n in range(40))
            (folder / f"{run}-{half}-{i}.txt").write_text(f"Station notes {run} {half}-{i}\n\n{body}\n", encoding="utf-8")
        inputs.append([folder])
    return inputs


def _measure_replicas(args: argparse.Namespace, root: Path, chroma, cluster, questions: list[str]) -> list[dict]:
    rows: list[dict] = []
    env = _env(chroma.url, cluster.database())
    papers = sorted((PROJECT_ROOT.parent / "shared" / "papers").glob("*.pdf"))[: args.papers]
    _ingest(env, [root / "loader"], [[*papers, PROJECT_ROOT / "corpus" / "who-benefits-from-american-ai-research-in-china.txt"]])
    apps = []
    try:
        apps = [_start_app(root / f"app-{n}", env) for n in range(2)]
        for count in (1, 2):
            row = _answers_per_second([url for _, url, _ in apps[:count]], questions, args.sessions, args.seconds)
            print(json.dumps(row), flush=True)
            rows.append(row)
    finally:
        for process, _, _ in apps:
            process.terminate()
            process.wait(timeout=60)
    # One vs two ingesters, each into a fresh registry with its own texts (the index refuses a
    # content it already holds under another name).
    single = _ingest(_env(chroma.url, cluster.database()), [root / "ingester-1"], _generated(root, "one", 1, args.files))
    double = _ingest(
        _env(chroma.url, cluster.database()), [root / "ingester-2", root / "ingester-3"], _generated(root, "two", 2, args.files)
    )
    row = {"ingest_files": args.files, "one_ingester_s": round(single, 1), "two_ingesters_s": round(double, 1)}
    print(json.dumps(row), flush=True)
    rows.append(row)
    return rows


def run_replicas(args: argparse.Namespace) -> list[dict]:
    questions = [json.loads(line)["question"] for line in (PROJECT_ROOT / "tests" / "questions" / "library_dev.jsonl").open()]
    rows: list[dict] = []
    cluster = PostgresCluster(ARTIFACTS)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        chroma = ChromaServer(root / "chroma", ARTIFACTS, _env("", ""))
        try:
            rows = _measure_replicas(args, root, chroma, cluster, questions)
        finally:
            chroma.stop()
            cluster.remove()
    a, b, row = rows
    print("\n| replicas | sessions | answers/s | p50 (s) | p95 (s) | errors |\n|---:|---:|---:|---:|---:|---:|")
    for r in (a, b):
        print(f"| {r['replicas']} | {r['sessions']} | {r['answers_per_s']} | {r['p50_s']} | {r['p95_s']} | {r['errors']} |")
    print(f"\ntwo replicas / one, answers/s: {b['answers_per_s'] / max(a['answers_per_s'], 1e-9):.2f}x; "
          f"two ingesters / one, time for {args.files} files: {row['two_ingesters_s'] / row['one_ingester_s']:.2f}x")
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    registry = commands.add_parser("registry")
    registry.add_argument("--chunks", type=int, default=100_000)
    replicas = commands.add_parser("replicas")
    replicas.add_argument("--sessions", type=int, default=16)
    replicas.add_argument("--seconds", type=float, default=60)
    replicas.add_argument("--files", type=int, default=200)
    replicas.add_argument("--papers", type=int, default=6, help="how many of the six papers to load with the seed article")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a stopped run still removes its servers
    (run_registry if args.command == "registry" else run_replicas)(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
