"""The web app's service: the process's one ``Library`` and the ``Assistant`` answering from its
index, shared by every browser session and API call. It starts in a background thread once the
server listens (a question asked meanwhile waits for it) and reports its state for the banner.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import storage
from ..config import Settings
from ..errors import AssistantError, IndexBusy, IndexReadOnly
from ..ingest.loaders import is_supported

log = logging.getLogger("assistant.web")  # the web app's log (the tests read its "ready in")

READY_TIMEOUT_S = 900.0  # a first question waits this long for the start-up indexing at most


@dataclass(frozen=True)
class Status:
    level: str  # starting | working | ok | warning | error
    message: str  # Markdown-free plain text; commands in `backticks`


class Service:
    """Owns the process's one ``Library`` (uploads, removals) and the ``Assistant`` answering
    from its index; every web session and API call shares them."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.library = None
        self.assistant = None
        self.ready = threading.Event()
        self._status = Status("starting", "loading the index and the embedding model…")
        self._blocking: str | None = None  # set when the index cannot be used at all
        self._thread: threading.Thread | None = None
        self._waiting = 0  # requests waiting for start-up to finish
        self._waiting_lock = threading.Lock()
        self._cancel: threading.Event | None = None  # set to stop the write in progress
        self.started_at = time.perf_counter()

    # -- start-up ------------------------------------------------------------------------------
    def start(self, *, background: bool = True) -> "Service":
        if self._thread is None and not self.ready.is_set():
            if background:
                self._thread = threading.Thread(target=self._start_up, name="assistant-startup", daemon=True)
                self._thread.start()
            else:
                self._start_up()
        return self

    def _start_up(self) -> None:
        try:
            from ..ingest.library import Library
            from ..pipeline import Assistant

            library = self.library = Library(self.settings)
            self.assistant = Assistant(self.settings, index=library.index, encoder=library.encoder)
            steps = {"index": time.perf_counter() - self.started_at}
            library.encoder.model  # load the encoder once, now, not on the first question
            steps["model"] = time.perf_counter() - self.started_at
            library.check_model()
            try:  # the fast part of `check --repair`: finish writes (and uploads) a crash interrupted
                for note in library.repair():
                    log.warning("%s", note)
            except (IndexBusy, IndexReadOnly):
                pass  # another process is writing (it repairs first), or nobody can: check() below reports
            problems = library.check()
            if problems:
                self._status = Status(
                    "warning",
                    "The index needs repair (" + "; ".join(problems) + "). Stop the app and run "
                    "`assistant check --repair` (or `assistant reindex`), then start it again.",
                )
            elif not library.documents() and self._corpus_has_files():
                self._status = Status("working", f"indexing the documents in {self.settings.corpus} for the first time…")
                try:
                    with self._write() as cancel:
                        report = library.sync(progress=self._sync_progress, cancel=cancel)
                except (IndexBusy, IndexReadOnly) as exc:  # another process is writing: answer from what is there
                    report = None
                    self._status = Status("warning", f"{exc}. Restart the app once it is done to index corpus/.")
                if report is not None and report.failed:
                    failed = "; ".join(f"{e.file}: {e.reason}" for e in report.failed)
                    self._status = Status("warning", f"Some documents in the corpus could not be indexed: {failed}")
            if library.read_only and self._status.level in ("starting", "working"):
                self._status = Status("warning", f"{storage.read_only(self.settings.index)}.")
            steps["checks"] = time.perf_counter() - self.started_at
            warm = not self._waiting  # a question already waiting warms up the same (and would wait for this)
            if warm:
                self._warm_up()
            if self._status.level in ("starting", "working"):
                self._status = Status("ok", "")
            log.info(
                "ready in %.1f s (index open %.1f s, encoder loaded %.1f s, checked %.1f s, %s encoder, %s)",
                time.perf_counter() - self.started_at, steps["index"], steps["model"], steps["checks"],
                library.encoder.model.runtime, "warmed up" if warm else "no warm-up: a question was waiting",
            )
        except AssistantError as exc:
            self._blocking = str(exc)
            self._status = Status("error", _what_to_do(exc))
            log.warning("not ready: %s", exc)
        except Exception as exc:  # never let start-up die silently: say what happened
            log.exception("start-up failed")
            self._blocking = f"the assistant could not start ({type(exc).__name__}: {exc}); see the server log"
            self._status = Status("error", self._blocking)
        finally:
            self.ready.set()

    def _corpus_has_files(self) -> bool:
        corpus = Path(self.settings.corpus)
        return corpus.is_dir() and any(
            p.is_file() and is_supported(p) and not p.name.startswith(".")
            for p in corpus.rglob("*")
        )

    def _sync_progress(self, stage: str, done: int, total: int) -> None:
        self._status = Status("working", f"indexing the corpus for the first time: {stage} {done}/{total}…")

    def _warm_up(self) -> None:
        """One extractive answer, so the first real question pays no import, BM25 or first-inference cost."""
        if self.assistant is None or not self.library.documents():
            return
        try:
            self.assistant.ask("What is this document about?", backend="extractive")
        except AssistantError:
            pass

    def status(self) -> Status:
        return self._status

    @contextmanager
    def waiting(self) -> Iterator[None]:
        """Marks a request that waits for start-up: start-up then skips its warm-up answer (the
        waiting question warms the same caches and would otherwise wait for the warm-up too)."""
        with self._waiting_lock:
            self._waiting += 1
        try:
            yield
        finally:
            with self._waiting_lock:
                self._waiting -= 1

    def wait(self, timeout: float = READY_TIMEOUT_S, *, question: bool = False):
        """The Assistant, once start-up is done; raises the start-up problem if there was one."""
        if not self.ready.is_set():
            with self.waiting() if question else nullcontext():
                self.ready.wait(timeout)
        if not self.ready.is_set():
            raise AssistantError("the assistant is still starting up; try again in a moment")
        if self._blocking or self.assistant is None:
            raise AssistantError(self._blocking or "the assistant could not start; see the server log")
        return self.assistant

    def writer(self):
        """The ``Library``, once start-up is done (raises as ``wait`` does)."""
        self.wait()
        return self.library

    # -- answering -----------------------------------------------------------------------------
    def stream(self, question: str, **options: Any):
        """``Assistant.stream`` once the index is ready (options as its)."""
        return self.wait(question=True).stream(question, **options)

    def ask(self, question: str, **options: Any):
        from ..pipeline import final_answer

        return final_answer(self.stream(question, **options))

    # -- the library ---------------------------------------------------------------------------
    @contextmanager
    def _write(self) -> Iterator[threading.Event]:
        """A write the user can cancel (``cancel_write``); the app makes one at a time."""
        cancel = self._cancel = threading.Event()
        try:
            yield cancel
        finally:
            self._cancel = None

    def cancel_write(self) -> bool:
        """Stop the write in progress before its next document or batch; False if none runs."""
        cancel = self._cancel
        if cancel is not None:
            cancel.set()
        return cancel is not None

    def listing(self) -> dict:
        return self.writer().listing()

    def add(self, uploads: Sequence[str | Path], *, progress: Callable[[str, int, int], None] | None = None) -> dict:
        """``_add``, then Gradio's copies of the uploads are deleted, added or refused alike."""
        try:
            return self._add(uploads, progress=progress)
        finally:
            discard_uploads(uploads)

    def _add(self, uploads: Sequence[str | Path], *, progress: Callable[[str, int, int], None] | None = None) -> dict:
        """Uploaded files -> the corpus and the index; the ``assistant add --json`` report.

        The upload checks (arrived, size, type, one file per name) are made here; the rest is
        ``Library.add``: names sanitised (no folders, no traversal), and all or nothing per file
        (a file that fails never appears in the corpus folder, an updated one that fails keeps
        the indexed version), errors naming files as the user knows them.
        """
        from ..errors import IngestError
        from ..ingest.corpus import safe_name
        from ..ingest.loaders import unsupported_type
        from ..ingest.report import IngestReport

        library = self.writer()
        limit = int(self.settings.max_upload_mb * 2**20)
        report = IngestReport()
        accepted: dict[str, Path] = {}
        for upload in uploads:
            path = Path(upload)
            name = safe_name(path.name)  # Gradio keeps the original name as the cache file's name
            if not path.is_file():
                report.failed.append(IngestError(name, "the upload did not arrive; try again"))
            elif path.stat().st_size > limit:
                size = path.stat().st_size / 2**20
                report.failed.append(IngestError(
                    name, f"the file is {size:.1f} MiB, over the {self.settings.max_upload_mb:g} MiB upload limit (ASSISTANT_MAX_UPLOAD_MB)"
                ))
            elif (unsupported := unsupported_type(name, name)) is not None:
                report.failed.append(unsupported)
            elif name in accepted:
                report.failed.append(IngestError(name, "another file in this upload has the same name"))
            else:
                accepted[name] = path
        if not accepted:
            return report.to_dict()
        try:
            with self._write() as cancel:
                result = library.add(list(accepted.values()), progress=progress, cancel=cancel)
        except AssistantError as exc:
            result = IngestReport(failed=[IngestError(name, str(exc)) for name in accepted])
        except Exception as exc:
            log.exception("adding %s failed", list(accepted))
            result = IngestReport(failed=[IngestError(name, f"could not be added ({type(exc).__name__})") for name in accepted])
        return report.merge(result).to_dict()

    def remove(self, name: str) -> dict:
        from ..errors import IngestError
        from ..ingest.report import IngestReport

        name = (name or "").strip()
        if not name:
            return IngestReport(failed=[IngestError("(none)", "choose a document to remove")]).to_dict()
        return self.writer().remove([name]).to_dict()


def uploads_folder() -> Path:
    """Where Gradio keeps uploaded files (its cache): GRADIO_TEMP_DIR, or <tmp>/gradio."""
    return Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio").resolve()


def discard_uploads(uploads: Sequence[str | Path]) -> None:
    """Delete Gradio's copies of uploaded files once they are in the corpus or refused: Gradio
    keeps every upload otherwise (and serves it to signed-in users by its path, removed
    documents included). Only files inside Gradio's upload folder are touched."""
    folder = uploads_folder()
    for upload in uploads:
        path = Path(upload).resolve()
        if not path.is_relative_to(folder) or path == folder:
            continue
        try:
            path.unlink(missing_ok=True)
            if path.parent != folder:
                path.parent.rmdir()  # Gradio's per-upload folder, when it is empty now
        except OSError:
            pass


def _what_to_do(exc: AssistantError) -> str:
    from ..errors import IndexBusy, IndexCorrupt, ModelMismatch

    text = str(exc)
    if isinstance(exc, ModelMismatch):
        return f"The index cannot be used: {text}. Stop the app before you do, then start it again."
    if isinstance(exc, IndexCorrupt):
        return f"The index cannot be read: {text}."
    if isinstance(exc, IndexBusy):
        return f"{text[0].upper()}{text[1:]}."
    return f"The assistant could not start: {text}."
