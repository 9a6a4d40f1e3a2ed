"""End-to-end smoke test of bench/beir.py on 50 SciFact documents and the queries judged on them.

Runs the script as a user does (a subprocess): real ingestion, Chroma, bm25s and the Searcher in
the three modes, then checks the run file and the printed metrics. The numbers themselves are
measured in docs/BENCHMARKS.md; asserted here: sanity bounds, and hybrid at least dense - 0.01.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT

SCIFACT = PROJECT_ROOT.parent / "shared" / "beir" / "scifact"
SCRIPT = PROJECT_ROOT / "bench" / "beir.py"

pytestmark = pytest.mark.skipif(not (SCIFACT / "corpus.jsonl.gz").exists(), reason="BEIR SciFact is not in shared/")


def test_beir_script_on_50_documents(tmp_path: Path):
    run_file, metrics_file = tmp_path / "scifact.run", tmp_path / "metrics.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}  # the defaults under test
    result = subprocess.run(
        [
            sys.executable, str(SCRIPT), "--data", str(SCIFACT), "--out", str(run_file), "--split", "test",
            "--limit-docs", "50", "--cache", str(tmp_path / "embeddings.sqlite3"), "--json", str(metrics_file),
        ],
        capture_output=True, text=True, timeout=600, env=env, cwd=PROJECT_ROOT,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "indexed 50 documents" in result.stderr
    for mode in ("dense", "bm25", "hybrid"):
        assert any(line.split()[:1] == [mode] for line in result.stdout.splitlines()), result.stdout

    report = json.loads(metrics_file.read_text())
    results = report["results"]
    queries = results["hybrid"]["queries"]
    assert queries >= 30  # the test queries judged on these 50 documents
    for mode in ("dense", "bm25", "hybrid"):
        assert results[mode]["queries"] == queries
        # 50 documents, every one relevant to some query: anything sane finds nearly all.
        assert 0.6 <= results[mode]["ndcg@10"] <= 1.0, (mode, results[mode])
        assert results[mode]["recall@100"] >= 0.9, (mode, results[mode])
    assert results["latency_ratio_hybrid_vs_dense"] > 0
    # What hybrid fusion is for: never worse than dense alone (measured 0.93-0.97 for both on these
    # 50 documents; the sanity bounds above would let a broken fusion through).
    assert results["hybrid"]["ndcg@10"] >= results["dense"]["ndcg@10"] - 0.01, results

    lines = run_file.read_text().splitlines()
    rows = [line.split() for line in lines]
    assert all(len(r) == 6 and r[1] == "Q0" and r[5] == "assistant-hybrid" for r in rows)
    by_query: dict[str, list[list[str]]] = {}
    for r in rows:
        by_query.setdefault(r[0], []).append(r)
    assert len(by_query) == queries
    for ranked in by_query.values():
        assert [int(r[3]) for r in ranked] == list(range(1, len(ranked) + 1))
        scores = [float(r[4]) for r in ranked]
        assert scores == sorted(scores, reverse=True)
        assert len({r[2] for r in ranked}) == len(ranked) <= 50  # documents, not chunks
    for mode in ("dense", "bm25"):
        assert (tmp_path / f"scifact.run.{mode}").stat().st_size > 0
