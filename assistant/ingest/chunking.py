"""Pages -> chunks that fit the encoder, with exact offsets and stable ids.

A chunk is always the exact slice ``page.text[start:end]``, cut from one block of the page
(``Page.blocks``): it never spans two sections or two kinds of text, and never holds a heading
line, and it carries the block's heading path (``section``) and ``kind``. Its id is derived from
the source, the page, the section, the kind and the text, so unchanged chunks keep their ids (and
their vectors) when a document is edited elsewhere.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable
from functools import lru_cache

from langchain_text_splitters import RecursiveCharacterTextSplitter

from ..types import Chunk, Page

# What loaders and the chunker make of a file. Raise it whenever their output changes: a document
# indexed by an older version is read and chunked again by the next `assistant sync`.
# 2: PDF lines joined into prose, headers and footers dropped; heading paths and kinds.
# 3: a PDF's title from its metadata only when that looks like a title, else its largest type.
# 4: a PDF line that goes on with a name or a number after a hyphen is joined without a space ("R-CNN").
# 5: a PDF's accent drawn beside its letter is put on it ("Dollár", not "Doll ́ar").
CHUNKER_VERSION = 5

SEPARATORS = ["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""]


def chunk_id(source: str, page: int | None, text: str, occurrence: int, section: str = "", kind: str = "text") -> str:
    key = f"{source}\x00{page or 0}\x00{occurrence}\x00{text}"
    if section or kind != "text":  # the ids of plain unsectioned prose stay what they were
        key += f"\x00{section}\x00{kind}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def fast_token_counter(encoder) -> Callable[[str], int]:
    """``encoder.count_tokens``, memoised: the splitter measures every candidate piece twice
    (once to split, once to merge)."""
    return lru_cache(maxsize=1 << 16)(encoder.count_tokens)


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
        for block in page.text_blocks():
            region = page.text[block.start : block.end]
            previous = (-1, 0)  # (start, end) of the previous chunk of this block, in the block
            for piece in splitter.create_documents([region]):
                text = piece.page_content
                start = _locate(region, text, piece.metadata["start_index"], previous)
                if start is None:
                    continue  # a piece wholly inside the previous chunk adds nothing
                previous = (start, start + len(text))
                occurrence = seen[(page.page, text)]
                seen[(page.page, text)] += 1
                chunks.append(
                    Chunk(
                        chunk_id=chunk_id(page.source, page.page, text, occurrence, block.section, block.kind),
                        text=text,
                        source=page.source,
                        title=page.title,
                        page=page.page,
                        chunk_index=len(chunks),
                        start=block.start + start,
                        end=block.start + start + len(text),
                        section=block.section,
                        kind=block.kind,
                    )
                )
    return chunks


def _locate(page_text: str, text: str, hint: int, previous: tuple[int, int]) -> int | None:
    """Where ``text`` starts in the page, given the previous chunk's (start, end).

    A chunk starts after the previous chunk's start and no later than the first non-space
    character after its end (it overlaps it, or follows it), so it is looked for in that window,
    at the last place it occurs there: the overlap is a tail of the previous chunk, and the last
    place leaves no text uncovered. The splitter's own start_index (``hint``) is a search from an
    offset that treats the overlap (in tokens) as characters: in repetitive text it lands on a
    later copy, on none, or (for a short chunk that repeats the previous one's tail) on the
    tail instead of the text after it. In text that does not repeat itself there is only one
    place; in text that does, every choice is an exact slice, and this one keeps chunks in order
    and the page covered. None: the piece adds nothing to the previous chunk.
    """
    after, end = previous
    limit = end
    while limit < len(page_text) and page_text[limit].isspace():
        limit += 1
    found = page_text.rfind(text, after + 1, limit + len(text))
    if found < 0:
        found = page_text.find(text, after + 1)
    if found < 0 and 0 <= page_text.find(text, 0, end):
        return None  # nothing after the previous chunk: the piece repeats text already covered
    if found < 0 and hint >= 0 and page_text.startswith(text, hint):
        found = hint
    if found < 0 and page_text.find(text, max(after, 0), end) >= 0:
        return None  # all overlap: the piece lies wholly inside the previous chunk
    if found < 0:  # cannot happen with strip_whitespace on a slice, but never store a wrong offset
        raise ValueError("chunk text is not a slice of its page")
    return found
