"""Hostile /ask requests against the running app (issue 16): how fast they are refused, how much
they slow a normal question, and what they do to the app's memory.

Starts `python app.py` on a free loopback port with a copy of the seed corpus (the e2e tests'
helper), then measures with gradio_client:

1. a normal question's latency (median of ``--normal`` asks), the baseline;
2. the latency of one 3 MB history item and of 2,000 history turns, each refused;
3. the normal question again while ``--hostile`` client processes send those requests back to
   back (pre-encoded, through Gradio's HTTP API), and the app's CPU time meanwhile;
4. the app's RSS at ready, its peak (VmHWM) and its RSS at the end.

The hostile clients run on the same 2 cores as the app, at nice 19: their own HTTP and JSON work
(sending 3 MB requests back to back) still competes with the app, so the slowdown measured here
is an upper bound of what remote clients would cause; the app's CPU time per hostile request is
the cost that would remain.

    PYTHONPATH=$PWD .venv/bin/python bench/request_budget.py [--hostile 4] [--normal 7]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
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


def cpu_s(pid: int) -> float:
    """User + system CPU seconds the process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(call) -> tuple[float, str]:
    started = time.perf_counter()
    try:
        call()
        outcome = "answered"
    except Exception as exc:  # the refusal is the expected outcome for hostile requests
        outcome = " ".join(str(exc).split())[:200]
    return time.perf_counter() - started, outcome


def attack(url: str, body: bytes, stop, sent) -> None:
    """One hostile client (its own process: its JSON work does not share the timing client's
    GIL): the same pre-encoded request, back to back, through Gradio's HTTP API."""
    import httpx

    os.nice(19)  # remote attackers' own work would not run on the app's cores; here it yields to the app
    with httpx.Client(base_url=url, timeout=600) as http:
        while not stop.is_set():
            posted = http.post("/gradio_api/call/ask", content=body, headers={"content-type": "application/json"})
            event = posted.json()["event_id"]
            with http.stream("GET", f"/gradio_api/call/ask/{event}") as stream:
                for _ in stream.iter_lines():
                    pass
            with sent.get_lock():
                sent.value += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hostile", type=int, default=4, help="hostile client processes sending at once")
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
            bodies = [json.dumps({"data": [NORMAL, 0, "", None, history]}).encode() for history in (HUGE_ITEM, MANY_TURNS)]
            stop, sent = multiprocessing.Event(), multiprocessing.Value("i", 0)
            attackers = [
                multiprocessing.Process(target=attack, args=(server.url, bodies[n % 2], stop, sent), daemon=True)
                for n in range(args.hostile)
            ]
            for process in attackers:
                process.start()
            time.sleep(3.0)  # every attacker connected and sending
            cpu_before, sent_before = cpu_s(pid), sent.value
            under_attack = [timed(lambda: client.predict(NORMAL, api_name="/ask"))[0] for _ in range(args.normal)]
            cpu_used, hostile_sent = cpu_s(pid) - cpu_before, sent.value - sent_before
            stop.set()
            for process in attackers:
                process.join(timeout=120)
            at_end = memory_kb(pid)
        finally:
            server.stop()

    result = {
        "normal_question_s": {"median": round(statistics.median(baseline), 3), "max": round(max(baseline), 3)},
        "hostile_alone": {name: {"s": round(s, 3), "outcome": outcome} for name, (s, outcome) in alone.items()},
        "hostile_in_parallel": {
            "processes": args.hostile, "requests_while_timing": hostile_sent,
            "app_cpu_s_while_timing": round(cpu_used, 2),
        },
        "normal_question_under_attack_s": {"median": round(statistics.median(under_attack), 3), "max": round(max(under_attack), 3)},
        "slowdown_median": round(statistics.median(under_attack) / statistics.median(baseline), 2),
        "rss_mb": {
            "ready": round(at_ready["VmRSS"] / 1024), "end": round(at_end["VmRSS"] / 1024),
            "peak": round(at_end["VmHWM"] / 1024), "peak_over_ready": round((at_end["VmHWM"] - at_ready["VmRSS"]) / 1024),
        },
        "load_average": os.getloadavg()[0],
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
