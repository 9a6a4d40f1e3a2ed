"""The web app's memory while it ingests uploads (issue 13: 1.49 GB after two PDF uploads).

Starts ``python app.py`` on a free loopback port with an empty corpus and index (the e2e tests'
helper), then uploads each PDF of ``--papers`` (default /work/shared/papers) in turn through the
app's API (gradio_client, ``/add_documents``, one file per call, as a user drops them) and
reports, after the start, after each upload and at the end (after one question):

* ``rss_mb``: resident memory of the app's process tree (the app and any children), VmRSS summed;
* ``peak_mb``: the app process's peak resident memory so far (VmHWM);
* ``torch``: whether torch's library is mapped into the app (``libtorch_cpu`` in /proc/PID/maps),
  i.e. whether ingestion loaded the model's torch copy.

The encoder's ONNX export is made first, as ``make run``'s indexing step makes it (once per
machine): the figures are those of an app on a machine that has run the assistant before.
The target is rss_mb <= 600 at the end. The load average is printed too: the machine is shared.

    PYTHONPATH=$PWD .venv/bin/python bench/memory.py [--papers DIR] [--embed-batch N] [--json]

Results: docs/BENCHMARKS.md, "Memory while ingesting uploads".
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.e2e.conftest import app_environment, start_server  # noqa: E402

PAPERS = Path("/work/shared/papers")
QUESTION = "What problem do deep residual networks address?"
TARGET_MB = 600


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (Linux /proc)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                todo.extend(int(c) for c in (task / "children").read_text().split())
            except OSError:
                pass
    return found


def status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def measure(pid: int, stage: str) -> dict:
    tree = process_tree(pid)
    rss = 0
    for member in tree:
        try:
            rss += status_kb(member, "VmRSS")
        except OSError:  # a child that just exited
            pass
    maps = Path(f"/proc/{pid}/maps").read_text()
    return {
        "stage": stage,
        "rss_mb": round(rss / 1024),
        "peak_mb": round(status_kb(pid, "VmHWM") / 1024),
        "processes": len(tree),
        "torch": "libtorch_cpu" in maps,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--papers", type=Path, default=PAPERS, help="folder whose PDFs are uploaded, one at a time")
    parser.add_argument("--embed-batch", type=int, help="the app's ASSISTANT_EMBED_BATCH (default: its own, 64)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    pdfs = sorted(args.papers.glob("*.pdf"))
    if not pdfs:
        parser.error(f"no PDF in {args.papers}")

    from gradio_client import Client, handle_file

    load_before = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as name:
        root = Path(name)
        extra = {"ASSISTANT_EMBED_BATCH": str(args.embed_batch)} if args.embed_batch else {}
        env = app_environment(root, ASSISTANT_MAX_UPLOAD_MB="50", **extra)
        server = start_server(root, "bench-memory", env=env, corpus=False)
        try:
            pid = server.process.pid
            rows.append(measure(pid, "started") | {"seconds": round(time.monotonic() - server.launched, 1)})
            client = Client(server.url, verbose=False, analytics_enabled=False)
            for pdf in pdfs:
                started = time.monotonic()
                report = client.predict([handle_file(pdf)], api_name="/add_documents")
                if report.get("added") != [pdf.name]:
                    raise RuntimeError(f"{pdf.name} was not added: {report}")
                rows.append(measure(pid, f"+ {pdf.name}") | {"seconds": round(time.monotonic() - started, 1)})
                print(rows[-1], file=sys.stderr, flush=True)
            started = time.monotonic()
            answer = client.predict(QUESTION, api_name="/ask")
            if answer.get("refused"):
                raise RuntimeError(f"the question after the uploads was refused: {answer}")
            rows.append(measure(pid, "end (after a question)") | {"seconds": round(time.monotonic() - started, 1)})
        finally:
            server.stop()
    load_after = os.getloadavg()

    results = {
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in load_after],
        "target_mb": TARGET_MB,
        "within_target": rows[-1]["rss_mb"] <= TARGET_MB,
        "stages": rows,
    }
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} (shared machine)")
    print(f"{'stage':48} {'RSS MB':>7} {'peak MB':>8} {'torch':>6} {'seconds':>8}")
    for row in rows:
        print(f"{row['stage']:48} {row['rss_mb']:7d} {row['peak_mb']:8d} {'yes' if row['torch'] else 'no':>6} {row['seconds']:8.1f}")
    verdict = "within" if results["within_target"] else "OVER"
    print(f"end RSS {rows[-1]['rss_mb']} MB: {verdict} the {TARGET_MB} MB target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
