"""The test suite's network guard, for pytest's own process and for every Python process it starts.

``install(log)`` wraps ``socket.connect``/``connect_ex``/``sendto``: a non-loopback destination is
refused (``ConnectionRefusedError``) and recorded, in this process's ``ATTEMPTS`` and as one line
in the shared ``log`` file, so the run fails even when the code that tried swallows the error
(telemetry does). pytest installs it at ``pytest_configure`` (before any fixture), and puts this
folder first on ``PYTHONPATH`` so that ``sitecustomize.py`` installs it in every Python
subprocess (the app, the CLI, ``llama_cpp.server``, helper scripts).

Stdlib only: it is imported before anything else in those processes.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import sys

LOG_VARIABLE = "TEST_NETWORK_GUARD_LOG"  # not ASSISTANT_*/GRADIO_*: the tests' env filters keep it
ATTEMPTS: list[object] = []
_installed = False


def is_loopback(address: object) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX paths
        return True
    host = str(address[0]) if isinstance(address, tuple) and address else ""
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _refuse(sock: socket.socket, address: object) -> bool:
    if sock.family not in (socket.AF_INET, socket.AF_INET6) or is_loopback(address):
        return False
    ATTEMPTS.append(address)
    log = os.environ.get(LOG_VARIABLE)
    if log:
        try:
            with open(log, "a", encoding="utf-8") as out:  # one short line: appends do not interleave
                out.write(f"pid {os.getpid()} ({' '.join(sys.argv)[:160]}): {address!r}\n")
        except OSError:
            pass
    return True


def install() -> None:
    """Guard this process (once; the log file is read from the environment at each attempt)."""
    global _installed
    if _installed:
        return
    _installed = True
    connect, connect_ex, sendto = socket.socket.connect, socket.socket.connect_ex, socket.socket.sendto

    def guarded_connect(self, address):
        if _refuse(self, address):
            raise ConnectionRefusedError(f"test network guard: connection to {address!r} refused")
        return connect(self, address)

    def guarded_connect_ex(self, address):
        if _refuse(self, address):
            return 111  # ECONNREFUSED
        return connect_ex(self, address)

    def guarded_sendto(self, data, *args):
        if _refuse(self, args[-1]):
            raise ConnectionRefusedError(f"test network guard: datagram to {args[-1]!r} refused")
        return sendto(self, data, *args)

    socket.socket.connect = guarded_connect
    socket.socket.connect_ex = guarded_connect_ex
    socket.socket.sendto = guarded_sendto


def logged(log: str | os.PathLike) -> list[str]:
    try:
        with open(log, encoding="utf-8") as lines:
            return lines.read().splitlines()
    except FileNotFoundError:
        return []


def isolate_network() -> str | None:
    """Move this process, and so every process it starts afterwards (Chromium, a Rust ``chroma
    run``, anything that bypasses Python's sockets), into a new network namespace whose only
    interface is loopback. Needs CAP_SYS_ADMIN (root in CI); returns why not, or None when done.
    Call it while the process has one thread: a namespace belongs to the calling thread."""
    if not sys.platform.startswith("linux"):
        return "not Linux"
    import ctypes
    import fcntl
    import struct

    clone_newnet, siocgifflags, siocsifflags, iff_up = 0x40000000, 0x8913, 0x8914, 0x1
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(clone_newnet) != 0:
        return os.strerror(ctypes.get_errno())
    ifreq = "16sh22x"  # struct ifreq: the interface name, then ifr_flags in the union
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as control:  # the new namespace's lo starts down
        flags = struct.unpack(ifreq, fcntl.ioctl(control, siocgifflags, struct.pack(ifreq, b"lo", 0)))[1]
        fcntl.ioctl(control, siocsifflags, struct.pack(ifreq, b"lo", flags | iff_up))
    return None
