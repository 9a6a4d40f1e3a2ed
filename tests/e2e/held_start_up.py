"""``app.py`` whose start-up begins only once N requests are waiting for it.

    python tests/e2e/held_start_up.py N [app.py's arguments]

For the test of questions asked during start-up: with start-up held until the test's questions
wait for it (``Service.waiting``, which a question that finds the service not ready enters), they
are certain to arrive during start-up, however fast or loaded the machine is, instead of racing
it. Nothing else changes: the server listens, and start-up then runs, exactly as ``app.py``'s.
If fewer than N ever wait, start-up goes on after HOLD_LIMIT_S and says so (the test then fails on
that line, not on a timeout).
"""

from __future__ import annotations

import runpy
import sys
import time
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app.py"
sys.path.insert(0, str(APP.parent))  # the checkout's package, as app.py run as a script imports it
from assistant.web.service import Service  # noqa: E402

HOLD_LIMIT_S = 120.0  # far beyond the seconds the test's questions take to arrive

WANTED = int(sys.argv.pop(1))
_start_up = Service._start_up


def _held_start_up(service: Service) -> None:
    deadline = time.monotonic() + HOLD_LIMIT_S
    while service._waiting < WANTED and time.monotonic() < deadline:
        time.sleep(0.05)
    print(f"held start-up: begins with {service._waiting} of {WANTED} questions waiting", flush=True)
    _start_up(service)


Service._start_up = _held_start_up
sys.argv[0] = str(APP)
runpy.run_path(str(APP), run_name="__main__")
