"""Pages -> chunks that fit the encoder, with exact offsets and stable ids.

A chunk is always the exact slice ``page.text[start:end]``; its id is derived from the source,
the page and the text, so unchanged chunks keep their ids (and their vectors) when a document
is edited elsewhere.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable

from langchain_text_splitters import RecursiveCharacterTextSplitter

from .types import Chunk, Page

SEPARATORS = ["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""]


def chunk_id(source: str, page: int | None, text: str, occurrence: int) -> str:
    key = f"{source}\x00{page or 0}\x00{occurrence}\x00{text}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def make_splitter(count_tokens: Callable[[str], int], *, chunk_tokens: int, overlap: int) -> RecursiveCharacterTextSplitter:
    return RecursiveCharacterTextSplitter(
        chunk_size=chunk_tokens,
        chunk_overlap=overlap,
        length_function=count_tokens,
        separators=SEPARATORS,
        keep_separator="end",
        add_start_index=True,
        strip_whitespace=True,
    )


def chunk_pages(pages: Iterable[Page], splitter: RecursiveCharacterTextSplitter) -> list[Chunk]:
    chunks: list[Chunk] = []
    seen: Counter[tuple[int | None, str]] = Counter()
    for page in pages:
        for piece in splitter.create_documents([page.text]):
            text = piece.page_content
            start = _locate(page.text, text, piece.metadata["start_index"])
            occurrence = seen[(page.page, text)]
            seen[(page.page, text)] += 1
            chunks.append(
                Chunk(
                    chunk_id=chunk_id(page.source, page.page, text, occurrence),
                    text=text,
                    source=page.source,
                    title=page.title,
                    page=page.page,
                    chunk_index=len(chunks),
                    start=start,
                    end=start + len(text),
                )
            )
    return chunks


def _locate(page_text: str, text: str, hint: int) -> int:
    """The splitter's start_index is a search result; verify it so offsets are exact."""
    if hint >= 0 and page_text.startswith(text, hint):
        return hint
    found = page_text.find(text)
    if found < 0:  # cannot happen with strip_whitespace on a slice, but never store a wrong offset
        raise ValueError("chunk text is not a slice of its page")
    return found
