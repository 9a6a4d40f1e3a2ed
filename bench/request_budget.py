"""Hostile /ask requests against the running app (issue 16): how fast they are refused, how much
they slow a normal question, and what they do to the app's memory.

Starts `python app.py` on a free loopback port with a copy of the seed corpus (the e2e tests'
helper), then measures with gradio_client:

1. a normal question's latency (median of ``--normal`` asks), the baseline;
2. the latency of one 3 MB history item and of 2,000 history turns, each refused;
3. the normal question again while ``--hostile`` threads send those requests back to back;
4. the app's RSS at ready, its peak (VmHWM) and its RSS at the end.

    PYTHONPATH=$PWD .venv/bin/python bench/request_budget.py [--hostile 4] [--normal 7] [--seconds 40]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.e2e.conftest import start_server  # noqa: E402

NORMAL = "Who benefited from the ResNet research done at Microsoft Research Asia?"
HUGE_ITEM = [["he did research on networks " * 112_000, ""]]  # 3 MB
MANY_TURNS = [["What did he do?", "He did X."]] * 2000


def memory_kb(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0])
    return fields


def timed(call) -> tuple[float, str]:
    started = time.perf_counter()
    try:
        call()
        outcome = "answered"
    except Exception as exc:  # the refusal is the expected outcome for hostile requests
        outcome = str(exc).splitlines()[0][:120]
    return time.perf_counter() - started, outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hostile", type=int, default=4, help="threads sending hostile requests at once")
    parser.add_argument("--normal", type=int, default=7, help="normal questions timed per phase")
    args = parser.parse_args()

    from gradio_client import Client

    with tempfile.TemporaryDirectory(prefix="request-budget-") as tmp:
        server = start_server(Path(tmp), "request-budget")
        try:
            pid = server.process.pid
            client = Client(server.url, verbose=False, analytics_enabled=False)
            client.predict(NORMAL, api_name="/ask")  # warm
            at_ready = memory_kb(pid)
            baseline = [timed(lambda: client.predict(NORMAL, api_name="/ask"))[0] for _ in range(args.normal)]
            alone = {
                "3 MB history item": timed(lambda: client.predict(NORMAL, history=HUGE_ITEM, api_name="/ask")),
                "2,000 turns": timed(lambda: client.predict(NORMAL, history=MANY_TURNS, api_name="/ask")),
            }
            stop = threading.Event()
            hostile_times: list[float] = []

            def attack(n: int) -> None:
                own = Client(server.url, verbose=False, analytics_enabled=False)
                history = HUGE_ITEM if n % 2 == 0 else MANY_TURNS
                while not stop.is_set():
                    hostile_times.append(timed(lambda: own.predict(NORMAL, history=history, api_name="/ask"))[0])

            attackers = [threading.Thread(target=attack, args=(n,), daemon=True) for n in range(args.hostile)]
            for thread in attackers:
                thread.start()
            time.sleep(2.0)  # every attacker connected and sending
            under_attack = [timed(lambda: client.predict(NORMAL, api_name="/ask"))[0] for _ in range(args.normal)]
            stop.set()
            for thread in attackers:
                thread.join(timeout=120)
            at_end = memory_kb(pid)
        finally:
            server.stop()

    result = {
        "normal_question_s": {"median": round(statistics.median(baseline), 3), "max": round(max(baseline), 3)},
        "hostile_alone": {name: {"s": round(s, 3), "outcome": outcome} for name, (s, outcome) in alone.items()},
        "hostile_in_parallel": {
            "threads": args.hostile, "requests": len(hostile_times),
            "median_s": round(statistics.median(hostile_times), 3) if hostile_times else None,
            "max_s": round(max(hostile_times), 3) if hostile_times else None,
        },
        "normal_question_under_attack_s": {"median": round(statistics.median(under_attack), 3), "max": round(max(under_attack), 3)},
        "slowdown_median": round(statistics.median(under_attack) / statistics.median(baseline), 2),
        "rss_mb": {
            "ready": round(at_ready["VmRSS"] / 1024), "end": round(at_end["VmRSS"] / 1024),
            "peak": round(at_end["VmHWM"] / 1024), "peak_over_ready": round((at_end["VmHWM"] - at_ready["VmRSS"]) / 1024),
        },
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
