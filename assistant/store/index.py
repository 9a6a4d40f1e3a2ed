"""The index folder as the read side sees it: the registry opened read-only and the vector store.

A process that only answers questions (``assistant ask``, ``HybridRetriever.from_index``) opens
an ``Index``: it never constructs ``ingest.library.Library``, never takes the writer lock, and SQLite
refuses any write through its registry. It reads while another process writes: the registry is
SQLite in WAL mode, so each commit is visible to the next query; the vectors are a Chroma client
(server mode) or an embedded Chroma folder opened a second time, whose in-memory search index
does not follow another process's writes (Chroma 1.5 loads it once per process and folder, and
keeps it while any client of that folder is open): the read-only views of a folder in one process
therefore share one client, which is closed and opened again when the registry has moved since
it was opened (~0.05-0.1 s on the seed index). The writer (``Library``) builds its own ``Index``
over its writable registry and store; its writes keep Chroma's copy current in its process.
"""

from __future__ import annotations

import threading
from pathlib import Path

from ..config import Settings
from ..encoder.encoder import Encoder
from ..errors import EmptyIndex
from ..storage import is_writable
from .registry import DocumentRecord, Registry
from .sentence_vectors import SENTENCES_FILE, SentenceVectors
from .vectors import VectorStore, open_store

REGISTRY_FILE = "registry.sqlite3"  # in the index folder, beside the embedded vectors (chroma/)
NO_DOCUMENTS = "no documents yet: add some with `assistant add` or the upload panel"

# The embedded folders this process's read-only views opened: folder -> (store, the registry
# generation it is current with). One client per folder, so that closing it lets Chroma go.
_READ_STORES: dict[Path, tuple[VectorStore, int]] = {}
_READ_STORES_LOCK = threading.Lock()


class Index:
    """The registry (what is committed), the vectors, the model check and the listing."""

    def __init__(self, settings: Settings, *, registry: Registry | None = None, store: VectorStore | None = None) -> None:
        self.settings = settings
        writer_registry = registry is not None
        if registry is None and settings.registry_url:  # a shared registry (PostgreSQL)
            registry = Registry(settings.registry_url)
        elif registry is None:
            path = settings.index / REGISTRY_FILE
            if not path.is_file():  # nothing was ever written here; only a writer creates the registry
                raise EmptyIndex(NO_DOCUMENTS)
            registry = Registry(path, read_only=True)
        self.registry = registry
        self._store = store  # None: a read-only view's store, shared and kept current (``store``)
        if store is None and settings.chroma_url:
            self._store = open_store(settings.index, settings.chroma_url)  # a server: always current
        self.store  # opened now: an unusable vector index is reported on opening, not mid-question
        # A writer's view (its registry handed in by ``Library``) writes the sentence vectors too.
        self._writes_sentences = writer_registry and settings.sentence_vectors and is_writable(settings.index)
        self._sentences: SentenceVectors | None = None
        self._sentences_unusable = False

    @property
    def sentences(self) -> SentenceVectors | None:
        """The sentence vectors computed at ingest (``store/sentence_vectors.py``); None when they
        are off or none were written here yet (looked for again on the next call)."""
        if self._sentences is None and self.settings.sentence_vectors and not self._sentences_unusable:
            self._sentences = SentenceVectors.open(self.settings.index, read_only=not self._writes_sentences)
            # a file there that cannot be opened was reported once: answers encode from now on
            self._sentences_unusable = self._sentences is None and (self.settings.index / SENTENCES_FILE).is_file()
        return self._sentences

    @property
    def store(self) -> VectorStore:
        """The vector store, current with the registry's last commit (see the module's note)."""
        if self._store is not None:
            return self._store
        folder = self.settings.index.resolve()
        with _READ_STORES_LOCK:
            generation = self.registry.generation()  # read first: a commit after it reopens again
            opened = _READ_STORES.get(folder)
            if opened is None or opened[1] != generation:
                if opened is not None:
                    opened[0].close()
                _READ_STORES[folder] = (open_store(self.settings.index, read_only=not is_writable(self.settings.index)), generation)
            return _READ_STORES[folder][0]

    def documents(self) -> list[DocumentRecord]:
        return self.registry.documents()

    def check_model(self, encoder: Encoder, *, claim: bool = False) -> None:
        """Refuse an index built by another model (``claim``: record this one; writers only)."""
        self.registry.check_model(encoder.name, encoder.dimension, claim=claim)

    def listing(self, encoder: Encoder) -> dict:
        """The ``assistant list --json`` contract."""
        model = self.registry.model()
        headings = self.registry.headings()
        return {
            "documents": [
                {"source": d.source, "title": d.title, "pages": d.pages, "chunks": d.chunks, "sha256": d.sha256, "added": d.added,
                 "sections": headings.get(d.source, [])}
                for d in self.documents()
            ],
            "chunks": self.registry.chunk_count(),
            "embedding_model": (
                {"name": model[0], "dimension": model[1]} if model
                else {"name": encoder.name, "dimension": encoder.dimension}  # nothing indexed yet
            ),
        }
