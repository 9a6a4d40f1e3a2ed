"""How further sentences join the best one (``selection.select``): a short answer may take more
than the sentence limit while it stays within the length target (docs/EVALUATION.md, "Session 11")."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from assistant.answering import scorer
from assistant.answering.candidates import Pool, following, without_run_in_heading
from assistant.answering.question import analyse
from assistant.answering.front_matter import addressed, asks_address
from assistant.answering.readings import holds_address
from assistant.answering.selection import Selection, complements, opening_sentence, select
from assistant.answering.series import announces, series
from assistant.citations import Quote
from assistant.text import sentence_spans, terms
from assistant.types import Chunk, Passage

from .helpers import passage, sentence_pool

QUESTION = "How was the deep residual network trained on ImageNet?"
SHORT = [
    "The network was trained with stochastic gradient descent.",
    "The mini-batch size was 256 images.",
    "The learning rate started from 0.1.",
    "It was divided by 10 when the error plateaued.",
    "Weight decay was 0.0001 and momentum 0.9.",
]
# Each about 25 words: three of them already pass the 60-word target.
LONG = [s[:-1] + ", as described in the section on implementation details, following the practice of earlier "
        "work on very deep networks." for s in SHORT]
PROBABILITY = np.asarray([0.5, 0.45, 0.4, 0.35, 0.3])


def test_a_short_answer_takes_further_sentences_past_the_limit_within_the_length_target():
    assert select(sentence_pool(QUESTION, SHORT), PROBABILITY, max_words=110) == [0, 1, 2, 3, 4]


def test_a_long_answer_stops_at_the_sentence_limit():
    assert select(sentence_pool(QUESTION, LONG), PROBABILITY, max_words=110) == [0, 1, 2]


def test_without_extra_sentences_the_limit_holds_for_short_answers_too():
    plain = Selection(extra_sentences=0)
    assert select(sentence_pool(QUESTION, SHORT), PROBABILITY, max_words=110, selection=plain) == [0, 1, 2]


def test_a_list_keeps_its_own_limit():
    pool = sentence_pool("Which training settings did the residual network use?", SHORT)
    assert pool.question.listing
    assert len(select(pool, PROBABILITY, max_words=110)) <= Selection().list_sentences


def test_a_definition_answer_opens_with_the_sentence_that_says_what_its_subject_is():
    pool = sentence_pool("What is RetinaNet?", [
        "In Figure 2 we plot the speed/accuracy trade-off curve for RetinaNet on COCO test-dev.",
        "To evaluate our loss, we train a simple dense detector we call RetinaNet.",
        "RetinaNet is a single, unified network composed of a backbone network and two subnetworks.",
    ])
    probability = np.asarray([0.6, 0.5, 0.2])
    assert select(pool, probability, max_words=110)[0] == 2
    assert select(pool, probability, max_words=110, selection=Selection(definition_first=False))[0] == 0
    # A sentence that only mentions the subject after something else is not moved first.
    other = sentence_pool("What is RetinaNet?", ["In Figure 2 we plot the curve for RetinaNet on COCO test-dev.",
                                                 "Our detector, unlike RetinaNet, is a two-stage network."])
    assert select(other, np.asarray([0.6, 0.5]), max_words=110)[0] == 0


def test_a_definition_answer_may_open_with_what_its_subject_does():
    """"The RoI pooling layer uses max pooling to convert ..." says what RoI pooling is without a
    defining verb: it opens the answer before a more probable sentence about something else."""
    pool = sentence_pool("What is RoI pooling?", [
        "RoI max pooling works by dividing the h × w RoI window into an H × W grid of sub-windows.",
        "The RoI pooling layer uses max pooling to convert the features inside any valid region of interest.",
    ])
    assert select(pool, np.asarray([0.67, 0.61]), max_words=110)[0] == 1
    # The term qualifying another noun is not the sentence's subject.
    lab = sentence_pool("What is MSRA?", ["Founded in 1998, MSRA became a research powerhouse.",
                                          "The MSRA team's paper marked a major advance for the entire field."])
    assert select(lab, np.asarray([0.6, 0.5]), max_words=110)[0] == 0


def test_a_definition_answer_finds_its_subject_in_quotes_abbreviated_or_after_a_lead_in():
    """"“Objectness” measures ...", "FL∗ has two parameters ..." (another asterisk than the
    question's), "In brief, FPN augments ..." for "Feature Pyramid Network" each open the answer;
    "The learned RPN also improves ..." (the initials qualified) does not."""
    for question, sentence in [
        ("What does 'objectness' mean in the Faster R-CNN paper?", "“Objectness” measures membership to a set of object classes vs. background."),
        ("What is FL* in the focal loss paper's appendix?", "FL∗ has two parameters, γ and β, that control the steepness and shift of the loss curve."),
        ("What is a Feature Pyramid Network, as described in the RetinaNet paper?",
         "In brief, FPN augments a standard convolutional network with a top-down pathway and lateral connections."),
    ]:
        pool = sentence_pool(question, ["Advances like SPPnet have reduced the running time of these detection networks.", sentence])
        assert select(pool, np.asarray([0.6, 0.1]), max_words=110)[0] == 1, question
    qualified = sentence_pool("What is a Region Proposal Network?", [
        "A Region Proposal Network takes an image of any size as input and outputs a set of proposals.",
        "The learned RPN also improves region proposal quality and the detection accuracy."])
    assert select(qualified, np.asarray([0.4, 0.6]), max_words=110)[0] == 0


def test_a_why_question_takes_the_sentence_after_its_circumstance():
    """The reason follows the sentence stating what is asked about: it joins the best sentence
    however improbable it is alone; another question's answer does not take it."""
    sentences = ["During training, we ignore all cross-boundary anchors so they do not contribute to the loss.",
                 "If the boundary-crossing outliers are not ignored in training, training does not converge.",
                 "With the cross-boundary anchors ignored, there are about 6k anchors per image."]
    why = sentence_pool("Why are cross-boundary anchors ignored when training the RPN?", sentences)
    assert why.question.reason
    assert sentence_pool("What goes wrong if cross-boundary anchors are kept?", sentences).question.reason
    # An explanation asked for is a reason; a definition "as the paper explains" it is not.
    for asking in ("Cross-boundary anchors are left out of training. What's the authors' explanation?",
                   "The RPN ignores cross-boundary anchors; what explains it?"):
        assert sentence_pool(asking, sentences).question.reason, asking
    assert not sentence_pool("What are cross-boundary anchors, as the paper explains them?", sentences).question.reason
    assert select(why, np.asarray([0.6, 0.05, 0.5]), max_words=110)[:2] == [0, 1]
    assert 1 not in select(why, np.asarray([0.6, 0.05, 0.5]), max_words=110, selection=Selection(reason_follows=False))
    other = sentence_pool("How many anchors per image are used for training the RPN?", sentences)
    assert not other.question.reason
    assert 1 not in select(other, np.asarray([0.6, 0.05, 0.5]), max_words=110)


def test_a_why_questions_reason_is_read_on_in_the_next_chunk_when_its_circumstance_is_cut():
    """The sentence stating the circumstance ends its chunk unfinished ("..., although both"); the
    chunk after goes on with the rest of it, then the reason, which follows it."""
    first = ("We set n = 200 that leads to a 1202-layer network. "
             "The testing result of this 1202-layer network is worse than that of our 110-layer network, although both")
    second = "have similar training error. We argue that this is because of overfitting. Strong regularization is applied."
    cut = Passage(Chunk("c0", first, "paper.pdf", "Paper", 8, 4, 0, len(first)), 1.0, 0.5)
    going_on = Passage(Chunk("c1", second, "paper.pdf", "Paper", 8, 5, len(first) + 1, len(first) + 1 + len(second)), 0.9, 0.4)
    quotes = [Quote(cut, 0, 50), Quote(cut, 51, len(first)), Quote(going_on, 29, 74), Quote(going_on, 75, len(second))]
    assert quotes[2].text == "We argue that this is because of overfitting."
    pool = Pool(analyse("Why does the 1202-layer network test worse than the 110-layer one?"), quotes, [()] * 4,
                np.eye(4, dtype=np.float32), np.zeros((4, len(scorer.SENTENCE_FEATURES)), dtype=np.float32),
                [frozenset(terms(q.text)) for q in quotes])
    assert following(pool, 1) == 2
    assert select(pool, np.asarray([0.3, 0.6, 0.05, 0.2]), max_words=110)[:2] == [1, 2]
    # A sentence ending its chunk whole is followed by nothing read on elsewhere.
    whole = "The testing result of this 1202-layer network is worse."
    ended = Passage(replace(cut.chunk, text=whole, end=len(whole)), 1.0, 0.5)
    assert following(replace(pool, quotes=[Quote(ended, 0, len(whole)), *quotes[2:]]), 0) is None


def test_a_list_answer_opening_with_a_sentence_that_announces_its_items_takes_the_sentences_after_it():
    """"... it undergoes three transformations." names none of them: the sentences after it do, and
    they join however improbable they are alone; a sentence naming its items takes nothing more."""
    sentences = ["When a pre-trained network initializes a Fast R-CNN network, it undergoes three transformations.",
                 "First, the last max pooling layer is replaced by a RoI pooling layer.",
                 "Second, the last fully connected layer is replaced with two sibling layers.",
                 "We experiment with three pre-trained ImageNet networks."]
    question = "What transformations does a pre-trained network go through when it initialises Fast R-CNN?"
    pool = sentence_pool(question, sentences)
    assert pool.question.listing
    probability = np.asarray([0.6, 0.02, 0.02, 0.5])
    assert select(pool, probability, max_words=110)[:3] == [0, 1, 2]
    assert 1 not in select(pool, probability, max_words=110, selection=Selection(announced_follow=0))
    named = ["It undergoes three transformations: a RoI pooling layer, two sibling layers and two data inputs."] + sentences[1:]
    assert 1 not in select(sentence_pool(question, named), probability, max_words=110)


MODELS = ["The first is the CaffeNet, essentially AlexNet, from R-CNN.",
          "We call this network model S, for small.",
          "The second network is VGG CNN M 1024, which has the same depth as S but is wider.",
          "Fast R-CNN is trained end to end with a multi-task loss.",
          "The final network is the very deep VGG16 model."]


def test_a_question_saying_how_many_items_it_asks_is_answered_by_the_series_its_best_sentence_is_in():
    """"What three models ...?" asks for every item of the series "The first is ...", "The second
    ...", "The final ...": they join however improbable they are alone, and the answer reads
    them in their order; a question asking fewer items than the series has is not answered by it."""
    probability = np.asarray([0.05, 0.3, 0.6, 0.4, 0.05])
    pool = sentence_pool("What three pre-trained models does Fast R-CNN start from?", MODELS)
    chosen = select(pool, probability, max_words=110)
    assert {0, 2, 4} <= set(chosen)
    assert opening_sentence(pool, chosen, Selection(), probability) == 0
    assert not {0, 4} & set(select(pool, probability, max_words=110, selection=Selection(series_items=0)))
    unsaid = sentence_pool("Which pre-trained models does Fast R-CNN start from?", MODELS)
    assert not {0, 4} & set(select(unsaid, probability, max_words=110))
    fewer = sentence_pool("Which two pre-trained models does Fast R-CNN start from?", MODELS)
    assert not {0, 4} & set(select(fewer, probability, max_words=110))


STEPS = ["In the first step, we train the RPN as described above.",
         "In the second step, we train a separate detection network by Fast R-CNN using the proposals generated by the step-1 RPN.",
         "In the third step, we use the detector network to initialize RPN training, but we fix the shared conv layers "
         "and only fine-tune the layers unique to RPN.",
         "Now the two networks share conv layers.",
         "Finally, keeping the shared conv layers fixed, we fine-tune the fc layers of the Fast R-CNN."]


def test_a_series_answering_a_count_joins_whole_past_the_sentence_limit():
    """"Walk me through the four steps ...": the fourth step joins though three long ones already
    pass the 60 words within which a further sentence may join (wide dev +4 −0, session 41)."""
    pool = sentence_pool("Walk me through the four steps of the alternating training.", STEPS)
    chosen = select(pool, np.asarray([0.11, 0.21, 0.18, 0.05, 0.07]), max_words=110)
    assert {0, 1, 2, 4} <= set(chosen) and 3 not in chosen


def test_a_list_is_answered_by_a_series_the_document_announces_with_its_count():
    """"Which pre-trained models ...?" says no count, but "We use three pre-trained models:" before
    the series does; an unannounced series ("(1) ... perfect knowledge of the game rules. (2) ...")
    is no answer to a list question asking one of its items."""
    probability = np.asarray([0.05, 0.05, 0.3, 0.6, 0.4, 0.05])
    announced = sentence_pool("Which pre-trained models does Fast R-CNN start from?",
                              ["We use three pre-trained ImageNet models.", *MODELS])
    assert {1, 3, 5} <= set(select(announced, probability, max_words=110))
    glued = sentence_pool("Which pre-trained models does Fast R-CNN start from?",
                          ["We use three pre-trained ImageNet models: (1) the CaffeNet from R-CNN.",
                           "Fast R-CNN is trained end to end.", "(2) VGG CNN M 1024, which is wider.", "(3) the very deep VGG16."])
    assert {0, 3} <= set(select(glued, np.asarray([0.05, 0.3, 0.6, 0.05]), max_words=110))
    unannounced = sentence_pool("Which pre-trained models does Fast R-CNN start from?",
                                ["Fast R-CNN reuses pre-trained ImageNet models.", *MODELS])
    assert not {1, 5} & set(select(unannounced, probability, max_words=110))


PRE_ACTIVATION = ["We experiment with two such designs: (i) ReLU-only pre-activation, and (ii) full pre-activation.",
                  "We find the impact of pre-activation is twofold.",
                  "First, the optimization is further eased because f is an identity mapping.",
                  "Second, using BN as pre-activation improves regularization of the models.",
                  "The distinction between post-activation and pre-activation is caused by the addition."]


def test_a_count_question_is_answered_from_the_sentence_announcing_as_many_items_before_a_series():
    """"What two benefits ...?" opens with "... is twofold." when "First, ..." follows it, however
    improbable it is against "We experiment with two such designs ..."; not a sentence ending on
    another count ("... over the past two decades."), nor one announcing as many of something else
    ("three transformations" for "Which three networks ...?")."""
    probability = np.asarray([0.4, 0.05, 0.08, 0.06, 0.2])
    pool = sentence_pool("What two benefits does pre-activation bring?", PRE_ACTIVATION)
    chosen = select(pool, probability, max_words=110)
    assert chosen[0] == 1 and opening_sentence(pool, chosen, Selection(), probability) == 1
    assert select(pool, probability, max_words=110, selection=Selection(count_reach=0))[0] == 0
    decades = sentence_pool("What two benefits does pre-activation bring?",
                            [PRE_ACTIVATION[0], "Pre-activation has been studied over the past two decades.",
                             *PRE_ACTIVATION[4:]])
    assert select(decades, np.asarray([0.4, 0.05, 0.2]), max_words=110)[0] == 0
    networks = sentence_pool("Which three networks does Fast R-CNN start from?", [
        "We experiment with three pre-trained ImageNet networks.",
        "When a pre-trained network initializes a Fast R-CNN network, it undergoes three transformations.",
        "First, the last max pooling layer is replaced by a RoI pooling layer."])
    assert select(networks, np.asarray([0.3, 0.2, 0.1]), max_words=110)[0] == 0


def test_a_series_is_its_kind_of_marker_counting_on_and_a_closing_finally():
    steps = sentence_pool("What are the four steps?", [
        "In the first step, we train the RPN.", "(7) A tanh nonlinearity outputs a scalar.",
        "In the second step, we train a separate detection network.", "First, the loss is computed.",
        "In the third step, we fix the shared conv layers.", "Finally, we fine-tune the fc layers.",
        "In the second step of the next method, we do it again."])
    assert series(steps, 2) == [0, 4, 5]
    # "Finally" closes the series: it opens none, and what comes after it is another series.
    assert series(steps, 5) == [] and series(steps, 6) == []
    variants = sentence_pool("Name the four variants.", [
        "(1) dual-res: a residual tower.", "(2) sep-res: two residual towers.", "(3) dual-conv: a non-residual tower.",
        "The first tower has a policy head.", "(4) sep-conv: two non-residual towers.", "(7) A tanh nonlinearity."])
    assert series(variants, 2) == [0, 1, 4]


@pytest.mark.parametrize("sentence, announcing", [
    ("RetinaNet is a single, unified network composed of a backbone network and two task-specific subnetworks.", True),
    ("This condition is satisfied by other Residual Units including the following ones.", True),
    ("We use two GPUs, and three scales.", False),
    ("Our experiments use three pre-trained ImageNet models that are available online.", False),
    ("We evaluated it against AlphaGo Fan, AlphaGo Lee and several previous Go programs.", False),
])
def test_which_sentences_announce_items_they_do_not_name(sentence, announcing):
    assert announces(sentence) is announcing


def test_a_sentence_holding_what_the_answer_lacks_of_the_question_joins_it():
    """"... on PASCAL VOC 2007 and VOC 2012?": the best sentence gives 2012 alone; the improbable
    one naming 2007 joins after it (``complements``), one adding nothing of the question does not."""
    pool = sentence_pool("What mAP does Faster R-CNN report on PASCAL VOC 2007 and VOC 2012?", [
        "On the PASCAL VOC 2012 test set, our method has an mAP of 70.4%.",
        "Our method has an mAP of 73.2% on the PASCAL VOC 2007 test set.",
        "We use 300 proposals per image at test time.",
    ])
    probability = np.asarray([0.5, 0.05, 0.04])
    chosen = select(pool, probability, max_words=110)
    assert chosen == [0]
    assert complements(pool, probability, chosen, max_words=110) == [1]
    assert complements(pool, probability, chosen, max_words=110, selection=Selection(complement_ratio=None)) == []
    # Below the floor share of the best sentence's probability, or past the length target, it stays out.
    assert complements(pool, np.asarray([0.5, 0.01, 0.04]), chosen, max_words=110) == []
    assert complements(pool, probability, chosen, max_words=20) == []


def test_an_abbreviation_in_brackets_does_not_end_a_sentence():
    """"This 110-layer network converges well (Fig." was quoted as a whole sentence: the
    abbreviation after a bracket was read as a sentence's end."""
    text = "This 110-layer network converges well (Fig. 6, middle). It has fewer parameters (e.g. FitNet)."
    assert [text[a:b] for a, b in sentence_spans(text)] == [
        "This 110-layer network converges well (Fig. 6, middle).", "It has fewer parameters (e.g. FitNet)."]


def test_a_sentence_of_hyphenated_and_possessive_words_is_not_a_run_of_numbers():
    """"single-crop" and "model’s" are words: the sentence stating the BN-after-addition net's
    error was left out of every answer as a table's run of numbers. Equations and number rows stay out."""
    from assistant.answering.candidates import _is_numeric_run

    assert not _is_numeric_run("This model’s single-crop (224×224) validation error is 24.6%/7.5%, "
                               "vs. the original ResNet-101’s 23.6%/7.1%.")
    assert _is_numeric_run("0 L puct L i θiL i L L L L a tt t 0 resign")
    assert _is_numeric_run("ResNet-1001 7.61 4.92")
    # A symbol standing alone is no token: the sentence with "19 × 19 × 2 = 722" is prose.
    assert not _is_numeric_run("Games terminate when both players pass or after 19 × 19 × 2 = 722 moves.")
    assert _is_numeric_run("= + × 3") and _is_numeric_run("= ×")


@pytest.mark.parametrize("question, asks", [
    ("Where is the code for the 1000-layer ResNets available?", True),
    ("Where can I get the code for the 1001-layer ResNet?", True),
    ("Where can the trained models be downloaded?", True),
    ("Is there a GitHub repository for Faster R-CNN?", True),
    ("Is the Faster R-CNN code public, and where?", True),
    ("Where can I download the GoKifu data?", True),
    ("Where are the trained models available?", True),
    ("Where did Kaiming He go after MSRA?", False),
    ("Where does AlphaGo Zero's training data come from?", False),
    ("Where in the network is the model's batch normalization applied?", False),
    ("Where is Megvii based?", False),
    ("What code does the RPN use for anchors?", False),
])
def test_which_questions_ask_for_a_web_address(question, asks):
    assert asks_address(question) is asks


@pytest.mark.parametrize("text, holds", [
    ("Code is available at: https://github.com/KaimingHe/ resnet-1k-layers.", True),
    ("See www.example.org for the data.", True),
    ("The code is on github.com/rbgirshick/fast-rcnn for anyone.", True),
    ("We use a learning rate of 0.001 for 30k mini-batches.", False),
    ("Fig. 2 shows the network; see Sec. 3.1 for details.", False),
])
def test_a_web_address_is_read_as_papers_print_one(text, holds):
    assert holds_address(text) is holds


def test_where_the_code_is_is_answered_by_the_likeliest_sentence_with_a_web_address():
    sentences = ["We report improved results using a 1001-layer ResNet on CIFAR-10.",
                 "Our implementation is based on Torch.",
                 "Code is available at: https://github.com/KaimingHe/resnet-1k-layers.",
                 "The weights are also at https://example.org/models for anyone."]
    pool = sentence_pool("Where is the code for the 1000-layer ResNets available?", sentences)
    pool = replace(pool, addresses=frozenset(i for i, s in enumerate(sentences) if holds_address(s)))
    chosen = select(pool, np.asarray([0.5, 0.4, 0.3, 0.2]), max_words=120)
    assert chosen == [2]
    assert complements(pool, np.asarray([0.5, 0.4, 0.3, 0.2]), chosen, max_words=120) == []



@pytest.mark.parametrize("question, sentence, gives", [
    ("Where can I get the code for the 1001-layer ResNet?", "Code is available at: https://github.com/KaimingHe/resnet-1k-layers.", True),
    ("Where can I download the Fast R-CNN code?",
     "Fast R-CNN is written in Python and C++ and is available under the open-source MIT License at https://github.com/rbgirshick/fast-rcnn.", True),
    # A paper without code gives its data's address: that does not say where the code is.
    ("Where is the AlphaGo Zero code released?", "The KGS dataset is available from https://u-go.net/gamerecords/.", False),
    ("Where can I get the datasets AlphaGo Zero was tested on?", "The KGS dataset is available from https://u-go.net/gamerecords/.", True),
])
def test_the_address_answers_the_kind_of_thing_asked(question, sentence, gives):
    assert bool(addressed(question).search(sentence)) is gives


@pytest.mark.parametrize("sentence, quoted", [
    ("Translation-Invariant Anchors At each sliding-window location, we simultaneously predict k region proposals.",
     "At each sliding-window location, we simultaneously predict k region proposals."),
    ("Inference: RetinaNet forms a single FCN comprised of a ResNet-FPN backbone.",
     "RetinaNet forms a single FCN comprised of a ResNet-FPN backbone."),
    ("Appendix A: Focal Loss* The exact form of the focal loss is not crucial.",
     "The exact form of the focal loss is not crucial."),
    ("A Loss Function for Learning Region Proposals For training RPNs, we assign a binary class label to each anchor.",
     "For training RPNs, we assign a binary class label to each anchor."),
    # A byline's last line and the abstract's heading glued to its first sentence (the identity
    # mappings paper; session 43: "What is the identity mappings paper about?").
    ("Microsoft Research Abstract Deep residual networks [1] have emerged as a family of extremely deep architectures.",
     "Deep residual networks [1] have emerged as a family of extremely deep architectures."),
    ("The Abstract Syntax Tree is parsed in linear time by our method.", None),
    # Prose opening with capitals is not a heading: a sentence, a reference to a table, a name.
    ("In Table 3 we compare three options for the shortcuts.", None),
    ("Microsoft itself also benefited from the paper.", None),
    ("Correspondence to: David Silver and Demis Hassabis.", None),
    ("Faster R-CNN: Towards Real-Time", None),  # too little left to be a sentence
])
def test_a_quote_leaves_out_its_paragraphs_run_in_heading(sentence, quoted):
    quote = Quote(passage(sentence), 0, len(sentence))
    assert without_run_in_heading(quote).text == (quoted or sentence)


def test_a_who_list_opens_with_the_sentence_nearest_its_relation_weighed_with_its_probability():
    """Under the heading nearest the relation, "Who benefited?" opens with "Microsoft itself also
    benefited ...", nearest the relation though less probable; when the relation is about as near
    several sentences, the most probable opens: the author list for "Who were the four people
    behind ResNet?", not "All four of the authors got their degrees ...", a hair nearer. By the
    relation alone, the latter opened (wide dev: opens +3 −0)."""
    section = passage("x").chunk.section
    benefited = sentence_pool("Who benefited from ResNet?", [
        "The paper was rapidly adopted by much of the field, including Microsoft's competitors.",
        "Microsoft itself also benefited from the paper."])
    benefited = replace(benefited, relation_cos=np.asarray([0.2, 0.5], dtype=np.float32), relation_heading={section: 0.9})
    assert opening_sentence(benefited, [0, 1], Selection(), np.asarray([0.4, 0.2])) == 1
    behind = sentence_pool("Who were the four people behind ResNet?", [
        "All four of the authors got their undergraduate degrees and PhDs at Chinese universities.",
        "The ResNet paper was authored by four researchers: Kaiming He, Xiangyu Zhang, Shaoqing Ren, and Jian Sun."])
    behind = replace(behind, relation_cos=np.asarray([0.34, 0.32], dtype=np.float32), relation_heading={section: 0.9})
    assert behind.question.who and not behind.question.authors
    assert opening_sentence(behind, [0, 1], Selection(), np.asarray([0.22, 0.37])) == 1
