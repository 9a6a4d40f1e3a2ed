"""The suite's network guard (tests/netguard/): a run in which anything connects beyond loopback
fails, whether pytest's own process or a process a test starts made the attempt, and even when
the code that tried swallowed the error (as telemetry does)."""

from __future__ import annotations

import errno
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT

from .conftest import NAMESPACE_PROBLEM

OUTSIDE = "192.0.2.1"  # TEST-NET-1: never routed, so nothing is ever sent anywhere

PHONES_HOME = textwrap.dedent(f"""
    import socket, subprocess, sys

    import pytest

    CONNECT = '''
    import socket
    s = socket.socket()
    s.settimeout(2)
    try:
        s.connect(("{OUTSIDE}", {{port}}))
    except OSError:
        pass  # swallowed, as telemetry does
    '''


    @pytest.fixture(scope="session")
    def phoned_at_start():
        exec(CONNECT.format(port=7))  # in pytest's process, before any test-scoped fixture


    def test_a_session_fixture_connects(phoned_at_start):
        pass


    def test_a_subprocess_connects():
        assert subprocess.run([sys.executable, "-c", CONNECT.format(port=9)], timeout=60).returncode == 0


    def test_a_clean_test():
        pass
""")


def test_an_outbound_connection_anywhere_in_the_run_fails_it(tmp_path: Path):
    (tmp_path / "test_phones_home.py").write_text(PHONES_HOME)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "tests.conftest", "-q",
         "-c", str(tmp_path / "pytest.ini"), "--rootdir", str(tmp_path), str(tmp_path / "test_phones_home.py")],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "3 passed, 2 errors" in out, out  # the guard fails a test in its teardown: an "error"
    failed = re.findall(r"^ERROR .*::(\w+)", out, re.MULTILINE)
    assert failed == ["test_a_session_fixture_connects", "test_a_subprocess_connects"], out
    assert f"('{OUTSIDE}', 7)" in out and f"('{OUTSIDE}', 9)" in out, out


@pytest.mark.skipif(NAMESPACE_PROBLEM[0] is not None, reason=f"no network namespace: {NAMESPACE_PROBLEM[0]}")
def test_a_process_that_bypasses_the_guard_still_has_only_loopback():
    """A process without the Python guard (``-I -S``: no PYTHONPATH, no sitecustomize), standing
    for Chromium or the Rust Chroma server, sees only ``lo`` and cannot route anywhere else."""
    code = textwrap.dedent(f"""
        import errno, json, socket
        s = socket.socket()
        s.settimeout(5)
        try:
            s.connect(("{OUTSIDE}", 9))
            result = "connected"
        except OSError as exc:
            result = exc.errno
        print(json.dumps([[name for _, name in socket.if_nameindex()], result]))
    """)
    done = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    interfaces, result = json.loads(done.stdout)
    assert interfaces == ["lo"]
    assert result == errno.ENETUNREACH, os.strerror(result) if isinstance(result, int) else result
