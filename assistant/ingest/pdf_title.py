"""A PDF's title, as a reader would cite it.

The metadata title is used when it looks like one; many PDFs carry none, or a file name
("Microsoft Word - draft3.docx", "main.tex"), or a placeholder ("untitled"). Then the title is the
first page's largest upright type, as it is set ("Mastering the game of Go without human
knowledge"), not its first line: on a saved web page that is the site's navigation
("nature.comPublications A-Z indexBrowse by subject CartLoginRegister"), on an arXiv copy a
sideways stamp. Site chrome (a web address, login and cart links) is never a title. Last, the
first line that is not chrome, then the file's name.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Protocol

TITLE_LINES = 3  # a display title runs to 3 lines at most; more in its size is a heading or a pull quote
# The title is among a first page's first lines in reading order (after a saved web page's
# navigation and subject lines); further down, a figure's axis labels may be set larger.
TITLE_SEARCH = 12
LARGER = 1.08  # set at least this much above the body size to stand out as a title
MAX_TITLE_CHARS = 200

_FILE_NAME = re.compile(r"\.(?:pdf|docx?|odt|rtf|tex|dvi|ps|eps|pptx?|key|indd|qxd|pages|txt|html?)\s*$", re.I)
_PLACEHOLDER = re.compile(
    r"^(?:untitled.*|title|no title|document\d*|slide \d+|powerpoint presentation|presentation\d*|"
    r"(?:microsoft )?(?:word|excel|powerpoint) - .*|arxiv:\S+|doi:\S+|\d[\d\s./:-]*)$",
    re.I,
)
_WEB_ADDRESS = re.compile(r"https?://|www\.|\b[a-z0-9-]+\.(?:com|org|net|edu|gov|io|ai|co\.uk)(?![a-z])", re.I)
_NAVIGATION = re.compile(r"log ?in|sign ?in|sign ?up|register|subscribe|cart|menu|cookies?|a-z index|browse", re.I)


class SetLine(Protocol):
    """A line of a page as set: its text, type size and whether it runs sideways."""

    text: str
    size: float
    rotated: bool


def is_chrome(text: str) -> bool:
    """A web page's navigation or header saved with it: a web address, or two navigation links
    ("Login", "Register", "Cart", "Browse by subject")."""
    return bool(_WEB_ADDRESS.search(text)) or len(_NAVIGATION.findall(text)) >= 2


def looks_like_title(text: str) -> bool:
    """Not empty, not a file name, placeholder or site chrome, and holding a letter."""
    text = " ".join(text.split())
    return (
        any(ch.isalpha() for ch in text) and not _FILE_NAME.search(text) and not _PLACEHOLDER.match(text)
        and not is_chrome(text)
    )


def display_title(lines: list[SetLine], body: float) -> str:
    """A page's title as it is set: the largest upright type above the ``body`` size among its
    first ``TITLE_SEARCH`` lines, with the lines in that size right below it ("Faster R-CNN:
    Towards Real-Time Object Detection" / "with Region Proposal Networks"). "" when no line of two
    words or more stands out."""
    upright = [line for line in lines[:TITLE_SEARCH] if not line.rotated and line.text.strip() and not is_chrome(line.text)]
    if not upright:
        return ""
    size = max(line.size for line in upright)
    if size < body * LARGER:
        return ""
    start = next(i for i, line in enumerate(upright) if line.size == size)
    title = [upright[start].text.strip()]
    for line in upright[start + 1 : start + TITLE_LINES]:
        if abs(line.size - size) > 0.2:
            break
        title.append(line.text.strip())
    text = " ".join(title)
    return text if len(text.split()) >= 2 else ""


def pdf_title(meta_title: str, first_page: list[SetLine], body: float, source: str) -> str:
    """The metadata title when it looks like a title; else the first page's display title; else
    its first line that is not site chrome; else the file's name. Texts come in clean
    (``clean_text``)."""
    first_line = next((line.text for line in first_page if line.text.strip() and not is_chrome(line.text)), "")
    for candidate in (meta_title, display_title(first_page, body), first_line):
        if candidate and looks_like_title(candidate):
            return candidate[:MAX_TITLE_CHARS]
    return Path(source).stem[:MAX_TITLE_CHARS]
