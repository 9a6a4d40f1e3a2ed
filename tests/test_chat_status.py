"""The web chat's status line, switched by the pipeline's ``Stage`` event: ``Chat`` (web/chat.py)
driven by the real pipeline on the seed index, without a browser (tests/e2e/test_webchat.py
checks what Chromium shows for the extractive backend). The generative backend answers through
the scripted OpenAI-compatible server of tests/test_generative.py, on loopback.
"""

from __future__ import annotations

import html
import re
import threading

from assistant.pipeline import Assistant
from assistant.web.chat import CHOOSING, SEARCHING, WRITING, Chat

from .helpers import assistant_with, holding
from .test_generative import K, QUESTION

STATUS = re.compile(r"<p class='pending' role='status'><i>(.*?)</i></p>")


class ReadyService:
    """What ``Chat`` asks of the web app's service, over an ``Assistant`` that is ready."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.ready = threading.Event()
        self.ready.set()

    def stream(self, question: str, **options):
        return self.assistant.stream(question, **options)


def shown(assistant: Assistant, backend: str) -> list[str]:
    """The answer's message after each change the chat yields, for one question."""
    chat = Chat(ReadyService(assistant), assistant.settings)
    return [turns[-1]["html"] for turns, _ in chat.ask(QUESTION, [], "session", backend=backend, k=K, sources=None)]


def statuses(messages: list[str]) -> list[str]:
    return [html.unescape(m.group(1)) for m in map(STATUS.search, messages) if m]


def test_the_extractive_status_moves_on_when_the_passages_are_found(seed_assistant):
    messages = shown(seed_assistant, "extractive")
    assert statuses(messages) == [SEARCHING, CHOOSING], messages
    assert "answer-meta" in messages[-1] and "Facebook" in messages[-1]


def test_a_generative_backend_says_it_is_writing_until_its_text_comes(seed_assistant, scripted_llm):
    scripted_llm.script = lambda passages: ["Kaiming He joined ", "Facebook AI Research ",
                                            f"in 2016 [{holding(passages, 'joined Facebook AI Research')}]."]
    messages = shown(assistant_with(seed_assistant, openai_base_url=scripted_llm.url), "openai")
    assert statuses(messages) == [SEARCHING, WRITING], messages
    assert messages.index(next(m for m in messages if "answer-text" in m)) > 1  # the text comes after both
    assert "answer-meta" in messages[-1] and "Facebook AI Research" in messages[-1]
