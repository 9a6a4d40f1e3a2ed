"""Question files -> answers -> metrics, without an LLM judge.

A question file is JSONL: ``id``, ``question``, ``facts`` (alias groups; a group is covered when
the answer contains one alias after NFKC, case and whitespace folding), ``sources`` (file names
that should be cited), ``answerable`` (false: the right answer is a refusal), and optionally
``history`` (earlier user questions, or {"question", "answer"} objects), ``max_words`` and
``kind`` (fact, number, list, definition, follow-up, cross-document, unanswerable; a question
without one is a follow-up when it has a history, else unanswerable or "unlabelled").

An answer longer than the word limit is not correct, whatever it contains. Metrics are reported
overall, per kind and per document (the expected sources of the answerable questions; a
cross-document question counts for each of its sources).
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
UNLABELLED = "unlabelled"
ORACLE_DEPTHS = (6, 20)  # passages read by default (ASSISTANT_K) and a deeper pool: retrieval's share of the losses
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
    kind: str = UNLABELLED


def load_questions(path: Path) -> list[Question]:
    if not Path(path).is_file():
        raise UsageError(f"no question file at {path}")
    questions = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            answerable = bool(raw.get("answerable", True))
            history = tuple(_turn(t) for t in raw.get("history", []))
            questions.append(
                Question(
                    id=str(raw.get("id", number)),
                    question=raw["question"],
                    facts=tuple(tuple(group) for group in raw.get("facts", [])),
                    sources=tuple(raw.get("sources", [])),
                    answerable=answerable,
                    history=history,
                    max_words=raw.get("max_words"),
                    kind=str(raw.get("kind") or _implied_kind(answerable, history)),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise UsageError(f"{path}, line {number}: not a question object ({exc})") from None
    return questions


def _implied_kind(answerable: bool, history: Sequence[tuple[str, str]]) -> str:
    if history:
        return "follow-up"
    return UNLABELLED if answerable else "unanswerable"


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


def score(question: Question, result: dict[str, Any], *, max_words: int, k: int | None = None,
          pool: Sequence[str] | None = None, top_relevance: float | None = None) -> dict[str, Any]:
    """Per-question metrics for one ``ask --json`` result. ``pool``: the texts of the passages the
    question's retrieval ranks first (at least ``ORACLE_DEPTHS[-1]`` of them), for the oracle.
    ``top_relevance``: the best retrieved passage's cosine, what the refusal gate's
    ``min_relevance`` is compared with (None: not known, or nothing retrieved)."""
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
        "kind": question.kind,
        "documents": sorted(expected) if question.answerable else [],
        "answerable": question.answerable,
        "refused": refused,
        "words": words,
        "over_limit": words > limit,
        "fact_recall": (sum(facts) / len(facts)) if facts else None,
        "correct": correct,
        # The "the first sentence states the asked fact": a right answer whose opening
        # sentence holds one of the facts, not a sentence about the topic before the one that answers.
        "opens_with_fact": (any(covered(result["sentences"][0]["text"], g) for g in question.facts)
                            if correct and question.answerable and result.get("sentences") else None),
        "citation_support": (all(supported) if supported else None),
        "right_source": (bool(cited_sources & expected) if expected and not refused else None),
        "retrieval_hit": (bool(retrieved_sources & expected) if expected else None),
        **{f"oracle_top{depth}": _oracle(question, pool, depth) for depth in ORACLE_DEPTHS},
        "top_relevance": None if top_relevance is None else round(top_relevance, 4),
    }


def _oracle(question: Question, pool: Sequence[str] | None, depth: int) -> bool | None:
    """Whether the first ``depth`` retrieved passages hold every fact group (each in one of them):
    the best answer an answerer could quote from what retrieval gave it. None when not measured
    or when there is no fact to find."""
    if pool is None or not question.answerable or not question.facts:
        return None
    passages = pool[:depth]
    return all(any(covered(text, group) for text in passages) for group in question.facts)


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
    """The overall metrics, then ``by_kind`` and ``by_document`` (answerable questions by their
    expected sources: unanswerables have none and are counted by kind only)."""
    metrics = _metrics(results)
    kinds = sorted({r["score"].get("kind", UNLABELLED) for r in results})
    metrics["by_kind"] = {kind: _group_metrics([r for r in results if r["score"].get("kind", UNLABELLED) == kind])
                          for kind in kinds}
    documents = sorted({d for r in results for d in r["score"].get("documents", ())})
    metrics["by_document"] = {document: _group_metrics([r for r in results if document in r["score"].get("documents", ())])
                              for document in documents}
    return metrics


GROUP_METRICS = ("questions", "correct", "fact_recall", "refusal_accuracy", "false_refusal",
                 *(f"oracle_top{depth}" for depth in ORACLE_DEPTHS))


def _group_metrics(results: list[dict[str, Any]]) -> dict[str, Any]:
    metrics = _metrics(results)
    return {name: metrics[name] for name in GROUP_METRICS}


def _metrics(results: list[dict[str, Any]]) -> dict[str, Any]:
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
        **{f"oracle_top{depth}": _mean([s.get(f"oracle_top{depth}") for s in answerable]) for depth in ORACLE_DEPTHS},
        "latency_p50_s": _percentile(latencies, 0.5),
        "latency_p95_s": _percentile(latencies, 0.95),
    }


def evaluate(assistant, questions: Sequence[Question], *, backend: str | None = None, max_words: int | None = None,
             oracle: bool = False) -> EvalReport:
    """Ask every question (with its history) and score the answers. With ``oracle``, each
    question's retrieval is also run ``ORACLE_DEPTHS[-1]`` deep (same query, same follow-up
    handling as the answer's) to tell retrieval's losses from the answerer's."""
    limit = max_words or DEFAULT_MAX_WORDS
    results = []
    for question in questions:
        history = _played(assistant, question.history, backend)
        answer = assistant.ask(question.question, history=history, backend=backend)
        result = {"id": question.id, **answer.to_dict(),
                  "expected": {"facts": [list(g) for g in question.facts], "sources": list(question.sources)}}
        pool = _retrieved_texts(assistant, question.question, history) if oracle else None
        relevance = max((p.relevance for p in answer.retrieved), default=None)
        result["score"] = score(question, result, max_words=limit, pool=pool, top_relevance=relevance)
        results.append(result)
    return EvalReport(results=results, metrics=summarize(results))


def refusal_tradeoff(results: Sequence[dict[str, Any]], min_relevance: float, *, step: float = 0.01) -> list[dict[str, float]]:
    """What raising the refusal gate's ``min_relevance`` from its setting would do, from one run's
    answers: at each threshold, an answered question whose ``top_relevance`` is below it would be
    refused. Returns rows {threshold, false_refusal (share of answerable questions refused),
    wrong_answer (share of all questions answered wrongly: an unanswerable one answered, or an
    answer that misses a fact or the word limit)}. Lowering the threshold cannot be read from
    one run (a refused question has no answer to score), so the thresholds start at the setting."""
    scores = [r["score"] for r in results]
    answerable = sum(1 for s in scores if s["answerable"])
    highest = max((s.get("top_relevance") or 0.0 for s in scores), default=0.0)
    rows = []
    for n in range(int(round(max(0.0, highest - min_relevance) / step)) + 2):  # up to one step past the highest
        threshold = round(min_relevance + n * step, 4)
        answered = [s for s in scores if not s["refused"] and (s.get("top_relevance") or 0.0) >= threshold]
        wrongly_refused = answerable - sum(1 for s in answered if s["answerable"])
        wrong = sum(1 for s in answered if not s["correct"])
        rows.append({
            "threshold": threshold,
            "false_refusal": round(wrongly_refused / answerable, 4) if answerable else 0.0,
            "wrong_answer": round(wrong / len(scores), 4) if scores else 0.0,
        })
    return rows


def _retrieved_texts(assistant, question: str, history: Sequence[tuple[str, str]]) -> list[str]:
    """The texts of the passages the assistant's own retrieval step ranks first for a question."""
    retrieval = assistant.retrieve_chain.invoke(
        {"question": question, "history": history, "backend": None, "k": max(ORACLE_DEPTHS), "sources": None}
    )
    return [passage.chunk.text for passage in retrieval.passages]


def _played(assistant, history: Sequence[tuple[str, str]], backend: str | None) -> list[tuple[str, str]]:
    """The conversation as the user would have had it: earlier turns without a recorded answer
    are asked, in order, so a follow-up sees the answers the assistant really gives."""
    played: list[tuple[str, str]] = []
    for asked, answered in history:
        if not answered:
            answered = assistant.ask(asked, history=played, backend=backend).answer
        played.append((asked, answered))
    return played


def evaluate_file(assistant, path: Path, *, backend: str | None = None, max_words: int | None = None,
                  kinds: Sequence[str] = (), oracle: bool = False) -> EvalReport:
    """Evaluate a question file (only the questions of ``kinds``, when given)."""
    questions = [q for q in load_questions(path) if not kinds or q.kind in kinds]
    return evaluate(assistant, questions, backend=backend, max_words=max_words, oracle=oracle)


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
    """One row per question (the oracle column: a fact-holding passage set in the top 6 / top 20,
    "-" when not measured), the overall metrics, then the per-kind and per-document tables."""
    lines = [f"{'id':<6} {'ok':<3} {'refused':<8} {'words':>5} {'recall':>6} {'oracle':<6} {'kind':<14} question"]
    for r in report.results:
        s = r["score"]
        recall = "-" if s["fact_recall"] is None else f"{s['fact_recall']:.2f}"
        oracle = "".join(_mark(s.get(f"oracle_top{depth}")) for depth in ORACLE_DEPTHS)
        lines.append(
            f"{r['id']:<6} {_mark(s['correct']):<3} {str(s['refused']):<8} {s['words']:>5} {recall:>6} {oracle:<6} "
            f"{s.get('kind', UNLABELLED):<14} {r['question'][:70]}"
        )
    lines.append("")
    lines += [f"{name:>18}: {value}" for name, value in report.metrics.items() if not isinstance(value, dict)]
    for group in ("by_kind", "by_document"):
        if report.metrics.get(group):
            lines += ["", format_breakdown(report.metrics[group], group.removeprefix("by_"))]
    return "\n".join(lines)


def _mark(value: bool | None) -> str:
    return "-" if value is None else ("✓" if value else "✗")


def format_breakdown(groups: dict[str, dict[str, Any]], label: str) -> str:
    """A Markdown table of per-group metrics (``summarize``'s ``by_kind`` or ``by_document``)."""
    lines = [f"| {label} | " + " | ".join(GROUP_METRICS) + " |", "|---" * (len(GROUP_METRICS) + 1) + "|"]
    for name, metrics in groups.items():
        cells = ["–" if metrics[m] is None else (str(metrics[m]) if m == "questions" else f"{metrics[m]:.2f}")
                 for m in GROUP_METRICS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def assert_quality(assistant, path: Path, *, min_correct: float | None = None, min_refusal: float | None = None,
                   min_support: float | None = None, backend: str | None = None) -> EvalReport:
    """The pytest helper: evaluate a question file and fail with the table when a minimum is missed."""
    report = evaluate_file(assistant, path, backend=backend)
    failures = Thresholds(correct=min_correct, refusal=min_refusal, support=min_support).failures(report.metrics)
    assert not failures, "\n".join(failures) + "\n\n" + format_table(report)
    return report
