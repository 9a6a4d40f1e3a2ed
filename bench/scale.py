"""Scale benchmark: ingest throughput, index size, peak RSS and retrieval latency at N chunks,
embedded (PersistentClient) vs server (``chroma run`` + HttpClient).

    .venv/bin/python bench/scale.py --data ../shared/beir/scifact --sizes 1000 10000
    .venv/bin/python bench/scale.py --data ../shared/beir/scifact --sizes 1000 10000 100000  # ~70 min of embedding

The corpus is SciFact (read in place): each abstract is one document "title\\n\\nabstract". A size
larger than SciFact's own chunk count repeats the abstracts under new file names (``r<k>-<id>.txt``,
copy k ending in k blank lines, since the index refuses byte-identical duplicates); the page text
stays identical, so the chunk ids differ (they include the source) while the cached embeddings
are reused. The repeats make the 100k corpus a stress case: every abstract has up to ~10 exact
twins, in both the HNSW graph and the BM25 postings. Documents are added until the chunk count reaches the size (counted by the
product's own loader and splitter), then indexed by ``Library.sync()``.

Embeddings come from bench/embedding_cache.py's CachedEncoder (as bench/beir.py), so ingest
throughput is the pipeline without the encoder on a warm cache (first-time embedding runs at the
encoder's rate: ~24 chunks/s on 2 cores). Queries are encoded for real (a plain Encoder), as the
app does. Each (size, mode) runs in its own subprocess so ``ru_maxrss`` is that run's peak; in
server mode the server's peak is its child's ``ru_maxrss`` once it has stopped.

Output: one JSON line per run on stdout, and a Markdown table (also to ``--out`` if given).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

MODES = ("dense", "bm25", "hybrid")


def read_jsonl(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def build_corpus(data: Path, corpus: Path, size: int, settings, encoder) -> int:
    """Write SciFact documents (repeated under new names past the end) until ``size`` chunks."""
    from assistant.ingest.chunking import chunk_pages, fast_token_counter, make_splitter
    from assistant.ingest.loaders import load

    splitter = make_splitter(fast_token_counter(encoder), chunk_tokens=settings.chunk_tokens, overlap=settings.chunk_overlap)
    abstracts = read_jsonl(data / "corpus.jsonl.gz")
    corpus.mkdir(parents=True, exist_ok=True)
    total, repeat = 0, 0
    while total < size:
        for doc in abstracts:
            name = f"{doc['_id']}.txt" if repeat == 0 else f"r{repeat}-{doc['_id']}.txt"
            path = corpus / name
            # Copy k ends in k extra blank lines: other bytes (the index refuses exact duplicates),
            # the same page text (the loader strips them), so the same chunk texts and vectors.
            path.write_text(f"{doc.get('title') or doc['_id']}\n\n{doc['text']}\n" + "\n" * repeat, encoding="utf-8")
            chunks = chunk_pages(load(path, source=name, max_bytes=1 << 26), splitter)
            total += len(chunks)
            if total >= size:
                break
        repeat += 1
    return total


def disk_usage(*paths: Path) -> int:
    return sum(f.stat().st_size for p in paths if p.exists() for f in p.rglob("*") if f.is_file())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(path: Path) -> tuple[subprocess.Popen, str]:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    port = free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("chroma")), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 90
    while True:
        try:
            chromadb.HttpClient(host="127.0.0.1", port=port, settings=ChromaSettings(anonymized_telemetry=False)).heartbeat()
            return process, f"http://127.0.0.1:{port}"
        except Exception:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("chroma run did not start") from None
            time.sleep(0.5)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def one_run(args: argparse.Namespace) -> dict:
    from assistant.config import Settings
    from assistant.encoder.encoder import Encoder
    from assistant.ingest.library import Library
    from assistant.retrieval import Searcher
    from embedding_cache import DEFAULT_CACHE, CachedEncoder

    work = Path(tempfile.mkdtemp(prefix=f"scale-{args.one}-{args.mode}-", dir=args.workdir))
    server, url = (None, "")
    try:
        if args.mode == "server":
            server, url = start_server(work / "chroma-server")
        settings = Settings.from_env(corpus=work / "corpus", index=work / "index", chroma_url=url)
        cached = CachedEncoder(None, batch_size=settings.embed_batch, cache_path=Path(args.cache or DEFAULT_CACHE))
        build_corpus(Path(args.data), settings.corpus, args.one, settings, cached)

        start = time.perf_counter()
        report = Library(settings, encoder=cached).sync()
        ingest_s = time.perf_counter() - start
        assert report.ok, report.summary()

        library = Library(settings, encoder=Encoder(None))  # queries encoded for real, as in the app
        indexed = library.registry.chunk_count()
        assert library.store.count() == indexed
        searcher = Searcher(library.index, library.encoder)
        start = time.perf_counter()
        searcher.bm25.sync()
        bm25_build_s = time.perf_counter() - start

        queries = [q["text"] for q in read_jsonl(Path(args.data) / "queries.jsonl")][: args.queries]
        seconds = {m: [] for m in MODES}
        for mode in MODES:
            searcher.search(queries[0], mode=mode)  # warm-up
        for i, text in enumerate(queries):
            for mode in MODES[i % 3:] + MODES[: i % 3]:
                library.encoder.sentence_cache.clear()  # every mode encodes the query afresh
                start = time.perf_counter()
                searcher.search(text, mode=mode)
                seconds[mode].append(time.perf_counter() - start)
        # One more document through the writer, then the BM25 side's catch-up (a diff, not a rebuild).
        extra = settings.corpus / "zz-extra.txt"
        extra.write_text("Incremental indexing\n\nA new abstract about incremental lexical indexes.\n", encoding="utf-8")
        assert Library(settings, encoder=cached).sync().ok
        start = time.perf_counter()
        searcher.bm25.sync()
        bm25_update_s = time.perf_counter() - start
        start = time.perf_counter()  # a restarted process: from the snapshot the first build saved
        Searcher(library.index, library.encoder).bm25.sync()
        bm25_restart_s = time.perf_counter() - start
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        size_bytes = disk_usage(work / "index", work / "chroma-server")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=60)
        server_rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 if server else None
        shutil.rmtree(work, ignore_errors=True)
    return {
        "size": args.one, "mode": args.mode, "chunks": indexed, "documents": len(library.documents()),
        "ingest_s": round(ingest_s, 1), "chunks_per_s": round(indexed / ingest_s, 1),
        "index_mb": round(size_bytes / 2**20, 1), "peak_rss_mb": round(rss_mb), "server_peak_rss_mb": server_rss_mb and round(server_rss_mb),
        "bm25_build_s": round(bm25_build_s, 2), "bm25_update_s": round(bm25_update_s, 3), "bm25_restart_s": round(bm25_restart_s, 2), "queries": len(queries), "cache_hits": cached.hits, "cache_misses": cached.misses,
        **{f"{m}_p50_ms": round(statistics.median(s) * 1000, 1) for m, s in seconds.items()},
        **{f"{m}_p95_ms": round(percentile(s, 0.95) * 1000, 1) for m, s in seconds.items()},
    }


def table(rows: list[dict]) -> str:
    lines = [
        "| chunks | mode | ingest (chunks/s, warm embedding cache) | index on disk | peak RSS app (server) | BM25 first build / restart / after one added document | dense p50/p95 | BM25 p50/p95 | hybrid p50/p95 |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        server = f" ({r['server_peak_rss_mb']} MB)" if r["server_peak_rss_mb"] else ""
        lines.append(
            f"| {r['chunks']:,} | {r['mode']} | {r['chunks_per_s']} ({r['ingest_s']} s) | {r['index_mb']} MB | {r['peak_rss_mb']} MB{server} "
            f"| {r['bm25_build_s']} / {r['bm25_restart_s']} / {r['bm25_update_s']} s | " + " | ".join(f"{r[f'{m}_p50_ms']} / {r[f'{m}_p95_ms']} ms" for m in MODES) + " |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=HERE.parent.parent / "shared" / "beir" / "scifact")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--modes", nargs="+", default=["embedded", "server"], choices=["embedded", "server"])
    parser.add_argument("--queries", type=int, default=100, help="SciFact queries timed per run")
    parser.add_argument("--cache", type=Path, help="embedding cache (default bench/.cache/embeddings.sqlite3)")
    parser.add_argument("--workdir", type=Path, help="where the temporary corpora and indexes go (default: /tmp)")
    parser.add_argument("--out", type=Path, help="also write the Markdown table here")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--mode", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_run(args)))
        return 0
    rows = []
    for size in args.sizes:
        for mode in args.modes:
            command = [sys.executable, __file__, "--one", str(size), "--mode", mode, "--data", str(args.data), "--queries", str(args.queries)]
            command += ["--cache", str(args.cache)] if args.cache else []
            command += ["--workdir", str(args.workdir)] if args.workdir else []
            out = subprocess.run(command, check=True, capture_output=True, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"}).stdout
            rows.append(json.loads(out.strip().splitlines()[-1]))
            print(json.dumps(rows[-1]), flush=True)
    print(table(rows))
    if args.out:
        args.out.write_text(table(rows) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
