"""The answer pipeline: check -> condense -> retrieve -> gate -> answer -> (verify) -> Answer.

``Assistant`` is the single entry point the CLI, the web app and the evaluation call. Its stages
pass typed records (``Question`` -> ``Retrieval`` -> ``Answer``); ``Assistant.stream`` tells its
caller when the passages are found (a ``Stage``), then yields the answer's text and the ``Answer``.
The retrieve stage is an LCEL chain (so LangChain callbacks and tracing apply), and
``Assistant.as_runnable()`` is the whole pipeline as one LangChain ``Runnable`` whose output is the
``Answer``.
"""

from __future__ import annotations

import re
import time
from dataclasses import replace
from collections.abc import Iterator, Sequence
from typing import Any

from langchain_core.runnables import Runnable, RunnableLambda

from .answering import extractive
from .answering.asking import asked_relation, wh_head
from .answering.front_matter import (asks_address, asks_affiliation, asks_authors, author_in_role, concluded_document,
                                     described_document, names_a_document, only_a_document, written_by)
from .answering.definitions import definition_subject
from .answering.question import query_terms
from .answering.readings import names_and_identifiers
from .answering.question_parts import asks_besides_affiliation, leans_on, question_parts
from .citations import Quote, as_answer_sentence, cite
from .config import Settings
from .encoder.encoder import COMPUTE_LOCK, Encoder
from .errors import BackendError
from .store.index import Index
from .limits import checked_k, checked_question, checked_request, checked_sources
from .retrieval import Searcher
from .retrieval.addresses import with_addresses
from .retrieval.continuations import whole_sentence, with_continuations
from .retrieval.definitions import with_definitions
from .retrieval.front_matter import (closing_passages, named_by_role, opening_passages, put_first, with_bylines_naming,
                                     with_front_matter)
from .retrieval.glossary import spelled_out
from .retrieval.followup import REFUSED_PREFIX, earlier_questions, follow_up_context, joined, with_context
from .retrieval.parts import search_parts, searched_again, with_reserved
from .retrieval.sections import with_relation_section
from .retrieval.spelling import spelled_as_indexed
from .retrieval.tables import with_captions, with_table_rows
from .text import terms, word_count
from .types import Answer, Citation, Part, Passage, Question, Retrieval, Sentence, Stage

REFUSAL = f"{REFUSED_PREFIX} an answer to this question."
History = Sequence[tuple[str, str]]  # (user question, assistant answer) pairs, oldest first
Event = str | Stage | Answer  # an item of ``Assistant.stream``


class Assistant:
    def __init__(self, settings: Settings | None = None, *, index: Index | None = None, encoder: Encoder | None = None) -> None:
        """Answers from ``index`` (by default the settings' index folder, opened read-only: no
        writer needed); a process that also writes passes its ``Library``'s index and encoder."""
        self.settings = settings or Settings.from_env()
        self.index = index or Index(self.settings)
        self.encoder = encoder or Encoder.from_settings(self.settings)
        self.searcher = Searcher(self.index, self.encoder)
        self.retrieve_chain = self._build_retrieve_chain()

    # -- public API ----------------------------------------------------------------------------
    def stream(
        self,
        question: str,
        *,
        history: History = (),
        backend: str | None = None,
        k: int | None = None,
        sources: Sequence[str] | None = None,
    ) -> Iterator[Event]:
        """Yield ``Stage("retrieved", n)`` once the passages are found, then the answer's text as
        it is produced, then the final, verified ``Answer``. ``history``: earlier (question,
        answer) turns, oldest first; ``backend``: by name (None: the settings'); ``k``: passages
        (None: the settings'); ``sources``: only these documents."""
        started = time.perf_counter()
        retrieval = self.retrieve_chain.invoke(
            {"question": question, "history": history, "backend": backend, "k": k, "sources": sources}
        )
        yield Stage("retrieved", passages=len(retrieval.passages))
        answer = yield from self._answer(retrieval)
        answer = replace(answer, latency_s=time.perf_counter() - started)
        if answer.backend == "extractive" or answer.refused:
            yield answer.answer
        yield answer

    def ask(self, question: str, **options: Any) -> Answer:
        """``stream`` drained: the final ``Answer`` (options as ``stream``'s)."""
        return final_answer(self.stream(question, **options))

    def search(self, query: str, *, k: int | None = None, sources: Sequence[str] | None = None) -> list[Passage]:
        query = checked_question(query, self.settings, "the query")
        return self.searcher.search(query, k=checked_k(k, self.settings), sources=checked_sources(sources, self.settings))

    def as_runnable(self) -> Runnable[Any, Answer]:
        """The whole pipeline as a LangChain ``Runnable``: its input is a question (text) or a dict
        of ``stream``'s arguments ({"question", "history", "backend", "k", "sources"}), its output
        the ``Answer``; ``invoke``, ``batch``, ``stream`` (the final Answer) and their async forms
        come from LangChain. Token streaming and the ``Stage`` events are ``Assistant.stream``'s:
        a Runnable's output has one type, and LangChain's own callbacks already see the retrieve
        chain end."""

        def answer(request: str | dict[str, Any]) -> Answer:
            if isinstance(request, str):
                return self.ask(request)
            options = dict(request)
            return self.ask(options.pop("question", None), **options)

        return RunnableLambda(answer, name="assistant")

    # -- the stages ----------------------------------------------------------------------------
    def _build_retrieve_chain(self) -> Runnable[dict[str, Any], Retrieval]:
        """{question, history, backend, k, sources} -> ``Question`` (checked) -> ``Retrieval``."""
        return RunnableLambda(self._check, name="check") | RunnableLambda(self._retrieve, name="retrieve")

    def _check(self, request: dict[str, Any]) -> Question:
        """Every argument checked against the request limits (assistant/limits.py)."""
        return checked_request(request, self.settings)

    def _retrieve(self, question: Question) -> Retrieval:
        """A follow-up is searched with what it refers back to, within the question limit; the
        documents the question (or a follow-up's conversation) names are favoured
        (retrieval/documents.py); a question asked in several parts also searches each part and
        keeps places in the top k for each part's best (retrieval/parts.py); a definition question
        also gets the passages that define its subject (retrieval/definitions.py)."""
        # A person the question names by their place in a byline ("the first author of Faster
        # R-CNN") is named: the question is read as "... Shaoqing Ren ..." from here on. When it
        # asks who holds the role ("Which ResNet co-author was first author of Faster R-CNN?"), the
        # name is what it refers to, as a follow-up's "he" is; in a question asked in parts, that part's.
        # Its words spelled as the corpus spells them ("organisations" for a corpus writing
        # "organizations"; retrieval/spelling.py).
        text, in_role = self._read_roles(spelled_as_indexed(question.text, self.searcher.bm25.unknown))
        room = max(0, self.settings.max_question_chars - len(text) - len(" (; )") - len(in_role))
        follow_up = follow_up_context(text, question.history, room)
        context = joined(in_role, follow_up)
        query = with_context(text, context)
        # The documents the question names; a follow-up's, those its conversation named.
        earlier = earlier_questions(question.history) if follow_up else []
        named = self.searcher.documents.named_in_conversation(text, earlier)
        passages = self.searcher.search(query, k=question.k, sources=question.sources, named=named)
        passages = with_continuations(self.searcher, query, passages)
        # A question asking the authors' affiliation on each of several documents is answered
        # whole, from their bylines ("... on Fast R-CNN, and what on the focal loss paper?"): its
        # second part alone ("what on the focal loss paper?") no longer asks for one. Unless a part
        # asks something else of its own ("Which startup did he co-found, and which university ...?").
        asked = question_parts(text) if self.settings.question_parts else None
        affiliation = asks_affiliation(text)
        if asked and affiliation and not asks_besides_affiliation(asked.texts):
            asked = None
        parts = ()
        if asked and len(asked.texts) > 1:
            # The person named by a role goes with the part naming them, not with every part.
            context = follow_up
            leaned = [joined(self._read_roles(part)[1], before) for part, before in zip(asked.texts, leans_on(asked.texts))]
            parts = search_parts(self.searcher, asked.texts, question.k, question.sources, context, leaned=leaned)
            passages = with_reserved(passages, parts)
            # A part asking where the authors were ("..., and which university was he with in the
            # Faster R-CNN paper?") reads the byline of the document it or a part before it names.
            parts = tuple(self._with_affiliations(part, asked.texts[:k], question) for k, part in enumerate(parts))
        affiliation = affiliation and not parts  # answered whole, from the bylines
        # The definition is looked up in the documents the question names ("... in the ResNet paper"), if any.
        within = [s for s in named if not question.sources or s in question.sources]
        passages = with_definitions(self.searcher, text, definition_subject(text), passages,
                                    within or question.sources)
        passages = with_relation_section(self.searcher, text, asked_relation(text), passages)
        if asks_address(text):
            passages = with_addresses(self.searcher, text, within, passages)
        if asks_authors(text) or affiliation:
            passages = with_front_matter(self.searcher, text, within, passages, several=affiliation)
        writers = written_by(text)
        if writers:
            passages = with_bylines_naming(self.searcher, writers, passages, question.sources)
        # "What is this article about?": the opening of the document it calls so (the library's one
        # document when it holds one and the question calls it "this article"); "What does the
        # paper conclude?": its conclusion.
        overview, undecided = self._overview(text, question.sources, earlier) if not parts else ((), ())
        passages = put_first(overview, passages)
        # A table's rows are quoted under its caption (what they measure, on which data and how).
        passages = with_captions(self.searcher.index.registry, with_table_rows(self.searcher, text, passages))
        parts = tuple(replace(part, passages=tuple(with_captions(self.searcher.index.registry, part.passages)))
                      for part in parts)
        return Retrieval(question=question, text=text, context=context, query=query, passages=tuple(passages),
                         parts=parts, either=bool(parts) and asked.either, overview=tuple(overview),
                         undecided=undecided)

    def _overview(self, text: str, sources: Sequence[str] | None,
                  earlier: Sequence[str]) -> tuple[list[Passage], tuple[str, ...]]:
        """(The opening passages of the document ``text`` asks the gist of (``described_document``),
        or its conclusion's when it asks what the document concludes (``concluded_document``),
        the documents it may mean when it cannot tell). The document is the one its words name;
        when they call it "this article", "the paper" or "it", the one the nearest of the
        ``earlier`` questions naming one document names ("Who wrote the focal loss paper?" before
        "What is it about?"), else the only document in scope, else undecided among those in
        scope. No passages for any other question, or when its words name none or several."""
        words, part = described_document(text), opening_passages
        if words is None:
            words, part = concluded_document(text), closing_passages
        if words is None:
            return [], ()
        rest = words
        for start, end, _ in reversed(self.searcher.documents.naming(words)):
            rest = f"{rest[:start]} {rest[end:]}"
        if not only_a_document(rest):
            return [], ()
        documents = self.searcher.documents
        source = documents.called(words)
        if source is None and names_a_document(words):
            scope = list(sources) if sources else documents.sources()
            source = next(filter(None, map(documents.called, earlier)), scope[0] if len(scope) == 1 else None)
            if source is None and only_a_document(words):
                return [], tuple(scope)
        if source is None or (sources and source not in sources):
            return [], ()
        return part(self.searcher, source, text), ()

    def _answer(self, retrieval: Retrieval):
        """Gate, then answer with the question's backend; yields tokens, returns the ``Answer``."""
        question, passages = retrieval.question, list(retrieval.passages)
        if retrieval.undecided:
            # "What is this article about?" with several in scope: which one, not a guess.
            titles = "; ".join(self._title(source) or source for source in retrieval.undecided)
            note = f"which document? {len(retrieval.undecided)} are in scope ({titles}): name one in the question"
            return Answer(question.text, REFUSAL, True, question.backend, notes=(note,))
        if retrieval.overview:
            extract = extractive.overview(list(retrieval.overview), self.encoder,
                                          title=self._title(retrieval.overview[0].chunk.source),
                                          max_words=self.settings.max_answer_words)
        elif retrieval.parts:
            extract = extractive.extract_parts(
                retrieval.parts, self.encoder,
                max_words=self.settings.max_answer_words, idf=self.searcher.bm25.idf, context=retrieval.context,
                either=retrieval.either,
                search_again=lambda part, context: self._searched_again(part, context, question),
                authors=self.searcher.documents.authors,
            )
        else:
            extract = extractive.extract(
                retrieval.text, passages, self.encoder,
                max_words=self.settings.max_answer_words, context=retrieval.context,
                idf=self.searcher.bm25.idf(query_terms(retrieval.text, retrieval.context)),
                authors=self.searcher.documents.authors,
            )
        # The question as read: "Which Organisations ...?" names nothing unknown to a corpus
        # writing "organizations".
        unknown = self._unknown_names(retrieval.text) or list(extract.unindexed)
        if unknown or not self._answerable(passages, extract):
            notes = (f"no document mentions {', '.join(repr(w) for w in unknown)}",) if unknown else ()
            return Answer(question.text, REFUSAL, True, question.backend, retrieved=tuple(passages), notes=notes)
        if question.backend == "extractive":
            return extractive_answer(question.text, self._quoted(question.text, extract.quotes), passages)
        return (yield from self._generate(question, passages, extract))

    def _title(self, source: str) -> str:
        """A document's title ("" when it has none)."""
        document = self.searcher.index.registry.document(source)
        return document.title if document else ""

    def _read_roles(self, text: str) -> tuple[str, str]:
        """(``text`` as read, the person it asks about): the words naming a person by their place
        in a byline replaced by their name ("What startup did Shaoqing Ren co-found?" for "... the
        first author of Faster R-CNN ...") and ""; ``text`` and the name when it asks who holds the
        role or where they were, which the byline says; ``text`` and "" when it names no one so
        (``front_matter.named_by_role``)."""
        role = author_in_role(text)
        found = named_by_role(self.searcher, text, role) if role else None
        if found is None:
            return text, ""
        name, (start, end) = found
        read = text[:start] + name + text[end:]
        # Asked where the authors were ("Where does the last author of the focal loss paper
        # work?"), the document's byline answers: the question keeps the words naming it.
        if role.asked or (asks_affiliation(text) and not asks_affiliation(read)) or (asks_authors(text) and not asks_authors(read)):
            return text, name
        return read, ""

    def _with_affiliations(self, part: Part, before: Sequence[str], question: Question) -> Part:
        """``part`` with the bylines of the document it names (else the nearest part before it naming
        one) first, when it asks where the authors were; unchanged otherwise."""
        if not asks_affiliation(part.text):
            return part
        named = self.searcher.documents.named_in_conversation(part.text, list(reversed(before)))
        within = [s for s in named if not question.sources or s in question.sources]
        return replace(part, passages=tuple(with_front_matter(self.searcher, part.text, within, list(part.passages))))

    def _searched_again(self, part: Part, context: str, question: Question) -> Part:
        """A part of ``question`` pointing back to an earlier part's answer, searched again with the
        names that answer gave (``context``); its table rows with their captions."""
        again = searched_again(self.searcher, part, context, question.k, question.sources)
        return replace(again, passages=tuple(with_captions(self.searcher.index.registry, again.passages)))

    def _quoted(self, question: str, quotes: Sequence[Quote]) -> list[tuple[Quote, ...]]:
        """The answer's sentences: ``quotes`` made whole (``_whole_sentences``), then where their
        document spells out the abbreviations they use and the question does not (``spelled_out``),
        within ``max_answer_words``."""
        sentences = self._whole_sentences(quotes)
        room = self.settings.max_answer_words - sum(word_count(q.text) for s in sentences for q in s)
        definitions = spelled_out(self.searcher.index.registry, question, [q for s in sentences for q in s], room=room,
                                  asked=definition_subject(question))
        return sentences + [(d,) for d in definitions]

    def _whole_sentences(self, quotes: Sequence[Quote]) -> list[tuple[Quote, ...]]:
        """Each quote, with the parts of its sentence a page break cut off (``whole_sentence``)
        while the answer stays within ``max_answer_words``; a quote that is part of an earlier
        sentence is not quoted again."""
        registry = self.searcher.index.registry
        room = self.settings.max_answer_words - sum(word_count(q.text) for q in quotes)
        sentences: list[tuple[Quote, ...]] = []
        quoted: set[tuple[str, int, int]] = set()
        for quote in quotes:
            whole = whole_sentence(registry, quote)
            added = sum(word_count(q.text) for q in whole if q is not quote)
            if added > room:
                whole, added = (quote,), 0
            parts = {(q.passage.chunk.chunk_id, q.start, q.end) for q in whole}
            if parts & quoted:
                continue
            room -= added
            quoted |= parts
            sentences.append(whole)
        return sentences

    def _unknown_names(self, question: str) -> list[str]:
        """The names and identifiers of the question that no indexed chunk mentions ("Places365",
        "Yann LeCun"): the passages, whatever they say, are not about them. Not applied when most
        of the question's words are unknown to the corpus (another language: the gate decides), nor
        to the noun a question asks for, capitalised as in a title ("What Organisation did ...?")."""
        head = wh_head(question)
        unknown = [w for w in self.searcher.bm25.unknown(names_and_identifiers(question)) if w != head]
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
        if extract.exempt:
            # "Who wrote this piece?": a byline (or an author note) is near no question's words.
            return True
        if max(p.relevance for p in passages) < self.settings.min_relevance:
            return False
        return extract.probability >= self.settings.min_answer_probability

    def _generate(self, question: Question, passages: list[Passage], extract: extractive.Extract):
        from .answering import generative, verify

        backend = question.backend
        # The passages the sentence model ranks best come first (the verifier checks against the same list).
        ranked = list(extract.passages) or passages
        tokens: list[str] = []
        try:
            with COMPUTE_LOCK:
                for token in generative.stream(backend, self.settings, question.text, ranked):
                    tokens.append(token)
                    yield token
        except BackendError as exc:
            if not self.settings.fallback_to_extractive:
                raise
            answer = extractive_answer(question.text, self._quoted(question.text, extract.quotes), passages)
            return _noted(answer, f"{exc}; answered extractively instead")
        checked = verify.verify("".join(tokens), ranked, self.encoder, question=question.text)
        if checked.mostly_unsupported and self.settings.fallback_to_extractive:
            answer = extractive_answer(question.text, self._quoted(question.text, extract.quotes), passages)
            return _noted(answer, f"the {backend} answer was mostly unsupported by the passages; answered extractively instead")
        return Answer(
            question=question.text,
            answer=checked.text,
            refused=False,
            backend=backend,
            citations=checked.citations,
            sentences=checked.sentences,
            retrieved=tuple(passages),
            notes=checked.notes,
        )


def final_answer(events: Iterator[Event]) -> Answer:
    """The ``Answer`` a stream of events ends with."""
    answer = None
    for event in events:
        if isinstance(event, Answer):
            answer = event
    if answer is None:
        raise RuntimeError("the answer stream ended without an Answer")
    return answer


def extractive_answer(question: str, sentences: Sequence[Sequence[Quote]], passages: Sequence[Passage]) -> Answer:
    """The answer quoting ``sentences``, each given as its quotes: one, or two where a page break
    cuts it, each cited ("... matches the state-of-the-art COCO AP ... [1] [2]")."""
    citations: list[Citation] = []
    said: list[Sentence] = []
    for quotes in sentences:
        numbers = tuple(range(len(citations) + 1, len(citations) + len(quotes) + 1))
        citations += [cite(q, n) for n, q in zip(numbers, quotes)]
        said.append(Sentence(" ".join(as_answer_sentence(q.text) for q in quotes), numbers, True))
    text = " ".join(f"{s.text} {' '.join(f'[{n}]' for n in s.citations)}" for s in said)
    return Answer(question, text, False, "extractive", tuple(citations), tuple(said), tuple(passages))


def _noted(answer: Answer, note: str) -> Answer:
    return replace(answer, notes=(*answer.notes, note))
