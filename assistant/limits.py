"""The budget of one question: every argument checked, by type and size, before any work is done.

The CLI and the web/API layer both go through ``Assistant``, whose chain starts with
``checked_request``, so a malformed or oversized request (a 3 MB history item, 2,000 turns,
``k="abc"``, ``sources=[1, None]``, a lone surrogate) is refused in microseconds with a
``UsageError`` that says what to fix, instead of failing deep inside retrieval (or costing
seconds of encoding) with an error the user cannot act on. The limits are ``Settings`` fields
(assistant/config.py); docs/RELIABILITY.md lists them with what was measured.
"""

from __future__ import annotations

import math
from typing import Any

from .config import BACKENDS, Settings, is_backend, plugin_backends
from .errors import UsageError
from .types import Question

# A raw question longer than this many times the limit is refused before its whitespace is
# collapsed (collapsing is linear, but need not be paid on megabytes).
_RAW_SLACK = 4


def checked_text(value: object, what: str, *, limit: int, setting: str) -> str:
    """``value`` if it is text within ``limit`` characters that can be encoded as UTF-8."""
    if not isinstance(value, str):
        raise UsageError(f"{what} must be text, not {_kind(value)}")
    if len(value) > limit:
        raise UsageError(f"{what} is {len(value):,} characters long, over the limit of {limit:,} ({setting}); shorten it")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise UsageError(
            f"{what} holds an invalid character at position {exc.start} (U+{ord(value[exc.start]):04X}, "
            "half of a UTF-16 surrogate pair); remove it or send valid Unicode text"
        ) from None
    return value


def checked_question(question: object, settings: Settings, what: str = "the question") -> str:
    """The question with its whitespace collapsed: non-empty, within ``max_question_chars``."""
    if question is None:
        question = ""
    limit = settings.max_question_chars
    raw = checked_text(question, what, limit=_RAW_SLACK * limit, setting="ASSISTANT_MAX_QUESTION_CHARS")
    text = " ".join(raw.split())
    if not text:
        raise UsageError(f"{what} is empty: type a question about the documents")
    return checked_text(text, what, limit=limit, setting="ASSISTANT_MAX_QUESTION_CHARS")


def checked_k(k: object, settings: Settings) -> int:
    """Passages per answer: None or 0 means the default; else a whole number in 1..max_k."""
    if k is None or (isinstance(k, (int, float)) and not isinstance(k, bool) and k == 0):
        return settings.k
    whole = isinstance(k, int) and not isinstance(k, bool)
    if isinstance(k, float) and math.isfinite(k) and k.is_integer():
        k, whole = int(k), True
    if not whole or not 1 <= k <= settings.max_k:  # type: ignore[operator]
        raise UsageError(
            f"k (passages per answer) must be a whole number from 1 to {settings.max_k} (ASSISTANT_MAX_K), "
            f"or 0 for the default {settings.k}; got {_shown(k)}"
        )
    return int(k)  # type: ignore[arg-type]


def checked_sources(sources: object, settings: Settings) -> list[str] | None:
    """Document names to answer from (None: every document)."""
    if sources is None or sources == "":
        return None
    if isinstance(sources, str) or not isinstance(sources, (list, tuple)):
        raise UsageError(f"sources must be a list of document names (e.g. [\"paper.pdf\"]), not {_kind(sources)}")
    if len(sources) > settings.max_sources:
        raise UsageError(
            f"sources names {len(sources):,} documents, over the limit of {settings.max_sources:,} "
            "(ASSISTANT_MAX_SOURCES); leave it empty to use every document"
        )
    names = [
        checked_text(s, f"sources item {i + 1}", limit=settings.max_source_chars, setting="ASSISTANT_MAX_SOURCE_CHARS")
        for i, s in enumerate(sources)
    ]
    return [n for n in names if n.strip()] or None


def checked_history(history: object, settings: Settings) -> list[tuple[str, str]]:
    """(question, answer) pairs, oldest first, within the turn, item and total limits."""
    if history is None:
        return []
    if isinstance(history, str) or not isinstance(history, (list, tuple)):
        raise UsageError(f"history must be a list of [question, answer] pairs, oldest first, not {_kind(history)}")
    if len(history) > settings.max_history_turns:
        raise UsageError(
            f"the history has {len(history):,} turns, over the limit of {settings.max_history_turns} "
            f"(ASSISTANT_MAX_HISTORY_TURNS); send only the last {settings.max_history_turns}"
        )
    pairs: list[tuple[str, str]] = []
    total = 0
    for n, turn in enumerate(history, start=1):
        if isinstance(turn, str) or not isinstance(turn, (list, tuple)) or not 1 <= len(turn) <= 2:
            raise UsageError(f"history turn {n} must be a [question, answer] pair, not {_kind(turn)}")
        question = checked_text(
            turn[0], f"history turn {n}'s question", limit=settings.max_question_chars,
            setting="ASSISTANT_MAX_QUESTION_CHARS",
        )
        answer = turn[1] if len(turn) == 2 and turn[1] is not None else ""
        answer = checked_text(
            answer, f"history turn {n}'s answer", limit=settings.max_history_answer_chars,
            setting="ASSISTANT_MAX_HISTORY_ANSWER_CHARS",
        )
        total += len(question) + len(answer)
        if total > settings.max_history_chars:
            raise UsageError(
                f"the history holds over {settings.max_history_chars:,} characters by turn {n} "
                "(ASSISTANT_MAX_HISTORY_CHARS); send fewer or shorter turns"
            )
        pairs.append((question, answer))
    return pairs


def checked_backend(backend: object, settings: Settings) -> str:
    if backend is None or backend == "":
        return settings.backend
    if not isinstance(backend, str) or not is_backend(backend):
        raise UsageError(f"unknown backend {_shown(backend)}; choose one of {', '.join(BACKENDS + plugin_backends())}")
    return backend


def checked_request(request: dict[str, Any], settings: Settings) -> Question:
    """{question, history, k, sources, backend} as given -> the ``Question`` the pipeline answers,
    checked and normalised."""
    sources = checked_sources(request.get("sources"), settings)
    return Question(
        text=checked_question(request.get("question"), settings),
        history=tuple(checked_history(request.get("history"), settings)),
        k=checked_k(request.get("k"), settings),
        sources=None if sources is None else tuple(sources),
        backend=checked_backend(request.get("backend"), settings),
    )


def _kind(value: object) -> str:
    return "nothing (null)" if value is None else f"{type(value).__name__} {_shown(value)}"


def _shown(value: object, limit: int = 40) -> str:
    """A short, printable rendering of a bad value for a message."""
    text = repr(value)
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= limit else text[: limit - 1] + "…"
