"""bench/ir_metrics.py against a tiny example computed by hand (trec_eval definitions)."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from ir_metrics import evaluate, ndcg_at, ranking, read_qrels, read_run, recall_at, write_run  # noqa: E402

QRELS = {"q1": {"d1": 2, "d2": 1, "d3": 0}, "q2": {"d9": 1}, "q3": {"d5": 0}}
RUN = {"q1": {"d3": 0.9, "d1": 0.8, "d4": 0.7, "d2": 0.6}}  # q2 is missing from the run

# q1 ranks d3 (gain 0), d1 (2), d4 (unjudged: 0), d2 (1); the ideal order is d1 (2), d2 (1).
IDEAL_Q1 = 2 / math.log2(2) + 1 / math.log2(3)  # 2.6309...


def test_ndcg_by_hand():
    assert ndcg_at(RUN["q1"], QRELS["q1"], 3) == pytest.approx((2 / math.log2(3)) / IDEAL_Q1)  # 0.4796
    assert ndcg_at(RUN["q1"], QRELS["q1"], 10) == pytest.approx((2 / math.log2(3) + 1 / math.log2(5)) / IDEAL_Q1)
    assert ndcg_at(RUN["q1"], QRELS["q1"], 1) == 0.0
    # The ideal DCG is cut at k too: with k=1 a perfect first hit scores 1.
    assert ndcg_at({"d1": 1.0}, QRELS["q1"], 1) == pytest.approx(1.0)
    assert ndcg_at({}, QRELS["q2"], 10) == 0.0


def test_recall_by_hand():
    assert recall_at(RUN["q1"], QRELS["q1"], 2) == 0.5  # d1 of {d1, d2}; d3 is judged 0
    assert recall_at(RUN["q1"], QRELS["q1"], 100) == 1.0
    assert recall_at(RUN["q1"], QRELS["q2"], 100) == 0.0


def test_mean_skips_queries_without_relevant_documents_and_zeroes_missing_ones():
    result = evaluate(RUN, QRELS, ndcg_k=10, recall_k=100)
    assert result["queries"] == 2  # q3 has no relevant document
    assert result["ndcg@10"] == pytest.approx((2 / math.log2(3) + 1 / math.log2(5)) / IDEAL_Q1 / 2)
    assert result["recall@100"] == pytest.approx(0.5)


def test_ties_break_by_doc_id_descending_like_trec_eval():
    assert ranking({"a": 1.0, "b": 1.0, "c": 2.0}) == ["c", "b", "a"]


def test_files_round_trip(tmp_path: Path):
    qrels_file = tmp_path / "test.tsv"
    qrels_file.write_text("query-id\tcorpus-id\tscore\nq1\td1\t2\nq1\td2\t1\nq2\td9\t1\n")
    assert read_qrels(qrels_file) == {"q1": {"d1": 2, "d2": 1}, "q2": {"d9": 1}}
    run_file = tmp_path / "x.run"
    write_run(run_file, RUN, tag="t", depth=2)
    lines = run_file.read_text().splitlines()
    assert lines == ["q1 Q0 d3 1 0.90000000 t", "q1 Q0 d1 2 0.80000000 t"]
    assert read_run(run_file) == {"q1": {"d3": 0.9, "d1": 0.8}}
