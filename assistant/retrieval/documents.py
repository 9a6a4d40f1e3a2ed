"""Document scoping: which library documents a question names ("in the Faster R-CNN paper", "the
focal loss paper", "AlphaGo Zero"), so retrieval can favour their chunks.

A question that names a paper often shares more words with another one: "What does 'objectness'
mean in the Faster R-CNN paper?" retrieves Fast R-CNN first (its text says "9x faster" often, and
the Faster R-CNN paper calls itself "Faster R-CNN" once, in its title). So each document gets its
names, read from the registry:

- its **title**, the title before a colon ("Faster R-CNN: Towards Real-Time ...") and the title's
  head before its first linking word ("Focal Loss" for dense object detection, "Identity
  Mappings" in deep residual networks), when that head is two words or more (a name of one plain
  word, a title such as "Notes", would name its document in every question using the word);
- the **names it coins**: runs of capitalised words holding a mixed-case or all-capital word
  ("AlphaGo Zero", "RetinaNet", "RPN"), used at least ``MIN_COINED`` times in the document's own
  text (its references aside), on its first page too, and at least ``COINED_SHARE`` of all their
  uses in the library: a name every paper uses ("ImageNet", "ResNet") names none of them.

Readers also name a paper by its **first author**, "Ren et al." (the byline's first name's last
word, ``bylines``): that names every document whose byline opens with them ("He et al." names the
ResNet paper and the identity-mappings paper). So does the name in the possessive, capitalised:
"Girshick's detector" (not "He's", which is "he is").

A question names a document when it holds one of its names as a whole phrase (case-insensitive;
"Faster R-CNN" is matched before "R-CNN", and "ResNet-110" does not hold "ResNet"). A title's
name belongs to its document alone, whatever other documents coin.

Readers also call a paper by the name it is known by, or by part of its title, in the phrase "the
X paper": "the ResNet paper", "the residual learning paper". A name shared by several documents
("ResNet": the ResNet paper, the identity-mappings paper and an article about the ResNet paper all
use it) names none of them alone, but in "the X paper" it names a **paper known as X**:

- a document has an **alias** when a library text writes a coined name in quotes or parentheses
  right after the document's full title ("Deep Residual Learning for Image Recognition. Often
  abbreviated as "ResNet," the 2015 paper ..."): the library itself says what the name stands for;
- a run of two title words or more that no other title holds ("residual learning", "region
  proposal networks") is a **title phrase** of its document.

"the <alias or title phrase> paper" names that document and the documents **about** it: those
whose own text (references aside) gives its title with its alias (the article that says "The
ResNet paper was authored by ..." answers questions about the paper as a work: its authors,
citations, who gained from it). Aliases are read for descriptive titles only: a title holding a
coined word ("Fast R-CNN") is also a method's name, which other papers use in passing. The bare
name stays unscoped: "Who benefited from ResNet?" names no document. Names are read once per
registry generation, and a document's text only when it changed; titles are found by their first
two words, so the aliases cost one pass over the quoted names, not documents times titles.
"""

from __future__ import annotations

import re
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence

from ..store.registry import Registry
from ..text import fold
from .bylines import author_note_names, byline_authors

MIN_COINED = 10  # uses of a coined name in its document's own text
COINED_SHARE = 0.75  # of the library's uses of a coined name that its document must hold
# Words that end a title's head: "Focal Loss | for Dense Object Detection"
_LINKING = frozenset("for in of on with without from towards toward via using by to at as and through".split())
_WORD = r"[A-Z][\w]*(?:[-'’][\w]+)*"
_CAPITALISED_RUN = re.compile(rf"(?<![\w-]){_WORD}(?:[ \t]+{_WORD})*(?![\w-])")
MAX_NAME_WORDS = 3
ALIAS_REACH = 80  # characters after a title within which a quoted or parenthesised name is its alias
TITLE_REACH = 200  # characters before a quoted name kept to look for a title in (titles are cut there)
_QUOTED_NAME = re.compile(rf"[\"“‘'(]\s*({_WORD})\s*[,.;]?\s*[\"”’')]")
_EDGE_PUNCTUATION = "\"“”‘’'()[].,;:!?"
# "the ResNet paper", "the ResNet paper's", "in the residual learning paper"
_PAPER = r"\s+paper(?![\w-])"
# A hyphen between two lower-case letters: "identity-mappings", not the "R-CNN" of a name.
_LOWER_HYPHEN = re.compile(r"(?<=[a-z])-(?=[a-z])")
# A paper named by its first author: "Ren et al.", "He et al.'s", "Girshick's".
_ET_AL = re.compile(r"(?<![\w-])([^\W\d_][\w’'-]*)\s+et\s+al\b", re.I)
_POSSESSIVE = re.compile(r"(?<![\w-])([A-Z][^\W\d_]{2,})['’]s\b")


def title_names(title: str) -> list[str]:
    """The names a title gives its document: the title, its part before a colon, and its head
    before the first linking word (two words or more)."""
    title = " ".join(title.split()).strip(" .?!")
    names = [title] if title else []
    before_colon = title.split(":", 1)[0].strip()
    if before_colon and before_colon != title:
        names.append(before_colon)
    words = before_colon.split()
    for i, word in enumerate(words):
        if word.lower() in _LINKING:
            if i >= 2:
                names.append(" ".join(words[:i]))
            break
    return names


def _coined_word(word: str) -> bool:
    """"AlphaGo", "RPN", "R-CNN": a capital past the first letter."""
    return any(ch.isupper() for ch in word[1:])


def coined_names(text: str) -> Counter:
    """Runs of up to ``MAX_NAME_WORDS`` capitalised words holding a coined word, counted."""
    found: Counter = Counter()
    for match in _CAPITALISED_RUN.finditer(text):
        words = match.group(0).split()
        for start in range(len(words)):
            for end in range(start + 1, min(len(words), start + MAX_NAME_WORDS) + 1):
                if any(_coined_word(w) for w in words[start:end]):
                    found[" ".join(words[start:end])] += 1
    return found


class _Document:
    """What one document's text says about its names: coined names counted in its own text
    (references aside) and those on its first page."""

    def __init__(self, chunks: Iterable) -> None:
        self.counts: Counter = Counter()
        self.first_page: set[str] = set()
        self.quoted: list[tuple[str, str]] = []  # (the text before it, a quoted or parenthesised coined name)
        chunks = sorted(chunks, key=lambda c: c.chunk_index)
        self.byline = tuple(byline_authors(chunks[0])) if chunks else ()
        # Its first chunk (title, byline) folded, to find the documents whose byline names a person
        # without reading every document's first chunk again per question.
        self.opening = fold(chunks[0].text) if chunks else ""
        # Who wrote it: its byline's authors, else (an article) the person its closing author note names.
        self.authors = self.byline or (author_note_names(chunks[-1].text) if chunks else ())
        for chunk in chunks:
            if chunk.kind == "references":
                continue
            found = coined_names(chunk.text)
            self.counts.update(found)
            if (chunk.page or 1) <= 1:  # a text file has no pages: all of it is its first
                self.first_page.update(found)
            self.quoted += quoted_names(chunk.text)


class DocumentNames:
    """The library's documents by the names a question may call them, kept current with the
    registry: ``named(text)`` gives the sources a text names."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._lock = threading.Lock()
        self._generation: int | None = None
        self._read: dict[str, tuple[tuple, _Document]] = {}  # source -> (its version, its names)
        self._names: dict[str, str] = {}  # folded name -> source
        self._pattern: _Phrases | None = None
        self._papers: dict[str, list[str]] = {}  # folded X of "the X paper" -> the paper and those about it
        self._paper_pattern: _Phrases | None = None
        self._first_authors: dict[str, list[str]] = {}  # folded surname -> the documents they first-authored

    def named(self, text: str) -> list[str]:
        """The sources ``text`` names, in the order it names them."""
        return list(dict.fromkeys(source for _, _, sources in self.naming(text) for source in sources))

    def naming(self, text: str) -> list[tuple[int, int, list[str]]]:
        """Where ``text`` names documents: (start, end, the sources named there), in its order."""
        self._sync()
        if not text:
            return []
        # A reader may hyphenate a title phrase ("the identity-mappings paper"): read as spaced, in place.
        papers = list(self._paper_pattern.finditer(_LOWER_HYPHEN.sub(" ", text))) if self._paper_pattern is not None else []
        found = [(m.start(), m.end(), self._papers[_key(m.group(1))]) for m in papers]
        if self._pattern is not None:
            # "the X paper" says more than X: a name inside it is read as the paper's
            found += [
                (m.start(), m.end(), [self._names[_key(m.group(0))]]) for m in self._pattern.finditer(text)
                if not any(p.start() <= m.start() < p.end() for p in papers)
            ]
        found += [(m.start(), m.end(), self._first_authors[_key(m.group(1))])
                  for m in (*_ET_AL.finditer(text), *_POSSESSIVE.finditer(text)) if _key(m.group(1)) in self._first_authors]
        return sorted(found, key=lambda f: f[0])

    def called(self, words: str) -> str | None:
        """The one document ``words`` call by name ("the focal loss paper", "AlphaGo Zero"): of "the
        X paper", the paper known as X, not the documents about it; None when they name none or several
        ("He et al." names two papers)."""
        named = self.naming(words)
        if len(named) != 1:
            return None
        sources = named[0][2]
        paper = self._paper_pattern is not None and next(self._paper_pattern.finditer(_LOWER_HYPHEN.sub(" ", words)), None)
        return sources[0] if len(sources) == 1 or paper else None

    def byline(self, source: str) -> tuple[str, ...]:
        """The authors the byline of ``source`` lists, in its order; () when it has none."""
        self._sync()
        known = self._read.get(source)
        return known[1].byline if known else ()

    def opening_naming(self, people: Sequence[str]) -> list[str]:
        """The sources whose first chunk (title and byline) names one of ``people``, in the
        registry's order."""
        self._sync()
        folded = [fold(person) for person in people]
        return [source for source, (_, document) in self._read.items() if any(p in document.opening for p in folded)]

    def authors(self, source: str) -> tuple[str, ...]:
        """Who wrote ``source`` (its byline's authors, or the person an article's author note names);
        () when it says neither: a question may name the document by them ("Girshick's loss")."""
        self._sync()
        known = self._read.get(source)
        return known[1].authors if known else ()

    def named_in_conversation(self, question: str, earlier: Sequence[str]) -> list[str]:
        """The sources a question names, else, for a follow-up (``earlier``: the questions it
        leans on, nearest first), those the nearest earlier question naming any names."""
        named = self.named(question)
        for text in earlier:
            if named:
                break
            named = self.named(text)
        return named

    def sources(self) -> list[str]:
        """Every document's source."""
        self._sync()
        return list(self._read)

    def _sync(self) -> None:
        with self._lock:
            generation = self.registry.generation()
            if generation == self._generation:
                return
            documents = self.registry.documents()
            read = {}
            for document in documents:
                version = (document.sha256, document.chunker, document.updated)
                known = self._read.get(document.source)
                if known is None or known[0] != version:
                    chunks = self.registry.chunks(self.registry.chunk_ids(document.source))
                    known = (version, _Document(chunks))
                read[document.source] = known
            self._read = read
            self._names = _names(documents, {s: d for s, (_, d) in read.items()})
            self._pattern = _phrases(self._names)
            self._papers = _paper_names(documents, {s: d for s, (_, d) in read.items()})
            self._paper_pattern = _phrases(self._papers, _PAPER)
            first_authors: dict[str, list[str]] = defaultdict(list)
            for source, (_, document) in read.items():
                if document.byline:  # by the last word of the first author's name
                    first_authors[_key(document.byline[0].split()[-1])].append(source)
            self._first_authors = dict(first_authors)
            self._generation = generation


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


class _Phrases:
    """Any of ``names`` as a whole phrase (the longest first at each place), then ``after``: what
    one alternation of every name (``(?<!word)(name|...)after``) finds, but tried only where a
    word starts, against the names that begin with that word. (One alternation of a library's
    thousand titles took ~70 ms a question: docs/BENCHMARKS.md, "Session 11".)"""

    def __init__(self, names: Iterable[str], after: str = "") -> None:
        by_first: dict[str, list[str]] = defaultdict(list)
        for name in names:
            by_first[_first_word(name)].append(name)
        end = after or "(?![\\w-])"
        self._patterns = {
            first: re.compile(
                "(" + "|".join(re.escape(n).replace("\\ ", "\\s+") for n in sorted(group, key=len, reverse=True)) + ")" + end,
                re.I,
            )
            for first, group in by_first.items()
        }

    def finditer(self, text: str) -> Iterator[re.Match]:
        reached = 0
        for word in _WORD_START.finditer(text):
            if word.start() < reached:
                continue
            pattern = self._patterns.get(word.group(0).casefold())
            found = pattern.match(text, word.start()) if pattern is not None else None
            if found:
                reached = found.end()
                yield found


_WORD_START = re.compile(r"(?<![\w-])[\w-]*")


def _first_word(name: str) -> str:
    return _WORD_START.match(name).group(0).casefold()


def _phrases(names: dict, after: str = "") -> _Phrases | None:
    """Any of ``names`` as a whole phrase (the longest first at each place), then ``after``."""
    return _Phrases(names, after) if names else None


def _names(documents: list, read: dict[str, _Document]) -> dict[str, str]:
    """Folded name -> source: coined names first, then titles' names over them."""
    total: Counter = Counter()
    for document in read.values():
        total.update(document.counts)
    names: dict[str, str] = {}
    for source, document in read.items():
        for name, count in document.counts.items():
            if count >= MIN_COINED and count >= COINED_SHARE * total[name] and name in document.first_page:
                names[_key(name)] = source
    for document in documents:
        for name in title_names(document.title):
            if " " in name or _coined_word(name):  # not a title of one plain word ("Notes")
                names[_key(name)] = document.source
    return names


def quoted_names(text: str) -> list[tuple[str, str]]:
    """Each coined name ``text`` writes in quotes or parentheses ("ResNet" of ... Often
    abbreviated as "ResNet," ...), with the ``TITLE_REACH`` characters before it."""
    return [
        (text[max(0, m.start() - TITLE_REACH) : m.start()], m.group(1))
        for m in _QUOTED_NAME.finditer(text) if _coined_word(m.group(1))
    ]


def aliases(titles: dict[str, str], quoted: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(source, alias) for each quoted name written within ``ALIAS_REACH`` characters after a
    document's full title ("Deep Residual Learning for Image Recognition. Often abbreviated as
    "ResNet,""). Titles are looked up by their first two words: one pass over the words."""
    by_opening: dict[tuple[str, str], list[tuple[str, list[str]]]] = {}
    for source, title in titles.items():
        words = _folded_words(title)
        if len(words) >= 2:
            by_opening.setdefault((words[0], words[1]), []).append((source, words))
    found = []
    for before, name in quoted:
        spans = list(re.finditer(r"\S+", before))
        words = _folded_words(before)
        for i in range(len(words) - 1):
            for source, title in by_opening.get((words[i], words[i + 1]), ()):
                end = i + len(title)
                if words[i:end] == title and len(before) - spans[end - 1].end() <= ALIAS_REACH:
                    found.append((source, name))
    return found


def _folded_words(text: str) -> list[str]:
    return [word.strip(_EDGE_PUNCTUATION).casefold() for word in text.split()]


def title_phrases(titles: dict[str, str]) -> dict[str, str]:
    """Folded runs of two title words or more, neither end a linking word, that one title alone
    holds ("residual learning"), each to its source."""
    holders: dict[str, set[str]] = {}
    for source, title in titles.items():
        words = re.sub(r"[:?!.,]", " ", title).split()
        for start in range(len(words)):
            for end in range(start + 2, len(words) + 1):
                run = words[start:end]
                if run[0].lower() not in _LINKING | {"the", "a", "an"} and run[-1].lower() not in _LINKING | {"the", "a", "an"}:
                    holders.setdefault(_key(" ".join(run)), set()).add(source)
    return {phrase: next(iter(sources)) for phrase, sources in holders.items() if len(sources) == 1}


def _paper_names(documents: list, read: dict[str, _Document]) -> dict[str, list[str]]:
    """Folded X of "the X paper" -> the document known as X and the documents about it (those
    giving its title with its alias)."""
    titles = {d.source: " ".join(d.title.split()) for d in documents if len(d.title.split()) >= 2}
    known: dict[str, str] = title_phrases(titles)
    # "Fast R-CNN ..." is a method's name too, which other papers use in passing: descriptive titles only
    descriptive = {source: title for source, title in titles.items() if not any(_coined_word(w) for w in title.split())}
    alias_of: dict[str, set[str]] = {}
    about: dict[str, list[str]] = {source: [] for source in titles}
    for other, document in read.items():
        for source, alias in aliases(descriptive, document.quoted):
            alias_of.setdefault(_key(alias), set()).add(source)
            if other != source and other not in about[source]:
                about[source].append(other)
    known.update({alias: next(iter(s)) for alias, s in alias_of.items() if len(s) == 1})
    return {phrase: [source, *about[source]] for phrase, source in known.items()}
