"""Questions asked in several parts: how they are split (answering/question.py) and the places
each part's best passages keep in the top k (retrieval/parts.py), and how the gate reads them together
(answering/extractive.py)."""

from __future__ import annotations

import pytest

from assistant.answering.extractive import parts_probability
from assistant.answering.question_parts import asks, leans_on, question_parts
from assistant.retrieval.parts import with_reserved
from assistant.types import Chunk, Part, Passage


def test_a_question_asked_in_one_part_is_not_split():
    for question in ("What top-5 error did ResNet-152 reach on ImageNet?",
                     "Which papers in the library did Jian Sun co-author?",
                     "How many layers does the deepest CIFAR-10 ResNet have, and why?",
                     "I read the paper. I liked it a lot. It was long. What is its top-5 error?"):
        assert question_parts(question).texts == (question,)


def test_clauses_sentences_and_named_subjects_are_parts():
    assert question_parts("RetinaNet borrows anchors from which earlier method, and how many anchors did it use?").texts == (
        "RetinaNet borrows anchors from which earlier method", "how many anchors did it use?")
    assert question_parts("Ross Girshick wrote Fast R-CNN on his own; which later papers did he co-author?").texts == (
        "Ross Girshick wrote Fast R-CNN on his own", "which later papers did he co-author?")
    assert question_parts("Kaiming He joined Facebook AI Research in 2016. What AP did RetinaNet reach?").texts == (
        "Kaiming He joined Facebook AI Research in 2016.", "What AP did RetinaNet reach?")
    # A preposition may come before the clause's asking word; "about how many" is no preposition.
    assert question_parts("Which DeepMind system does the article tie to ResNet, and for how many days "
                          "was its bigger version trained?").texts == (
        "Which DeepMind system does the article tie to ResNet", "for how many days was its bigger version trained?")
    about = "For a 1000x600 image, how many anchors are there, and about how many remain for training?"
    assert question_parts(about).texts == (about,)
    either = question_parts("Which paper, Fast R-CNN or Faster R-CNN, introduced the Region Proposal Network?")
    assert either.either and either.texts == ("Which paper, Fast R-CNN, introduced the Region Proposal Network?",
                                              "Which paper, Faster R-CNN, introduced the Region Proposal Network?")
    both = question_parts("Did both ResNet and Faster R-CNN train on ImageNet?")
    assert not both.either and both.texts == ("Did ResNet train on ImageNet?", "Did Faster R-CNN train on ImageNet?")
    assert question_parts("Is ResNet-50 or ResNet-101 deeper?").texts == ("Is ResNet-50 deeper?", "Is ResNet-101 deeper?")
    assert question_parts("How does the CIFAR-10 error of the original 1202-layer ResNet compare with the best "
                          "1001-layer pre-activation ResNet?").texts == (
        "the CIFAR-10 error of the original 1202-layer ResNet?", "the best 1001-layer pre-activation ResNet")
    assert question_parts("Put two numbers side by side: the citation count the essay gives for ResNet, and the "
                          "ensemble's top-5 test error reported in the ResNet paper.").texts == (
        "Put two numbers side by side: the citation count the essay gives for ResNet",
        "the ensemble's top-5 test error reported in the ResNet paper.")
    short = "How does its FLOP count compare with VGG-16 and VGG-19?"  # too short a side to be a part
    assert question_parts(short).texts == (short,)
    # Adjectives of origin name no subjects: the companies of both are asked for, in one question.
    origins = "I'm curious which companies, American or Chinese, the piece says got a boost out of the ResNet research."
    assert question_parts(origins).texts == (origins,)


def test_a_short_question_after_a_statement_is_asked_with_it():
    # "Which program" and "Name that system" are too short to be parts of their own: they ask what
    # the statement before them names, and are asked with it; "and say how many ..." asks a second part.
    assert question_parts("The essay names a DeepMind Go program that leaned on ResNet. Which program, and what "
                          "Elo rating did its final version reach?").texts == (
        "The essay names a DeepMind Go program that leaned on ResNet. Which program",
        "what Elo rating did its final version reach?")
    assert question_parts("The essay calls ResNet a core advance behind a DeepMind system. Name that system and "
                          "say how many residual blocks its 3-day network had.").texts == (
        "The essay calls ResNet a core advance behind a DeepMind system. Name that system",
        "how many residual blocks its 3-day network had.")
    # A short piece that neither asks nor follows a statement still keeps the question whole.
    whole = "Thanks. OK, and what is the top-5 error of ResNet-152?"
    assert question_parts(whole).texts == (whole,)


def test_a_comparison_with_a_phrase_asks_of_each_side():
    # "versus" or ", compared with" before a phrase, not a name: each side is a part; the second
    # leans on the first for what it asks (``leans_on``).
    assert question_parts("What IoU does RetinaNet require to assign an anchor to an object, versus the IoU above "
                          "which an RPN anchor is positive?").texts == (
        "What IoU does RetinaNet require to assign an anchor to an object?",
        "the IoU above which an RPN anchor is positive?")
    assert question_parts("What weight decay does Fast R-CNN use, compared with the one in ResNet's ImageNet "
                          "training?").texts == (
        "What weight decay does Fast R-CNN use?", "the one in ResNet's ImageNet training?")
    # Not a verb's "compared with", a pair qualifying a noun, a word's "-vs-" or a short side.
    for question in ("The Whampoa Academy that MSRA is compared with trained army commanders for which two parties?",
                     "In Faster R-CNN's one-stage versus two-stage comparison, what does the one-stage system use "
                     "as its 'proposals'?",
                     "Which classifier wins in Fast R-CNN: post-hoc one-vs-rest SVMs or the softmax?",
                     "How much lower is the loss at pt = 0.9 compared with plain cross entropy?"):
        assert question_parts(question).texts == (question,)


def test_a_second_setting_after_and_a_preposition_asks_the_question_again():
    """", and with 3 scales ...?" asks what the head asks, of another setting: it replaces the head's
    last phrase of the same preposition (wide dev +5 −1)."""
    assert question_parts("What AP does RetinaNet get with a single square anchor per location, and with 3 scales "
                          "and 3 aspect ratios?").texts == (
        "What AP does RetinaNet get with a single square anchor per location?",
        "What AP does RetinaNet get with 3 scales and 3 aspect ratios?")
    assert question_parts("What IoU does an anchor need with a ground-truth box to count as positive in the RPN, "
                          "and to be assigned to an object in RetinaNet?").texts == (
        "What IoU does an anchor need with a ground-truth box to count as positive in the RPN?",
        "What IoU does an anchor need with a ground-truth box to be assigned to an object in RetinaNet?")
    # Not when the head has no phrase of that preposition to replace.
    single = "What mAP did ResNet-101 score on the ImageNet DET test set as a single model, and with an ensemble of three?"
    assert question_parts(single).texts == (single,)


def test_a_statement_the_question_builds_on_does_not_ask():
    assert not asks("Kaiming He joined Facebook AI Research in 2016.")
    assert asks("which later papers did he co-author")
    assert asks("The ResNet lead author moved to which lab in 2016?")
    # A clause cut off before ", and what ..." asks within it; a sentence of its own does not.
    first, _ = question_parts("Shaoqing Ren went on to co-found which startup, and where is it based?").texts
    assert first == "Shaoqing Ren went on to co-found which startup" and asks(first)
    assert not asks("ResNet won ILSVRC 2015, which made its authors famous.")


def _passage(name: str) -> Passage:
    return Passage(Chunk(chunk_id=name, text=name, source=f"{name[0]}.pdf", title="", page=1, chunk_index=0, start=0, end=len(name)), 1.0, 0.5)


def test_a_part_naming_nothing_leans_on_the_parts_before_it():
    stated = question_parts("ResNet came out of Microsoft's Beijing lab. Who reaped the rewards in the end?").texts
    assert leans_on(stated) == ("", "ResNet came out of Microsoft's Beijing lab.")
    elliptic = question_parts("During fine-tuning, how many RoIs make up a Fast R-CNN mini-batch, "
                              "and how many are drawn from each image?").texts
    assert leans_on(elliptic) == ("", elliptic[0])
    # A part that names its own subject is searched for as it is: after a statement, which asks
    # nothing it leaves out, and when it asks a whole question or points back.
    assert leans_on(question_parts("Kaiming He joined Facebook AI Research in 2016. "
                                   "What AP did RetinaNet reach?").texts) == ("", "")
    assert leans_on(question_parts("What IoU makes an anchor positive in the RPN, and "
                                   "what single-crop error does ResNet-200 reach?").texts) == ("", "")
    assert leans_on(question_parts("What year was the lab behind ResNet founded, and how many "
                                   "layers did its deepest ImageNet ResNet have?").texts) == ("", "")


def test_a_part_leaving_out_what_it_asks_leans_on_the_question_before_it_without_its_names():
    parallel = question_parts("What IoU with a ground-truth box makes an anchor positive in Faster R-CNN's "
                              "RPN, and what IoU does RetinaNet require?").texts
    assert leans_on(parallel) == ("", "What with a ground-truth box makes an anchor positive in")
    instead = question_parts("Which weight decay do the ResNet and RetinaNet papers both train with, "
                             "and what does Faster R-CNN use instead?").texts
    assert leans_on(instead)[1].startswith("Which weight decay do the and papers")


def test_each_parts_best_passages_take_the_lowest_places_of_the_others():
    whole = [_passage(n) for n in ("a1", "a2", "a3", "a4", "a5", "a6")]
    parts = [Part("first", tuple(_passage(n) for n in ("a1", "a2", "a3"))),
             Part("second", tuple(_passage(n) for n in ("b1", "b2", "b3")))]
    assert [p.chunk.chunk_id for p in with_reserved(whole, parts)] == ["a1", "a2", "a3", "a4", "b1", "b2"]
    assert with_reserved(whole, [parts[0]]) == whole  # every reserved passage is there already


def test_the_gate_reads_the_parts_together():
    # Both parts must be answered; a part whose gate alone falls below the threshold (0.375) does
    # not refuse an answer whose other part is sure, but a part whose count is stated nowhere does.
    assert parts_probability([0.8, 0.3]) == pytest.approx(0.55)
    assert parts_probability([0.8, 0.0]) == 0.0
    assert parts_probability([0.2, 0.3]) == pytest.approx(0.25)
    # "Which paper, A or B, ...?": one part's answer suffices.
    assert parts_probability([0.8, 0.1], either=True) == 0.8
