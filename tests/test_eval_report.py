"""`assistant eval FILE --html PATH`: one self-contained page, and the refusal trade-off it plots."""

from __future__ import annotations

import json
from html.parser import HTMLParser

from assistant.cli import main
from assistant.eval_report import render
from assistant.evaluation import EvalReport, refusal_tradeoff, summarize

from .conftest import SEED_QUESTIONS


class Page(HTMLParser):
    """The tags, the attributes that could fetch something, and the visible text of a page."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.links: list[str] = []
        self.classes: list[str] = []
        self.text: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "srcset", "action", "data", "poster", "xlink:href"):
                self.links.append(value or "")
            if name == "class":
                self.classes.append(value or "")

    def handle_data(self, data):
        self.text.append(data)


def scored(correct: bool, *, answerable: bool = True, refused: bool = False, relevance: float | None = 0.5) -> dict:
    return {"score": {"correct": correct, "answerable": answerable, "refused": refused, "top_relevance": relevance}}


def test_the_tradeoff_trades_wrong_answers_for_refusals_as_the_threshold_rises():
    results = [
        scored(True, relevance=0.6),  # a right answer, refused only from 0.61
        scored(False, relevance=0.3),  # an answer missing a fact
        scored(False, answerable=False, relevance=0.25),  # an unanswerable question answered
        scored(True, answerable=False, refused=True, relevance=0.1),  # rightly refused
        scored(False, refused=True, relevance=None),  # wrongly refused, nothing retrieved
    ]
    rows = refusal_tradeoff(results, 0.2)
    assert rows[0] == {"threshold": 0.2, "false_refusal": round(1 / 3, 4), "wrong_answer": 0.4}
    at = {row["threshold"]: row for row in rows}
    assert at[0.26]["wrong_answer"] == 0.2 and at[0.31]["wrong_answer"] == 0.0  # both wrong answers refused
    assert at[0.31]["false_refusal"] == round(2 / 3, 4)  # the one missing a fact now refused: answerable
    assert at[0.6]["false_refusal"] == round(2 / 3, 4) and rows[-1]["false_refusal"] == 1.0
    for before, after in zip(rows, rows[1:]):
        assert after["false_refusal"] >= before["false_refusal"] and after["wrong_answer"] <= before["wrong_answer"]


def test_everything_from_the_documents_is_escaped():
    hostile = '<script>alert("x")</script><img src="https://example.com/x.png">'
    result = {
        "id": "h1", "question": hostile, "answer": hostile, "refused": False, "latency_s": 0.1,
        "citations": [{"n": 1, "source": hostile, "page": 3, "quote": hostile}],
        "expected": {"facts": [[hostile]], "sources": [hostile]},
        "score": {"kind": hostile, "documents": [hostile], "answerable": True, "refused": False, "words": 3,
                  "over_limit": False, "fact_recall": 1.0, "correct": True, "citation_support": True,
                  "right_source": True, "retrieval_hit": True, "top_relevance": 0.5},
    }
    page = render(EvalReport([result], summarize([result])), title=hostile, min_relevance=0.2)
    parsed = Page(page)
    assert "script" not in parsed.tags and "img" not in parsed.tags and not parsed.links
    assert hostile in "".join(parsed.text)  # shown as text, not run


def test_eval_html_on_the_seed_questions(seed_root, tmp_path, capsys):
    html = tmp_path / "report.html"
    args = ["--corpus", str(seed_root / "corpus"), "--index", str(seed_root / "index"), "eval", str(SEED_QUESTIONS)]
    assert main([*args, "--json", "--html", str(html)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"metrics", "results"} == set(data)  # the JSON contract, extended only
    page = html.read_text(encoding="utf-8")
    parsed = Page(page)

    assert parsed.tags[0] == "html" and parsed.tags.count("section") == len(data["results"])
    assert not [link for link in parsed.links if not link.startswith("#")], parsed.links  # nothing to fetch
    assert not {"script", "link", "iframe", "img"} & set(parsed.tags)
    assert "@import" not in page and "url(" not in page

    text = " ".join(" ".join(parsed.text).split())
    for result in data["results"]:
        assert " ".join(result["question"].split()) in text
        for citation in result["citations"]:
            assert " ".join(citation["quote"].split()) in text
    passed = sum(1 for r in data["results"] if r["score"]["correct"])
    assert round(data["metrics"]["correct"] * data["metrics"]["questions"]) == passed
    verdicts = [c for c in parsed.classes if c.startswith("verdict ")]
    assert verdicts.count("verdict pass") == passed + 1  # each passed question, and the summary
    assert verdicts.count("verdict fail") == len(data["results"]) - passed + 1
    assert f"{passed} passed" in text and f"{len(data['results']) - passed} failed" in text

    assert "svg" in parsed.tags and parsed.tags.count("polyline") == 2
    assert all(r["score"]["top_relevance"] is not None for r in data["results"] if not r["refused"])
