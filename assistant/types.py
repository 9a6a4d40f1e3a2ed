"""The records that flow one way: Page -> Chunk -> Passage -> Answer (with Citations); ``Stage``
says, in an answer's stream, how far the pipeline has come."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


# What a stretch of text is (``Block.kind``, ``Chunk.kind``): prose; a table's rows under their
# header line(s); a figure's or table's caption (and the labels drawn inside a figure); the bibliography.
KINDS = ("text", "table", "caption", "references")
SECTION_SEPARATOR = " › "  # joins a heading path: "4. Experiments › 4.1. ImageNet Classification"


@dataclass(frozen=True)
class Block:
    """``page.text[start:end]`` is one kind of text under one heading path (``section``, the
    headings joined by ``SECTION_SEPARATOR``; "" before the first heading). Heading lines lie
    between blocks, never inside one."""

    start: int
    end: int
    kind: str = "text"
    section: str = ""


@dataclass(frozen=True)
class Page:
    """Clean text of one PDF page (``page`` 1-based) or of a whole text document (``page`` None).

    ``blocks`` cover the text that chunks are cut from, in order; empty means the whole text is
    one block of prose with no heading."""

    text: str
    source: str
    title: str
    page: int | None = None
    blocks: tuple[Block, ...] = ()

    def text_blocks(self) -> tuple[Block, ...]:
        return self.blocks or ((Block(0, len(self.text)),) if self.text else ())


@dataclass(frozen=True)
class Chunk:
    """A slice ``page_text[start:end]`` of one page, small enough for the encoder."""

    chunk_id: str
    text: str
    source: str
    title: str
    page: int | None
    chunk_index: int
    start: int
    end: int
    # The heading path ("" when none) and what the text is: one of KINDS.
    section: str = ""
    kind: str = "text"

    def metadata(self) -> dict[str, Any]:
        meta = asdict(self)
        meta.pop("text")
        meta["page"] = self.page if self.page is not None else 0  # Chroma metadata has no None
        return meta


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk: ``score`` is the fused rank score, ``relevance`` the dense cosine;
    ``caption``, for a table's chunk, its table's caption (``retrieval/tables.py``)."""

    chunk: Chunk
    score: float
    relevance: float
    caption: Chunk | None = None


@dataclass(frozen=True, kw_only=True)
class Question:
    """One question as the pipeline answers it, every argument checked (``limits.checked_request``):
    the earlier turns as (question, answer) pairs, oldest first; the backend by name; ``k``
    passages; only these ``sources`` (None: all documents)."""

    text: str
    history: tuple[tuple[str, str], ...] = ()
    backend: str = "extractive"
    k: int = 6
    sources: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Part:
    """One part of a question asked in several, and the passages its own search found, best first."""

    text: str
    passages: tuple[Passage, ...]
    # What it is searched and read with besides its own words: the parts before it when it names
    # nothing of its own, the questions before it without their names when it names its subject
    # but leaves out what it asks (``answering.question_parts.leans_on``); "" otherwise.
    leans_on: str = ""


@dataclass(frozen=True)
class AuthorRole:
    """A person a question names by their place in a byline ("the first author of Faster R-CNN")."""

    place: int  # in the byline: 0 first, 1 second, -1 last
    start: int  # where the role's words ("first author") stand in the question
    end: int
    # The words that may name the document, each with where it starts in the question, likeliest first.
    documents: tuple[tuple[int, str], ...]
    # The question asks who holds the role ("Who is the first author of X?"): it names no one.
    asked: bool


@dataclass(frozen=True, kw_only=True)
class Retrieval:
    """The retrieve stage's output: the question, what a follow-up refers back to (``context``,
    "" when it stands alone), the query searched and the passages found, best first."""

    question: Question
    # The question as read: a person it names by their place in a byline named instead ("What
    # startup did Shaoqing Ren co-found?" for "... the first author of Faster R-CNN ..."); else its text.
    text: str
    context: str
    query: str
    passages: tuple[Passage, ...]
    # A question asked in several parts: each part and its own passages ((): asked in one);
    # ``either``: one part's answer suffices ("Which paper, A or B, ...?").
    parts: tuple[Part, ...] = ()
    either: bool = False
    # A question asking what a document is about: that document's opening (its abstract or lede),
    # also first among ``passages``; () for any other question.
    overview: tuple[Passage, ...] = ()
    # ... or asking it of "this article" with several documents in scope and none named before:
    # their sources, for the answer to ask which one is meant; () otherwise.
    undecided: tuple[str, ...] = ()


# The points an answer's stream announces (``Stage.name``), in the order they come: "retrieved",
# the passages are found and the answer is being made from them (a face's status changes then).
STAGES = ("retrieved",)


@dataclass(frozen=True)
class Stage:
    """A stage the pipeline has finished, yielded by ``Assistant.stream`` among the answer's text
    (never in the final ``Answer``): ``name`` one of ``STAGES``; ``passages`` how many were found."""

    name: str
    passages: int = 0


@dataclass(frozen=True)
class Citation:
    """Numbered source of a claim: ``quote`` is ``text``'s supporting span, at ``start:end`` of
    the page (or document) text."""

    n: int
    source: str
    title: str
    page: int | None
    chunk_id: str
    text: str
    quote: str
    start: int
    end: int
    section: str = ""  # the cited chunk's heading path


@dataclass(frozen=True)
class Sentence:
    text: str
    citations: tuple[int, ...]
    supported: bool = True


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str
    refused: bool
    backend: str
    citations: tuple[Citation, ...] = ()
    sentences: tuple[Sentence, ...] = ()
    retrieved: tuple[Passage, ...] = ()
    latency_s: float = 0.0
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """The ``assistant ask --json`` contract."""
        return {
            "question": self.question,
            "answer": self.answer,
            "refused": self.refused,
            "backend": self.backend,
            "citations": [asdict(c) for c in self.citations],
            "sentences": [
                {"text": s.text, "citations": list(s.citations), "supported": s.supported}
                for s in self.sentences
            ],
            "retrieved": [
                {
                    "source": p.chunk.source,
                    "page": p.chunk.page,
                    "chunk_id": p.chunk.chunk_id,
                    "score": round(p.score, 6),
                }
                for p in self.retrieved
            ],
            "latency_s": round(self.latency_s, 4),
            "notes": list(self.notes),
        }
