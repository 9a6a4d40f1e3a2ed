"""The encoder's two runtimes, torch (sentence-transformers) and ONNX Runtime (its export), side by side.

    .venv/bin/python bench/encoder.py [--rounds 3] [--chunks 320] [--json]

In one process, on the same texts, alternating runtime by runtime each round (so both share the
machine's load), it times:

* ``chunks``: SciFact abstracts from ../shared/beir/scifact cut into the ~200-word-piece chunks
  ingestion makes, encoded in batches of the ingest batch size (chunks/s);
* ``sentences``: the sentences of those chunks in batches of 16, as the answerer encodes them;
* ``questions``: SciFact queries one at a time, as retrieval encodes a question (ms each).

and, in fresh subprocesses (the in-run baseline being the torch runtime), the start-up cost:
importing the runtime and loading the model until the first vector. Ratios are torch time ÷
ONNX time (above 1: ONNX Runtime is faster); medians over rounds. The largest difference between
the two runtimes' vectors is reported too. Results: docs/BENCHMARKS.md, "Encoder runtimes".
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.config import Settings  # noqa: E402  (sets the offline environment first)

SCIFACT = ROOT.parent / "shared" / "beir" / "scifact"
RUNTIMES = ("torch", "onnx")
LOAD = (
    "import time; started = time.perf_counter(); from assistant.encoder.encoder import Encoder; "
    "e = Encoder(runtime={runtime!r}); e.encode_sentences(['a question']); print(time.perf_counter() - started)"
)


def texts(chunk_count: int) -> tuple[list[str], list[str], list[str]]:
    from assistant.ingest.chunking import chunk_pages, fast_token_counter, make_splitter
    from assistant.encoder.encoder import Encoder
    from assistant.types import Page

    settings = Settings()
    splitter = make_splitter(fast_token_counter(Encoder()), chunk_tokens=settings.chunk_tokens, overlap=settings.chunk_overlap)
    chunks: list[str] = []
    with gzip.open(SCIFACT / "corpus.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            page = Page(text=f"{record['title']}\n\n{record['text']}", source=f"{record['_id']}.txt", title=record["title"])
            chunks += [c.text for c in chunk_pages([page], splitter)]
            if len(chunks) >= chunk_count:
                break
    sentences = [s.strip() for c in chunks for s in c.replace("\n", " ").split(". ") if len(s.split()) >= 4]
    with (SCIFACT / "queries.jsonl").open(encoding="utf-8") as fh:
        questions = [json.loads(line)["text"] for _, line in zip(range(100), fh)]
    return chunks[:chunk_count], sentences, questions


def time_load(runtime: str) -> float:
    """Seconds from a fresh interpreter's first import to the first vector (interpreter start excluded)."""
    done = subprocess.run(
        [sys.executable, "-c", LOAD.format(runtime=runtime)], cwd=ROOT, capture_output=True, text=True, check=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    return float(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--chunks", type=int, default=320)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    from assistant.encoder.encoder import SENTENCE_BATCH, Encoder

    chunks, sentences, questions = texts(args.chunks)
    batch = Settings().embed_batch
    encoders = {runtime: Encoder(runtime=runtime) for runtime in RUNTIMES}
    vectors = {runtime: encoder.encode(chunks[:64]) for runtime, encoder in encoders.items()}  # also warms up
    max_diff = float(abs(vectors["torch"] - vectors["onnx"]).max())
    load_before = os.getloadavg()
    times: dict[str, dict[str, list[float]]] = {r: {"chunks": [], "sentences": [], "questions": [], "load": []} for r in RUNTIMES}
    for _ in range(args.rounds):
        for runtime, encoder in encoders.items():
            started = time.perf_counter()
            encoder.encode(chunks, batch_size=batch)
            times[runtime]["chunks"].append(time.perf_counter() - started)
            started = time.perf_counter()
            encoder.encode(sentences, batch_size=SENTENCE_BATCH)
            times[runtime]["sentences"].append(time.perf_counter() - started)
            started = time.perf_counter()
            for question in questions:
                encoder.model.encode_one(question)
            times[runtime]["questions"].append((time.perf_counter() - started) / len(questions))
            times[runtime]["load"].append(time_load(runtime))
    load_after = os.getloadavg()

    median = {r: {k: statistics.median(v) for k, v in t.items()} for r, t in times.items()}
    results = {
        "texts": {"chunks": len(chunks), "sentences": len(sentences), "questions": len(questions)},
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in load_after],
        "max_abs_diff": max_diff,
        "torch": median["torch"],
        "onnx": median["onnx"],
        "ratio_torch_over_onnx": {
            k: round(statistics.median(t / o for t, o in zip(times["torch"][k], times["onnx"][k])), 2) for k in times["torch"]
        },
    }
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"{len(chunks)} chunks, {len(sentences)} sentences, {len(questions)} questions; "
          f"max |torch - onnx| = {max_diff:.1g}; load average {load_before[0]:.2f} -> {load_after[0]:.2f}")
    print(f"{'median of ' + str(args.rounds):<24}{'torch':>12}{'onnx':>12}{'torch/onnx':>12}")
    rows = [
        ("chunks/s", lambda r: len(chunks) / median[r]["chunks"]),
        ("sentences/s", lambda r: len(sentences) / median[r]["sentences"]),
        ("ms per question", lambda r: 1000 * median[r]["questions"]),
        ("s import+load", lambda r: median[r]["load"]),
    ]
    for (label, value), key in zip(rows, ("chunks", "sentences", "questions", "load")):
        print(f"{label:<24}{value('torch'):>12.1f}{value('onnx'):>12.1f}{results['ratio_torch_over_onnx'][key]:>12.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
