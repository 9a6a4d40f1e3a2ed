""""What is this article about?": a question asking the gist of a whole document is answered with
the sentences of its opening (its abstract or lede) nearest their centroid and its title
(answering/front_matter.described_document, retrieval/front_matter.opening_passages,
extractive.overview; docs/EVALUATION.md, "Session 43")."""

from __future__ import annotations

import pytest

from assistant.answering.front_matter import concluded_document, described_document, names_a_document, only_a_document


@pytest.mark.parametrize("question, words", [
    ("What is this article about?", "this article"),
    ("what's the paper all about", "the paper"),
    ("Summarise the focal loss paper", "the focal loss paper"),
    ("Can you give me a short summary of the article?", "the article"),
    ("What's the gist of the ResNet paper?", "the ResNet paper"),
    ("What is the main idea behind focal loss?", "focal loss"),
    ("What does the Fast R-CNN paper propose?", "the Fast R-CNN paper"),
    ("Give me an overview of Faster R-CNN.", "Faster R-CNN"),
    ("Give me the gist of this piece", "this piece"),  # (session 46)
    ("What are the main contributions of the focal loss paper?", "the focal loss paper"),
    ("What are the key findings of this article?", "this article"),
    # Questions about something a document says, not about the document as a whole.
    ("What is focal loss?", None),
    ("What topics does he write about?", None),
    ("What does Sheehan say about Megvii?", None),
    ("How does the article describe Megvii?", None),
    ("What is the ResNet paper's top-5 error?", None),
])
def test_which_questions_ask_what_a_document_is_about(question, words):
    assert described_document(question) == words


@pytest.mark.parametrize("question, words", [
    ("What does the paper conclude?", "the paper"),
    ("What do the authors of the identity mappings paper conclude?", "the authors of the identity mappings paper"),
    ("What is the conclusion of the focal loss paper?", "the focal loss paper"),
    ("What are the main conclusions of this article?", "this article"),
    ("What's the writer's final verdict?", "the writer"),
    ("What is the bottom line of the Fast R-CNN paper?", "the Fast R-CNN paper"),
    # Asked as a request (session 46: a new user's "Give me the bottom line of this piece" was refused).
    ("Give me the bottom line of this piece", "this piece"),
    ("Can you tell me the main conclusion of the focal loss paper?", "the focal loss paper"),
    ("Give me the verdict on Megvii", None),
    ("What's the identity mappings paper's conclusion?", "the identity mappings paper"),
    ("What is Sheehan's verdict on Megvii?", None),
    ("What does Sheehan conclude about Megvii?", None),  # a conclusion about something
    ("What is this article about?", None),
])
def test_which_questions_ask_what_a_document_concludes(question, words):
    assert concluded_document(question) == words


def test_a_document_is_called_so_by_a_word_for_one():
    assert names_a_document("this article") and names_a_document("the papers") and names_a_document("it")
    assert names_a_document("the author") and only_a_document("the authors of ")
    assert not names_a_document("focal loss") and not names_a_document("AlphaGo Zero")


def test_the_words_besides_a_documents_name_only_call_it_a_document():
    """What is left of "the focal loss paper" once its name is taken out, not of "truncated SVD in
    Fast R-CNN" (wide dev's t21-096, "what's the point of truncated SVD in fast r-cnn", asks
    about the method in the paper)."""
    assert only_a_document("the  paper") and only_a_document("this article") and only_a_document(" ") and only_a_document("it")
    assert not only_a_document("truncated SVD in ") and not only_a_document("the whole thing")


def test_what_the_article_is_about_is_answered_from_its_lede(seed_assistant):
    """The seed corpus holds one document, so "this article" is it: the answer quotes the question
    the article opens by asking, from its lede (before its first heading), and no later section."""
    for question in ("What is this article about?", "Can you summarise the article?"):
        answer = seed_assistant.ask(question)
        assert not answer.refused, question
        assert answer.citations[0].quote.startswith("Who benefits from the research breakthroughs"), question
        assert all(c.section == "" for c in answer.citations), [c.section for c in answer.citations]


def test_what_the_article_concludes_is_answered_from_its_last_section(seed_assistant):
    """The article has no "Conclusion" heading: its last section before the author's note
    answers what it concludes, in any of the ways a reader asks ("What's the writer's final
    verdict?" was refused until session 44)."""
    for question in ("What does the author conclude?", "What's the writer's final verdict?"):
        answer = seed_assistant.ask(question)
        assert not answer.refused, question
        assert {c.section for c in answer.citations} == {"Alternate Histories and Possible Futures"}, question
