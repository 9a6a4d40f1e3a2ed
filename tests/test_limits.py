"""The budget of every request (issue 16): each argument checked by type and size at the
Assistant's entry, follow-up resolution bounded, the sentence-vector cache bounded."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.errors import UsageError
from assistant.retrieval.followup import condense, follow_up_context

LIMITS = Settings()


class Searched(Exception):
    """Raised by a stand-in search: the request got through validation with this query."""


@pytest.fixture
def assistant(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """An Assistant on an empty index whose search records the query and stops there."""
    from assistant.pipeline import Assistant
    from assistant.ingest.library import Library

    settings = Settings(corpus=tmp_path / "corpus", index=tmp_path / "index")
    library = Library(settings)  # a reader opens only an index some writer created
    assistant = Assistant(settings, index=library.index, encoder=library.encoder)

    def search(query, *, k, sources, named):
        raise Searched({"query": query, "k": k, "sources": sources, "named": named})

    monkeypatch.setattr(assistant.searcher, "search", search)
    return assistant


def searched(assistant, question, **options) -> dict:
    with pytest.raises(Searched) as caught:
        assistant.ask(question, **options)
    return caught.value.args[0]


HUGE_ITEM = "he did research on networks " * 112_000  # 3 MB, the reproduction


@pytest.mark.parametrize(
    "options, message",
    [
        ({"history": [["What did he do?", "He did X."]] * 2000}, r"2,000 turns, over the limit of 50 \(ASSISTANT_MAX_HISTORY_TURNS\)"),
        ({"history": [[HUGE_ITEM, "He did X."]]}, r"history turn 1's question is 3,136,000 characters long, over the limit of 2,000"),
        ({"history": [["What did he do?", HUGE_ITEM]]}, r"history turn 1's answer is 3,136,000 characters long, over the limit of 8,000"),
        ({"history": [["Who?", "x" * 8000]] * 30}, r"over 200,000 characters by turn 25 \(ASSISTANT_MAX_HISTORY_CHARS\)"),
        ({"history": "What did he do?"}, r"history must be a list of \[question, answer\] pairs"),
        ({"history": [["What did he do?", "He did X.", "extra"]]}, r"history turn 1 must be a \[question, answer\] pair"),
        ({"history": [[None, "He did X."]]}, r"history turn 1's question must be text, not nothing"),
        ({"history": [[3, "He did X."]]}, r"history turn 1's question must be text, not int 3"),
        ({"history": [["Who is \ud800 he?", "x"]]}, r"history turn 1's question holds an invalid character at position 7 \(U\+D800"),
        ({"k": "abc"}, r"k \(passages per answer\) must be a whole number from 1 to 50 .*got 'abc'"),
        ({"k": math.nan}, r"must be a whole number from 1 to 50 .*got nan"),
        ({"k": math.inf}, r"got inf"),
        ({"k": -1}, r"got -1"),
        ({"k": 10**9}, r"got 1000000000"),
        ({"k": 2.5}, r"got 2.5"),
        ({"k": True}, r"got True"),
        ({"sources": [1, None, {}]}, r"sources item 1 must be text, not int 1"),
        ({"sources": ["ok.txt", None]}, r"sources item 2 must be text, not nothing"),
        ({"sources": "paper.pdf"}, r"sources must be a list of document names"),
        ({"sources": ["paper\udfff.pdf"]}, r"sources item 1 holds an invalid character at position 5 \(U\+DFFF"),
        ({"sources": ["a.txt"] * 1001}, r"1,001 documents, over the limit of 1,000"),
        ({"backend": 7}, r"unknown backend 7; choose one of extractive"),
    ],
)
def test_a_bad_argument_is_refused_at_once_with_what_to_fix(assistant, options, message):
    assert pytest.raises(UsageError, assistant.ask, "What did Kaiming He do?", **options).match(message)


@pytest.mark.parametrize(
    "question, message",
    [
        (None, r"the question is empty"),
        ("   \n\t ", r"the question is empty"),
        (12, r"the question must be text, not int 12"),
        (["a"], r"the question must be text, not list"),
        ("Who is \ud83d?", r"the question holds an invalid character at position 7 \(U\+D83D"),
        ("w " * 1001, r"the question is 2,001 characters long, over the limit of 2,000"),
        (HUGE_ITEM, r"the question is 3,136,000 characters long"),
    ],
)
def test_a_bad_question_is_refused_with_what_to_fix(assistant, question, message):
    assert pytest.raises(UsageError, assistant.ask, question).match(message)


def test_good_arguments_reach_the_search_normalised(assistant):
    got = searched(assistant, "  What   is a residual   network? ", k=6.0, sources=["a.txt", ""], history=[["Who?", None]])
    assert got == {"query": "What is a residual network?", "k": 6, "sources": ("a.txt",), "named": []}  # an empty index names nothing
    assert searched(assistant, "What did Kaiming He do?", k=0)["k"] == LIMITS.k
    assert searched(assistant, "What did Kaiming He do?", k=50)["k"] == 50
    assert searched(assistant, "What did Kaiming He do?", sources=[])["sources"] is None


def test_search_from_the_cli_has_the_same_checks(assistant, monkeypatch):
    with pytest.raises(UsageError, match="got -1"):
        assistant.search("residual learning", k=-1)
    with pytest.raises(UsageError, match="the query is empty"):
        assistant.search("  ")
    with pytest.raises(UsageError, match="the query holds an invalid character"):
        assistant.search("res\udc80idual")


def test_the_searched_query_stays_within_the_question_limit(assistant):
    """50 turns of near-limit follow-ups ("... did he ...") could resolve to a query of tens of
    thousands of characters (before: ~97,000); what is searched is cut to the question limit."""
    turns = [[f"What did he do in year {n}? " + "x " * 960, "He did X."] for n in range(50)]
    question = "Where did he go after that?"
    query = searched(assistant, question, history=turns)["query"]
    assert query.startswith(question)
    assert len(query) <= LIMITS.max_question_chars
    assert len(condense(question, turns, max_chars=LIMITS.max_question_chars)) <= LIMITS.max_question_chars


def test_follow_up_context_is_a_loop_not_a_recursion():
    """Resolution walked back one turn per recursion: ~1,000 turns raised RecursionError."""
    history = [("What did he do?", "He did X.")] * 20_000
    context = follow_up_context("And then?", history, max_chars=2000)
    assert len(context) <= 2000
    assert len(follow_up_context("And then?", history)) < 1_000_000


def test_the_sentence_cache_never_keeps_long_texts():
    from assistant.encoder import encoder as encoder_module
    from assistant.encoder.encoder import Encoder

    encoder = Encoder()
    long_text = "residual networks " * 1000  # 18,000 characters
    vectors = encoder.encode_sentences(["short sentence", long_text])
    assert vectors.shape[0] == 2
    assert "short sentence" in encoder.sentence_cache
    assert long_text not in encoder.sentence_cache
    assert all(len(t) <= encoder_module.SENTENCE_CACHE_MAX_CHARS for t in encoder.sentence_cache)
