"""BEIR retrieval benchmark (SciFact) through the project's own ingestion and Searcher.

    .venv/bin/python bench/beir.py --data ../shared/beir/scifact --out bench/results/scifact-test.run
    .venv/bin/python bench/beir.py --data ../shared/beir/scifact --out /tmp/train.run --split train

Each abstract becomes a document: ``<doc id>.txt`` holding "title\\n\\nabstract", written into a
temporary corpus folder and indexed by ``Library.sync()`` (chunking, registry, Chroma, exactly as
the product does). Every query of the split then goes through ``Searcher.search`` in the three
modes (dense, BM25, the default hybrid); chunk hits are aggregated to documents by their best
chunk score, and nDCG@10 / recall@100 (trec_eval definitions, bench/ir_metrics.py) are printed.
The hybrid run (top 100 documents per query) is written to ``--out`` in TREC format; the dense
and BM25 runs beside it (``OUT.dense``, ``OUT.bm25``).

Settings come from the usual ``ASSISTANT_*`` variables or ``--set name=value`` (e.g.
``--set dense_weight=0.5``), so any retrieval variant is one command. Embeddings are cached in
bench/.cache/embeddings.sqlite3 (model name + text hash), so only the first run embeds the corpus.
Per-query latency is measured with real query encoding, the modes interleaved query by query so
that the hybrid/dense ratio compares like with like.

Results and the commands behind them: docs/BENCHMARKS.md, "Retrieval: BEIR SciFact".
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import fields
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from assistant.config import Settings, _coerce  # noqa: E402
from assistant.encoder.encoder import Encoder  # noqa: E402
from assistant.ingest.library import Library  # noqa: E402
from assistant.retrieval import Searcher  # noqa: E402
from embedding_cache import DEFAULT_CACHE, CachedEncoder  # noqa: E402
from ir_metrics import evaluate, read_qrels, write_run  # noqa: E402

MODES = ("dense", "bm25", "hybrid")
RUN_DEPTH = 100  # documents per query in the run file (recall@100)
# Chunks asked of the Searcher per query. An abstract is 1-5 chunks, so 300 chunks always cover
# more than RUN_DEPTH documents. The top-10 ranking is the product's whatever this depth is:
# fusion does not depend on k (see assistant/retrieval/search.py).
SEARCH_DEPTH = 300


def read_corpus(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def read_queries(path: Path) -> dict[str, str]:
    with path.open(encoding="utf-8") as fh:
        return {q["_id"]: q["text"] for q in map(json.loads, filter(str.strip, fh))}


def select_documents(corpus: list[dict], qrels: dict[str, dict[str, int]], limit: int | None) -> list[dict]:
    """All documents, or ``limit`` of them: the split's judged documents first, then corpus order."""
    if limit is None or limit >= len(corpus):
        return corpus
    by_id = {d["_id"]: d for d in corpus}
    judged = [d for docs in qrels.values() for d in docs if d in by_id]
    order = list(dict.fromkeys([*judged, *by_id]))
    return [by_id[d] for d in order[:limit]]


def write_corpus(docs: list[dict], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for doc in docs:
        title, text = doc.get("title", "").strip(), doc.get("text", "").strip()
        (folder / f"{doc['_id']}.txt").write_text(f"{title}\n\n{text}" if title else text, encoding="utf-8")


def parse_sets(pairs: list[str]) -> dict:
    names = {f.name for f in fields(Settings)}
    defaults = Settings()
    out = {}
    for pair in pairs:
        name, _, raw = pair.partition("=")
        name = name.strip().replace("-", "_")
        if name not in names:
            raise SystemExit(f"--set {pair}: no such setting")
        out[name] = _coerce(name, raw, getattr(defaults, name))
    return out


def open_library(settings: Settings, cache: Path) -> Library:
    encoder = CachedEncoder(settings.embedding_model or None, batch_size=settings.embed_batch, cache_path=cache)
    return Library(settings, encoder=encoder)


def prepare_index(index: Path, settings: Settings) -> None:
    """A reused index must have been chunked the same way; otherwise start it afresh."""
    marker = index / "bench-chunking.json"
    wanted = {"chunk_tokens": settings.chunk_tokens, "chunk_overlap": settings.chunk_overlap, "model": settings.embedding_model}
    if marker.exists() and json.loads(marker.read_text()) != wanted:
        shutil.rmtree(index)
    index.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps(wanted))


def doc_id(source: str) -> str:
    return source.rsplit("/", 1)[-1].removesuffix(".txt")


def run_queries(searcher: Searcher, queries: dict[str, str], modes: tuple[str, ...], depth: int):
    """{mode: {qid: {doc: best chunk score}}}: the ranking, ``depth`` chunks deep."""
    runs = {m: {} for m in modes}
    for qid, text in queries.items():
        for mode in modes:
            docs: dict[str, float] = {}
            for p in searcher.search(text, k=depth, mode=mode):
                d = doc_id(p.chunk.source)
                docs[d] = max(docs.get(d, float("-inf")), p.score)
            runs[mode][qid] = docs
    return runs


def time_queries(searcher: Searcher, queries: list[str], modes: tuple[str, ...], k: int) -> dict[str, list[float]]:
    """Seconds per ``search(query, k=k)`` (the product's call), modes interleaved and rotated so
    that no mode always runs first and machine noise falls on all alike."""
    seconds = {m: [] for m in modes}
    for mode in modes:  # warm-up: BM25 index build, Chroma's first query, model load
        searcher.search(queries[0], k=k, mode=mode)
    for i, text in enumerate(queries):
        for mode in modes[i % len(modes):] + modes[: i % len(modes)]:
            searcher.encoder.sentence_cache.clear()  # every mode encodes the query afresh
            start = time.perf_counter()
            searcher.search(text, k=k, mode=mode)
            seconds[mode].append(time.perf_counter() - start)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="BEIR dataset folder (corpus.jsonl.gz, queries.jsonl, qrels/)")
    parser.add_argument("--out", type=Path, required=True, help="TREC run file of the hybrid (default) retriever")
    parser.add_argument("--split", default="test", help="qrels/<split>.tsv (test or train)")
    parser.add_argument("--limit-docs", type=int, help="index only N documents (the split's judged ones first)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="a Settings override")
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated subset of dense,bm25,hybrid")
    parser.add_argument("--index", type=Path, help="keep the index here and reuse it (default: a temporary folder)")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="embedding cache (SQLite)")
    parser.add_argument("--tag", default="assistant", help="run tag (last column of the run file)")
    parser.add_argument("--json", type=Path, help="also write the metrics as JSON here")
    parser.add_argument("--latency-queries", type=int, default=300, help="queries timed per mode (default 300)")
    args = parser.parse_args(argv)
    modes = tuple(m for m in args.modes.split(",") if m)
    if not modes or any(m not in MODES for m in modes):
        parser.error(f"--modes: choose from {','.join(MODES)}")

    data = args.data
    qrels = read_qrels(data / "qrels" / f"{args.split}.tsv")
    queries_all = read_queries(data / "queries.jsonl")
    corpus = select_documents(read_corpus(data / "corpus.jsonl.gz"), qrels, args.limit_docs)
    kept = {d["_id"] for d in corpus}
    qrels = {q: {d: g for d, g in docs.items() if d in kept} for q, docs in qrels.items()}
    qrels = {q: docs for q, docs in qrels.items() if any(g > 0 for g in docs.values()) and q in queries_all}
    queries = {q: queries_all[q] for q in sorted(qrels, key=lambda q: (len(q), q))}

    work = Path(tempfile.mkdtemp(prefix="beir-"))
    try:
        index = args.index or work / "index"
        overrides = parse_sets(args.set)
        settings = Settings.from_env(corpus=work / "corpus", index=index, **overrides)
        prepare_index(index, settings)
        write_corpus(corpus, settings.corpus)
        library = open_library(settings, args.cache)
        started = time.perf_counter()
        report = library.sync()
        ingest_s = time.perf_counter() - started
        if report.failed:
            print(f"warning: {len(report.failed)} documents failed: {report.failed[:3]}", file=sys.stderr)
        chunks = library.registry.chunk_count()
        print(
            f"indexed {len(corpus)} documents as {chunks} chunks in {ingest_s:.1f} s "
            f"({report.embedded} chunks embedded, cache {library.encoder.hits} hits / {library.encoder.misses} misses)",
            file=sys.stderr,
        )
        searcher = Searcher(library.index, library.encoder)
        runs = run_queries(searcher, queries, modes, SEARCH_DEPTH)
        # Latency: the product's call (k = settings.k), with queries encoded for real, not from
        # the cache, so that it is what a user waits.
        searcher.encoder = Encoder(settings.embedding_model or None, batch_size=settings.embed_batch)
        seconds = time_queries(searcher, list(queries.values())[: args.latency_queries], modes, settings.k)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    results = {}
    retrieval = {k: getattr(settings, k) for k in ("dense_weight", "bm25_k1", "bm25_b", "candidates", "chunk_tokens")}
    print(f"BEIR {data.name} {args.split}: {len(queries)} queries, {len(corpus)} documents; settings {retrieval}")
    print(f"{'mode':8} {'nDCG@10':>8} {'R@100':>7} {'ms/query (median)':>18}")
    for mode in modes:
        metrics = evaluate(runs[mode], qrels)
        median_ms = statistics.median(seconds[mode]) * 1000
        results[mode] = {**metrics, "median_ms": median_ms, "mean_ms": statistics.fmean(seconds[mode]) * 1000}
        path = args.out if mode == "hybrid" or len(modes) == 1 else args.out.with_name(f"{args.out.name}.{mode}")
        write_run(path, runs[mode], tag=f"{args.tag}-{mode}", depth=RUN_DEPTH)
        print(f"{mode:8} {metrics['ndcg@10']:8.4f} {metrics['recall@100']:7.4f} {median_ms:18.1f}")
    if "hybrid" in results and "dense" in results:
        ratio = results["hybrid"]["median_ms"] / results["dense"]["median_ms"]
        results["latency_ratio_hybrid_vs_dense"] = ratio
        print(f"hybrid/dense median latency: {ratio:.2f}x")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"split": args.split, "settings": retrieval, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
