"""Web app start-up: from launching ``python app.py`` on a built index to the first answer over HTTP.

    .venv/bin/python bench/startup.py [--runs 3] [--app PATH/app.py ...] [--json]

Builds the seed corpus's index once (``assistant sync`` into a temporary folder), then, per run,
launches ``app.py`` as a subprocess on a free loopback port with a fresh copy of that corpus and
index and measures, from the launch:

* ``http``: the first HTTP 200 on ``/`` (the page a user opens);
* ``answer``: the first ``/ask`` answer (Gradio's HTTP API: POST ``/gradio_api/call/ask``, then
  its event stream), asked as soon as the page answers; it must hold citations;
* ``ready``: the app's own log line "ready in ... s" (index open, encoder loaded, checked, warm);
* ``peak_rss_mb``: the app process's peak resident memory (VmHWM) once it has answered.

As the in-run baseline each run also times the import floor of the chosen stack, a fresh
``python -c "import gradio, torch, sentence_transformers, chromadb, langchain_core"`` (what the
first answer needed before the encoder ran on ONNX Runtime; the app now skips torch and
sentence-transformers), and every time is also given as a ratio to it. Compare checkouts with
several ``--app``s for a before/after in the same run.
Medians of ``--runs``; the load average is printed before and after, since the machine is shared.
Results: docs/BENCHMARKS.md, "Startup".
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
FLOOR_IMPORTS = "import gradio, torch, sentence_transformers, chromadb, langchain_core"
QUESTION = "Who benefited from the ResNet research done at Microsoft Research Asia?"
TIMEOUT_S = 300.0


def environment(tmp: Path) -> dict[str, str]:
    """The app's environment: ours without ASSISTANT_*/GRADIO_* overrides, offline as config sets it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "GRADIO_"))}
    env.update(
        PYTHONUNBUFFERED="1",
        GRADIO_TEMP_DIR=str(tmp / "gradio-uploads"),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        HF_HUB_DISABLE_TELEMETRY="1",
        ANONYMIZED_TELEMETRY="False",
        GRADIO_ANALYTICS_ENABLED="False",
        TOKENIZERS_PARALLELISM="false",
    )
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def build_index(tmp: Path) -> Path:
    """The seed corpus and its index, built once with the CLI; returns the folder holding both."""
    built = tmp / "built"
    shutil.copytree(ROOT / "corpus", built / "corpus", copy_function=shutil.copyfile)
    subprocess.run(
        [PYTHON, "-m", "assistant.cli", "--corpus", str(built / "corpus"), "--index", str(built / "index"),
         "--quiet", "sync"],
        cwd=ROOT, env=environment(tmp), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    return built


def import_floor(tmp: Path) -> float:
    started = time.perf_counter()
    subprocess.run([PYTHON, "-c", FLOOR_IMPORTS], cwd=tmp, env=environment(tmp), check=True)
    return time.perf_counter() - started


def get(url: str, timeout: float = 5.0) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return 0


def ask(base: str, question: str) -> dict:
    """One ``/ask`` call through Gradio's HTTP API; the answer object (raises on an error event)."""
    payload = json.dumps({"data": [question, 0, "", [], []]}).encode()
    request = urllib.request.Request(
        f"{base}/gradio_api/call/ask", data=payload, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
        event_id = json.loads(response.read())["event_id"]
    event = None
    with urllib.request.urlopen(f"{base}/gradio_api/call/ask/{event_id}", timeout=TIMEOUT_S) as stream:
        for raw in stream:
            line = raw.decode().rstrip("\n")
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event in ("complete", "error"):
                data = line.split(":", 1)[1].strip()
                if event == "error":
                    raise RuntimeError(f"/ask failed: {data}")
                return json.loads(data)[0]
    raise RuntimeError("/ask: the event stream ended without an answer")


def one_run(app: Path, built: Path, tmp: Path, number: int) -> dict:
    root = tmp / f"run{number}"
    shutil.copytree(built, root, copy_function=shutil.copyfile)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = root / "app.log"
    command = [PYTHON, str(app), "--port", str(port), "--corpus", str(root / "corpus"), "--index", str(root / "index")]
    with log.open("w") as out:
        launched = time.perf_counter()
        process = subprocess.Popen(command, cwd=root, env=environment(root), stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = launched + TIMEOUT_S
        while get(f"{base}/", timeout=2.0) != 200:
            if process.poll() is not None:
                raise RuntimeError(f"the app exited ({process.returncode}):\n{log.read_text()}")
            if time.perf_counter() > deadline:
                raise RuntimeError(f"no HTTP 200 within {TIMEOUT_S:.0f} s:\n{log.read_text()}")
            time.sleep(0.05)
        http = time.perf_counter() - launched
        answer = ask(base, QUESTION)
        answered = time.perf_counter() - launched
        if answer.get("refused") or not answer.get("citations"):
            raise RuntimeError(f"the first answer is not a cited answer: {answer}")
        ready = None
        for _ in range(50):  # the log line follows the warm-up, which the answer may have waited for
            found = re.search(r"ready in ([0-9.]+) s \(index open ([0-9.]+) s, encoder loaded ([0-9.]+) s", log.read_text())
            if found:
                ready = [float(x) for x in found.groups()]
                break
            time.sleep(0.1)
        peak_rss_mb = peak_rss(process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)
    return {"http": http, "answer": answered, "ready_log": ready, "peak_rss_mb": peak_rss_mb}


def peak_rss(pid: int) -> float:
    """Peak resident memory of a running process, in MB (Linux /proc)."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024


def summarise(runs: list[dict]) -> dict:
    def median(key: str) -> float:
        return round(statistics.median(r[key] for r in runs), 2)

    return {
        "floor_s": median("floor"),
        "http_s": median("http"),
        "answer_s": median("answer"),
        "peak_rss_mb": median("peak_rss_mb"),
        "http_ratio": round(statistics.median(r["http"] / r["floor"] for r in runs), 2),
        "answer_ratio": round(statistics.median(r["answer"] / r["floor"] for r in runs), 2),
        "per_run": [{k: (round(v, 2) if isinstance(v, float) else v) for k, v in r.items()} for r in runs],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--app", type=Path, action="append",
        help="the app.py to launch (default: this checkout's); repeat to compare checkouts, run by run in turn",
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    apps = [a.resolve() for a in (args.app or [ROOT / "app.py"])]

    load_before = os.getloadavg()
    runs: dict[Path, list[dict]] = {app: [] for app in apps}
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as name:
        tmp = Path(name)
        built = build_index(tmp)
        for number in range(args.runs):
            for i, app in enumerate(apps):
                floor = import_floor(tmp)
                result = one_run(app, built, tmp, number * len(apps) + i)
                result["floor"] = floor
                runs[app].append(result)
                print(
                    f"run {number + 1} {app}: floor {floor:.1f} s, HTTP 200 {result['http']:.1f} s, "
                    f"first answer {result['answer']:.1f} s, log {result['ready_log']}",
                    file=sys.stderr, flush=True,
                )
    load_after = os.getloadavg()

    results = {
        "runs": args.runs,
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in load_after],
        "apps": {str(app): summarise(runs[app]) for app in apps},
    }
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"load average before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}, "
          f"after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")
    for app, summary in results["apps"].items():
        print(f"{app}: median of {args.runs} runs   seconds   x import floor")
        print(f"  import floor                {summary['floor_s']:7.1f}   1.00")
        print(f"  first HTTP 200 on /         {summary['http_s']:7.1f}   {summary['http_ratio']:.2f}")
        print(f"  first /ask answer           {summary['answer_s']:7.1f}   {summary['answer_ratio']:.2f}")
        print(f"  peak RSS                    {summary['peak_rss_mb']:7.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
