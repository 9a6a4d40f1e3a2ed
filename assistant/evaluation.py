"""Question files -> answers -> metrics, without an LLM judge.

A question file is JSONL: ``id``, ``question``, ``facts`` (alias groups; a group is covered when
the answer contains one alias after NFKC, case and whitespace folding), ``sources`` (file names
that should be cited), ``answerable`` (false: the right answer is a refusal), and optionally
``history`` (earlier user questions, or {"question", "answer"} objects) and ``max_words``.

An answer longer than the word limit is not correct, whatever it contains.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import UsageError
from .text import fold

DEFAULT_MAX_WORDS = 120
_MARKER = re.compile(r"\[\d+(?:\s*,\s*\d+)*\]")


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    facts: tuple[tuple[str, ...], ...]
    sources: tuple[str, ...]
    answerable: bool
    history: tuple[tuple[str, str], ...] = ()
    max_words: int | None = None


def load_questions(path: Path) -> list[Question]:
    if not Path(path).is_file():
        raise UsageError(f"no question file at {path}")
    questions = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            questions.append(
                Question(
                    id=str(raw.get("id", number)),
                    question=raw["question"],
                    facts=tuple(tuple(group) for group in raw.get("facts", [])),
                    sources=tuple(raw.get("sources", [])),
                    answerable=bool(raw.get("answerable", True)),
                    history=tuple(_turn(t) for t in raw.get("history", [])),
                    max_words=raw.get("max_words"),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise UsageError(f"{path}, line {number}: not a question object ({exc})") from None
    return questions


def _turn(turn: Any) -> tuple[str, str]:
    if isinstance(turn, str):
        return (turn, "")
    if isinstance(turn, dict):
        return (turn["question"], turn.get("answer", ""))
    return (str(turn[0]), str(turn[1]) if len(turn) > 1 else "")


def answer_words(answer: str) -> int:
    """Words of the answer; citation markers and stray punctuation are not words."""
    return sum(1 for token in _MARKER.sub(" ", answer).split() if any(ch.isalnum() for ch in token))


def covered(text: str, group: Sequence[str]) -> bool:
    folded = fold(text)
    return any(fold(alias) in folded for alias in group)


def score(question: Question, result: dict[str, Any], *, max_words: int, k: int | None = None) -> dict[str, Any]:
    """Per-question metrics for one ``ask --json`` result."""
    refused = bool(result["refused"])
    limit = question.max_words or max_words
    words = answer_words(result["answer"])
    cited_texts = [c["text"] for c in result["citations"]]
    cited_sources = {Path(c["source"]).name for c in result["citations"]}
    retrieved_sources = {Path(r["source"]).name for r in result["retrieved"][: k or None]}
    expected = {Path(s).name for s in question.sources}
    facts = [covered(result["answer"], g) for g in question.facts]
    supported = [any(covered(t, g) for t in cited_texts) for g, hit in zip(question.facts, facts) if hit]
    if question.answerable:
        correct = not refused and all(facts) and words <= limit
    else:
        correct = refused
    return {
        "answerable": question.answerable,
        "refused": refused,
        "words": words,
        "over_limit": words > limit,
        "fact_recall": (sum(facts) / len(facts)) if facts else None,
        "correct": correct,
        "citation_support": (all(supported) if supported else None),
        "right_source": (bool(cited_sources & expected) if expected and not refused else None),
        "retrieval_hit": (bool(retrieved_sources & expected) if expected else None),
    }


def _mean(values: list[Any]) -> float | None:
    present = [float(v) for v in values if v is not None]
    return round(sum(present) / len(present), 4) if present else None


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))], 4)


@dataclass
class EvalReport:
    results: list[dict[str, Any]] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"metrics": self.metrics, "results": self.results}


def summarize(results: list[dict[str, Any]]) -> dict[str, Any]:
    answerable = [r["score"] for r in results if r["score"]["answerable"]]
    unanswerable = [r["score"] for r in results if not r["score"]["answerable"]]
    latencies = [r["latency_s"] for r in results]
    return {
        "questions": len(results),
        "correct": _mean([r["score"]["correct"] for r in results]),
        "answerable_correct": _mean([s["correct"] for s in answerable]),
        "fact_recall": _mean([s["fact_recall"] for s in answerable]),
        "citation_support": _mean([s["citation_support"] for s in answerable]),
        "right_source": _mean([s["right_source"] for s in answerable]),
        "refusal_accuracy": _mean([s["refused"] for s in unanswerable]),
        "false_refusal": _mean([s["refused"] for s in answerable]),
        "retrieval_hit": _mean([s["retrieval_hit"] for s in answerable]),
        "over_limit": _mean([s["over_limit"] for s in answerable]),
        "latency_p50_s": _percentile(latencies, 0.5),
        "latency_p95_s": _percentile(latencies, 0.95),
    }


def evaluate(assistant, questions: Sequence[Question], *, backend: str | None = None, max_words: int | None = None) -> EvalReport:
    """Ask every question (with its history) and score the answers."""
    limit = max_words or DEFAULT_MAX_WORDS
    results = []
    for question in questions:
        history = _played(assistant, question.history, backend)
        answer = assistant.ask(question.question, history=history, backend=backend)
        result = {"id": question.id, **answer.to_dict()}
        result["score"] = score(question, result, max_words=limit)
        results.append(result)
    return EvalReport(results=results, metrics=summarize(results))


def _played(assistant, history: Sequence[tuple[str, str]], backend: str | None) -> list[tuple[str, str]]:
    """The conversation as the user would have had it: earlier turns without a recorded answer
    are asked, in order, so a follow-up sees the answers the assistant really gives."""
    played: list[tuple[str, str]] = []
    for asked, answered in history:
        if not answered:
            answered = assistant.ask(asked, history=played, backend=backend).answer
        played.append((asked, answered))
    return played


def evaluate_file(assistant, path: Path, *, backend: str | None = None, max_words: int | None = None) -> EvalReport:
    return evaluate(assistant, load_questions(path), backend=backend, max_words=max_words)


@dataclass(frozen=True)
class Thresholds:
    """Minimums a run must meet; None means not checked."""

    correct: float | None = None
    refusal: float | None = None
    support: float | None = None

    def failures(self, metrics: dict[str, Any]) -> list[str]:
        checks = (("correct", self.correct), ("refusal_accuracy", self.refusal), ("citation_support", self.support))
        return [
            f"{name} {metrics.get(name)} < {minimum}"
            for name, minimum in checks
            if minimum is not None and (metrics.get(name) is None or metrics[name] < minimum)
        ]


def format_table(report: EvalReport) -> str:
    lines = [f"{'id':<6} {'ok':<3} {'refused':<8} {'words':>5} {'recall':>6}  question"]
    for r in report.results:
        s = r["score"]
        recall = "-" if s["fact_recall"] is None else f"{s['fact_recall']:.2f}"
        lines.append(
            f"{r['id']:<6} {'✓' if s['correct'] else '✗':<3} {str(s['refused']):<8} {s['words']:>5} {recall:>6}  {r['question'][:70]}"
        )
    lines.append("")
    lines += [f"{name:>18}: {value}" for name, value in report.metrics.items()]
    return "\n".join(lines)


def assert_quality(assistant, path: Path, *, min_correct: float | None = None, min_refusal: float | None = None,
                   min_support: float | None = None, backend: str | None = None) -> EvalReport:
    """The pytest helper: evaluate a question file and fail with the table when a minimum is missed."""
    report = evaluate_file(assistant, path, backend=backend)
    failures = Thresholds(correct=min_correct, refusal=min_refusal, support=min_support).failures(report.metrics)
    assert not failures, "\n".join(failures) + "\n\n" + format_table(report)
    return report
