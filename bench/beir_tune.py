"""Offline tuning of the hybrid retriever on BEIR SciFact (train queries), in numpy.

``bench/beir.py`` measures one configuration through the real Searcher (Chroma + bm25s);
this script replays the Searcher's arithmetic for many configurations at once from the same
index (chunks from its registry, vectors from the embedding cache), so a grid costs seconds.
Every configuration that matters was then confirmed with ``bench/beir.py`` (the numbers in
docs/BENCHMARKS.md are from that script, not from this one).

    .venv/bin/python bench/beir.py --data ../shared/beir/scifact --out /tmp/t.run --split train \
        --index bench/.cache/scifact-index           # once: builds the index and the cache
    .venv/bin/python bench/beir_tune.py --data ../shared/beir/scifact --index bench/.cache/scifact-index

Prints one line per configuration: train nDCG@10 / recall@100 (and test, for the record only:
choices are made on train). ``--grid`` picks the groups (comma-separated): single, bm25,
baseline, union, rrf, norm, doc, docmix, maxgrid, maxbm25, depth, uniondoc, matched, rocchio.
Names: ``minmax_union`` = the product's fusion (min-max over the candidates, a missing BM25 score
counts as the minimum); ``minmax_top``/``zscore_top``/``max`` = scales fitted on the best ``m`` of
each list with exact scores for every candidate; ``lex_doc`` = bm25_document_weight;
``dense_doc`` = share of the best cosine of the chunk's document; ``n`` = candidates per list.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from assistant.config import Settings  # noqa: E402
from assistant.store.registry import Registry  # noqa: E402
from assistant.text import terms  # noqa: E402
from beir import read_queries  # noqa: E402
from embedding_cache import DEFAULT_CACHE, CachedEncoder  # noqa: E402
from ir_metrics import evaluate, read_qrels  # noqa: E402


class Data:
    def __init__(self, data: Path, index: Path, cache: Path) -> None:
        registry = Registry(index / "registry.sqlite3")
        rows = registry.db.execute(
            "SELECT chunk_id, source, title, text, chunk_index, start, end FROM chunks ORDER BY source, chunk_index"
        ).fetchall()
        self.ids = [r[0] for r in rows]
        self.docs = np.array([r[1].removesuffix(".txt") for r in rows], dtype=object)
        self.titles = [r[2] for r in rows]
        self.texts = [r[3] for r in rows]
        self.first = np.array([r[4] == 0 for r in rows])
        # Each document's text, rebuilt from its chunks' exact offsets (what Bm25Side can do too).
        self.doc_names = list(dict.fromkeys(self.docs.tolist()))
        position = {name: i for i, name in enumerate(self.doc_names)}
        self.chunk_doc = np.array([position[name] for name in self.docs], dtype=int)
        pieces: dict[str, list] = {}
        for r in rows:
            pieces.setdefault(r[1], []).append((r[5], r[6], r[3], r[2]))
        self.doc_texts = [_stitch(p) for p in pieces.values()]
        encoder = CachedEncoder(cache_path=cache)
        self.vectors = encoder.encode(self.texts)
        self.qrels = {s: read_qrels(data / "qrels" / f"{s}.tsv") for s in ("train", "test")}
        queries = read_queries(data / "queries.jsonl")
        self.queries = {s: {q: queries[q] for q in self.qrels[s]} for s in self.qrels}
        self.qvec = {s: encoder.encode(list(self.queries[s].values())) for s in self.qrels}
        self.cos = {s: self.qvec[s] @ self.vectors.T for s in self.qrels}
        self._bm25: dict = {}

    def bm25(self, split: str, k1: float, b: float, title: str = "concat") -> np.ndarray:
        """Query x chunk BM25."""
        return self._bm25_scores(
            (split, k1, b, title), split, k1, b, lambda: [self._bm25_text(i, title) for i in range(len(self.ids))]
        )

    def doc_bm25(self, split: str, k1: float, b: float) -> np.ndarray:
        """Query x document BM25 over whole documents (title + stitched text)."""
        return self._bm25_scores(("doc", split, k1, b), split, k1, b, lambda: [terms(t) for t in self.doc_texts])

    def _bm25_scores(self, key: tuple, split: str, k1: float, b: float, tokens) -> np.ndarray:
        """Every query of ``split`` scored against a bm25s index of ``tokens()`` (memoised by ``key``)."""
        if key not in self._bm25:
            import bm25s

            model = bm25s.BM25(k1=k1, b=b)
            corpus = tokens()
            model.index([t or ["\x00"] for t in corpus], show_progress=False)
            out = np.zeros((len(self.queries[split]), len(corpus)), dtype=np.float32)
            for row, text in enumerate(self.queries[split].values()):
                q = terms(text)
                if q:
                    out[row] = model.get_scores(q)
            self._bm25[key] = out
        return self._bm25[key]

    def _bm25_text(self, i: int, title: str) -> list[str]:
        if title == "concat":  # the product before tuning: title + chunk (the first chunk holds the title already)
            return terms(f"{self.titles[i]}\n{self.texts[i]}")
        if title == "once":  # title only where the chunk does not start with it
            text = self.texts[i]
            return terms(text if text.startswith(self.titles[i]) else f"{self.titles[i]}\n{text}")
        if title == "none":
            return terms(self.texts[i])
        raise ValueError(title)


def _stitch(pieces: list) -> str:
    """Title + the page text covered by the chunks, from their (start, end, text) offsets."""
    pieces = sorted(pieces)
    out, covered = [], 0
    for start, end, text, _ in pieces:
        if end > covered:
            out.append(text[covered - start:] if start <= covered else " " + text)
            covered = end
    title = pieces[0][3]
    body = "".join(out).strip()
    return body if body.startswith(title) else f"{title}\n{body}"


def _top(scores: np.ndarray, n: int, positive: bool = False) -> np.ndarray:
    if positive:
        n = min(n, int((scores > 0).sum()))
    if n <= 0:
        return np.zeros(0, dtype=int)
    n = min(n, scores.shape[0])
    top = np.argpartition(-scores, n - 1)[:n]
    return top[np.argsort(-scores[top], kind="stable")]


def fuse(cos: np.ndarray, bm: np.ndarray, *, weight: float, n: int, m: int, norm: str, missing: str, rrf_k: int = 60):
    """Candidate chunk indices and fused scores for one query (mirrors Searcher.search)."""
    dense_top = _top(cos, n)
    lex_top = _top(bm, n, positive=True)
    cand = np.array(list(dict.fromkeys([*dense_top.tolist(), *lex_top.tolist()])), dtype=int)
    c, l = cos[cand], bm[cand].astype(np.float64)
    in_lex = np.isin(cand, lex_top)
    if norm == "rrf":
        rank_d = {i: r for r, i in enumerate(dense_top)}
        rank_l = {i: r for r, i in enumerate(lex_top)}
        fused = np.array([
            (weight / (rrf_k + rank_d[i] + 1) if i in rank_d else 0.0)
            + ((1 - weight) / (rrf_k + rank_l[i] + 1) if i in rank_l else 0.0)
            for i in cand
        ])
        return cand, fused
    if norm == "minmax_union":  # the product before tuning
        dn = _mm(c, c.min(), c.max())
        ln = np.where(in_lex, _mm(l, l[in_lex].min(), l[in_lex].max()) if in_lex.any() else 0.0, 0.0)
    else:
        ref_d, ref_l = cos[dense_top[:m]], bm[lex_top[:m]].astype(np.float64)
        if norm == "minmax_top":
            dn = _mm(c, ref_d.min(), ref_d.max())
            ln = _mm(l, ref_l.min(), ref_l.max()) if len(ref_l) else np.zeros_like(l)
        elif norm == "zscore_top":
            dn = (c - ref_d.mean()) / (ref_d.std() or 1.0)
            ln = (l - ref_l.mean()) / (ref_l.std() or 1.0) if len(ref_l) else np.zeros_like(l)
        elif norm == "max":
            dn = c / (ref_d.max() or 1.0)
            ln = l / (ref_l.max() or 1.0) if len(ref_l) else np.zeros_like(l)
        else:
            raise ValueError(norm)
        if missing == "zero":  # an absent lexical score counts as the floor of the normalised range
            ln = np.where(in_lex, ln, np.minimum(ln, 0.0))
        elif missing == "clip":
            ln = np.maximum(ln, 0.0) if norm != "zscore_top" else ln
    return cand, weight * dn + (1 - weight) * ln


def lexical_scores(d: "Data", split: str, row: int, k1: float, b: float, title: str, doc_mix: float,
                   matched_only: bool = False) -> np.ndarray:
    """Chunk BM25, blended with its whole document's BM25 (passage + document evidence); with
    ``matched_only`` a chunk that matches no query term itself keeps 0."""
    chunk = d.bm25(split, k1, b, title)[row]
    if not doc_mix:
        return chunk
    mixed = (1 - doc_mix) * chunk + doc_mix * d.doc_bm25(split, k1, b)[row][d.chunk_doc]
    return np.where(chunk > 0, mixed, 0.0) if matched_only else mixed


def dense_scores(d: "Data", cos: np.ndarray, doc_mix: float) -> np.ndarray:
    """Chunk cosine, blended with the best cosine of any chunk of its document."""
    if not doc_mix:
        return cos
    best = np.full(len(d.doc_names), -1.0, dtype=np.float32)
    np.maximum.at(best, d.chunk_doc, cos)
    return (1 - doc_mix) * cos + doc_mix * best[d.chunk_doc]


def hybrid_plus(d: "Data", split: str, row: int, *, k1=1.2, b=0.75, title="concat", lex_doc=0.0, dense_doc=0.0,
                rocchio=0.0, rocchio_r=3, matched_only=False, **kw):
    cos = d.cos[split][row]
    lex = lexical_scores(d, split, row, k1, b, title, lex_doc, matched_only)
    cand, fused = fuse(dense_scores(d, cos, dense_doc), lex, **kw)
    if rocchio:
        top = cand[np.argsort(-fused, kind="stable")[:rocchio_r]]
        q = d.qvec[split][row] + rocchio * d.vectors[top].mean(axis=0)
        q /= np.linalg.norm(q)
        cand, fused = fuse(dense_scores(d, d.vectors @ q, dense_doc), lex, **kw)
    return cand, fused


def _mm(x, low, high):
    span = high - low
    return (x - low) / span if span > 0 else np.ones_like(x)


def run_of(d: Data, split: str, scorer, depth: int = 100) -> dict:
    run = {}
    for row, qid in enumerate(d.queries[split]):
        cand, fused = scorer(row)
        docs: dict[str, float] = {}
        for i, s in zip(cand.tolist(), fused.tolist()):
            doc = d.docs[i]
            if s > docs.get(doc, -np.inf):
                docs[doc] = s
        top = sorted(docs.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)[:depth]
        run[qid] = dict(top)
    return run


def score(d: Data, split: str, scorer) -> tuple[float, float]:
    r = evaluate(run_of(d, split, scorer), d.qrels[split])
    return r["ndcg@10"], r["recall@100"]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--grid", default="all")
    args = parser.parse_args()
    d = Data(args.data, args.index, args.cache)
    base = Settings()
    print(f"{len(d.ids)} chunks; train {len(d.queries['train'])} queries, test {len(d.queries['test'])}")

    def report(name, scorer):
        tr, te = score(d, "train", lambda r: scorer("train", r)), score(d, "test", lambda r: scorer("test", r))
        print(f"{name:70} train {tr[0]:.4f} {tr[1]:.4f}  test {te[0]:.4f} {te[1]:.4f}", flush=True)
        return tr, te

    def dense_only(n):
        return lambda s, r: (lambda c: (c, d.cos[s][r][c]))(_top(d.cos[s][r], n))

    def bm25_only(n, k1, b, title):
        return lambda s, r: (lambda c: (c, d.bm25(s, k1, b, title)[r][c]))(_top(d.bm25(s, k1, b, title)[r], n, True))

    def hybrid(k1, b, title, **kw):
        return lambda s, r: fuse(d.cos[s][r], d.bm25(s, k1, b, title)[r], **kw)

    grids = args.grid.split(",")
    if "all" in grids or "single" in grids:
        report("dense n=300", dense_only(300))
        for title in ("concat", "once", "none"):
            report(f"bm25 k1={base.bm25_k1} b={base.bm25_b} title={title}", bm25_only(300, base.bm25_k1, base.bm25_b, title))
    if "all" in grids or "bm25" in grids:
        for k1, b in itertools.product((0.6, 0.9, 1.2, 1.5, 2.0), (0.3, 0.5, 0.75, 0.9, 1.0)):
            report(f"bm25 k1={k1} b={b} title=concat", bm25_only(300, k1, b, "concat"))
    if "all" in grids or "baseline" in grids:
        for n in (40, 100, 300):
            report(f"hybrid minmax_union w=0.7 n={n}", hybrid(1.2, 0.75, "concat", weight=0.7, n=n, m=n, norm="minmax_union", missing="zero"))
    if "all" in grids or "union" in grids:
        for n in (40, 100, 300):
            for w in (0.5, 0.6, 0.65, 0.75, 0.8):
                report(f"hybrid minmax_union w={w} n={n}", hybrid(1.2, 0.75, "concat", weight=w, n=n, m=n, norm="minmax_union", missing="zero"))
    if "all" in grids or "rrf" in grids:
        for rrf_k in (10, 60):
            report(f"hybrid rrf k={rrf_k} n=300", hybrid(1.2, 0.75, "concat", weight=0.5, n=300, m=300, norm="rrf", missing="zero", rrf_k=rrf_k))
    if "all" in grids or "norm" in grids:
        for norm, missing, m in (("minmax_top", "exact", 40), ("minmax_top", "exact", 100), ("minmax_top", "clip", 100),
                                 ("zscore_top", "exact", 40), ("zscore_top", "exact", 100), ("max", "exact", 100)):
            for w in (0.5, 0.6, 0.7, 0.8):
                report(f"hybrid {norm} missing={missing} m={m} w={w} n=300",
                       hybrid(1.2, 0.75, "concat", weight=w, n=300, m=m, norm=norm, missing=missing))
    if "all" in grids or "doc" in grids:
        for lex_doc, dense_doc in ((0.5, 0.0), (1.0, 0.0), (0.0, 0.5), (0.5, 0.5), (0.3, 0.3)):
            for w in (0.6, 0.7):
                report(f"hybrid minmax_top m=100 w={w} lex_doc={lex_doc} dense_doc={dense_doc}",
                       lambda s, r, w=w, a=lex_doc, c=dense_doc: hybrid_plus(
                           d, s, r, lex_doc=a, dense_doc=c, weight=w, n=300, m=100, norm="minmax_top", missing="exact"))
    if "all" in grids or "docmix" in grids:
        configs = [("minmax_top", 100, w, a) for w in (0.5, 0.6, 0.65) for a in (0.3, 0.5, 0.7)]
        configs += [("max", 100, w, 0.5) for w in (0.6, 0.7)]
        configs += [("minmax_union", n, w, 0.5) for n in (100, 300) for w in (0.6, 0.7)]  # m is n here
        for norm, m, w, a in configs:
            report(f"hybrid {norm} m={m} w={w} lex_doc={a}",
                   lambda s, r, norm=norm, m=m, w=w, a=a: hybrid_plus(
                       d, s, r, lex_doc=a, weight=w, n=max(m, 100), m=m, norm=norm, missing="exact" if norm != "minmax_union" else "zero"))
    if "all" in grids or "maxgrid" in grids:
        for w, a in [(w, a) for w in (0.5, 0.55, 0.6, 0.65) for a in (0.3, 0.5, 0.7, 1.0) if (w, a) != (0.6, 0.5)]:
            report(f"hybrid max m=100 w={w} lex_doc={a}",
                   lambda s, r, w=w, a=a: hybrid_plus(d, s, r, lex_doc=a, weight=w, n=100, m=100, norm="max", missing="exact"))
    if "all" in grids or "maxbm25" in grids:
        for k1, b, title in ((1.2, 0.5, "concat"), (0.9, 0.5, "concat"), (1.5, 0.5, "concat"), (1.2, 0.75, "once"), (1.2, 0.3, "concat")):
            report(f"hybrid max m=100 w=0.6 lex_doc=0.5 bm25 k1={k1} b={b} title={title}",
                   lambda s, r, k1=k1, b=b, t=title: hybrid_plus(
                       d, s, r, k1=k1, b=b, title=t, lex_doc=0.5, weight=0.6, n=100, m=100, norm="max", missing="exact"))
    if "all" in grids or "depth" in grids:
        for n in (20, 40, 100, 300):
            report(f"hybrid max w=0.6 lex_doc=0.5 n={n}",
                   lambda s, r, n=n: hybrid_plus(d, s, r, lex_doc=0.5, weight=0.6, n=n, m=n, norm="max", missing="exact"))
    if "all" in grids or "uniondoc" in grids:
        for n, w, a in [(n, w, a) for n in (40, 300) for w in (0.6, 0.7) for a in (0.5, 0.7)]:
            report(f"hybrid minmax_union n={n} w={w} lex_doc={a}",
                   lambda s, r, n=n, w=w, a=a: hybrid_plus(d, s, r, lex_doc=a, weight=w, n=n, m=n, norm="minmax_union", missing="zero"))
    if "all" in grids or "matched" in grids:
        for n in (40, 300):
            report(f"hybrid minmax_union n={n} w=0.7 lex_doc=0.7 matched_only",
                   lambda s, r, n=n: hybrid_plus(d, s, r, lex_doc=0.7, matched_only=True, weight=0.7, n=n, m=n, norm="minmax_union", missing="zero"))
    if "all" in grids or "rocchio" in grids:
        for beta, r in ((0.5, 3), (1.0, 3), (0.5, 5), (1.0, 10)):
            report(f"hybrid minmax_top m=100 w=0.7 rocchio beta={beta} r={r}",
                   lambda s, row, beta=beta, r=r: hybrid_plus(
                       d, s, row, rocchio=beta, rocchio_r=r, weight=0.7, n=300, m=100, norm="minmax_top", missing="exact"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
