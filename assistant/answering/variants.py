"""Which variant of a named thing a sentence states its fact about.

A look-alike question often swaps a variant: ResNet-110 where the paper reports only ResNet-164
and ResNet-1001 on CIFAR-100, the 20-block network where a sentence gives the 40-block one's Elo
rating, top-5 where a table row under "CIFAR-10" gives top-1. A variant is a name joined to a
number ("ResNet-110", "CIFAR-100", "top-5", "VGG-16"), an acronym beside a year or number ("VOC
2007", "VOC07") or a number of layers or blocks ("110-layer", "40-block"; a number of layers is
the ResNet's own number: "the 110-layer ResNet" is ResNet-110). A sentence that names a family
the question names, only with other numbers, states its fact about another variant: the answer
must not quote it for this question.
"""

from __future__ import annotations

import re
from collections import defaultdict

_VARIANT = re.compile(
    r"\b(?P<name>[A-Za-z][A-Za-z]*)-(?P<number>\d+)(?!\w|\.\d)"
    r"|\b(?P<acronym>[A-Z]{2,})\s?(?P<year>(?:19|20)?\d\d)\b"
    r"|\b(?P<count>\d+)-(?P<unit>layer|block)s?\b"
)
# The families a number of layers belongs to: "a 1001-layer ResNet" is "ResNet-1001".
_LAYERS = "resnet"


def variants(text: str) -> dict[str, frozenset[str]]:
    """The families ``text`` names variants of, each with the numbers it names them by."""
    found: dict[str, set[str]] = defaultdict(set)
    for match in _VARIANT.finditer(text):
        if match.group("name"):
            found[match.group("name").casefold()].add(match.group("number"))
        elif match.group("acronym"):
            found[match.group("acronym").casefold()].add(match.group("year")[-2:])
        else:
            unit = match.group("unit").casefold()
            found[_LAYERS if unit == "layer" else unit].add(match.group("count"))
    return {family: frozenset(numbers) for family, numbers in found.items()}


def other_variant(asked: dict[str, frozenset[str]], text: str) -> bool:
    """Whether ``text`` names a family of ``asked`` (a question's ``variants``) only by other
    numbers: it states something about another variant. A year given bare after the family's
    other one counts as named ("VOC 2007 (73.2% mAP) and 2012 (70.4% mAP)" names VOC 2012); a
    bare number does not ("ResNet-110 ... on both CIFAR-10 and 100" reports no CIFAR-100 error)."""
    held = variants(text)
    years = {year[-2:] for year in _YEAR.findall(text)}
    return any(family in held and not (held[family] & numbers) and not (numbers & years)
               for family, numbers in asked.items())


_YEAR = re.compile(r"(?<![\w.])(?:19|20)\d\d(?![\w.]\d)")
