"""Which variant of a named thing a sentence is about (``answering/variants.py``): a look-alike
question swaps one ("ResNet-110" where the paper reports ResNet-164)."""

from __future__ import annotations

import pytest

from assistant.answering.variants import other_variant, variants


def test_a_variant_is_a_name_and_its_number_however_written():
    assert variants("the 110-layer ResNet on CIFAR-10. VGG16 and VGG-19 on VOC 2007, VOC12; top-5 error, AP50") == {
        "resnet": {"110"}, "cifar": {"10"}, "vgg": {"16", "19"}, "voc": {"07", "12"}, "top": {"5"}, "ap": {"50"}}
    # A decimal is not a variant's number, nor a figure's panel.
    assert variants("a 1.5× longer schedule, Fig. 4(b)") == {}
    # A number joined to more letters is a word ("resnet-1k-layers"); a name goes on past a hyphen.
    assert variants("github.com/KaimingHe/resnet-1k-layers and ResNet-101-FPN") == {"resnet": {"101"}}


@pytest.mark.parametrize("question, sentence, other", [
    # The look-alike: the paper reports CIFAR-100 for ResNet-164 and ResNet-1001 only.
    ("What CIFAR-100 error does the pre-activation ResNet-110 reach?", "CIFAR-100\nResNet-164 25.16 24.33", True),
    ("What Elo rating did the 20-block AlphaGo Zero reach?", "The 40-block instance reached 5,185 Elo.", True),
    ("What top-5 error does ResNet-152 get?", "ResNet-152 has a top-1 error of 19.38%.", True),
    # The asked variant among others, or no variant of the family at all: the sentence may answer.
    ("What CIFAR-100 error does ResNet-1001 reach?", "CIFAR-100\nResNet-1001 27.82 22.71", False),
    ("How do ResNet-110 and ResNet-164 compare?", "ResNet-164 has 5.46% error.", False),
    ("What error does the 1001-layer ResNet get?", "ResNet-1001 reaches 4.92% on CIFAR-10.", False),
    ("What error does ResNet-110 get?", "The deeper network trains faster.", False),
    # The asked number given bare, after another variant of the family.
    ("What mAP does Faster R-CNN reach on the PASCAL VOC 2012 test set?",
     "... accuracy on PASCAL VOC 2007 (73.2% mAP) and 2012 (70.4% mAP) using 300 proposals per image.", False),
    # ... but a bare number that is no year names no variant: this reports no CIFAR-100 error.
    ("What CIFAR-100 error does the pre-activation ResNet-110 reach?",
     "This phenomenon is observed on ResNet-110, ResNet-110(1-layer), and ResNet-164 on both CIFAR-10 and 100.", True),
])
def test_a_sentence_about_another_variant(question, sentence, other):
    assert other_variant(variants(question), sentence) is other
