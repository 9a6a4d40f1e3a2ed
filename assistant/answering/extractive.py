"""The default answerer: quotes the retrieved sentences that state the asked fact.

It cannot invent a fact: every sentence of the answer is a verbatim sentence of a passage, cited.
Each candidate sentence (``candidates.py``: prose of the retrieved passages, no headings,
questions, figure captions or bibliography; a table row only with its table's header) gets the
fitted sentence model's probability that it states an asked fact (``scorer.py``); ``selection.py``
chooses the sentences that form the answer. The gate model then gives the answer the probability
that it answers the question, which the chain compares with its threshold. A question asked in
several parts is answered part by part (``extract_parts``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from ..abbreviations import long_form_terms, stands_for
from ..citations import Quote
from ..encoder.encoder import Encoder
from ..retrieval.followup import follow_up_context, joined, referents
from ..text import terms, word_count
from ..types import Part, Passage
from . import scorer
from .candidates import Pool, as_quoted, candidates, position, prose_sentences, with_header, without_run_in_heading
from .counts import counted_head, states_count
from .definitions import defines, glosses
from .question import analyse, asking_terms, expansion_terms, holds_type, query_terms, typed
from .question_parts import asks
from .readings import names_and_identifiers
from .selection import DEFAULT_SELECTION, Selection, complements, continuation, opening_sentence, relation_section, select
from .variants import other_variant, variants


@dataclass(frozen=True)
class Extract:
    """The chosen quotes in answer order (the best first), and the gate's view of them."""

    quotes: tuple[Quote, ...]
    probability: float = 0.0  # the gate model's probability that the quotes answer the question
    best_probability: float = 0.0  # the sentence model's, for the best sentence
    typed: bool = False  # the question asks for a number, an amount, a role or names...
    has_type: bool = False  # ...and a quote holds one
    gate_features: tuple[float, ...] = ()
    # The passages in the order of their most probable sentence: what a generative backend reads.
    passages: tuple[Passage, ...] = ()
    # What a "how many GPUs" question counts when no quote gives a number of it (``counts``): the
    # quotes state something else about the entity, a look-alike's answer, and the gate refuses.
    uncounted: tuple[str, ...] = ()
    # The best quote is a byline or a web address, which answers what was asked whatever the
    # passages' words: neither the gate nor the relevance floor judges it.
    exempt: bool = False
    # The question's words when it asks only in words no chunk holds ("transistor"): there is
    # nothing to quote, and the reader is told which words (``Question.unindexed``).
    unindexed: tuple[str, ...] = ()


def _refused_uncounted(found: Extract, quotes: Sequence[Quote]) -> Extract:
    """``found`` with no probability when what it counts is stated in none of ``quotes``."""
    if not found.uncounted or any(states_count(found.uncounted, q.text) for q in quotes):
        return replace(found, uncounted=())
    return replace(found, probability=0.0)


# The authors a document's byline lists, by its source (``retrieval.documents.DocumentNames.authors``).
Authors = Callable[[str], Sequence[str]]


def _no_authors(source: str) -> Sequence[str]:
    return ()


def named_authors(question: str, sources: set[str], authors: Authors) -> set[str]:
    """The terms of the authors of ``sources`` whom ``question`` names by their surname, as it
    points at their document ("Girshick's single training loss", "Ren et al.'s anchors"): the
    document's sentences never name them, its byline does."""
    held: set[str] = set()
    for source in sources:
        for name in authors(source):
            if re.search(rf"(?<!\w){re.escape(name.split()[-1])}(?!\w)", question, re.I):
                held |= set(terms(name))
    return held


def gate_features(pool: Pool, probability: np.ndarray, chosen: list[int], passages: list[Passage], *,
                  selection: Selection = DEFAULT_SELECTION, authors: Authors = _no_authors) -> tuple[float, ...]:
    """The answer's ``scorer.GATE_FEATURES``, with the relation's heading read as ``selection``
    chose the answer under it; ``authors``: who wrote each document."""
    question = pool.question
    if not chosen:
        return ()
    best = chosen[0]
    column = {name: k for k, name in enumerate(scorer.SENTENCE_FEATURES)}
    texts = [with_header(pool.quotes[i], pool.headers[i]) for i in chosen]
    have = set().union(*(pool.terms[i] for i in chosen))
    has_type = any(holds_type(question, t) for t in texts)
    if has_type:
        have |= asking_terms(question)
    # A quote stating a count of what is counted in its own words ("four researchers" for "how
    # many people", "12 GB" for "how much memory") holds the word naming it.
    if question.counted and any(states_count(question.counted, t) for t in texts):
        have |= set(terms(counted_head(question.counted)))
    if any(stands_for(question.subject, t) or defines(question.subject, t) or glosses(question.subject, t) for t in texts):
        have |= expansion_terms(question)
    # A quote naming by its abbreviation what the question spells out holds its words: "ResNet"
    # for "the residual-network breakthrough", "MSRA" for "Microsoft Research Asia". (The other way
    # round, "MSRA" held by a quote saying "Microsoft Research Asia", changed no answer of wide dev.)
    have |= long_form_terms(question.text, " ".join(texts))
    # A question naming a quote's document by its authors holds their names with it (wide dev +9 −0,
    # session 40).
    have |= named_authors(question.text, {pool.quotes[i].passage.chunk.source for i in chosen}, authors)
    # Quotes from the section whose heading answers the question's relation ("Who were the
    # beneficiaries?" -> "Who Benefitted and Who Lost Out?") state that relation in the heading's
    # words, not the question's: its words count as held.
    nearest = relation_section(pool, selection)
    own = question.asked_terms
    if nearest is not None and any(pool.quotes[i].passage.chunk.section == nearest for i in chosen):
        related = set(terms(question.relation))
        have |= related
        # What the heading answers is the relation and what it relates to, by name ("Which companies
        # benefitted from ResNet ...?"); the reader's further words ("... and from its authors'
        # subsequent career moves") are said in the section's own (``Selection.relation_answers``).
        if pool.relation_heading[nearest] >= selection.relation_answers:
            named = {t for name in names_and_identifiers(question.text) for t in terms(name)}
            own = tuple(t for t in own if t in related | named) or own
    total = sum(question.idf[t] for t in own) or 1.0
    coverage = sum(question.idf[t] for t in own if t in have) / total
    rarest = max((question.idf[t] for t in own), default=1.0) or 1.0
    missing = max((question.idf[t] for t in own if t not in have), default=0.0) / rarest
    return (
        # The most probable sentence of the pool: the chosen first one, except when a list
        # question gathers its items under a heading, where the corpus's best evidence still counts.
        scorer.logit(float(probability.max())),
        max(p.relevance for p in passages),
        float(pool.features[best, column["cos"]]),
        float(pool.features[best, column["bm25"]]),
        coverage,
        missing,
        float(typed(question) and not has_type),
        # Checked in the best sentence and its passage, not in all the quotes: a look-alike's
        # numbers are each somewhere in the answer's document, never together in one statement.
        scorer.numbers_missing(question, texts[0]),
        scorer.numbers_missing(question, pool.quotes[best].passage.chunk.text),
    )


def extract(question: str, passages: list[Passage], encoder: Encoder, *, max_words: int, context: str = "",
            idf: dict[str, float] | None = None, selection: Selection = DEFAULT_SELECTION,
            authors: Authors = _no_authors) -> Extract:
    """The best quotes for ``question`` and the gate's probability that they answer it.
    ``idf``: the corpus idf of the question's and the context's terms (``Bm25Side.idf``);
    ``authors``: who wrote each document (``Authors``)."""
    return _refused_uncounted(_extract(question, passages, encoder, max_words=max_words, context=context, idf=idf,
                                       selection=selection, follow_up=bool(context), authors=authors), quotes=())


def _extract(question: str, passages: list[Passage], encoder: Encoder, *, max_words: int, context: str,
             idf: dict[str, float] | None, selection: Selection, follow_up: bool = False,
             authors: Authors = _no_authors) -> Extract:
    """``extract`` but for the count check, which a question in parts makes over all its parts' quotes.
    ``follow_up``: ``context`` is the conversation's (``analyse``), not the parts' before it."""
    sentence_model, gate_model = scorer.models()
    analysed = analyse(question, context, idf, follow_up=follow_up)
    if analysed.about_nothing_indexed:
        return Extract((), unindexed=analysed.unindexed)
    pool = candidates(analysed, passages, encoder)
    if not pool.quotes or (analysed.address and not pool.addresses) or (analysed.written_by and not pool.bylines):
        # Nothing to quote; or a question asking where code or data is, and no passage gives an
        # address of that kind (the address step has looked in the documents it names): the
        # corpus does not say ("Where is the AlphaGo Zero code released?"); or which documents
        # a person wrote, and no document's byline names them.
        return Extract(())
    probability = sentence_model.probability(pool.features)
    asked = variants(question)
    if asked:
        # A sentence about another variant than the one asked (ResNet-164 for ResNet-110) does
        # not state the asked fact, however near its words are: no quote, and no evidence for the gate.
        swapped = [i for i in range(len(pool.quotes)) if other_variant(asked, as_quoted(pool.quotes[i], pool.headers[i]))]
        probability[swapped] = 0.0
    chosen = select(pool, probability, max_words=max_words, selection=selection)
    if not chosen:
        return Extract(())
    selected = list(chosen)
    chosen += complements(pool, probability, chosen, max_words=max_words, selection=selection)
    continued = continuation(pool, probability, chosen, max_words=max_words, selection=selection)
    chosen += continued
    # The gate judges the selected sentences with the best one's continuation, which often holds
    # what was asked ("Sun now serves as the company's chief scientist." after the sentence naming
    # him); not the complements, which add to an answer the gate has already judged.
    row = gate_features(pool, probability, selected + continued, passages, selection=selection, authors=authors)
    best, opening = chosen[0], opening_sentence(pool, chosen, selection, probability)
    rest = sorted((i for i in chosen if i != opening), key=lambda i: position(pool.quotes[i]))
    quotes: list[Quote] = []
    for i in [opening, *rest]:
        quotes.extend(pool.headers[i])
        # A prose sentence is quoted without its run-in heading; a byline with its title.
        prose = not pool.headers[i] and i not in pool.bylines
        quotes.append(without_run_in_heading(pool.quotes[i]) if prose else pool.quotes[i])
    # A byline is quoted only for a question that opens by asking who wrote the one document it
    # names, or their affiliation (``select``; retrieval/front_matter.py), and it names them: the
    # gate, fitted on prose sentences, does not judge it (its words are names, like no question's).
    # Nor a web address for a question asking where code or data is: it is what was asked, and the
    # question's numbers ("the 1001-layer ResNet") are seldom beside it.
    exempt = best in pool.bylines | pool.addresses
    gate_probability = 1.0 if exempt else float(gate_model.probability(np.asarray(row, dtype=np.float32))[0])
    # A table row is read under its caption, as it is quoted: "Classification error (%) on
    # CIFAR-10/100" says what "ResNet-1001 27.82 22.71" counts.
    stated = not analysed.counted or any(states_count(analysed.counted, as_quoted(pool.quotes[i], pool.headers[i]))
                                         for i in chosen)
    return Extract(
        quotes=tuple(quotes),
        probability=gate_probability,
        best_probability=float(probability[best]),
        typed=typed(analysed),
        has_type=row[scorer.GATE_FEATURES.index("type_miss")] == 0.0,
        gate_features=row,
        passages=by_best_sentence(pool, probability, passages),
        uncounted=() if stated else analysed.counted,
        exempt=exempt,
    )


def overview(passages: list[Passage], encoder: Encoder, *, title: str, max_words: int,
             sentences: int = DEFAULT_SELECTION.sentences) -> Extract:
    """What a document is about ("What is this article about?"), from its opening's ``passages``
    (``retrieval.front_matter.opening_passages``) and its ``title``: the sentences nearest both
    their centroid and the title (the centroid summary of Radev et al. 2004 with Edmundson's title
    cue), at most ``sentences`` within ``max_words``, in the document's order, none pointing back
    to a sentence left out ("These neural networks ..."); a question the
    document opens by asking among them ("Who benefits from the research breakthroughs made in ...
    labs of American AI companies?"). The gate does not judge them: the document's gist is what
    was asked, and a question about a whole document shares its words with no sentence."""
    quotes = prose_sentences(passages)
    if not quotes:
        return Extract(())
    vectors = encoder.encode_sentences([q.text for q in quotes] + [title])
    vectors, titled = vectors[:-1], vectors[-1]
    central = np.argsort(-(vectors @ vectors.mean(axis=0) + vectors @ titled), kind="stable")
    chosen: list[int] = []
    words = 0
    for i in central:
        length = word_count(quotes[i].text)
        # "These neural networks were trained ..." says nothing without the sentence before it.
        leans = scorer.points_back(quotes[i].text) and (i == 0 or i - 1 not in chosen)
        if not leans and words + length <= max_words:
            chosen.append(int(i))
            words += length
        if len(chosen) == sentences:
            break
    return Extract(tuple(quotes[i] for i in sorted(chosen, key=lambda i: position(quotes[i]))),
                   probability=1.0, passages=tuple(passages), exempt=True)


def extract_parts(parts: Sequence[Part], encoder: Encoder, *, max_words: int,
                  idf: Callable[[list[str]], dict[str, float]], context: str = "", either: bool = False,
                  search_again: Callable[[Part, str], Part] | None = None,
                  selection: Selection = DEFAULT_SELECTION, authors: Authors = _no_authors) -> Extract:
    """A question asked in several parts (``question_parts``), each given with its own
    passages (``retrieval.parts``): each part's best quotes, scored against the part alone within an equal share of the
    word budget, in the parts' order, one answer. A part that points back ("how many anchors did
    that method use?") is read as a follow-up of the parts before it and their quotes and, given
    ``search_again`` (a part and what to search it with -> the part with the passages found), is
    searched again with the names those quotes gave it: the method the first part's answer names. A
    statement the question builds on is quoted (its best sentence) but not gated: what it says is
    not asked. A part that does not point back reads what it leans on (``Part.leans_on``: the
    parts before it when it names nothing of its own, the questions before it without their names
    when it leaves out what it asks) as its context. Every part that asks must be answered; the gate's
    probability is theirs together (``parts_probability``), its other features the weakest
    part's, or with ``either`` ("Which paper, A or B, ...?") the strongest's. ``idf``: the corpus
    idf of terms; ``authors``: who wrote each document."""
    share = max_words // len(parts)
    # A list part runs no words past its share: the answer's allowance is for a whole list question.
    selection = replace(selection, list_words=0)
    found: list[Extract] = []
    history: list[tuple[str, str]] = []
    for part in parts:
        text = part.text
        own = follow_up_context(text, history) if history else ""
        named = referents(text, history) if history and search_again is not None else []
        if named:
            part = search_again(part, joined(", ".join(named), context))
        part_context = joined(own or part.leans_on, context)
        asking = asks(text)
        found.append(_extract(text, list(part.passages), encoder, max_words=share, context=part_context,
                              idf=idf(query_terms(text, part_context)), authors=authors,
                              selection=selection if asking else replace(selection, sentences=1)))
        history.append((text, " ".join(f"{q.text} [1]" for q in found[-1].quotes)))
    answered = [e for e in found if e.quotes]
    if not answered or (not either and len(answered) < len(found)):
        return Extract(())
    # A sentence two parts chose (from their own passages, or two overlapping chunks) is quoted once.
    quotes = list({position(q): q for e in answered for q in e.quotes}.values())
    # A part's count may stand in a sentence another part chose ("What share of the RoIs are
    # foreground, and what overlap do they need?": one sentence gives 25% and 0.5).
    gated = [_refused_uncounted(e, quotes) for e in
             ([e for part, e in zip(parts, found) if e.quotes and asks(part.text)] or answered)]
    weakest = (max if either else min)(gated, key=lambda e: e.probability)
    return Extract(
        quotes=tuple(quotes),
        probability=parts_probability([e.probability for e in gated], either=either),
        best_probability=weakest.best_probability,
        typed=weakest.typed,
        has_type=weakest.has_type,
        gate_features=weakest.gate_features,
        # No passage order of its own: a generative backend reads the question's passages, where
        # each part's best have their reserved places (retrieval/parts.py).
    )


def parts_probability(probabilities: Sequence[float], *, either: bool = False) -> float:
    """The gate's probability for a question asked in parts, from each asking part's: with
    ``either`` ("Which paper, A or B, ...?") the strongest, as one part's answer suffices;
    otherwise their mean, and 0 when a part's count is stated nowhere (``_refused_uncounted``).
    Not the weakest: one part's gate below the threshold refused answers whose other parts were
    sure; the mean gains ten wide-dev questions and loses none (docs/EVALUATION.md, session 22)."""
    if either:
        return max(probabilities)
    return 0.0 if min(probabilities) == 0.0 else float(np.mean(probabilities))


def by_best_sentence(pool: Pool, probability: np.ndarray, passages: list[Passage]) -> tuple[Passage, ...]:
    """``passages`` ordered by their most probable sentence (those without a quotable sentence
    last, in retrieval order): the sentence model chooses what a generative backend reads first."""
    best: dict[int, float] = {}
    for quote, p in zip(pool.quotes, probability):
        best[id(quote.passage)] = max(best.get(id(quote.passage), 0.0), float(p))
    return tuple(sorted(passages, key=lambda passage: -best.get(id(passage), -1.0)))
