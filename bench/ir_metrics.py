"""nDCG@k and recall@k as trec_eval defines them, plus TREC qrels/run file I/O.

* A run is ``{query_id: {doc_id: score}}``. As in trec_eval, documents are ranked by score
  descending, ties broken by doc id descending; the rank column of a run file is ignored.
* Gains are the graded qrels judgments (``score`` column); a judgment <= 0 is not relevant.
* nDCG@k (trec_eval ``ndcg_cut.k``): DCG = sum over ranks i = 1..k of gain_i / log2(i + 1),
  divided by the DCG of the ideal ranking of all judged gains, cut at k.
* recall@k (trec_eval ``recall.k``): relevant documents in the top k / all relevant documents.
* The mean is over the queries of the qrels that have at least one relevant document; such a
  query missing from the run counts 0 (as ``trec_eval -c``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from pathlib import Path

Qrels = Mapping[str, Mapping[str, int]]
Run = Mapping[str, Mapping[str, float]]


def read_qrels(path: str | Path) -> dict[str, dict[str, int]]:
    """BEIR's ``query-id<TAB>corpus-id<TAB>score`` (header line optional) or TREC's 4 columns."""
    qrels: dict[str, dict[str, int]] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if not parts or parts[0] == "query-id":
            continue
        if len(parts) == 4:  # TREC: qid iteration docid rel
            qid, _, docid, rel = parts
        elif len(parts) == 3:
            qid, docid, rel = parts
        else:
            raise ValueError(f"{path}: not a qrels line: {line!r}")
        qrels.setdefault(qid, {})[docid] = int(rel)
    return qrels


def ranking(scores: Mapping[str, float]) -> list[str]:
    """Doc ids by score descending, ties by doc id descending (trec_eval's order)."""
    return [d for d, _ in sorted(scores.items(), key=lambda item: (item[1], item[0]), reverse=True)]


def dcg(gains: Iterable[float]) -> float:
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains))


def ndcg_at(scores: Mapping[str, float], judged: Mapping[str, int], k: int = 10) -> float:
    ideal = dcg(sorted((g for g in judged.values() if g > 0), reverse=True)[:k])
    if ideal <= 0:
        return 0.0
    got = dcg(max(judged.get(d, 0), 0) for d in ranking(scores)[:k])
    return got / ideal


def recall_at(scores: Mapping[str, float], judged: Mapping[str, int], k: int = 100) -> float:
    relevant = {d for d, g in judged.items() if g > 0}
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranking(scores)[:k])) / len(relevant)


def evaluate(run: Run, qrels: Qrels, *, ndcg_k: int = 10, recall_k: int = 100) -> dict[str, float]:
    """Mean nDCG@ndcg_k and recall@recall_k over the judged queries, with their count."""
    judged = [q for q, docs in qrels.items() if any(g > 0 for g in docs.values())]
    if not judged:
        return {f"ndcg@{ndcg_k}": 0.0, f"recall@{recall_k}": 0.0, "queries": 0}
    ndcg = sum(ndcg_at(run.get(q, {}), qrels[q], ndcg_k) for q in judged) / len(judged)
    recall = sum(recall_at(run.get(q, {}), qrels[q], recall_k) for q in judged) / len(judged)
    return {f"ndcg@{ndcg_k}": ndcg, f"recall@{recall_k}": recall, "queries": len(judged)}


def write_run(path: str | Path, run: Run, *, tag: str, depth: int = 100) -> None:
    """TREC run format: ``qid Q0 docid rank score tag``, the top ``depth`` documents per query."""
    with Path(path).open("w", encoding="utf-8") as out:
        for qid in sorted(run, key=lambda q: (len(q), q)):
            scores = run[qid]
            for rank, docid in enumerate(ranking(scores)[:depth], start=1):
                out.write(f"{qid} Q0 {docid} {rank} {scores[docid]:.8f} {tag}\n")


def read_run(path: str | Path) -> dict[str, dict[str, float]]:
    run: dict[str, dict[str, float]] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if not parts:
            continue
        qid, _, docid, _rank, score = parts[:5]
        run.setdefault(qid, {})[docid] = float(score)
    return run
