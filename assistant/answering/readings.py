"""What a text states, read the same way in a question and in a candidate sentence: the names it
holds (capitalised words past a sentence's first, and the one it opens with) and its numbers
(compared as numbers, not as terms). ``question`` reads what a question asks with these; the
scorer and the answerer check sentences with them. Nothing here is fitted.
"""

from __future__ import annotations

import re

from ..text import QUESTION_WORDS

_CAPITALISED = r"[A-Z][\w’'-]*[A-Za-z]"
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b" + _CAPITALISED)  # past a sentence's first word
_OPENING_NAME = re.compile(_CAPITALISED)


def name_words(text: str) -> list[str]:
    """Capitalised words past a sentence's first, as written, in order ("Yann", "LeCun's")."""
    return [m.group(0) for m in _NAME.finditer(text)]


def names(text: str) -> set[str]:
    """``name_words``, lowercased, without a possessive 's."""
    return {_name_key(word) for word in name_words(text)}


def opening_name(text: str) -> str:
    """The capitalised word a sentence opens with, as ``names`` gives it ("" when none)."""
    found = _OPENING_NAME.match(text)
    return _name_key(found.group(0)) if found else ""


def _name_key(word: str) -> str:
    return re.sub(r"[’']s$", "", word).lower()


def without_names(text: str) -> str:
    """``text`` without its names (``name_words``): "Who wrote the paper?" of "Who wrote the ResNet paper?"."""
    return re.sub(r"\s+", " ", _NAME.sub("", text)).strip()


# Numbers are compared as numbers, not as terms: the papers spell one several ways ("VGG16" in
# Fast R-CNN, "VGG-16" in Faster R-CNN; "320×320" where a question types "320x320"), and as terms
# "vgg16" is not "16", nor "320x320" the "320", "320" of "320×320", so a right answer read as
# lacking the question's number. A size stays one number ("1x1" is not the "1" of "top-1"); a
# thousands comma is dropped ("1,000" is "1000").
_NUMBERS = re.compile(r"\d+(?:\.\d+)?(?:\s?[x×]\s?\d+(?:\.\d+)?)*")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")


def numbers(text: str) -> frozenset[str]:
    """The numbers ``text`` names: "16" of "VGG-16" and of "VGG16", "320x320" of "320 × 320";
    a decimal without its trailing zeros ("γ = 2.0" names the "2" of "γ = 2")."""
    return frozenset("x".join(_decimal(part) for part in re.split(r"\s?[x×]\s?", n))
                     for n in _NUMBERS.findall(_THOUSANDS.sub("", text)))


def _decimal(number: str) -> str:
    return number.rstrip("0").rstrip(".") if "." in number else number


# Numbers that point elsewhere, not values: "Fig. 6", "Table 2", "Section 3.1", "Eqn. (1)", and a
# citation in brackets of integers alone ("(10)", "(42, 43)").
_REFERENCE = re.compile(r"\b(?:fig(?:ure)?s?|tables?|sec(?:tion)?s?|eqn?s?|equations?)\.?\s*\(?\d+(?:\.\d+)*\)?"
                        r"|\(\d+(?:,\s*\d+)*\)|\[\d+(?:,\s*\d+)*\]", re.I)


def stated_numbers(sentence: str) -> frozenset[str]:
    """The numbers a sentence states as values: ``numbers`` but those of its references."""
    return numbers(_REFERENCE.sub(" ", sentence))


def is_number(word: str) -> bool:
    """The whole word is one number as ``numbers`` reads it ("320x320", "1X1"), not a name."""
    return numbers(word.lower()) == {word.lower()}


def names_and_identifiers(question: str) -> list[str]:
    """What a question names: capitalised words past its first ("Yann", "LeCun") and words
    mixing letters and digits ("Places365", "V100")."""
    # A size ("320x320", "1x1") is numbers, which the gate checks, not a name: the papers print it
    # "320×320", which the index reads as two numbers, so as a name no document would mention it.
    identifiers = [i for i in _IDENTIFIER.findall(question)
                   if not is_number(i) and not _MAGNITUDE.fullmatch(i) and not _PART_OF_YEAR.fullmatch(i)]
    # A name match stops at a digit ("YOLOv" of "YOLOv2"): the identifier is the word asked about.
    found = [w for w in name_words(question)
             if not any(i != w and i.startswith(w) for i in identifiers)] + identifiers
    return [w for w in dict.fromkeys(found) if w.lower() not in QUESTION_WORDS]


# Not the tail of a decimal ("1.25M params" names no "25M").
_IDENTIFIER = re.compile(r"\b(?<!\d[.,])(?=[\w-]*\d)(?=[\w-]*[A-Za-z])[\w-]+\b")
# A whole number with its magnitude ("90k", "25M") is an amount, not a name (a decimal one never
# reaches it: an identifier holds no point).
_MAGNITUDE = re.compile(r"\d+[kmb]", re.I)
# A year with the part of it meant ("mid-2019", "early-2016", "pre-2015") is a date, not a name: the
# article writes "July 2019", and "mid" is in no document.
_PART_OF_YEAR = re.compile(r"(?:mid|early|late|pre|post)-(?:19|20)\d\d", re.I)


# A web address, as papers print one (a line break may leave a space inside it: the start is enough).
_ADDRESS = re.compile(r"\bhttps?://\S|\bwww\.\w|\b[\w-]+\.(?:com|org|net|io|edu)/\S")


def holds_address(text: str) -> bool:
    return bool(_ADDRESS.search(text))
