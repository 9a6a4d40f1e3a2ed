"""Evaluate a change on "wide dev": dev plus every spent sealed split, with train and the headline
sets beside it, in one process on the library index (docs/EVALUATION.md, "chosen on a wider dev").

    .venv/bin/python bench/eval_wide.py --json after.json [--against before.json]

Asks every question of each set (follow-ups after their history) and prints one line per set:
correct / total, how many right answers open with a sentence holding a fact ("opens"), and with
``--against`` (an earlier run's ``--json``) the questions gained and lost against it, named by id,
and the right answers that gained or lost a fact in their opening sentence. The spent splits are used to choose between changes, never to fit
one; a sealed split joins this list only after its one run.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from eval_library import HEADLINES, TESTS, split_path  # noqa: E402
from library import DEFAULT_ROOT, library_settings  # noqa: E402

WIDE_DEV = ("dev", *TESTS)
BESIDE = ("train", "headline_dev", *HEADLINES)


OPENED = "opens_with_fact"  # the --json key listing, per set, the right answers opening with a fact


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", type=Path, required=True, help="write {set: {id: outcome}, 'opens_with_fact': {set: [id]}} here")
    parser.add_argument("--against", type=Path, help="an earlier run's --json, to list gains and losses")
    parser.add_argument("--sets", nargs="*", default=list(WIDE_DEV + BESIDE))
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT)
    args = parser.parse_args()

    from assistant.evaluation import evaluate_file
    from assistant.pipeline import Assistant

    assistant = Assistant(library_settings(args.root))
    before = json.loads(args.against.read_text()) if args.against else {}
    outcomes: dict[str, dict[str, str]] = {}
    wide = [0, 0, 0]  # right, questions, right answers opening with a fact
    opened: dict[str, list[str]] = {}  # the right answers whose first sentence holds a fact
    for name in args.sets:
        report = evaluate_file(assistant, split_path(name))
        outcomes[name] = {
            r["id"]: ("right" if r["score"]["correct"] else "refused" if r["score"]["refused"] else "wrong")
            for r in report.results
        }
        right = sum(o == "right" for o in outcomes[name].values())
        opened[name] = sorted(r["id"] for r in report.results if r["score"]["opens_with_fact"])
        line = f"{name:13} {right:4} / {len(outcomes[name]):4}  opens {len(opened[name]):4}"
        if name in before:
            gained = sorted(i for i, o in outcomes[name].items() if o == "right" and before[name].get(i) != "right")
            lost = sorted(i for i, o in outcomes[name].items() if o != "right" and before[name].get(i) == "right")
            line += f"   {len(gained) - len(lost):+d}  gained {' '.join(gained) or '-'}  lost {' '.join(lost) or '-'}"
            if name in before.get(OPENED, {}):
                was = set(before[OPENED][name])
                line += f"  opens +{len(set(opened[name]) - was)} -{len(was - set(opened[name]))}"
        print(line, flush=True)
        if name in WIDE_DEV:
            wide[0] += right
            wide[1] += len(outcomes[name])
            wide[2] += len(opened[name])
    print(f"{'wide dev':13} {wide[0]:4} / {wide[1]:4}  opens {wide[2]:4}")
    args.json.write_text(json.dumps({**outcomes, OPENED: opened}, indent=1) + "\n")


if __name__ == "__main__":
    main()
