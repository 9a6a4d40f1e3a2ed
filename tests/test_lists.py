"""List questions: an enumeration is quoted whole, and a list of named things adds sentences while
they name a further item (docs/EVALUATION.md, "Session 9: list items")."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.answering.candidates import ENUMERATION_WORDS, _sentences
from assistant.answering.selection import select
from assistant.answering.question import analyse

from .helpers import passage, sentence_pool

# The Fast R-CNN paper's contributions, as the PDF reader gives them: the splitter cuts the items at
# their numbers and drops the last one (no full stop).
ADVANTAGES = ("We call this method Fast R-CNN because it is comparatively fast to train and test. "
              "The Fast R-CNN method has several advantages:\n\n1. Higher detection quality (mAP) than R-CNN, "
              "SPPnet 2. Training is single-stage, using a multi-task loss 3. Training can update all network "
              "layers 4. No disk storage is required for feature caching\n\n"
              "Fast R-CNN is written in Python and C++ and is available under the open-source MIT License.")


def _quoted(text: str, listing: bool) -> list[str]:
    found, _ = _sentences([passage(text)], listing)
    return [quote.text for quote, _ in found]


def test_an_enumeration_is_one_candidate_of_a_list_question():
    quoted = _quoted(ADVANTAGES, listing=True)
    enumeration = next(q for q in quoted if q.startswith("The Fast R-CNN method has several advantages:"))
    found, enumerated = _sentences([passage(ADVANTAGES)], True)
    assert [found[i][0].text for i in enumerated] == [enumeration], "the enumeration, and it alone, is marked as one"
    assert enumeration.endswith("No disk storage is required for feature caching")
    assert "Training can update all network layers" in enumeration
    # Its items are not candidates of their own, and the sentences around it stay as they were.
    assert not any(q.startswith(("Higher detection", "Training is single-stage")) for q in quoted if q != enumeration)
    assert quoted[0].startswith("We call this method") and quoted[-1].startswith("Fast R-CNN is written")
    # Any other question reads the sentences as before: the lead-in alone, the last item dropped.
    assert "The Fast R-CNN method has several advantages:" in _quoted(ADVANTAGES, listing=False)
    assert not any("disk storage" in q for q in _quoted(ADVANTAGES, listing=False))


def test_a_colon_that_opens_no_short_block_is_a_sentence_of_its_own():
    long_block = "Three main results support this paper's contributions:\n\n" + " ".join(["word"] * ENUMERATION_WORDS) + "."
    assert "Three main results support this paper's contributions:" in _quoted(long_block, listing=True)
    at_the_end = "The paper lists what it measured. Two numbers matter here:"
    assert _quoted(at_the_end, listing=True)[-1] == "Two numbers matter here:"


def test_a_list_of_named_things_adds_sentences_while_they_name_a_further_item():
    pool = sentence_pool("Which one-stage detectors does the focal loss paper mention?", [
        "Our results show that RetinaNet matches the speed of previous one-stage detectors.",
        "This paper pushes the envelope further with a detector of its own.",
        "Recent work on one-stage detectors, such as YOLO and SSD, demonstrates promising results.",
        "One-stage Detectors: OverFeat was one of the first modern one-stage detectors.",
        "More recently SSD and YOLO have renewed interest in one-stage methods.",
    ])
    # OverFeat's sentence is below the floor (0.3 of the best) but names a further item; the
    # second sentence names none, the last only items the answer already holds.
    probability = np.asarray([0.32, 0.19, 0.165, 0.09, 0.054])
    assert select(pool, probability, max_words=110) == [0, 2, 3]


def test_a_list_answer_that_opens_with_an_enumeration_is_that_enumeration():
    pool = sentence_pool("What advantages does Fast R-CNN claim over R-CNN and SPPnet?", [
        "The method has several advantages: 1. Higher detection quality 2. Single-stage training.",
        "Fast R-CNN is written in Python and C++ under the MIT License.",
    ], enumerations=frozenset({0}))
    assert select(pool, np.asarray([0.4, 0.3]), max_words=110) == [0]


def test_list_is_a_list_question_only_when_it_asks():
    assert not analyse("Why did Megvii end up on the US entity list?").listing
    assert analyse("List the authors of the ResNet paper.").listing
    assert analyse("Can you list the authors of the ResNet paper?").listing
    assert not analyse("Can you tell me what ResNet is?").listing
    # "Enumerate" asks as "List" does (session 31: test27's t27-125 quoted the lead-in alone).
    assert analyse("Enumerate the advantages Girshick claims for Fast R-CNN.").listing


@pytest.mark.parametrize("question", [
    "Which businesses ended up better off because of ResNet?",
    "What players gained from the paper?",
    "Which parties derived an advantage from ResNet?",
    # Beneficiaries, winners and losers are named too, and "Kindly" asks as "Please" does (session
    # 41: headline sets +5, wide dev unchanged).
    "Kindly identify the beneficiaries of ResNet, as the essay sees them.",
    "Name the winners of the ResNet story.",
])
def test_a_question_asking_which_businesses_or_players_wants_names(question):
    assert analyse(question).entity


@pytest.mark.parametrize("question", [
    "Name the companies that benefited from the invention of residual networks.",
    "Please identify the parties that derived an advantage from the development of ResNet.",
    # Asked politely (session 15: "Can you list the players ...?" was refused).
    "Can you list the players that drew advantage from the ResNet research?",
    "Could you please name the companies that benefited from ResNet?",
    # Every or each item (session 39: answered as one fact, with the author list).
    "Name every firm that the MacroPolo piece says gained from ResNet.",
    "Name each firm that benefited from ResNet: the tech giant behind the lab and the rest.",
])
def test_a_request_to_name_companies_asks_for_a_list_of_names(question):
    asked = analyse(question)
    assert asked.entity and asked.listing and asked.relation
    assert not asked.relation.lower().startswith(("can", "could"))


@pytest.mark.parametrize("question, who", [
    ("ResNet: who got the payoff?", True),
    ("ResNet came out of Microsoft's Beijing lab - so who actually gained from it?", True),
    ("Who gained?", True),
    ("Whose fortunes got a lift from the ResNet paper?", True),
    ("In the end, whose interests did ResNet serve?", True),
    ("What did the people who built ResNet do next?", False),
])
def test_who_asks_wherever_the_asking_clause_starts(question, who):
    assert analyse(question).who is who


def test_what_asks_for_a_thing_not_a_name():
    assert not analyse("What part of the network does the RPN share?").entity


def test_an_equation_run_is_never_a_candidate():
    """An equation the PDF reader flattened into letters ("0 L puct L i θiL ...") was quoted as an
    answer's second sentence; prose with symbols in it stays a candidate."""
    prose = "In [1], h(xl) = xl is an identity mapping and f is a ReLU [2] function."
    quoted = _quoted("0 L puct L i θiL i L L L L a tt t 0 resign t ttt−1t−1 t−7t−7 tt\n\n" + prose, listing=False)
    assert quoted == [prose]


def test_a_signpost_or_an_aside_is_never_a_candidate():
    """"We describe each component of RetinaNet next." opened the answer to "What is RetinaNet?":
    it only announces what follows. An aside wholly in brackets is left out too; a sentence that
    goes on to state the settings it announces is kept."""
    text = ("We describe each component of RetinaNet next. (Note: the names are given in the order "
            "the paper uses.) We use the following settings: a learning rate of 0.01 and momentum 0.9. "
            "RetinaNet is a single, unified network composed of a backbone network and two subnetworks.")
    quoted = _quoted(text, listing=False)
    assert quoted == ["We use the following settings: a learning rate of 0.01 and momentum 0.9.",
                      "RetinaNet is a single, unified network composed of a backbone network and two subnetworks."]
