"""What a "how many / how much" question counts, and whether a sentence states a count of it
(``answering/counts.py``): a quote giving no number of the counted thing answers a look-alike."""

from __future__ import annotations

import pytest

from assistant.answering.counts import counted, states_count


@pytest.mark.parametrize("question, expected", [
    ("How many GPUs were used to train Fast R-CNN on COCO?", ("gpus",)),
    ("How much GPU memory does Faster R-CNN need at test time with VGG-16?", ("gpu", "memory")),
    ("how many parameters does it have", ("parameters",)),
    ("How many fellow MSRA alumni started it with him?", ("fellow", "msra", "alumni")),
    # "How many" counts a plural; a question naming none leaves out what it counts (session 44).
    ("So for k anchors, how many scores and how many coordinates come out?", ("coordinates",)),
    ("After ignoring anchors that cross the image border, about how many remain per training image?", ()),
    ("ResNet-1001 has how many units in total, and how many per stage?", ("units",)),
    ("how many per stage?", ()),
    # Comparisons and ratios count no thing; nor does a "how much" that goes straight to its verb.
    ("How much faster is Fast R-CNN than R-CNN at test time?", ()),
    ("Compared with SPPnet, how much quicker is Fast R-CNN to train with VGG16?", ()),
    ("How much longer did the 40-day run train than the 3-day one?", ()),
    ("With gamma = 2, how many times lower is the loss of an easy example?", ()),
    ("By how much does adding the VOC12 training data lift the mAP?", ()),
    ("What kinds of tasks get better with deeper networks?", ()),
    ("What top-5 error did the ensemble reach?", ()),
    # A rate or a size is counted too; a share is a percentage.
    ("What initial learning rate did AlphaGo Zero's training use?", ("initial", "learning", "rate")),
    ("What dropout rate does Fast R-CNN apply to its fully connected layers?", ("dropout", "rate")),
    ("What's the batch size for RetinaNet training?", ("batch", "size")),
    ("What share of the RoIs in a mini-batch are foreground?", ("percent",)),
])
def test_what_a_question_counts(question, expected):
    assert counted(question) == expected


@pytest.mark.parametrize("question, sentence, states", [
    ("How many GPUs did the COCO training use?", "We train the COCO models with an 8-GPU implementation.", True),
    ("How many fellow MSRA alumni started it with him?", "Shaoqing Ren joined two other MSRA alumni in co-founding Momenta.", True),
    ("How much compute does the 34-layer baseline need?", "Our 34-layer baseline has 3.6 billion FLOPs (multiply-adds).", True),
    ("How much GPU time does feature extraction take?", "This process takes 2.5 GPU-days for the 5k images.", True),
    ("How much GPU memory does training ResNet-1001 need?", "ResNet-1001 takes about 27 hours to train on 2 GPUs.", False),
    ("How many parameters does ResNet-152 have?", "The original ResNet-152 has top-1 error of 21.3% on a 320x320 crop.", False),
    ("How many GPUs were used to train the Region Proposal Network?",
     "Region proposal methods are implemented on the CPU, while detection networks use GPUs.", False),
    ("What learning rate did training start from?", "The learning rate starts from 0.1 and is divided by 10.", True),
    ("What learning rate did training start from?", "Training used momentum and weight decay throughout.", False),
    # A rate or a size is named by the word before it: another rate's value does not answer.
    ("What dropout rate does Fast R-CNN apply?", "All layers use a per-layer learning rate of 1 for weights.", False),
    ("What initial learning rate did RetinaNet use?", "Training starts with a learning rate of 0.01.", True),
    ("What mini-batch size was used?", "We use an image size of 600 pixels, with 2 images.", False),
    ("What mini-batch size was used?", "Each SGD mini-batch holds 2 images and 128 RoIs; its size is 128.", True),
    ("What share of the RoIs are foreground?", "We take 25% of the RoIs from object proposals.", True),
    ("What percentage of moves did the network predict?", "Prediction accuracy on human professional moves.", False),
    # People are counted as what they are, and the counted phrase may run on into the verb.
    ("How many people wrote the ResNet paper?", "The paper was authored by four researchers working at MSRA.", True),
    ("How many people wrote the ResNet paper?", "The paper was published in 2015 and cited 25,256 times.", False),
    # A year after "since", "in", ... is a date, not a count; a number like one still counts.
    ("How many researchers work at MSRA?", "Since 2015, researchers around the globe have applied it.", False),
    ("How many GPUs did the training use?", "Trained in 2015 on 8 GPUs.", True),
    ("How many proposals are used at test time?", "We use 2000 proposals at test time.", True),
    # A time in the unit the question names, and a rate as a percentage (session 44).
    ("How many hours does it take to train the RPN?", "The RPN alone takes only 10 ms computing the additional layers.", False),
    ("How many milliseconds does the RPN add per image?", "The RPN alone takes only 10 ms computing the additional layers.", True),
    ("How much time does training take?", "ResNet-1001 takes about 27 hours to train on 2 GPUs.", True),
    # ... and one asked in no unit in any unit a unit's question takes (session 46).
    ("How much time does the RPN add?", "The RPN adds only 10 milliseconds per image.", True),
    ("How much time does training take?", "Training takes about 27 hrs on 2 GPUs.", True),
    ("What win rate must a newcomer exceed?", "If the new player wins by a margin of >55% it becomes the best player.", True),
    ("What win rate must a newcomer exceed?", "Each evaluation consists of 400 games.", False),
    # Things a paper counts under another name (session 44).
    ("How many graphics cards did that run use?", "We train the model on 8 GPUs.", True),
    ("How many networks went into the ensemble?", "We combine six models of different depth to form an ensemble.", True),
    ("How many networks went into the ensemble?", "The ensemble has 3.57% top-5 error on the test set.", False),
])
def test_a_sentence_states_a_count_of_what_is_counted(question, sentence, states):
    assert states_count(counted(question), sentence) is states
