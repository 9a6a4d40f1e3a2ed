"""Reading the six papers: this checkout's loader and chunker against another checkout's (before).

    .venv/bin/python bench/structure.py [--before /work/main] [--repeat 2] [--sync]

For each paper of ../shared/papers: pages, characters stored, chunks (and chunks per kind), the
largest page and the whole document in characters (what ASSISTANT_MAX_PAGE_CHARS and
ASSISTANT_MAX_DOCUMENT_CHARS must stay above), and the time to load and chunk it, the best of
``--repeat`` runs. Each checkout runs in its own interpreter, one after the other for each
repeat, so the two see the same load on a shared machine; ratios are the figure to trust.

``--sync`` also times a whole `assistant sync` of the six papers and the seed article into a
fresh index, by each checkout (embedding included: the encoder dominates it).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAPERS = next((p / "shared" / "papers" for p in ROOT.parents[:2] if (p / "shared" / "papers").is_dir()), None)
SEED = ROOT / "corpus" / "who-benefits-from-american-ai-research-in-china.txt"

# Runs inside each checkout's interpreter (its own `assistant` package first on the path).
_MEASURE = r"""
import json, sys, time
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from assistant.ingest.chunking import chunk_pages, fast_token_counter, make_splitter
from assistant.config import Settings
from assistant.encoder.runtimes import default_model_path, load_tokenizer
from assistant.ingest.loaders import load

tokenizer = load_tokenizer(default_model_path())
counter = SimpleNamespace(count_tokens=lambda text: len(tokenizer.encode(text, add_special_tokens=False).ids))
settings = Settings()
splitter = make_splitter(fast_token_counter(counter), chunk_tokens=settings.chunk_tokens, overlap=settings.chunk_overlap)
out = {}
for name in sys.argv[1:]:
    path = Path(name)
    started = time.perf_counter()
    pages = load(path, source=path.name, max_bytes=2**27)
    chunks = chunk_pages(pages, splitter)
    seconds = time.perf_counter() - started
    out[path.name] = {
        "pages": len(pages), "chars": sum(len(p.text) for p in pages), "max_page_chars": max(len(p.text) for p in pages),
        "chunks": len(chunks), "kinds": dict(Counter(getattr(c, "kind", "text") for c in chunks)), "seconds": seconds,
    }
print(json.dumps(out))
"""


def measure(tree: Path, papers: list[Path]) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    with tempfile.TemporaryDirectory() as cwd:  # not this checkout's folder: -c puts the cwd first
        done = subprocess.run(
            [sys.executable, "-c", _MEASURE, *map(str, papers)], capture_output=True, text=True, env=env, cwd=cwd, check=True
        )
    return json.loads(done.stdout)


def timed_sync(tree: Path, papers: list[Path]) -> float:
    with tempfile.TemporaryDirectory() as work:
        corpus = Path(work) / "corpus"
        corpus.mkdir()
        for path in [*papers, SEED]:
            shutil.copyfile(path, corpus / path.name)
        env = {**os.environ, "PYTHONPATH": str(tree)}
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "assistant.cli", "--corpus", str(corpus), "--index", str(Path(work) / "index"), "sync", "--json"],
            capture_output=True, text=True, env=env, cwd=work, check=True,
        )
        return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", type=Path, default=Path("/work/main"), help="the checkout to compare with")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--sync", action="store_true", help="also time a whole sync by each checkout")
    args = parser.parse_args()
    if PAPERS is None:
        print("../shared/papers is not there", file=sys.stderr)
        return 2
    papers = sorted(PAPERS.glob("*.pdf"))
    trees = {"before": args.before.resolve(), "after": ROOT}
    runs: dict[str, list[dict]] = {name: [] for name in trees}
    for _ in range(args.repeat):
        for name, tree in trees.items():
            runs[name].append(measure(tree, papers))
    best = {name: {p: min(r[p]["seconds"] for r in rs) for p in rs[0]} for name, rs in runs.items()}
    print("| paper | pages | chars before → after | chunks before → after | after: text/table/caption/references "
          "| largest page (chars) | load+chunk s before → after |")
    print("|---|---|---|---|---|---|---|")
    for paper in runs["after"][0]:
        b, a = runs["before"][0][paper], runs["after"][0][paper]
        kinds = "/".join(str(a["kinds"].get(k, 0)) for k in ("text", "table", "caption", "references"))
        print(
            f"| {paper} | {a['pages']} | {b['chars']:,} → {a['chars']:,} | {b['chunks']} → {a['chunks']} | {kinds} "
            f"| {a['max_page_chars']:,} | {best['before'][paper]:.2f} → {best['after'][paper]:.2f} |"
        )
    total = {name: sum(values.values()) for name, values in best.items()}
    print(f"\nload+chunk, six papers: before {total['before']:.2f} s, after {total['after']:.2f} s "
          f"(x{total['after'] / total['before']:.2f}); largest document {max(r['chars'] for r in runs['after'][0].values()):,} chars")
    if args.sync:
        seconds = {name: [] for name in trees}
        for _ in range(args.repeat):
            for name, tree in trees.items():
                seconds[name].append(timed_sync(tree, papers))
        b, a = min(seconds["before"]), min(seconds["after"])
        print(f"sync of the six papers + the article into a new index: before {b:.1f} s, after {a:.1f} s (x{a / b:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
