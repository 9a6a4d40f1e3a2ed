"""Which candidate sentences form an extractive answer, and in what order: the most probable
opens it; further ones join when they are nearly as probable and add what the first lacks (a
question term, or, for list questions such as "Who benefited ...?" or "Which one-stage detectors
...?", another name), never two that say the same thing, within a word budget. A who/which list
gathers its items under its relation's heading; a definition opens with a sentence whose subject
is the term; a why-question takes the sentence after its best one, a list or a definition the
sentences after one announcing its items, a question saying how many items it asks (or a list
whose document says) the other items of the marked series ("The first is ...", "The second ...")
its best one is in; once the answer is chosen, sentences holding what it lacks of the question
join it (``complements``), and so does the sentence after its best one when nearly as probable
(``continuation``). Every setting is a field of ``Selection``, chosen on dev (docs/EVALUATION.md).
Nothing here is fitted: the probabilities come from ``scorer``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..abbreviations import stands_for
from ..retrieval.followup import names_any, people
from ..text import terms, word_count
from .candidates import Pool, following, names_institution, position, with_header
from .counts import states_count
from .answer_types import DIGIT
from .definitions import defines, glosses, opens_with_subject
from .front_matter import author_in_role
from .question import Question, asked_numbers, asks_long_form, holds_type, listed_names, new_names, typed
from .readings import names, numbers, opening_name
from .series import announced_count, announces, announcing_as_asked, asked_count, series

# A name in more than this share of the candidate sentences is the topic of a list, not an item.
TOPIC_SHARE = 0.1
@dataclass(frozen=True)
class Selection:
    """How further sentences join the best one; chosen on the dev split (docs/EVALUATION.md)."""

    # A further sentence needs this share of the best one's probability, and at least ``floor``.
    ratio: float = 0.3
    floor: float = 0.1
    # At most this many sentences (list questions: one per item, up to ``list_sentences``).
    sentences: int = 3
    list_sentences: int = 4
    # A list answer may run this many words past the answer's budget (``max_words``), as each item
    # needs a sentence of its own: with 5, wide dev gains 7 questions and loses none; with 10, two
    # headline phrasings lose Momenta to a longer sentence and an answer passes 120 words. Not a
    # part of a question (``extract_parts``): that lengthened dev's median answer past 60 words
    # (docs/EVALUATION.md, session 32).
    list_words: int = 5
    # Two sentences whose cosine exceeds this say the same thing: the second is left out.
    max_similarity: float = 0.7
    # A list of named things ("Which one-stage detectors ...?": "YOLO", "SSD", "OverFeat"): once
    # the answer names an item, a further sentence joins only with a new one, and then down to this
    # share of the best one's probability (None: as any answer's further sentences).
    item_ratio: float | None = 0.15
    # ... except, for a number question, a sentence stating another number, up to this cosine
    # (0.75-0.9 give the same train and dev answers; docs/EVALUATION.md).
    number_similarity: float = 0.85
    # Who/which-company lists draw from one section: the one whose heading is nearest the question's
    # relation ("Who benefited?" -> "Who Benefitted and Who Lost Out?") when that cosine reaches
    # ``relation_heading`` (None: never), else those whose heading holds a question term, if any.
    # A "who" question is answered as a list when such a heading answers its relation. (0.3: the
    # headline sets +6 of 70 over 0.4, wide dev and train unchanged; docs/EVALUATION.md, session 11.
    # 0.25: the headline sets +14 of 380 over 0.3, wide dev +2 −2; session 42: idioms the encoder
    # reads far from "benefitted", "Which companies cashed in?" at 0.28.)
    list_section: bool = True
    relation_heading: float | None = 0.25
    # An answer gathered under a heading this near its relation (cosine) answers the relation and
    # what it relates to by name, whatever further words the reader adds ("Which companies
    # benefitted from the residual learning paper and from its authors' subsequent career moves?"):
    # the gate's coverage reads only those (``extractive.gate_features``). (0.35: headline sets +8,
    # wide dev unchanged; 0.3: +9, a look-alike answered under "6. Conclusion" at 0.32; 0.4: +5;
    # docs/EVALUATION.md, session 30.)
    relation_answers: float = 0.35
    # A who/which-company list opens with a sentence naming an item, when one does; and when it is
    # gathered under its relation's heading, its answer opens with the chosen sentence nearest the
    # relation (``opening_sentence``; the quotes and the gate are unchanged).
    item_first: bool = True
    opening_by_relation: bool = True  # (the relation-nearest item as the best sentence too: headline sets −6)
    # A further sentence of any answer but a who/which-company list has at most this many words
    # (None: no cap): a long one rarely holds what the first lacks (dev: median 63.5 -> 60 words,
    # correct unchanged). Nor one of another named list that names an item the answer lacks: a
    # list is often one long sentence ("... as well as previous Go programs Crazy Stone, Pachi and
    # GnuGo."; wide dev +7 −2, dev's median unchanged; docs/EVALUATION.md, session 15).
    further_words: int | None = 35
    # An answer that is still short (within ``extra_within_words``, the length target's median) may
    # take up to ``extra_sentences`` more than ``sentences``, each only while it stays that short:
    # the sentence limit keeps long answers short, not short ones from stating a further fact
    # (wide dev +2, train +2, none lost; docs/EVALUATION.md). Not for lists, which have their own.
    extra_sentences: int = 2
    extra_within_words: int = 60
    # A definition answer opens with a sentence whose subject is the asked term ("RetinaNet is a
    # single, unified network ...", "The RoI pooling layer uses max pooling to ..."), when one is a
    # candidate, not with the most probable sentence about it ("In Figure 2 we plot ... RetinaNet").
    # (Session 12, requiring a defining verb: wide dev and train unchanged; session 13, any verb
    # after the term: wide dev +1, train +1; session 44, those defining the term itself before those
    # about a noun it qualifies, "The RoI layer is ...": wide dev +1; docs/EVALUATION.md.)
    definition_first: bool = True
    # A question asking why, or what happens, is answered by the sentence after the one that
    # states its circumstance ("During training, we ignore all cross-boundary anchors ..." is
    # followed by "If the boundary-crossing outliers are not ignored ..., training does not
    # converge."): it joins the best sentence, whatever its probability (wide dev +8, nothing lost;
    # for "how does / did ..." too: +5 −2, not kept; docs/EVALUATION.md, session 13).
    reason_follows: bool = True
    # A list or definition answer's opening sentence that announces what follows it ("When a
    # pre-trained network initializes a Fast R-CNN network, it undergoes three transformations.",
    # "... composed of a backbone network and two task-specific subnetworks.", "... including the
    # following ones.") is followed by the sentences that give them: up to this many of the
    # sentences after it join, whatever their probability, alike as parallel items are (0: never).
    # Lists: wide dev +2; definitions too: +1 more, nothing lost. For every question, and with
    # "several": −12 (the next sentence of "... and several previous Go programs." is not them;
    # docs/EVALUATION.md, session 19).
    announced_follow: int = 3
    # A question saying how many items it asks for ("What three pre-trained models ...?") whose
    # best sentence is an item of a series its document marks ("The first is the CaffeNet ...",
    # "In the second step, ...", "(3) dual-conv: ...") is answered by the series: its other items
    # join, whatever their probability, up to this many (0: never), and the answer reads them in
    # their order; not when the series has more items than asked ("Which two backbones ...?" is not
    # answered by four training steps). So is a list question whose series the document announces
    # with its count ("Our experiments use three pre-trained ImageNet models ... The first is ...").
    # Wide dev +3, train +1, then +2, nothing lost; for every list question, +7 −0, but "Which
    # scoring rules ...?" then quotes the unannounced items of "domain knowledge" around the one it
    # asks (docs/EVALUATION.md, session 34).
    series_items: int = 5
    # A question saying how many items it asks for is answered from the sentence announcing that
    # many items of what it asks ("We find the impact of pre-activation is twofold." for "What two
    # benefits ...?", not "... it undergoes three transformations." for "Which three networks ...?")
    # when the next sentence opens a marked series ("First, ..."), if it is among this many of the
    # most probable (0: never). Wide dev +3 −0 (one fact, three phrasings), train unchanged; without
    # the series after it or the noun's agreement, −16 ("... over the past two decades." announced
    # "which two sides"; docs/EVALUATION.md, session 35).
    count_reach: int = 8
    # Once the answer is chosen, a sentence it left out still joins, down to this share of the
    # best one's probability, when it holds what the chosen ones lack of the question: a number
    # the question names, or ``complement_gain`` of its terms' idf weight ("... on PASCAL VOC 2007
    # and VOC 2012?" answered by the VOC 2012 sentence alone). It joins only while the answer stays
    # within ``extra_within_words`` (within 80: wide dev +3 more, the dev median 60 -> 63.5 words),
    # and the gate judges the answer without it: it adds what the question names, which is no
    # evidence that the answer answers (judged with it: −3). Wide dev +7, nothing lost; the same
    # for ratios 0.02-0.1 and gains 0.05-0.1 (gain 0.02: one less; docs/EVALUATION.md, session 14).
    # None: never.
    complement_ratio: float | None = 0.05
    complement_gain: float = 0.05
    # Once the answer is chosen, the sentence after its best one (in the same passage) still joins
    # when its probability reaches ``ratio`` of the best's and the answer stays within
    # ``continued_within_words``, however many sentences it has: a passage often states the asked
    # fact in the sentence after the one nearest the question's words ("Xiangyu Zhang and Jian Sun
    # joined Megvii, ..." is followed by "Sun now serves as the company's chief scientist."), unless
    # it is about another person than the asked one. Unlike a complement, the gate judges the answer
    # with it (session 27: wide dev +4). Wide dev +10, nothing lost; within 120
    # words +18 −2, but it takes the room the abbreviations an answer uses need (``glossary``);
    # down to 0.1 of the best's +33 −4, but dev's median answer 71 words (docs/EVALUATION.md, session 26).
    best_continues: bool = True
    continued_within_words: int = 90


DEFAULT_SELECTION = Selection()


def select(pool: Pool, probability: np.ndarray, *, max_words: int, selection: Selection = DEFAULT_SELECTION) -> list[int]:
    """Indexes of the chosen sentences, the best first."""
    if not pool.quotes:
        return []
    question = pool.question
    order = [int(i) for i in np.argsort(-probability, kind="stable")]
    if pool.bylines and question.affiliation:
        # "What affiliation does Girshick list on Fast R-CNN, and on the focal loss paper?": each
        # named document's byline, in the order named, and the most probable sentence of those
        # documents naming an institution with one of the question's or the bylines' names, where a
        # footnote gives one author's ("∗Shaoqing Ren is with the University of Science and Technology of China.").
        asked = names(question.text).union(*(names(pool.quotes[i].text) for i in pool.bylines))
        documents = {pool.quotes[i].passage.chunk.source for i in pool.bylines}
        footnote = [i for i in order if i not in pool.bylines and pool.quotes[i].passage.chunk.source in documents
                    and names(pool.quotes[i].text) & asked and names_institution(pool.quotes[i].text)]
        return sorted(pool.bylines) + footnote[:1]
    if pool.bylines and question.written_by:
        # "Which papers in the library did Jian Sun co-author?": each byline naming him.
        return sorted(pool.bylines)
    if pool.bylines:
        # "Who wrote Fast R-CNN?": the byline names them; a sentence about the paper does not.
        return [min(pool.bylines)]
    if pool.addresses:
        # "Where is the code for ...?": the most probable sentence giving a web address.
        return [next(i for i in order if i in pool.addresses)]
    gathering = False
    known = frozenset().union(*(names(q.text) for q in pool.quotes))
    nearest = relation_section(pool, selection) if selection.list_section else None
    listing = _answered_as_list(question, nearest)
    # (Only a who/which-company list has a topic of names: a named list's items are named again
    # and again, "YOLO" and "SSD" in three sentences of the focal loss paper's pool.)
    topic = _topic_names(question, pool, known) if listing and question.entity else frozenset()
    items = [_items(question, pool.quotes[i].text, known, topic,
                    subject_is_item=nearest is not None and pool.quotes[i].passage.chunk.section == nearest)
             if listing else set() for i in range(len(pool.quotes))]
    # A list of named things other than a who/which-company list: its items are names too, but
    # its first sentence is the most probable one, wherever it stands.
    named_list = listing and not question.entity and selection.item_ratio is not None
    if listing and question.entity and selection.list_section:
        # A who/which-company list's items are gathered under the heading that names what it asks
        # ("Who Benefitted and Who Lost Out?" for "Who benefited from ResNet?"), when one does: the
        # one nearest its relation, else those holding the most of its focus terms. (Other lists
        # are not: a heading naming their topic, "Final performance of AlphaGo Zero", drew "What
        # scoring rules does AlphaGo Zero use ...?" away from its answer on dev.)
        held = (np.asarray([q.passage.chunk.section == nearest for q in pool.quotes], dtype=np.float32)
                if nearest is not None else _heading_focus(pool))
        if held.max() > 0:
            order = [i for i in order if held[i] == held.max()]
            # Under that heading every sentence naming a further item joins, however probable:
            # items are what the section lists, and the sentence model ranks them, not the floor.
            gathering = True
    if listing and question.entity and selection.item_first:
        # The answer opens with an item ("Microsoft itself also benefited ..."), not with the
        # most probable sentence about the topic ("The researchers behind ResNet have all moved on").
        named = [i for i in order if items[i]]
        if named:
            order = named + [i for i in order if not items[i]]
    if question.subject and selection.definition_first:
        opening = [i for i in order if opens_with_subject(question.subject, pool.quotes[i].text)
                   or glosses(question.subject, pool.quotes[i].text)]
        # ... the subject itself before a noun it qualifies: "Each RoI is defined by ..." before
        # "The RoI layer is ...".
        opening = ([i for i in opening if defines(question.subject, pool.quotes[i].text)]
                   + [i for i in opening if not defines(question.subject, pool.quotes[i].text)])
        order = opening + [i for i in order if i not in opening]
    order, follows = _with_followers(pool, order, listing=listing, gathering=gathering, selection=selection)
    best = probability[order[0]]
    limit = selection.list_sentences if listing else selection.sentences
    extra = 0 if listing else selection.extra_sentences
    chosen: list[int] = []
    words = 0
    items_named: set[str] = set()
    for i in order:
        if len(chosen) >= limit + extra:
            break
        found = items[i]
        adds = bool(found - items_named)
        if chosen and not gathering and i not in follows and probability[i] < max(selection.floor, selection.ratio * best):
            # Sentences come in falling probability: none after this one joins, but a named list's
            # sentence naming a further item.
            if not named_list:
                break
            if not (adds and probability[i] >= selection.item_ratio * best):
                continue
        text = with_header(pool.quotes[i], pool.headers[i])
        length = word_count(text)
        if words + length > max_words + (selection.list_words if listing else 0):
            continue
        # (A series' item joins past the limit: a count question asks for all of them.)
        if len(chosen) >= limit and words + length > selection.extra_within_words and i not in follows:
            continue
        if chosen:
            # A who/which-company list's further sentence names a new item.
            if listing and question.entity and not adds:
                continue
            # Another list, once the answer names an item: a sentence naming none it lacks holds no
            # further item. (A list whose items are not names, "advantages", "research areas",
            # mostly quotes sentences naming none: they join as any answer's do.)
            if named_list and items_named and not adds and i not in follows:
                continue
            # The cap holds for every answer but a who/which-company list, whose item sentences are
            # what it asks for (a plural "what" list without it lost YOLO and SSD on dev, d047, to
            # a longer sentence taking the word budget).
            if (not (listing and question.entity) and not (named_list and adds) and i not in follows and selection.further_words
                    and length > selection.further_words):
                continue
            # Announced items are said in parallel ("First, ... is replaced by ...", "Second, ..."):
            # alike, yet each a further item.
            if i not in follows and any(_repeats(question, pool, i, j, selection) for j in chosen):
                continue
        chosen.append(i)
        words += length
        items_named |= found
        if listing and chosen == [i] and i in pool.enumerations:
            # The most probable candidate is an enumeration ("The Fast R-CNN method has several
            # advantages:" and its items): it is the list; what would join lists nothing of it.
            break
    return chosen


def _with_followers(pool: Pool, order: list[int], *, listing: bool, gathering: bool,
                    selection: Selection) -> tuple[list[int], list[int]]:
    """``order`` with the sentence the answer opens from first, and the sentences that join right
    after it whatever their probability (``follows``): a why-question's reason after its best
    sentence; a list's or a definition's items after the sentence announcing them; a count
    question's items after the sentence announcing as many ("... is twofold. First, ..."), or the
    other items of the marked series its best sentence is in."""
    question = pool.question
    asked = asked_count(question.text)
    if asked and not gathering:
        # "What two benefits does pre-activation bring?": "We find the impact of pre-activation is
        # twofold." and its "First, ..." open the answer, however probable the rest.
        announcing = announcing_as_asked(pool, order[: selection.count_reach], asked)
        if announcing is not None:
            order = [announcing] + [i for i in order if i != announcing]
    follows: list[int] = []
    if selection.reason_follows and question.reason:
        follows = [j for j in [following(pool, order[0])] if j is not None]
    elif selection.announced_follow and (listing or question.subject) and not gathering and announces(pool.quotes[order[0]].text):
        j = order[0]
        while len(follows) < selection.announced_follow and (j := following(pool, j)) is not None:
            follows.append(j)
    if not follows and selection.series_items and not gathering and (listing or asked):
        found = series(pool, order[0])
        # As many items as the question asks for, else, for a list, as the document says it has
        # ("We compare three distinct versions of AlphaGo: (1) ..."): "Which two backbones ...?"
        # is not answered by a series of four steps.
        wanted = asked or announced_count(pool, min([order[0], *found], key=lambda j: position(pool.quotes[j])))
        if wanted and len(found) + 1 <= wanted:
            follows = found[: selection.series_items]
    if follows:
        order = [order[0], *follows] + [i for i in order[1:] if i not in follows]
    return order, follows


def _answered_as_list(question: Question, nearest: str | None) -> bool:
    """The question is answered as a list: it asks for several items, or it asks "Who ...?", which
    does not say whether one or several are wanted, and a section's heading (``nearest``) asks
    what it asks ("Who Benefitted and Who Lost Out?" for "Who got value out of ...?"): the section
    lists them."""
    return question.listing or (question.who and nearest is not None)


def complements(pool: Pool, probability: np.ndarray, chosen: list[int], *, max_words: int,
                selection: Selection = DEFAULT_SELECTION) -> list[int]:
    """The sentences that join the ``select``ed answer for what it lacks of the question
    (``Selection.complement_ratio``), in falling probability; none for a who/which-company list,
    whose further sentences are its items, or for a byline or a web address, which give who (and
    where) or where to get what the question asks about, in words no other sentence holds."""
    question = pool.question
    if selection.complement_ratio is None or _complete(pool, chosen, selection):
        return []
    order = [int(i) for i in np.argsort(-probability, kind="stable")]
    words = sum(word_count(with_header(pool.quotes[j], pool.headers[j])) for j in chosen)
    max_words = min(max_words, selection.extra_within_words)
    asked = asked_numbers(question.text)
    total = sum(question.idf[t] for t in question.asked_terms) or 1.0
    held_numbers = frozenset().union(*(numbers(with_header(pool.quotes[j], pool.headers[j])) for j in chosen))
    held_terms = frozenset().union(*(pool.terms[j] for j in chosen))
    added: list[int] = []
    floor = selection.complement_ratio * probability[chosen[0]]
    for i in order:
        if probability[i] < floor:
            break
        if i in chosen or len(chosen) + len(added) >= selection.sentences + selection.extra_sentences:
            continue
        text = with_header(pool.quotes[i], pool.headers[i])
        length = word_count(text)
        if words + length > max_words:
            continue
        new_numbers = (asked - held_numbers) & numbers(text)
        gain = sum(question.idf[t] for t in question.asked_terms if t in pool.terms[i] and t not in held_terms) / total
        if not new_numbers and gain < selection.complement_gain:
            continue
        if any(_repeats(question, pool, i, j, selection) for j in chosen + added):
            continue
        added.append(i)
        words += length
        held_numbers |= numbers(text)
        held_terms |= pool.terms[i]
    return added


def continuation(pool: Pool, probability: np.ndarray, chosen: list[int], *, max_words: int,
                 selection: Selection = DEFAULT_SELECTION) -> list[int]:
    """The sentence after the ``chosen`` answer's best one, when it joins (``Selection.best_continues``);
    none for a who/which-company list (its further sentences are its items), a byline or a web address."""
    if not selection.best_continues or _complete(pool, chosen, selection):
        return []
    j = following(pool, chosen[0])
    if j is None or j in chosen or probability[j] < selection.ratio * probability[chosen[0]]:
        return []
    if _about_someone_else(pool.question.text, pool.quotes[chosen[0]].text, pool.quotes[j].text):
        return []
    words = sum(word_count(with_header(pool.quotes[i], pool.headers[i])) for i in [*chosen, j])
    return [j] if words <= min(max_words, selection.continued_within_words) else []


def _about_someone_else(question: str, best: str, following: str) -> bool:
    """The ``following`` sentence is about a person the ``best`` one names and the question does
    not ("Sun now serves as the company's chief scientist." after "Xiangyu Zhang and Jian Sun
    joined Megvii ..." for a question about Zhang's title): it names them, by a part of their
    name, and no one the question names."""
    asked = people(question)
    if not asked:
        return False
    others = [p for p in people(best) if p not in asked]
    return names_any(others, following) and not names_any(asked, following)


def _complete(pool: Pool, chosen: list[int], selection: Selection) -> bool:
    """No sentence joins the ``chosen`` answer once it is chosen: there is none, or it is a byline
    or a web address, or a who/which-company list, whose further sentences are its items."""
    nearest = relation_section(pool, selection) if selection.list_section else None
    return (not chosen or chosen[0] in pool.bylines | pool.addresses
            or (pool.question.entity and _answered_as_list(pool.question, nearest)))


def opening_sentence(pool: Pool, chosen: list[int], selection: Selection, probability: np.ndarray) -> int:
    """The chosen sentence the answer opens with: the best, except in a who/which-company list
    gathered under its relation's heading, where it is the chosen sentence nearest the relation
    with its ``probability`` added ("Microsoft itself also benefited ..." for "Who benefited?", not
    "... adopted by much of the field, including Microsoft's competitors"; when the relation is about
    as near several, the most probable: "The ResNet paper was authored by four researchers ..." for
    "Who were the four people behind ResNet?"; a question asking who wrote a document is no such
    list); for a question asking what its subject stands for, the first sentence spelling it out;
    and for a typed question, the best holding the type (``holds_type``), preferring one that states
    a count of what a count question counts, prose over a table row, one naming the person the
    question names, and one naming the byline place it asks the holder of ("the lead author"). The
    gate has judged the same sentences either way."""
    question = pool.question
    if len(chosen) < 2 or chosen[0] in pool.bylines | pool.addresses:
        return chosen[0]
    if (selection.series_items and asked_count(question.text)
            and (items := [j for j in series(pool, chosen[0]) if j in chosen])):
        # A series answering a count is read in its order: "The first is ..." before "The second ...".
        return min([chosen[0], *items], key=lambda j: position(pool.quotes[j]))
    if (selection.opening_by_relation and len(pool.relation_cos) and (question.listing or question.who)
            and not question.authors and relation_section(pool, selection) is not None):
        return max(chosen, key=lambda i: pool.relation_cos[i] + float(probability[i]))
    if asks_long_form(question):
        # "In this work, we introduce a Region Proposal Network (RPN) ..." for "What does RPN stand
        # for?", not "An RPN is a fully-convolutional network ...", more probable as a definition.
        spelled = [i for i in chosen if stands_for(question.subject, with_header(pool.quotes[i], pool.headers[i]))]
        if spelled:
            return spelled[0]
    if typed(question) and not question.listing:
        # "Founded in 1998 ..." for "When was MSRA set up?", not "ResNet was the product of ... MSRA".
        texts = {i: with_header(pool.quotes[i], pool.headers[i]) for i in chosen}
        holding = [i for i in chosen if holds_type(question, texts[i])]
        # A count question's opener gives a number of the counted thing, not just some number; a
        # question about a person's opener names them ("Kaiming He ... joined Facebook AI
        # Research" for "Where did Kaiming He go?", not a sentence about Microsoft founding MSRA).
        if question.counted:
            holding = [i for i in holding if states_count(question.counted, texts[i])] or holding
        # A prose sentence stating it before a table row holding some number ("Our 152-layer residual
        # net is the deepest ..." for "How many layers does the deepest ResNet have?", not "18 layers
        # 27.94 27.88" under Table 2's caption).
        holding = [i for i in holding if not pool.headers[i]] or holding
        asked = people(question.text)
        if asked:
            holding = [i for i in holding if names_any(asked, texts[i])] or holding
        # A question asking who holds a place in a byline opens with the sentence naming that place
        # ("Kaiming He, the lead author and most celebrated of the group, ..." for "Who is ResNet's
        # lead author?", not the author list).
        role = author_in_role(question.text)
        if role is not None and role.asked:
            place = question.text[role.start:role.end].lower().replace("-", " ")
            holding = [i for i in chosen if place in texts[i].lower().replace("-", " ")] or holding
        return holding[0] if holding else chosen[0]
    return chosen[0]


def _repeats(question: Question, pool: Pool, i: int, j: int, selection: Selection) -> bool:
    """Sentence ``i`` says what the chosen ``j`` says: their cosine exceeds ``max_similarity``. For
    a number question, a sentence stating a number that ``j`` and the question lack says something
    else ("AlphaGo Zero defeated AlphaGo Lee by 100 games to 0" beside "We measured the head-to-head
    performance of AlphaGo Zero against AlphaGo Lee, and the 40-block instance ..."),
    unless it is nearly the same sentence (above ``number_similarity``: "... 5k trainval images in
    VOC 2007 ..." beside "... 10k trainval+test images in VOC 2007 ...")."""
    similarity = float(pool.vectors[i] @ pool.vectors[j])
    if similarity <= selection.max_similarity:
        return False
    if question.wanted is not DIGIT or similarity > selection.number_similarity:
        return True
    other = with_header(pool.quotes[j], pool.headers[j])
    return not numbers(with_header(pool.quotes[i], pool.headers[i])) - numbers(other) - numbers(question.text)


def _items(question: Question, sentence: str, known: frozenset[str], topic: frozenset[str], *,
           subject_is_item: bool = False) -> set[str]:
    """The items a list sentence names: its new names but the list's topic, except a name that
    opens it, the sentence's subject ("Microsoft itself also benefited from the paper"). Under the
    heading that states the list's relation (``subject_is_item``) the subject is an item even when
    the question names it: "Who benefited from the ResNet research at Microsoft Research Asia?"
    is answered by "Microsoft itself also benefited ..." too."""
    found = listed_names(question, sentence, known)
    subject = opening_name(sentence)
    if subject_is_item and subject in known:
        found = found | {subject}
    return (found - topic) | ({subject} & found)


def _topic_names(question: Question, pool: Pool, known: frozenset[str]) -> frozenset[str]:
    """Names that many candidate sentences share ("MSRA", "AI" in an article about them): the
    list's topic, not its items, so naming one does not make a sentence a further item."""
    counts: dict[str, int] = {}
    for quote in pool.quotes:
        for name in new_names(question, quote.text, known):
            counts[name] = counts.get(name, 0) + 1
    limit = max(2, TOPIC_SHARE * len(pool.quotes))
    return frozenset(name for name, n in counts.items() if n > limit)


def relation_section(pool: Pool, selection: Selection) -> str | None:
    """The candidate section whose heading is nearest the question's relation ("Who benefited?"),
    when its cosine reaches ``selection.relation_heading`` (None when none does, or no relation)."""
    if not pool.relation_heading or selection.relation_heading is None:
        return None
    nearest = max(pool.relation_heading, key=pool.relation_heading.get)
    return nearest if pool.relation_heading[nearest] >= selection.relation_heading else None


def _heading_focus(pool: Pool) -> np.ndarray:
    """Each sentence's share of the question's focus that its section heading holds."""
    own = pool.question.own_terms
    n = len(pool.quotes)
    focus = {t: math.log(1 + (n + 1) / (1 + sum(t in have for have in pool.terms))) for t in own}
    total = sum(focus.values()) or 1.0
    by_section: dict[str, float] = {}
    for quote in pool.quotes:
        section = quote.passage.chunk.section
        if section not in by_section:
            heading = set(terms(section))
            by_section[section] = sum(w for t, w in focus.items() if t in heading) / total
    return np.asarray([by_section[q.passage.chunk.section] for q in pool.quotes], dtype=np.float32)
