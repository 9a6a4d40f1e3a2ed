"""The LCEL pipeline: validate -> condense -> retrieve -> gate -> answer -> (verify) -> Answer.

``Assistant`` is the single entry point the CLI, the web app and the evaluation call.
"""

from __future__ import annotations

import re
import time
from dataclasses import replace
from collections.abc import Iterator, Sequence
from typing import Any

from langchain_core.runnables import Runnable, RunnableLambda, RunnablePassthrough

from .answering import extractive
from .citations import Quote, as_answer_sentence, cite
from .config import Settings
from .embeddings import COMPUTE_LOCK, Encoder
from .errors import BackendError
from .index_view import Index
from .limits import checked_k, checked_question, checked_request, checked_sources
from .retrieval import REFUSED_PREFIX, Searcher, follow_up_context, with_context
from .text import terms
from .types import Answer, Passage, Sentence

REFUSAL = f"{REFUSED_PREFIX} an answer to this question."
History = Sequence[tuple[str, str]]  # (user question, assistant answer) pairs, oldest first


class Assistant:
    def __init__(self, settings: Settings | None = None, *, index: Index | None = None, encoder: Encoder | None = None) -> None:
        """Answers from ``index`` (by default the settings' index folder, opened read-only: no
        writer needed); a process that also writes passes its ``Library``'s index and encoder."""
        self.settings = settings or Settings.from_env()
        self.index = index or Index(self.settings)
        self.encoder = encoder or Encoder.from_settings(self.settings)
        self.searcher = Searcher(self.index, self.encoder)
        self.retrieve_chain = self._build_retrieve_chain()

    # -- the pipeline --------------------------------------------------------------------------
    def _build_retrieve_chain(self) -> Runnable:
        """{question, history, k, sources} -> + query, passages (LCEL, so callbacks/tracing apply)."""
        return (
            RunnableLambda(self._validate)
            | RunnablePassthrough.assign(context=lambda x: follow_up_context(x["question"], x["history"], self._context_chars(x)))
            | RunnablePassthrough.assign(query=lambda x: with_context(x["question"], x["context"]))
            | RunnablePassthrough.assign(
                passages=lambda x: self.searcher.search(x["query"], k=x["k"], sources=x["sources"])
            )
        )

    def _validate(self, request: dict[str, Any]) -> dict[str, Any]:
        """Every argument checked against the request limits (assistant/limits.py)."""
        return checked_request(request, self.settings)

    def _context_chars(self, request: dict[str, Any]) -> int:
        """What the follow-up context may add to the question: the query searched stays within
        the question limit."""
        return max(0, self.settings.max_question_chars - len(request["question"]) - len(" ()"))

    # -- public API ----------------------------------------------------------------------------
    def ask(
        self,
        question: str,
        *,
        history: History = (),
        backend: str | None = None,
        k: int | None = None,
        sources: Sequence[str] | None = None,
    ) -> Answer:
        answer = None
        for event in self.stream(question, history=history, backend=backend, k=k, sources=sources):
            if isinstance(event, Answer):
                answer = event
        assert answer is not None
        return answer

    def stream(
        self,
        question: str,
        *,
        history: History = (),
        backend: str | None = None,
        k: int | None = None,
        sources: Sequence[str] | None = None,
    ) -> Iterator[str | Answer]:
        """Yield the answer's text as it is produced, then the final, verified ``Answer``."""
        started = time.perf_counter()
        state = self.retrieve_chain.invoke(
            {"question": question, "history": history, "backend": backend, "k": k, "sources": sources}
        )
        passages: list[Passage] = state["passages"]
        extract = extractive.extract(
            state["question"], passages, self.encoder,
            max_words=self.settings.max_answer_words, context=state["context"],
            idf=self.searcher.bm25.idf(extractive.query_terms(state["question"], state["context"])),
        )
        unknown = self._unknown_names(state["question"])
        if unknown or not self._answerable(passages, extract):
            notes = (f"no document mentions {', '.join(repr(w) for w in unknown)}",) if unknown else ()
            answer = Answer(state["question"], REFUSAL, True, state["backend"], retrieved=tuple(passages), notes=notes)
        elif state["backend"] == "extractive":
            answer = extractive_answer(state["question"], extract.quotes, passages)
        else:
            answer = yield from self._generate(state, passages, extract)
            if answer is None:
                return
        answer = _with_latency(answer, time.perf_counter() - started)
        if answer.backend == "extractive" or answer.refused:
            yield answer.answer
        yield answer

    def _unknown_names(self, question: str) -> list[str]:
        """The names and identifiers of the question that no indexed chunk mentions ("Places365",
        "Yann LeCun"): the passages, whatever they say, are not about them. Not applied when most
        of the question's words are unknown to the corpus (another language: the gate decides)."""
        unknown = self.searcher.bm25.unknown(extractive.names_and_identifiers(question))
        if unknown:
            words = [w for w in re.findall(r"[\w’'-]+", question) if terms(w)]
            if 2 * len(self.searcher.bm25.unknown(words)) > len(words):
                return []
        return unknown

    def _answerable(self, passages: list[Passage], extract: extractive.Extract) -> bool:
        """The refusal gate: the gate model's probability that the quotes answer the question,
        against a threshold chosen on the dev split (docs/EVALUATION.md, "The learned scorer");
        a question no passage is near at all is refused before that."""
        if not passages or not extract.quotes:
            return False
        if max(p.relevance for p in passages) < self.settings.min_relevance:
            return False
        return extract.probability >= self.settings.min_answer_probability

    def _generate(self, state: dict[str, Any], passages: list[Passage], extract: extractive.Extract):
        from .answering import generative, verify

        backend = state["backend"]
        # The passages the sentence model ranks best come first (the verifier checks against the same list).
        ranked = list(extract.passages) or passages
        tokens: list[str] = []
        try:
            with COMPUTE_LOCK:
                for token in generative.stream(backend, self.settings, state["question"], ranked):
                    tokens.append(token)
                    yield token
        except BackendError as exc:
            if not self.settings.fallback_to_extractive:
                raise
            answer = extractive_answer(state["question"], extract.quotes, passages)
            return _noted(answer, f"{exc}; answered extractively instead")
        checked = verify.verify("".join(tokens), ranked, self.encoder, question=state["question"])
        if checked.mostly_unsupported and self.settings.fallback_to_extractive:
            answer = extractive_answer(state["question"], extract.quotes, passages)
            return _noted(answer, f"the {backend} answer was mostly unsupported by the passages; answered extractively instead")
        return Answer(
            question=state["question"],
            answer=checked.text,
            refused=False,
            backend=backend,
            citations=checked.citations,
            sentences=checked.sentences,
            retrieved=tuple(passages),
            notes=checked.notes,
        )

    def search(self, query: str, *, k: int | None = None, sources: Sequence[str] | None = None) -> list[Passage]:
        query = checked_question(query, self.settings, "the query")
        return self.searcher.search(query, k=checked_k(k, self.settings), sources=checked_sources(sources, self.settings))


def extractive_answer(question: str, quotes: Sequence[Quote], passages: Sequence[Passage]) -> Answer:
    citations = tuple(cite(q, n) for n, q in enumerate(quotes, start=1))
    sentences = tuple(Sentence(as_answer_sentence(q.text), (n,), True) for n, q in enumerate(quotes, start=1))
    text = " ".join(f"{s.text} [{s.citations[0]}]" for s in sentences)
    return Answer(question, text, False, "extractive", citations, sentences, tuple(passages))


def _with_latency(answer: Answer, seconds: float) -> Answer:
    return replace(answer, latency_s=seconds)


def _noted(answer: Answer, note: str) -> Answer:
    return replace(answer, notes=(*answer.notes, note))
