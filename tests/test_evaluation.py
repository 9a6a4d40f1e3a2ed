"""The evaluation harness: scoring rules, thresholds, the question format and `assistant eval`."""

from __future__ import annotations

import json

import pytest

from assistant.cli import main
from assistant.errors import UsageError
from assistant.evaluation import (EvalReport, Question, Thresholds, answer_words, covered, format_table, load_questions,
                                  score, summarize)

from .conftest import SEED_QUESTIONS


def result(answer: str, *, refused: bool = False, cited: tuple[tuple[str, str], ...] = (), retrieved: tuple[str, ...] = ()):
    return {
        "answer": answer,
        "refused": refused,
        "citations": [{"source": s, "text": t} for s, t in cited],
        "retrieved": [{"source": s} for s in retrieved],
        "latency_s": 0.1,
    }


QUESTION = Question("q", "Who?", (("Facebook", "FAIR"), ("2016",)), ("a.txt",), True)


def test_facts_are_compared_after_unicode_case_and_space_folding():
    assert covered("joined ＦＡＣＥＢＯＯＫ   AI", ("facebook ai",))
    assert not covered("joined Meta", ("Facebook", "FAIR"))


def test_citation_markers_do_not_count_as_words():
    assert answer_words("He left [1] in 2016 [2, 3].") == 4


def test_a_correct_answer_covers_every_group_within_the_word_limit():
    good = score(QUESTION, result("FAIR in 2016 [1]", cited=(("a.txt", "He joined FAIR in 2016."),), retrieved=("a.txt",)), max_words=120)
    assert good["correct"] and good["fact_recall"] == 1.0 and good["citation_support"] and good["right_source"]
    partial = score(QUESTION, result("FAIR [1]", cited=(("a.txt", "FAIR"),)), max_words=120)
    assert not partial["correct"] and partial["fact_recall"] == 0.5


def test_a_right_answer_opens_with_a_fact_when_its_first_sentence_holds_one():
    def answered(*sentences: str) -> dict:
        return {**result(" ".join(sentences)), "sentences": [{"text": s} for s in sentences]}

    assert score(QUESTION, answered("He joined FAIR.", "That was in 2016."), max_words=120)["opens_with_fact"]
    late = score(QUESTION, answered("He did his PhD in Hong Kong.", "He joined FAIR in 2016."), max_words=120)
    assert late["correct"] and late["opens_with_fact"] is False
    assert score(QUESTION, answered("He joined FAIR."), max_words=120)["opens_with_fact"] is None  # not right


def test_an_answer_over_the_word_limit_is_wrong_whatever_it_contains():
    long = score(QUESTION, result("FAIR 2016 " + "word " * 200), max_words=120)
    assert not long["correct"] and long["over_limit"]


def test_a_fact_not_in_any_cited_passage_is_unsupported():
    unsupported = score(QUESTION, result("FAIR in 2016 [1]", cited=(("b.txt", "He joined FAIR."),)), max_words=120)
    assert unsupported["citation_support"] is False and unsupported["right_source"] is False


def test_unanswerable_questions_are_correct_only_when_refused():
    question = Question("u", "Boiling point?", (), (), False)
    assert score(question, result("x", refused=True), max_words=120)["correct"]
    assert not score(question, result("100 degrees [1]"), max_words=120)["correct"]


def test_summary_and_thresholds():
    rows = [
        {"score": score(QUESTION, result("FAIR 2016", cited=(("a.txt", "FAIR 2016"),)), max_words=120), "latency_s": 0.2},
        {"score": score(Question("u", "?", (), (), False), result("no", refused=True), max_words=120), "latency_s": 0.4},
    ]
    metrics = summarize(rows)
    assert metrics["correct"] == 1.0 and metrics["refusal_accuracy"] == 1.0 and metrics["false_refusal"] == 0.0
    assert Thresholds(correct=1.0, refusal=1.0).failures(metrics) == []
    assert Thresholds(support=1.01).failures(metrics) == ["citation_support 1.0 < 1.01"]


def test_metrics_are_broken_down_by_kind_and_by_expected_document():
    number = Question("n", "How many?", (("3.57%",),), ("resnet.pdf",), True, kind="number")
    both = Question("c", "Which two?", (("FAIR",), ("Megvii",)), ("article.txt", "resnet.pdf"), True, kind="cross-document")
    absent = Question("u", "PhD topic?", (), (), False, kind="unanswerable")
    rows = [
        {"score": score(number, result("3.57% [1]", cited=(("resnet.pdf", "3.57%"),)), max_words=120), "latency_s": 0.1},
        {"score": score(both, result("FAIR [1]", cited=(("article.txt", "FAIR"),)), max_words=120), "latency_s": 0.1},
        {"score": score(absent, result("no", refused=True), max_words=120), "latency_s": 0.1},
    ]
    metrics = summarize(rows)
    assert set(metrics["by_kind"]) == {"number", "cross-document", "unanswerable"}
    assert metrics["by_kind"]["number"]["correct"] == 1.0 and metrics["by_kind"]["cross-document"]["correct"] == 0.0
    assert metrics["by_kind"]["unanswerable"]["refusal_accuracy"] == 1.0
    # a cross-document question counts for each of its sources; an unanswerable one for none
    assert metrics["by_document"]["resnet.pdf"]["questions"] == 2 and metrics["by_document"]["resnet.pdf"]["correct"] == 0.5
    assert metrics["by_document"]["article.txt"]["questions"] == 1
    table = format_table(EvalReport(results=[{"id": q, "question": q, **r} for q, r in zip("ncu", rows)], metrics=metrics))
    assert "| cross-document | 1 | 0.00 | 0.50 |" in table and "| resnet.pdf | 2 | 0.50 |" in table


def test_the_oracle_asks_whether_the_top_passages_hold_every_fact():
    question = Question("q", "Who and when?", (("FAIR",), ("2016",)), ("a.txt",), True)
    pool = ["x"] * 3 + ["He joined FAIR."] + ["y"] * 10 + ["in 2016"] + ["z"] * 5
    scored = score(question, result("no", refused=True), max_words=120, pool=pool)
    assert scored["oracle_top6"] is False and scored["oracle_top20"] is True  # the facts may sit in two passages
    assert score(question, result("no", refused=True), max_words=120)["oracle_top6"] is None  # not measured
    assert score(Question("u", "?", (), (), False), result("no", refused=True), max_words=120, pool=pool)["oracle_top20"] is None


def test_question_file_format(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text(
        json.dumps({"id": "f", "question": "And then?", "facts": [["x"]], "sources": [], "answerable": True,
                    "history": ["Who?", {"question": "Where?", "answer": "There."}], "max_words": 30}) + "\n\n"
    )
    (question,) = load_questions(path)
    assert question.history == (("Who?", ""), ("Where?", "There.")) and question.max_words == 30
    assert question.kind == "follow-up"  # implied by the history when the file gives no kind
    path.write_text(json.dumps({"question": "Boiling point?", "answerable": False}) + "\n"
                    + json.dumps({"question": "Who?", "kind": "list"}) + "\n")
    assert [q.kind for q in load_questions(path)] == ["unanswerable", "list"]
    path.write_text("{not json}\n")
    with pytest.raises(UsageError, match="line 1"):
        load_questions(path)


def test_eval_command_json_and_threshold_exit_codes(seed_root, tmp_path, capsys):
    """The command's contract on two dev questions (one answerable, one not); the whole dev set's
    quality is test_answers.py's (evaluated once per run)."""
    rows = [json.loads(line) for line in SEED_QUESTIONS.read_text().splitlines() if line.strip()]
    two = [next(r for r in rows if r["answerable"]), next(r for r in rows if not r["answerable"])]
    questions = tmp_path / "two.jsonl"
    questions.write_text("".join(json.dumps(r) + "\n" for r in two))
    args = ["--corpus", str(seed_root / "corpus"), "--index", str(seed_root / "index"), "eval", str(questions)]
    assert main([*args, "--json", "--oracle", "--min-correct", "1.0", "--min-refusal", "1.0"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in data["results"]] == [r["id"] for r in two]
    assert {"id", "answer", "citations", "score"} <= set(data["results"][0])
    assert data["metrics"]["correct"] == 1.0 and data["metrics"]["refusal_accuracy"] == 1.0
    by_kind = data["metrics"]["by_kind"]  # the shared seed file has no kinds: answerable or not
    assert sum(group["questions"] for group in by_kind.values()) == 2 and by_kind["unanswerable"]["refusal_accuracy"] == 1.0
    assert data["metrics"]["oracle_top20"] >= data["metrics"]["oracle_top6"] == 1.0
    assert main([*args, "--json", "--kind", "unanswerable"]) == 0
    assert {r["score"]["kind"] for r in json.loads(capsys.readouterr().out)["results"]} == {"unanswerable"}
    assert main([*args, "--min-correct", "1.01"]) == 1
    assert "threshold not met" in capsys.readouterr().err
