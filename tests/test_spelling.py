"""A question read as the corpus spells its words (retrieval/spelling.py)."""

from __future__ import annotations

import pytest

from assistant.retrieval.spelling import other_spellings, spelled_as_indexed


@pytest.mark.parametrize("word, others", [
    ("organisations", ["organizations"]),
    ("initialised", ["initialized"]),
    ("licence", ["license"]),
    ("modelling", ["modeling"]),  # not "modellling": a British ending is read as British
    ("modeling", ["modelling"]),
    ("colour", ["color"]),
    ("analyse", ["analyze"]),
    ("sense", []),  # too short a stem
])
def test_a_words_other_spellings_swap_its_regular_british_and_american_ending(word, others):
    assert other_spellings(word) == others


def _corpus(*vocabulary: str):
    """The ``unknown`` of a corpus that mentions only ``vocabulary`` (and every short word)."""
    return lambda words: [w for w in words if len(w) >= 5 and w.lower() not in vocabulary]


def test_a_word_the_corpus_does_not_mention_is_read_as_the_spelling_it_does():
    corpus = _corpus("organizations", "benefited", "resnet", "license", "released")
    assert spelled_as_indexed("Which organisations benefited from ResNet?", corpus) == \
        "Which organizations benefited from ResNet?"
    assert spelled_as_indexed("Licence under which it is released?", corpus) == "License under which it is released?"


def test_a_word_the_corpus_mentions_or_has_no_other_spelling_for_is_kept():
    # The corpus spells "organisations" itself (a British corpus): the question is left as asked,
    # and a word with no spelling the corpus mentions ("Places365", "otherwise") too.
    assert spelled_as_indexed("Which organisations?", _corpus("organisations", "organizations")) == "Which organisations?"
    assert spelled_as_indexed("Otherwise, which organisations?", _corpus("organizations")) == \
        "Otherwise, which organizations?"

