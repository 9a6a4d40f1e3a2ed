"""Abbreviations and what they stand for, as a text defines them: Schwartz & Hearst's algorithm
("A simple algorithm for identifying abbreviation definitions in biomedical text", PSB 2003).

Papers introduce a term with its abbreviation once, "Region Proposal Network (RPN)" or
"RPN (Region Proposal Network)", and use the abbreviation after that; the sentence that does so
is where the reader learns what "RPN" stands for. The algorithm reads a pair from a parenthesis:
the short form is the parenthesised text (or, when that runs to more than two words, the word
before it), and the long form the shortest run of words before it whose letters hold the short
form's characters in order, its first one at a word's start. Kept as the paper gives it, with one
precision rule of its own: a short form holds a capital letter (papers write "(RPN)", "(RoI)",
"(CE)"; a parenthesis of lowercase words is a gloss or a variable, not an abbreviation).
``long_form_terms`` reads the same rule without a parenthesis: which phrases of a question a name
of a quote abbreviates ("the residual-network breakthrough" for "ResNet"), with each word of the
long form opening with one of the short form's capitals.
"""

from __future__ import annotations

import re

from .text import fold, terms

_PARENTHESIS = re.compile(r"\(([^()]{1,120})\)")
_WORD = re.compile(r"\S+")


def abbreviations(sentence: str) -> list[tuple[str, str]]:
    """The (short form, long form) pairs ``sentence`` defines, in order: ("RPN", "Region Proposal
    Network") of "we introduce a Region Proposal Network (RPN) that ..."."""
    pairs = []
    for found in _PARENTHESIS.finditer(sentence):
        inside = found.group(1).strip()
        before = sentence[: found.start()].rstrip()
        inside_words = inside.split()
        if len(inside_words) <= 2:
            # "long form (SF)": the parenthesis up to a separator is the short form ("(RPN; ...)").
            short = re.split(r"[;,]\s", inside)[0].strip()
            if not _is_short_form(short):
                continue
            window = before.split()[-min(len(short) + 5, 2 * len(short)):]
            long = _best_long_form(short, " ".join(window))
        else:
            # "SF (long form)": the word before the parenthesis is the short form.
            words = before.split()
            short = words[-1] if words else ""
            if not _is_short_form(short) or len(inside_words) > min(len(short) + 5, 2 * len(short)):
                continue
            long = _best_long_form(short, inside)
        if long:
            pairs.append((short, long))
    return pairs


def stands_for(subject: str, sentence: str) -> bool:
    """``sentence`` defines an abbreviation of ``subject``, either way round: "RPN" or "Region
    Proposal Network(s)" as the subject, "Region Proposal Network (RPN)" in the sentence."""
    wanted = fold(subject).strip()
    if not wanted:
        return False
    wanted_terms = terms(subject)
    for short, long in abbreviations(sentence):
        folded = fold(short)
        if wanted in (folded, folded.rstrip("s"), folded + "s") or (wanted_terms and terms(long) == wanted_terms):
            return True
    return False


def _is_short_form(text: str) -> bool:
    """Schwartz & Hearst's short form: 2-10 characters, the first a letter or digit, at least one
    letter; here also at least one capital (see the module's note)."""
    return (2 <= len(text) <= 10 and text[0].isalnum() and any(c.isalpha() for c in text)
            and any(c.isupper() for c in text))


def _best_long_form(short: str, long: str) -> str:
    """The shortest end of ``long`` holding the short form's letters and digits in order, read
    from the right, the first one starting a word; "" when there is none (Schwartz & Hearst's
    findBestLongForm)."""
    s, position = len(short) - 1, len(long) - 1
    while s >= 0:
        c = short[s].lower()
        if not c.isalnum():
            s -= 1
            continue
        while position >= 0 and (long[position].lower() != c
                                 or (s == 0 and position > 0 and long[position - 1].isalnum())):
            position -= 1
        if position < 0:
            return ""
        position -= 1
        s -= 1
    start = long.rfind(" ", 0, position + 1) + 1
    found = long[start:].strip()
    # The long form is longer than the short form and does not hold it as a word; nor does it
    # hold a bracket (a table's run of cells and citations before a "(ILSVRC’14)" is no long form).
    if (len(found) <= len(short) or short.lower() in (w.lower() for w in _WORD.findall(found))
            or any(c in found for c in "()[]")):
        return ""
    return found


# A name written as an abbreviation: two capitals or more, or a capital after a lowercase letter
# ("RPN", "MSRA", "ResNet", "RoI").
_SHORT_FORM = re.compile(r"\b(?=\w*[A-Z]\w*[A-Z]|\w*[a-z][A-Z])[A-Za-z][\w-]{1,9}\b")


def long_form_terms(text: str, short_forms_of: str) -> set[str]:
    """The terms of the phrases of ``text`` that a name of ``short_forms_of`` abbreviates ("residu",
    "network" of "the residual-network breakthrough" for "ResNet"; "microsoft", "research", "asia"
    of "Microsoft Research Asia" for "MSRA"), by Schwartz & Hearst's letters-in-order rule: a
    question that spells out what a quote abbreviates is answered by it."""
    words = text.split()
    found: set[str] = set()
    for short in set(_SHORT_FORM.findall(short_forms_of)):
        if not _is_short_form(short):
            continue
        reach = min(len(short) + 5, 2 * len(short))
        for end in range(len(words)):
            window = " ".join(words[max(0, end - reach + 1): end + 1]).rstrip("?.,;:!")
            long = _best_long_form(short, window)
            if long and len(terms(long)) >= 2 and _initials_fit(short, long):
                found |= set(terms(long))
    return found


def _initials_fit(short: str, long: str) -> bool:
    """Each word (or hyphenated part) of ``long`` opens with one of ``short``'s capitals, in order:
    "Microsoft Research Asia" for "MSRA", "residual-network" for "ResNet"; not "Microsoft Research
    Asia located" nor "residual-network breakthrough", which the letters-in-order rule allows."""
    capitals = [c.lower() for c in short if c.isupper()]
    for part in re.split(r"[\s-]+", long):
        if not part:
            continue
        while capitals and capitals[0] != part[0].lower():
            capitals.pop(0)
        if not capitals:
            return False
        capitals.pop(0)
    return True
