"""``assistant eval FILE --html report.html``: one evaluation run as a page people look at.

One self-contained file that opens offline: inline CSS, an inline SVG plot, no script, no
external asset. It holds the metrics (overall, per kind, per document: ``summarize``'s), the
refusal trade-off (``refusal_tradeoff``: false refusals and wrong answers as the relevance
threshold rises from its setting), and every question with its answer, citations (source, page,
quote), expected facts (each marked found or missing) and its verdict. Everything that comes from
the question file or the documents is HTML-escaped.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from .evaluation import GROUP_METRICS, EvalReport, covered, refusal_tradeoff

STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1000px; padding: 0 1rem; color: #1b1b1b; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: .5rem 0; font-size: 14px; }
th, td { border: 1px solid #ccc; padding: .25rem .5rem; text-align: left; vertical-align: top; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
.summary { font-size: 1.1rem; }
.verdict { display: inline-block; padding: 0 .5rem; border-radius: .3rem; font-weight: 600; }
.verdict.pass { background: #d9f2dc; color: #0b5a16; } .verdict.fail { background: #fbdada; color: #8a1010; }
.question { border: 1px solid #ddd; border-radius: .5rem; padding: .5rem 1rem; margin: .75rem 0; }
.question h3 { font-size: 1rem; margin: .25rem 0; }
.answer { white-space: pre-wrap; background: #f6f6f6; padding: .5rem; border-radius: .3rem; }
.found { color: #0b5a16; } .missing { color: #8a1010; }
blockquote { margin: .25rem 0 .25rem 1rem; color: #333; }
.meta { color: #555; font-size: 13px; }
svg text { font: 12px system-ui, sans-serif; fill: #333; }
@media (prefers-color-scheme: dark) {
  body { background: #161616; color: #e8e8e8; } th, td, .question { border-color: #444; }
  .answer { background: #242424; } blockquote, .meta { color: #bbb; } svg text { fill: #ddd; }
  .verdict.pass { background: #14401b; color: #c9f5cf; } .verdict.fail { background: #4d1414; color: #ffd4d4; }
  .found { color: #8fe39b; } .missing { color: #ff9d9d; }
}
"""
FALSE_REFUSAL_COLOUR = "#1f77b4"
WRONG_ANSWER_COLOUR = "#d62728"


def render(report: EvalReport, *, title: str, min_relevance: float, note: str = "") -> str:
    """The page for ``report``; ``min_relevance``: the refusal gate's setting during the run."""
    results = report.results
    passed = sum(1 for r in results if r["score"]["correct"])
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="meta">{escape(note)}</p>' if note else "",
        f'<p class="summary"><span class="verdict pass">{passed} passed</span> '
        f'<span class="verdict fail">{len(results) - passed} failed</span> of {len(results)} questions</p>',
        "<h2>Metrics</h2>",
        _overall_table(report.metrics),
    ]
    for group, label in (("by_kind", "kind"), ("by_document", "document")):
        if report.metrics.get(group):
            parts += [f"<h2>By {label}</h2>", _group_table(report.metrics[group], label)]
    parts += ["<h2>Refusal trade-off</h2>", _tradeoff(results, min_relevance)]
    parts += ["<h2>Questions</h2>", *(_question(r) for r in results), "</body></html>"]
    return "\n".join(p for p in parts if p)


def write(report: EvalReport, path: Path, *, title: str, min_relevance: float, note: str = "") -> None:
    Path(path).write_text(render(report, title=title, min_relevance=min_relevance, note=note), encoding="utf-8")


def _value(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.2f}"
    return escape(str(value))


def _overall_table(metrics: dict[str, Any]) -> str:
    rows = "".join(
        f'<tr><th scope="row">{escape(name)}</th><td class="number">{_value(value)}</td></tr>'
        for name, value in metrics.items() if not isinstance(value, dict)
    )
    return f"<table>{rows}</table>"


def _group_table(groups: dict[str, dict[str, Any]], label: str) -> str:
    head = f"<tr><th>{escape(label)}</th>" + "".join(f"<th>{escape(m)}</th>" for m in GROUP_METRICS) + "</tr>"
    rows = "".join(
        f"<tr><td>{escape(name)}</td>" + "".join(f'<td class="number">{_value(metrics[m])}</td>' for m in GROUP_METRICS) + "</tr>"
        for name, metrics in groups.items()
    )
    return f"<table>{head}{rows}</table>"


def _tradeoff(results: list[dict[str, Any]], min_relevance: float) -> str:
    """An SVG line plot of ``refusal_tradeoff``: threshold on x, both rates (0-1) on y."""
    rows = refusal_tradeoff(results, min_relevance)
    width, height, left, right, top, bottom = 640, 300, 50, 20, 20, 45
    low, high = rows[0]["threshold"], max(rows[-1]["threshold"], rows[0]["threshold"] + 0.01)

    def x(threshold: float) -> float:
        return left + (threshold - low) / (high - low) * (width - left - right)

    def y(rate: float) -> float:
        return top + (1 - rate) * (height - top - bottom)

    def line(key: str, colour: str) -> str:
        points = " ".join(f"{x(r['threshold']):.1f},{y(r[key]):.1f}" for r in rows)
        return f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>'

    grid = []
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        grid.append(f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#8884"/>')
        grid.append(f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick:.2f}</text>')
    ticks = 5
    for n in range(ticks + 1):
        value = low + n * (high - low) / ticks
        grid.append(f'<text x="{x(value):.1f}" y="{height - bottom + 16}" text-anchor="middle">{value:.2f}</text>')
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        'role="img" aria-label="False refusals and wrong answers as the relevance threshold rises">'
        + "".join(grid)
        + f'<line x1="{left}" x2="{left}" y1="{top}" y2="{height - bottom}" stroke="#888"/>'
        + f'<line x1="{left}" x2="{width - right}" y1="{height - bottom}" y2="{height - bottom}" stroke="#888"/>'
        + line("false_refusal", FALSE_REFUSAL_COLOUR)
        + line("wrong_answer", WRONG_ANSWER_COLOUR)
        + f'<text x="{(left + width - right) / 2}" y="{height - 8}" text-anchor="middle">'
        "refusal threshold (the best passage's cosine to the question)</text>"
        + f'<rect x="{width - right - 150}" y="{top + 4}" width="10" height="10" fill="{FALSE_REFUSAL_COLOUR}"/>'
        + f'<text x="{width - right - 135}" y="{top + 13}">false refusals</text>'
        + f'<rect x="{width - right - 150}" y="{top + 22}" width="10" height="10" fill="{WRONG_ANSWER_COLOUR}"/>'
        + f'<text x="{width - right - 135}" y="{top + 31}">wrong answers</text>'
        + "</svg>"
    )
    first = rows[0]
    return (
        f"<p>At the setting (min_relevance {min_relevance:.2f}, the left edge): false refusals "
        f"{first['false_refusal']:.2f} of answerable questions, wrong answers {first['wrong_answer']:.2f} of all "
        "questions. Moving right shows what a higher ASSISTANT_MIN_RELEVANCE would do to this run's answers: "
        "answers whose best passage is below it would be refused. A lower setting cannot be read from one run "
        "(a refused question has no answer to score).</p>" + svg
    )


def _question(result: dict[str, Any]) -> str:
    s = result["score"]
    verdict = '<span class="verdict pass">pass</span>' if s["correct"] else '<span class="verdict fail">fail</span>'
    expected = "answerable" if s["answerable"] else "should be refused"
    meta = [f"id {result['id']}", f"kind {s.get('kind', '')}", expected, f"{s['words']} words"]
    if s.get("fact_recall") is not None:
        meta.append(f"fact recall {s['fact_recall']:.2f}")
    if s.get("top_relevance") is not None:
        meta.append(f"best passage {s['top_relevance']:.2f}")
    parts = [
        '<section class="question">',
        f"<h3>{verdict} {escape(result['question'])}</h3>",
        f'<p class="meta">{escape(" · ".join(str(m) for m in meta))}</p>',
        f'<div class="answer">{"(refused) " if result["refused"] else ""}{escape(result["answer"])}</div>',
    ]
    expected_facts = result.get("expected", {}).get("facts", [])
    if expected_facts:
        items = "".join(
            f'<li class="{"found" if covered(result["answer"], group) else "missing"}">'
            f'{"found" if covered(result["answer"], group) else "missing"}: {escape(" / ".join(group))}</li>'
            for group in expected_facts
        )
        parts.append(f"<p>Expected facts:</p><ul>{items}</ul>")
    expected_sources = result.get("expected", {}).get("sources", [])
    if expected_sources:
        parts.append(f'<p class="meta">Expected sources: {escape(", ".join(expected_sources))}</p>')
    if result["citations"]:
        items = "".join(
            f"<li>[{c['n']}] {escape(c['source'])}{_page(c.get('page'))}"
            f"<blockquote>{escape(c['quote'])}</blockquote></li>"
            for c in result["citations"]
        )
        parts.append(f"<p>Citations:</p><ol>{items}</ol>")
    parts.append("</section>")
    return "".join(parts)


def _page(page: int | None) -> str:
    return "" if page is None else f", page {int(page)}"
