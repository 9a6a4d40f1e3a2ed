"""Evaluate one split of the library question bank on the library index (the article + six PDFs).

    .venv/bin/python bench/eval_library.py --split train|dev|test|test2|...|test32|headline32 [--kind KIND ...] [--json OUT]
                                           [--backend NAME] [--root bench/.cache/library]
    .venv/bin/python bench/eval_library.py --questions tests/questions/headline_dev.jsonl

Builds or brings up to date the library index with ``bench/library.py``'s ``library_settings()``,
asks every question of the split's file, ``tests/questions/library_<split>.jsonl`` (``headlineN``:
``tests/questions/headlineN.jsonl``), or any other question file on the same index with
``--questions PATH``, follow-ups after their history, as a user would have asked them, and prints
the per-question table, the overall metrics and the
breakdowns per question kind and per document, with the retrieval oracle (whether the top 6 /
top 20 passages hold every fact of the question: what the answerer could have quoted).
``--json OUT`` writes ``{"split", "date", "metrics", "results"}`` (the ``eval --json`` shape plus
the split and the UTC date).

The test split is sealed: it is run once, by the lead, at the end (docs/EVALUATION.md). So are
test2 and headline2, the second sealed split and its headline phrasings: written from the documents
by an engineer who never ran the system, run once by the lead at the end of the session and
reported as they come; nobody tunes on them or opens them before that. test3 and headline3 are the
third such split (written 2026-12-02 09:19-09:26 UTC, run once at the end of that session); test4
and headline4 the fourth (written 2026-12-02 12:25-12:31 UTC, run once at the end of session 8);
test5 and headline5 the fifth (written at the start of session 9, run once at its end); test6 and
headline6 the sixth (written at the start of session 10, run once at its end); test7 and headline7 the
seventh (written at the start of session 11, run once at its end); test8 and headline8 the eighth
(written at the start of session 12, run once at its end); test9 and headline9 the ninth (written at
the end of session 12, before session 13's changes, run once at the end of session 13); test10 and
headline10 the tenth (written during session 13, 11:10-11:16 UTC, run once at the end of session 14);
test11 and headline11 the eleventh (written at the end of session 14, 14:11-14:16 UTC, run once at
the end of session 15); test12 and headline12 the twelfth (written in session 15, 16:00-16:08 UTC,
run once at the end of session 16); test13 and headline13 the thirteenth (written at the start of
session 17, 21:29-21:38 UTC, run once at its end); test14 and headline14 the fourteenth (written
during session 17, 22:38-22:50 UTC, after its changes, run once at the end of session 18); test15 and
headline15 the fifteenth (written at the start of session 18, 04:15-04:23 UTC, run once at the end
of session 19); test16 and headline16 the sixteenth (written at the start of session 19, 10:10-10:18
UTC, run once at the end of session 20); test17 and headline17 the seventeenth (written at the start
of session 20, 13:12-13:23 UTC, run once in session 21); test18 and headline18 the eighteenth
(written at the start of session 21, 16:22-16:34 UTC, run once at the end of session 22); test19 and
headline19 the nineteenth (written at the start of session 22, 19:44-19:56 UTC, run once at the end of
session 23); test20 and headline20 the twentieth (written at the start of session 23, 23:05-23:14 UTC,
run once at the end of session 24); test21 and headline21 the twenty-first (written at the start of
session 24, 02:30-02:45 UTC, run once at the end of session 25); test22 and headline22 the
twenty-second (written at the start of session 25, 05:51-06:03 UTC, run once at the end of session 26);
test23 and headline23 the twenty-third (written at the start of session 26, 08:51-09:00 UTC, run once
at the end of session 27); test24 and headline24 the twenty-fourth (written at the start of session 27,
12:05-12:12 UTC, run once at the end of session 28); test25 and headline25 the twenty-fifth (written at
the start of session 28, 15:00-15:05 UTC, run once at the end of session 29); test26 and headline26 the
twenty-sixth (written at the start of session 29, 17:47-17:53 UTC, run once at the end of session 30);
test27 and headline27 the twenty-seventh (written at the start of session 30, 20:21-20:27 UTC, run once
at the end of session 31); test28 and headline28 the twenty-eighth (written at the start of session 31,
23:20-23:26 UTC, run once at the end of session 32); test29 and headline29 the twenty-ninth (written at
the start of session 32, 02:22-02:37 UTC, run once at the end of session 33); test30 and headline30 the
thirtieth (written at the start of session 33, 05:02-05:09 UTC, run once at the end of session 34); test31
and headline31 the thirty-first (written at the start of session 34, 07:20-07:31 UTC, run once at the end of
session 35); test32 and headline32 the thirty-second (written at the start of session 35, 10:31-10:38 UTC,
run once at the end of session 36); test33 and headline33 the thirty-third (written at the start of
session 36, 13:33-13:37 UTC, run once at the end of session 37); test34 and headline34 the thirty-fourth
(written at the start of session 37, 16:23-16:30 UTC, run once at the end of session 38); test35 and headline35
the thirty-fifth (written at the start of session 38, 19:12-19:20 UTC, run once at the end of session 39); test36
and headline36 the thirty-sixth (written at the start of session 39, 22:11-22:19 UTC, run once in session 40); test37
and headline37 the thirty-seventh (written at the start of session 40, 01:04-01:11 UTC, run once at the end of session 41); test38
and headline38 the thirty-eighth (written at the start of session 41, 04:08-04:16 UTC, run once in session 42); test39
and headline39 the thirty-ninth (written at the start of session 42, 06:56-07:04 UTC, run once at the end of session 43); test40
and headline40 the fortieth (written at the start of session 43, 09:13-09:20 UTC, run once at the end of session 44); test41
and headline41 the forty-first (written at the start of session 44, 12:08-12:17 UTC, run once at the end of session 45); test42
and headline42 the forty-second (written at the start of session 45, 15:16-15:23 UTC, run once at the end of session 46); test43
and headline43 the forty-third (written at the start of session 46, 17:36-17:44 UTC, run once at the end of session 47); test44
and headline44 the forty-fourth (written at the start of session 47, 20:31-20:39 UTC, run once at the end of session 48)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from library import DEFAULT_ROOT, library_settings  # noqa: E402

from assistant.config import BACKENDS, PROJECT_ROOT  # noqa: E402

# The sealed splits run once and spent (test, test2, ...) and their headline phrasings; raise it when
# the next one is run.
LAST_SPENT = 44
TESTS = ("test", *(f"test{n}" for n in range(2, LAST_SPENT + 1)))
HEADLINES = ("headline", *(f"headline{n}" for n in range(2, LAST_SPENT + 1)))
SPLITS = ("train", "dev", *(split for pair in zip(TESTS, HEADLINES) for split in pair))
KINDS = ("fact", "number", "list", "definition", "follow-up", "cross-document", "unanswerable")


def split_path(split: str) -> Path:
    name = f"{split}.jsonl" if split.startswith("headline") else f"library_{split}.jsonl"
    return PROJECT_ROOT / "tests" / "questions" / name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--split", choices=SPLITS)
    which.add_argument("--questions", type=Path, help="another question file, asked of the library index")
    parser.add_argument("--kind", action="append", choices=KINDS, dest="kinds", help="only this kind (repeatable)")
    parser.add_argument("--backend", choices=BACKENDS)
    parser.add_argument("--json", type=Path, help="write the report here")
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="the library's folder (corpus and index)")
    args = parser.parse_args()

    from assistant.pipeline import Assistant
    from assistant.evaluation import evaluate_file, format_table

    settings = library_settings(args.root)
    started = time.perf_counter()
    path = args.questions or split_path(args.split)
    report = evaluate_file(Assistant(settings), path, backend=args.backend,
                           kinds=args.kinds or (), oracle=True)
    print(format_table(report))
    name = f"the {args.split} split" if args.split else str(path)
    print(f"\n{len(report.results)} questions of {name} in {time.perf_counter() - started:.0f} s",
          file=sys.stderr)
    if args.json:
        date = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        args.json.write_text(json.dumps({"split": args.split or str(path), "date": date, **report.to_dict()}, indent=1) + "\n")


if __name__ == "__main__":
    main()
