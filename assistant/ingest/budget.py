"""What bounds one write: the time each document may hold the writer, and the user's cancel.

``WriteBudget`` checks both while a document is read (on the read-ahead thread, which it
interrupts) and before each encoder batch; ``Stopped`` ends the whole write with the message each
unwritten file is told."""

from __future__ import annotations

import ctypes
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, wait
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager

from ..errors import IngestError


class Interrupted(Exception):
    """Raised inside the read-ahead thread to stop reading a document (cancel, or over its time)."""


class Stopped(Exception):
    """The whole write stops (cancelled, disk full); ``message`` is what each unwritten file is told."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class WriteBudget:
    """What bounds one write: the time each document may hold the writer (from the moment its
    reading starts to its commit), and the user's cancel. Both are checked while a document is
    read (every POLL_S; its reading is then interrupted) and before each encoder batch."""

    POLL_S = 0.1
    INTERRUPT_WAIT_S = 10.0  # for the read thread to stop, after which the write goes on without it

    def __init__(self, seconds: float, cancel: threading.Event | None) -> None:
        self.seconds = seconds
        self.cancel = cancel
        self.started: dict[str, float] = {}
        self._reading: dict[int, str] = {}  # read thread -> the document it reads
        self._lock = threading.Lock()

    @contextmanager
    def reading(self, source: str) -> Iterator[None]:
        with self._lock:
            self.started[source] = time.monotonic()
            self._reading[threading.get_ident()] = source
        try:
            yield
        finally:
            with self._lock:
                self._reading.pop(threading.get_ident(), None)

    def cancelled(self) -> bool:
        return self.cancel is not None and self.cancel.is_set()

    def check_cancel(self) -> None:
        if self.cancelled():
            raise Stopped("not written: the write was cancelled before this document was committed; add it again")

    def expired(self, source: str) -> bool:
        started = self.started.get(source)
        return bool(self.seconds) and started is not None and time.monotonic() - started > self.seconds

    def too_slow(self, source: str) -> IngestError:
        return IngestError(
            source, f"not indexed: it held the index for over {self.seconds:g} s (reading and embedding), the most "
            "one document may (ASSISTANT_MAX_DOCUMENT_SECONDS); split it into smaller files or raise the limit",
        )

    def result(self, source: str, future: Future):
        """The read's result, waiting no longer than the document's budget or a cancel."""
        self.check_cancel()
        while True:
            try:
                return future.result(timeout=self.POLL_S)
            except FutureTimeout:
                pass
            cancelled = self.cancelled()
            if cancelled or self.expired(source):
                self._interrupt(source)
                wait([future], timeout=self.INTERRUPT_WAIT_S)
                self.check_cancel()
                raise self.too_slow(source)

    def _interrupt(self, source: str) -> None:
        """Raise ``Interrupted`` in the thread reading ``source`` (pypdf and the splitter are
        Python: it lands within a few bytecodes), only while that thread is still inside its read."""
        with self._lock:
            for ident, reading in self._reading.items():
                if reading == source:
                    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(Interrupted))
