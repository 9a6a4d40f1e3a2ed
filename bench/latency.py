"""Answer latency: retrieval and full extractive answers, on the seed corpus and a larger one.

    .venv/bin/python bench/latency.py [--chunks 10000] [--questions 30] [--runtime onnx torch] [--llamacpp]

* ``seed``: the seed article (12 chunks);
* ``large``: SciFact abstracts (../shared/beir/scifact) ingested until the index holds about
  ``--chunks`` chunks, plus the seed article.

Both are asked the same distinct questions, each once: the dev questions
(../shared/eval/seed_questions.jsonl) and the project's own seed set
(tests/questions/seed_extra.jsonl). Ingestion embeds through bench/.cache/'s CachedEncoder
(only the first run pays for embedding the abstracts); questions are answered with the plain
``Encoder`` the app uses, so no query or sentence vector comes from a cache. With several
``--runtime``s each corpus is measured with each encoder runtime in turn (same index, same run).

For each corpus it reports p50/p95 of ``Assistant.search`` (hybrid, k=6) and of
``Assistant.ask`` (retrieval + extractive answer), and, as the in-run baseline, the p50 of
encoding the question alone (the floor every query pays). With ``--llamacpp`` it also reports
time to first token of the llamacpp backend (SmolLM2-135M) on the seed corpus.
Results: docs/BENCHMARKS.md, "Answer latency".
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
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from assistant.pipeline import Assistant  # noqa: E402
from assistant.config import ENCODER_RUNTIMES, PROJECT_ROOT, Settings  # noqa: E402
from assistant.encoder.encoder import Encoder  # noqa: E402
from assistant.ingest.library import Library  # noqa: E402
from embedding_cache import DEFAULT_CACHE, CachedEncoder  # noqa: E402

SHARED = PROJECT_ROOT.parent / "shared"
QUESTION_FILES = (SHARED / "eval" / "seed_questions.jsonl", PROJECT_ROOT / "tests" / "questions" / "seed_extra.jsonl")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def build(root: Path, chunks: int) -> Settings:
    corpus = root / "corpus"
    corpus.mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "corpus" / "who-benefits-from-american-ai-research-in-china.txt", corpus)
    settings = Settings.from_env(corpus=corpus, index=root / "index")
    library = Library(settings, encoder=CachedEncoder(batch_size=settings.embed_batch, cache_path=DEFAULT_CACHE))
    if chunks > 100:
        with gzip.open(SHARED / "beir" / "scifact" / "corpus.jsonl.gz", "rt", encoding="utf-8") as fh:
            docs = [json.loads(line) for line in fh]
        written = 0
        for doc in docs:
            (corpus / f"{doc['_id']}.txt").write_text(f"{doc['title']}\n\n{doc['text']}", encoding="utf-8")
            written += 1
            if written % 500 == 0:
                library.sync()
                if library.registry.chunk_count() >= chunks:
                    break
    library.sync()
    library.registry.close()
    return settings


def open_library(settings: Settings, runtime: str) -> Library:
    return Library(settings, encoder=Encoder(batch_size=settings.embed_batch, runtime=runtime))


def measure(name: str, library: Library, questions: list[str]) -> dict:
    """Each question timed three ways: encoding it, searching, and answering twice (with no
    sentence vectors remembered, as on a fresh start, where those stored at ingest are read from
    the index when ``Settings.sentence_vectors`` is on; and in one session, where vectors of the
    sentences earlier answers read are kept, as the app keeps them)."""
    assistant = Assistant(library.settings, index=library.index, encoder=library.encoder)
    assistant.ask(questions[0])  # warm: model, BM25 index
    encoder = library.encoder
    encode, search, fresh = [], [], []
    for question in questions:
        started = time.perf_counter()
        encoder.encode([question])
        encode.append(time.perf_counter() - started)
        started = time.perf_counter()
        assistant.search(question)
        search.append(time.perf_counter() - started)
        encoder.sentence_cache.clear()
        started = time.perf_counter()
        assistant.ask(question)
        fresh.append(time.perf_counter() - started)
    encoder.sentence_cache.clear()
    session = []
    for question in questions:
        started = time.perf_counter()
        assistant.ask(question)
        session.append(time.perf_counter() - started)
    row = {"corpus": name, "runtime": encoder.model.runtime, "chunks": library.registry.chunk_count()}
    for label, seconds in (("encode", encode), ("search", search), ("fresh", fresh), ("session", session)):
        row[f"{label}_p50_ms"] = 1000 * statistics.median(seconds)
        row[f"{label}_p95_ms"] = 1000 * percentile(seconds, 0.95)
    return row


def time_to_first_token(library: Library, questions: list[str]) -> list[float]:
    """Seconds from asking to the first generated token (retrieval and prompt included), per
    question; the first question only loads the model, and no question repeats (llama.cpp would
    reuse a cached prompt)."""
    assistant = Assistant(library.settings, index=library.index, encoder=library.encoder)
    first_text(assistant, questions[0])
    seconds = []
    for question in questions[1:]:
        started = time.perf_counter()
        first_text(assistant, question)
        seconds.append(time.perf_counter() - started)
    return seconds


def first_text(assistant: Assistant, question: str) -> str:
    """The first piece of text the llamacpp answer streams (the retrieval's ``Stage`` comes before it)."""
    return next(event for event in assistant.stream(question, backend="llamacpp") if isinstance(event, str))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, default=10000)
    parser.add_argument("--questions", type=int, default=0, help="ask only the first N questions (default: all)")
    parser.add_argument("--runtime", nargs="+", default=["auto"], choices=ENCODER_RUNTIMES,
                        help="encoder runtime(s) to answer with (default: auto, as the app)")
    parser.add_argument("--llamacpp", action="store_true")
    args = parser.parse_args(argv)
    questions = [json.loads(line)["question"] for f in QUESTION_FILES for line in f.read_text().splitlines() if line.strip()]
    questions = list(dict.fromkeys(questions))[: args.questions or None]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        seed = build(Path(tmp) / "seed", 0)
        rows += [measure("seed", open_library(seed, runtime), questions) for runtime in args.runtime]
        ttft = time_to_first_token(open_library(seed, args.runtime[0]), questions[:11]) if args.llamacpp else None
        large = build(Path(tmp) / "large", args.chunks)
        rows += [measure("large", open_library(large, runtime), questions) for runtime in args.runtime]
    print(f"{len(questions)} distinct questions, each asked once per corpus")
    print(f"{'corpus':<6} {'runtime':<7} {'chunks':>7} {'encode p50':>10} {'search p50/p95':>15} {'answer p50/p95 fresh':>21} {'in session':>14}")
    for r in rows:
        print(f"{r['corpus']:<6} {r['runtime']:<7} {r['chunks']:>7} {r['encode_p50_ms']:>8.1f}ms {r['search_p50_ms']:>7.1f}/{r['search_p95_ms']:.0f}ms "
              f"{r['fresh_p50_ms']:>13.0f}/{r['fresh_p95_ms']:.0f}ms {r['session_p50_ms']:>7.0f}/{r['session_p95_ms']:.0f}ms")
    if ttft is not None:
        print(f"llamacpp (SmolLM2-135M) time to first token over {len(ttft)} questions: "
              f"p50 {statistics.median(ttft):.2f} s, p95 {percentile(ttft, 0.95):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
