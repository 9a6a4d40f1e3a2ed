"""Paired A/B of fresh extractive answers: a fresh answer's sentence batches one after another on
the encoder's two-threaded session (A, as before) against side by side, one thread each
(B, ``OnnxModel.encode_short``), in one process, the order alternating per question.

    .venv/bin/python bench/encode_short_ab.py [--index DIR --corpus DIR]

Without ``--index`` it builds the seed corpus's index in a temporary folder (as bench/latency.py).
Reports the share of identical answers and the fresh p50 of each, with the ratio B/A: on a
machine shared with other work, the ratio is the figure to read. Results: docs/BENCHMARKS.md,
"Answer latency".
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from latency import QUESTION_FILES, build  # bench/ is on sys.path when this runs as a script

from assistant.config import Settings
from assistant.pipeline import Assistant


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path)
    parser.add_argument("--corpus", type=Path)
    args = parser.parse_args(argv)
    questions = list(dict.fromkeys(json.loads(line)["question"] for f in QUESTION_FILES for line in f.read_text().splitlines() if line.strip()))
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.from_env(corpus=args.corpus, index=args.index) if args.index else build(Path(tmp) / "seed", 0)
        assistant = Assistant(settings)
        model = assistant.encoder.model
        paths = {"A": lambda texts, *, batch_size: model.encode(texts, batch_size=batch_size), "B": model.encode_short}
        assistant.ask(questions[0])  # warm: model, BM25 index
        seconds: dict[str, list[float]] = {"A": [], "B": []}
        identical = 0
        for n, question in enumerate(questions):
            answers = {}
            for path in ("A", "B") if n % 2 == 0 else ("B", "A"):
                model.encode_short = paths[path]
                assistant.encoder.sentence_cache.clear()
                started = time.perf_counter()
                answer = assistant.ask(question)
                seconds[path].append(time.perf_counter() - started)
                answers[path] = (answer.answer, answer.refused, [c.quote for c in answer.citations])
            identical += answers["A"] == answers["B"]
    a, b = (statistics.median(seconds[p]) for p in "AB")
    print(f"{len(questions)} questions, identical answers {identical}/{len(questions)}; fresh p50 "
          f"A {1000 * a:.0f} ms, B {1000 * b:.0f} ms, B/A {b / a:.3f} (p50), {sum(seconds['B']) / sum(seconds['A']):.3f} (total)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
