"""The chat's turns, apart from Gradio: asking, retrying, stopping, and the copy of the
conversation kept in the browser.

An answer runs in a worker thread that hands its events to the page's handler through a queue,
so the page hears what is happening while the answer is made ("Searching your documents…", then
"Choosing sentences…" once the stream's ``Stage("retrieved")`` says the passages are found, then
the generated text as it comes) and Stop ends the turn at once: the
handler stops waiting, and the worker closes the answer's stream at its next token (a generative
backend's request is closed with it).

A turn is ``{"question": str, "answer": str | None, "html": str}``; only turns with an answer
are history for the next question (an error, a refusal of the input or a stopped answer is not).
"""

from __future__ import annotations

import logging
import queue
import secrets
import threading
from collections.abc import Callable, Iterator
from typing import Any

from ..config import Settings
from ..errors import AssistantError, UsageError
from ..limits import checked_question
from ..types import Stage
from .render import render_answer, render_error, render_pending, render_stopped

log = logging.getLogger("assistant.web")

SEARCHING = "Searching your documents…"
CHOOSING = "Choosing sentences…"  # the extractive backend, once the passages are found
WRITING = "Reading the passages and writing the answer…"  # a generative backend, until its first token
POLL_S = 0.2  # how often a waiting handler checks for Stop


class AnswerRun:
    """``start()`` (``Assistant.stream``) iterated in a daemon thread; ``events`` gets
    ("event", Stage | str | Answer)..., ("error", exception), then ("end", None)."""

    def __init__(self, start: Callable[[], Iterator[Any]]) -> None:
        self.events: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        threading.Thread(target=self._work, args=(start,), name="assistant-answer", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def _work(self, start: Callable[[], Iterator[Any]]) -> None:
        try:
            stream = start()
            try:
                for event in stream:
                    if self._stop.is_set():
                        break
                    self.events.put(("event", event))
            finally:
                stream.close()
        except Exception as exc:  # handed to the page's handler, which says it in the chat
            self.events.put(("error", exc))
        finally:
            self.events.put(("end", None))


class Chat:
    """The chat handlers' logic for every session: ``ask`` and ``retry`` yield the turns as they
    change; ``stop`` ends the session's answer in progress."""

    def __init__(self, service, settings: Settings) -> None:
        self.service = service
        self.settings = settings
        self._runs: dict[str, AnswerRun] = {}  # session -> its answer in progress
        self._runs_lock = threading.Lock()

    def ask(self, message: str, turns: list[dict], session: str, **options: Any) -> Iterator[tuple[list[dict], str]]:
        """(turns, what the question box holds) after each change: the box is emptied once the
        question is taken, and keeps a question that is refused (over the limit) to be shortened."""
        turns = list(turns or [])[-self.settings.max_history_turns:]  # the history a request may carry
        question = (message or "").strip()
        try:  # said in the chat, never dropped or cut silently: an empty question, one over the limit
            checked_question(message, self.settings)
        except UsageError as exc:
            turns.append({"question": question, "answer": None, "html": render_error(str(exc))})
            yield turns, message
            return
        for changed in self._answer(question, turns, session, **options):
            yield changed, ""

    def retry(self, turns: list[dict], session: str, **options: Any) -> Iterator[list[dict]]:
        """The last question asked again, its earlier answer replaced; nothing when none was asked."""
        turns = list(turns or [])
        asked = [i for i, turn in enumerate(turns) if turn.get("question")]
        if not asked:
            yield turns
            return
        last = asked[-1]
        yield from self._answer(turns[last]["question"], turns[:last], session, **options)

    def stop(self, session: str) -> bool:
        """Stop the session's answer in progress; False when none is."""
        with self._runs_lock:
            run = self._runs.get(session)
        if run is not None:
            run.stop()
        return run is not None

    def _answer(
        self, question: str, turns: list[dict], session: str, *, backend: str, k: int, sources: list[str] | None
    ) -> Iterator[list[dict]]:
        service = self.service
        history = [(t["question"], t["answer"]) for t in turns if t.get("answer") is not None]
        turn = {"question": question, "answer": None, "html": render_pending(status=SEARCHING)}
        turns.append(turn)
        yield turns
        if not service.ready.is_set():
            with service.waiting():
                while not service.ready.wait(0.5):
                    turn["html"] = render_pending(status=f"Waiting for start-up to finish: {service.status().message}")
                    yield turns
        run = AnswerRun(lambda: service.stream(question, history=history, backend=backend, k=k, sources=sources))
        with self._runs_lock:
            self._runs[session] = run
        text, held = "", ""  # held: the latest piece of text, shown once another follows it
        try:
            while not run.stopped:
                try:
                    kind, value = run.events.get(timeout=POLL_S)
                except queue.Empty:
                    continue
                if kind == "end":
                    break
                if kind == "error":
                    raise value
                if isinstance(value, Stage):
                    if value.name == "retrieved":  # the passages are found: the answer is being made
                        turn["html"] = render_pending(status=CHOOSING if backend == "extractive" else WRITING)
                elif isinstance(value, str):
                    # one piece behind: the last piece before the answer may be the whole extractive
                    # answer that replaces a generated one the verifier refused, not more of it
                    text, held = text + held, value
                    if not text:
                        continue
                    turn["html"] = render_pending(text)
                else:
                    turn["answer"] = value.answer
                    turn["html"] = render_answer(value, key=secrets.token_hex(4))
                    break
                yield turns
            if turn["answer"] is None:
                turn["html"] = render_stopped(text + held) if run.stopped else render_error("the answer was interrupted")
        except AssistantError as exc:
            turn["html"] = render_error(str(exc))
        except Exception as exc:  # a bug must not show a traceback to the user
            log.exception("answering %r failed", question)
            turn["html"] = render_error(f"an unexpected error occurred ({type(exc).__name__}); the details are in the server log")
        finally:
            run.stop()  # also when the page went away mid-answer (Gradio closes this generator)
            with self._runs_lock:
                if self._runs.get(session) is run:
                    del self._runs[session]
        yield turns


# -- The copy kept in the browser ---------------------------------------------------------------


def saved(turns: list[dict], user: str | None, settings: Settings) -> dict:
    """What the browser keeps (encrypted by Gradio's BrowserState): the turns and whose they are."""
    return {"user": user or "", "turns": list(turns or [])[-settings.max_history_turns:]}


def restored(kept: Any, user: str | None, settings: Settings) -> list[dict]:
    """The turns the browser kept, when they are this user's (a browser shared by two signed-in
    users gives neither the other's conversation); [] otherwise or when malformed."""
    if not isinstance(kept, dict) or kept.get("user") != (user or "") or not isinstance(kept.get("turns"), list):
        return []
    turns = [
        {"question": t["question"], "answer": t.get("answer"), "html": t["html"]}
        for t in kept["turns"]
        if isinstance(t, dict) and isinstance(t.get("question"), str) and isinstance(t.get("html"), str)
        and isinstance(t.get("answer"), (str, type(None)))
    ]
    return turns[-settings.max_history_turns:]


def messages(turns: list[dict]) -> list[dict]:
    """The Chatbot's messages for the turns."""
    shown: list[dict] = []
    for turn in turns:
        if turn["question"]:  # an empty question has only the message saying so
            shown.append({"role": "user", "content": turn["question"]})
        shown.append({"role": "assistant", "content": turn["html"]})
    return shown
