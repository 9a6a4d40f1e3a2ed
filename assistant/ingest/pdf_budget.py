"""How much text a PDF may extract: a character budget per page and per document.

A text bomb (a small file whose content streams draw millions of characters) is refused before
pypdf parses its pages, from an estimate of each page's text, and again on every text run pypdf
hands over, so neither a page nor a document goes past its limit (docs/RELIABILITY.md).
"""

from __future__ import annotations

import re

from ..errors import IngestError


class Budget:
    """Characters extracted so far, against the per-page and per-document limits.

    Checked twice: before any page is parsed, against an estimate of the text each page's content
    streams hold (the lengths of their string operands: pypdf parses a whole stream before it
    hands over its first run, 4-50 s for the 5 MB stream of issue 16's bomb), and on every text
    run pypdf hands over, so neither a page nor a document goes past its limit."""

    def __init__(self, source: str, max_page_chars: int, max_document_chars: int) -> None:
        self.source, self.max_page, self.max_document = source, max_page_chars, max_document_chars
        self.page = self.document = 0
        self.page_number = 0

    def new_page(self, number: int) -> None:
        self.page, self.page_number = 0, number

    def check_estimates(self, pages) -> None:
        """Before any page is parsed: refuse the document when a page's streams, or all pages'
        together, hold more text than the budget allows (a few ms a page)."""
        total = 0
        for number, page in enumerate(pages, start=1):
            self.page_number = number
            estimate = estimated_text(page)
            total += estimate
            self._check(estimate, total)
        self.page_number = 0

    def spend(self, chars: int) -> None:
        self.page += chars
        self.document += chars
        self._check(self.page, self.document)

    def _check(self, page: int, document: int) -> None:
        if page > self.max_page:
            raise IngestError(
                self.source,
                f"page {self.page_number} extracts to more than {self.max_page:,} characters, the per-page limit "
                "(ASSISTANT_MAX_PAGE_CHARS); refused as a text bomb (no real page holds that much text)",
            )
        if document > self.max_document:
            raise IngestError(
                self.source,
                f"the text extracted passes {self.max_document:,} characters by page {self.page_number}, the "
                "per-document limit (ASSISTANT_MAX_DOCUMENT_CHARS); refused as a text bomb (split the document if it is real)",
            )


_STRING_OPERAND = re.compile(rb"\((?:[^()\\]|\\.)*\)|<[0-9A-Fa-f\s]*>", re.DOTALL)


def estimated_text(item, depth: int = 3) -> int:
    """About how many characters a page (or a form it draws) could show: the bytes of the string
    operands of its content streams and of its forms', hex strings halved. An over-estimate
    (strings that are not shown count too), from one regular-expression pass over decoded bytes."""
    if "/Contents" in item or item.get("/Type") == "/Page":
        contents = item.get("/Contents")
        streams = contents.get_object() if contents is not None else []
        streams = streams if isinstance(streams, list) else [streams]
    else:
        streams = [item]  # a form XObject is its own content stream
    total = 0
    for stream in streams:
        try:
            data = stream.get_object().get_data()
        except (AttributeError, TypeError, KeyError):  # no stream there: extraction finds no text in it either
            continue
        total += _string_bytes(data)
    resources = item.get("/Resources")
    xobjects = resources.get_object().get("/XObject") if resources is not None else None
    if depth and xobjects is not None:
        for ref in xobjects.get_object().values():
            form = ref.get_object()
            if form.get("/Subtype") == "/Form":
                total += estimated_text(form, depth - 1)
    return total


def _string_bytes(data: bytes) -> int:
    return sum(len(m) - 2 if m[:1] == b"(" else (len(m) - 2) // 2 for m in _STRING_OPERAND.findall(data))
