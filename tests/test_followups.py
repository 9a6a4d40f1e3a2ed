"""Follow-up questions: "he", "the lead author", "the other three", "that company" resolved from
the conversation's earlier answers; then whole conversations on the seed article, asked for real."""

from __future__ import annotations

import time

import pytest

from assistant.answering.question import analyse
from assistant.pipeline import REFUSAL
from assistant.retrieval.followup import MAX_TURNS, condense, follow_up_context, people, referents, refers_back

AUTHORS = ("The ResNet paper was authored by four researchers working or interning at MSRA in 2015: "
           "Kaiming He, Xiangyu Zhang, Shaoqing Ren, and Jian Sun. [1]")
KAIMING = "Kaiming He, the lead author and most celebrated of the group, joined Facebook AI Research in California in 2016. [1]"


def test_people_are_two_or_three_capitalised_words_that_name_no_organisation_or_place():
    text = ("And Shaoqing Ren joined Momenta. Kaiming He did his PhD at the Chinese University of Hong Kong; "
            "Microsoft Research Asia is next to Tsinghua University, says Google Scholar.")
    assert people(text) == ["Shaoqing Ren", "Kaiming He"]


def test_a_question_that_stands_alone_gets_no_context():
    assert not refers_back("Which company did Kaiming He join in 2016?")
    assert not refers_back("Who is the first author of the Faster R-CNN paper?")  # anchored: not a reference
    assert follow_up_context("Which company did Kaiming He join in 2016?", [("Who wrote ResNet?", AUTHORS)]) == ""
    assert follow_up_context("Where did he go?", []) == ""


def test_he_is_the_person_the_earlier_question_asked_about():
    # the README's example; the answer may name others: the question said whom it was about
    history = [("What did Kaiming He do?", "Xiangyu Zhang and Jian Sun joined Megvii. [1] " + KAIMING)]
    assert follow_up_context("Where did he go after MSRA?", history) == "Kaiming He"
    assert follow_up_context("Where did he go after MSRA?", [("What did Kaiming He do?", "")]) == "Kaiming He"


def test_he_is_the_first_person_the_earlier_answer_names_when_the_question_named_nobody():
    history = [("Who was the lead author of the ResNet paper?", KAIMING)]
    assert follow_up_context("Which company did he join, and when?", history) == "Kaiming He"


def test_a_person_pointed_at_by_what_they_do_is_the_person_of_the_earlier_answer():
    """"That writer" is the person the earlier answer names, not the "Fellow" of its words, which
    it was read as when only "he" or "she" pointed at a person (session 37)."""
    history = [("Who wrote the MacroPolo essay on ResNet?", "Matt Sheehan is a Fellow at MacroPolo. [1]")]
    for question in ("Which beats does that writer cover at MacroPolo?", "What does this researcher work on?"):
        assert follow_up_context(question, history) == "Matt Sheehan", question


def test_the_lead_author_is_read_from_the_answers():
    history = [("Who wrote the ResNet paper?", AUTHORS)]
    assert follow_up_context("Where did the lead author go?", history) == "Kaiming He"
    assert follow_up_context("Where did the last author go?", history) == "Jian Sun"
    # an answer that calls someone the lead author outranks the order of a list
    history.append(("Which lab was it?", "Jian Sun, the lead author of another paper, stayed. [1]"))
    assert follow_up_context("Where did the lead author go?", history) == "Jian Sun"


def test_the_other_three_are_the_people_named_and_not_yet_discussed():
    history = [("Who wrote the ResNet paper?", AUTHORS), ("Where did the lead author go?", KAIMING)]
    assert follow_up_context("What about the other three?", history) == "Xiangyu Zhang, Shaoqing Ren, Jian Sun"
    assert follow_up_context("And the other two?", history) == "Xiangyu Zhang, Shaoqing Ren"


def test_they_are_the_people_the_nearest_answer_named_when_it_names_several():
    """"Where are they now?" after the four authors' names asks about all four (session 43: it was
    answered with the author list and their awards); "they" after an answer naming one person or
    none points at no one."""
    history = [("Who wrote the ResNet paper?", AUTHORS)]
    assert follow_up_context("Where are they now?", history) == "Kaiming He, Xiangyu Zhang, Shaoqing Ren, Jian Sun"
    assert referents("What did they do next?", [("Where did the lead author go?", KAIMING)]) != ["Kaiming He"]


def test_where_they_are_now_names_where_each_author_went(seed_assistant):
    _, now = converse(seed_assistant, ["Who wrote the ResNet paper?", "Where are they now?"])
    assert all(name in now.answer for name in ("Facebook", "Megvii", "Momenta")), now.answer


def test_that_company_is_what_the_earlier_answer_named():
    history = [("Which startup did Shaoqing Ren co-found?",
                "And Shaoqing Ren joined two other MSRA alumni in co-founding Momenta, a Beijing-based startup. [1]")]
    context = follow_up_context("Where is that company based?", history)
    assert "Momenta" in context and "Which startup did Shaoqing Ren co-found?" in context
    assert "Shaoqing Ren," not in context  # named in the question: not what the answer added
    # an elliptic question keeps the earlier frame, not the earlier answer's names
    assert follow_up_context("And Megvii?", history) == "Which startup did Shaoqing Ren co-found?"
    # what the question points at, without the earlier questions' words
    assert "Momenta" in referents("Where is that company based?", history)
    assert "Shaoqing Ren" not in referents("Where is that company based?", history)
    assert referents("Where was he born?", history) == ["Shaoqing Ren"]
    assert referents("And Megvii?", history) == [] and referents("Where is Megvii based?", history) == []


def test_that_company_is_no_person_the_earlier_answer_named():
    """"That company" after "Xiangyu Zhang and Jian Sun joined Megvii, ..." is Megvii: a person
    the answer names besides the asked one is no thing it points at (session 33: wide dev +3 -0)."""
    history = [("Which company did Xiangyu Zhang move to after MSRA?",
                "Xiangyu Zhang and Jian Sun joined Megvii, the Chinese computer vision startup recently added to "
                "the US entity list for participation in surveillance in Xinjiang. [1]")]
    named = referents("What US government list is that company on?", history)
    assert "Megvii" in named and "Jian Sun" not in named


def test_a_refused_turn_is_not_read_whatever_the_refusal_says():
    # no citation marker: the answer stated nothing from the corpus, in any wording
    for refusal in (REFUSAL, "Not found in your documents; Yann LeCun might know."):
        history = [("Who wrote the ResNet paper?", AUTHORS), ("What did the lead author say about Go?", refusal)]
        assert follow_up_context("Where did he go?", history) == "Kaiming He"
        # its question still says what the user was talking about
        assert "What did the lead author say about Go?" in follow_up_context("When was it published?", history)


def test_only_the_last_turns_are_read_and_the_context_fits_its_budget():
    old = [("Who wrote the ResNet paper?", AUTHORS)]
    recent = [("How deep is ResNet?", "It has 152 layers. [1]")] * MAX_TURNS
    assert "Kaiming He" not in follow_up_context("Where did he go?", old + recent)
    assert follow_up_context("Where did he go?", old + recent[:-1]) == "Kaiming He"
    huge = [("What is it? " * 300, ("word " * 100_000) + "[1]")] * 10_000
    started = time.perf_counter()
    context = follow_up_context("And then?", huge, max_chars=80)
    assert len(context) <= 80 and context.startswith("What is it?")
    # Generous on purpose (a loaded 2-core machine): measured 8 ms with the machine shared, against
    # 4.4 s to split just 100 of these answers into words; a pass over the history takes minutes.
    assert time.perf_counter() - started < 2  # a loop over a few turns' first characters, not the history
    assert len(condense("And then?", huge, max_chars=100)) <= 100
    repeated = [("Which lab produced ResNet?", "MSRA. [1]")] + [("And then?", "It grew. [1]")] * 3
    assert follow_up_context("And then?", repeated) == "And then?; Which lab produced ResNet?"  # each question once


# -- whole conversations on the seed article, answered by the assistant ---------------------------


def converse(assistant, questions: list[str]):
    history, answers = [], []
    for question in questions:
        answer = assistant.ask(question, history=history)
        history.append((question, answer.answer))
        answers.append(answer)
    return answers


def quoted(answer) -> str:
    return " ".join(c.quote for c in answer.citations)


def test_readme_follow_up_finds_where_kaiming_he_went(seed_assistant):
    first, follow_up = converse(seed_assistant, ["What did Kaiming He do?", "Where did he go after MSRA?"])
    assert not follow_up.refused and "joined Facebook AI Research" in quoted(follow_up)
    # as the API's example sends it, without the first answer
    api = seed_assistant.ask("Where did he go after MSRA?", history=[("What did Kaiming He do?", "")])
    assert "joined Facebook AI Research" in quoted(api)


def test_the_lead_author_and_then_the_other_three(seed_assistant):
    authors, lead, others = converse(
        seed_assistant, ["Who wrote the ResNet paper?", "Where did the lead author go?", "What about the other three?"]
    )
    assert "Kaiming He" in authors.answer
    assert "joined Facebook AI Research" in quoted(lead)
    assert "Megvii" in others.answer and "Momenta" in others.answer


@pytest.mark.parametrize("first", ["Which startup did Shaoqing Ren co-found?", "What did Shaoqing Ren do after ResNet?"])
def test_that_company_after_an_answer_naming_it(seed_assistant, first):
    _, follow_up = converse(seed_assistant, [first, "Where is that company based?"])
    assert "Beijing-based" in follow_up.answer


def test_the_name_a_follow_ups_context_opens_with_is_a_referent_too():
    """The context opens with the name the follow-up points at ("Kaiming He", "Momenta, ..."); read
    as a sentence's first word, it was no name, and only "He" (a stopword) was read (wide dev +2 -0)."""
    assert "kaim" in set(analyse("Where did he go after leaving MSRA, and when?", "Kaiming He",
                                         follow_up=True).asked_terms)
    assert "momenta" in analyse("Where is it headquartered?", "Momenta, Beijing-based; Which startup did Shaoqing "
                                "Ren help found?", follow_up=True).asked_terms


def test_a_follow_up_of_few_words_is_answered_about_what_it_points_back_to(seed_assistant):
    """"when was it set up?" holds one term of its own, "set", which "Founded in 1998 ..." lacks: the
    gate refused. The names the conversation gives "it" ("Microsoft Research Asia") are terms its
    answer must hold too (wide dev +6 -0, all follow-ups; session 28)."""
    _, follow_up = converse(seed_assistant, ["Where is Microsoft Research Asia located?", "when was it set up?"])
    assert not follow_up.refused and "1998" in follow_up.answer
