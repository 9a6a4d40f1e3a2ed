"""Ingestion throughput against the raw encoder, and re-ingest against first ingest.

    .venv/bin/python bench/ingest.py [--corpus text papers] [--repeat 2] [--batch 64] [--read-ahead 0 2]

Corpora, copied into a temporary corpus folder and ingested into a temporary index (real model,
real Chroma on disk, the same `Library.sync` the CLI runs):

* ``text``: the seed article plus SciFact abstracts from ../shared/beir/scifact (plain text,
  10 abstracts per .txt file): the encoder-bound case;
* ``papers``: the seed article plus the ResNet and identity-mappings papers from
  ../shared/papers (PDFs: pypdf's parsing adds to the encoder's work).

In the same run, right after each ingest, the raw encoder (``Encoder.encode``, same batch size)
embeds exactly the chunk texts that ingestion produced. Reported per run and as medians:

* wall ratio = ingest chunks/s ÷ raw encoder chunks/s (target >= 0.9: the encoder is the limit)
* CPU ratio  = the same with this process's CPU seconds instead of wall seconds; it counts the
  work ingestion adds, and unlike wall time it hardly moves when other processes share the cores
* re-ingest  = first ingest time ÷ re-sync time of the unchanged corpus (target >= 50x)

``--read-ahead N`` sets how many files are parsed on a thread ahead of the encoder (0: parse,
then embed, in turn; the default is the library's); several values are compared in one run.
``--sentence-vectors on off`` ingests with and without the sentences' vectors
(``Settings.sentence_vectors``) in one run and prints the cost of them: ingest time with ÷
without. With them on, the raw encoder embeds the sentence texts too (as ingestion does).
Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.config import Settings  # noqa: E402  (sets the offline environment first)

SHARED = ROOT.parent / "shared"
SEED = ROOT / "corpus" / "who-benefits-from-american-ai-research-in-china.txt"
PAPERS = ["resnet_1512.03385.pdf", "identity_mappings_1603.05027.pdf"]
SCIFACT = SHARED / "beir" / "scifact" / "corpus.jsonl.gz"


def build_corpus(kind: str, target: Path, abstracts: int) -> None:
    target.mkdir(parents=True)
    shutil.copyfile(SEED, target / SEED.name)
    if kind == "papers":
        for name in PAPERS:
            shutil.copyfile(SHARED / "papers" / name, target / name)
        return
    with gzip.open(SCIFACT, "rt", encoding="utf-8") as fh:
        records = [json.loads(line) for _, line in zip(range(abstracts), fh)]
    for n in range(0, len(records), 10):
        part = records[n : n + 10]
        text = "\n\n".join(f"{r['title']}\n\n{r['text']}" for r in part)
        (target / f"scifact-{n // 10:03d}.txt").write_text(text, encoding="utf-8")


def run_once(encoder, kind: str, batch: int, read_ahead: int | None, abstracts: int, sentence_vectors: bool = True) -> dict:
    from assistant.encoder.encoder import SENTENCE_BATCH
    from assistant.ingest import writer
    from assistant.ingest.library import Library
    from assistant.store.sentence_vectors import sentence_texts

    default_read_ahead = writer.READ_AHEAD
    if read_ahead is not None:
        writer.READ_AHEAD = read_ahead
    try:
        with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
            root = Path(tmp)
            build_corpus(kind, root / "corpus", abstracts)
            settings = Settings.from_env(corpus=root / "corpus", index=root / "index", embed_batch=batch,
                                         sentence_vectors=sentence_vectors)
            library = Library(settings, encoder=encoder)

            wall, cpu = time.perf_counter(), time.process_time()
            first = library.sync()
            t_ingest, c_ingest = time.perf_counter() - wall, time.process_time() - cpu
            assert first.ok, first.summary()
            chunks = library.registry.chunks()
            texts = [c.text for c in chunks]
            assert first.embedded == len(texts)
            sentences = list(dict.fromkeys(t for c in chunks for t in sentence_texts(c))) if sentence_vectors else []

            wall = time.perf_counter()
            again = library.sync()
            t_resync = time.perf_counter() - wall
            assert again.embedded == 0 and len(again.unchanged) == len(first.added), again.summary()

            wall, cpu = time.perf_counter(), time.process_time()
            encoder.encode(texts)
            if sentences:
                encoder.encode(sentences, batch_size=SENTENCE_BATCH)
            t_raw, c_raw = time.perf_counter() - wall, time.process_time() - cpu
            library.registry.close()
    finally:
        writer.READ_AHEAD = default_read_ahead
    return {
        "corpus": kind,
        "read_ahead": writer.READ_AHEAD if read_ahead is None else read_ahead,
        "sentence_vectors": "on" if sentence_vectors else "off",
        "documents": len(first.added),
        "chunks": len(texts),
        "t_ingest": t_ingest,
        "t_raw": t_raw,
        "t_resync": t_resync,
        "ingest_cps": len(texts) / t_ingest,
        "raw_cps": len(texts) / t_raw,
        "ratio": t_raw / t_ingest,
        "cpu_ratio": c_raw / c_ingest,
        "speedup": t_ingest / t_resync,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", nargs="+", choices=["text", "papers"], default=["text", "papers"])
    parser.add_argument("--abstracts", type=int, default=150, help="SciFact abstracts in the text corpus")
    parser.add_argument("--batch", type=int, default=Settings().embed_batch, help="encoder batch size")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--read-ahead", type=int, nargs="*", default=[None])
    parser.add_argument("--sentence-vectors", nargs="+", choices=["on", "off"], default=["on"])
    args = parser.parse_args(argv)

    from assistant.encoder.encoder import Encoder

    encoder = Encoder(batch_size=args.batch)
    encoder.encode(["warm-up: load the weights and the tokenizer before timing"] * 8)

    runs = [
        run_once(encoder, kind, args.batch, ahead, args.abstracts, vectors == "on")
        for _ in range(args.repeat)
        for kind in args.corpus
        for ahead in args.read_ahead
        for vectors in args.sentence_vectors
    ]
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (2 cores; above ~2 other processes share them)")
    print(
        f"{'corpus':>7} {'ahead':>5} {'sent':>4} {'docs':>5} {'chunks':>6} {'ingest s':>9} {'ingest c/s':>10} {'raw c/s':>8} "
        f"{'wall ratio':>10} {'CPU ratio':>9} {'re-sync s':>9} {'speed-up':>9}"
    )
    for r in runs:
        print(
            f"{r['corpus']:>7} {r['read_ahead']:>5} {r['sentence_vectors']:>4} {r['documents']:>5} {r['chunks']:>6} {r['t_ingest']:>9.2f} "
            f"{r['ingest_cps']:>10.2f} {r['raw_cps']:>8.2f} {r['ratio']:>10.3f} {r['cpu_ratio']:>9.3f} "
            f"{r['t_resync']:>9.4f} {r['speedup']:>8.0f}x"
        )
    print()
    failed = False
    for kind in args.corpus:
        for ahead in sorted({r["read_ahead"] for r in runs}):
            for vectors in args.sentence_vectors:
                group = [r for r in runs if r["corpus"] == kind and r["read_ahead"] == ahead and r["sentence_vectors"] == vectors]
                ratio = statistics.median(r["ratio"] for r in group)
                cpu_ratio = statistics.median(r["cpu_ratio"] for r in group)
                speedup = statistics.median(r["speedup"] for r in group)
                print(
                    f"{kind}, read-ahead {ahead}, sentence vectors {vectors}: ingest/raw encoder {ratio:.3f} wall, "
                    f"{cpu_ratio:.3f} CPU (target >= 0.9); re-ingest {speedup:.0f}x faster (target >= 50x)"
                )
                failed |= ratio < 0.9 or speedup < 50
            if len(args.sentence_vectors) == 2:
                time_of = {v: statistics.median(r["t_ingest"] for r in runs if r["corpus"] == kind
                                                and r["read_ahead"] == ahead and r["sentence_vectors"] == v) for v in ("on", "off")}
                print(f"{kind}, read-ahead {ahead}: ingest with sentence vectors / without {time_of['on'] / time_of['off']:.2f}x")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
