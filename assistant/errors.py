"""One exception hierarchy; every message says what went wrong and what the user can do."""

from __future__ import annotations


class AssistantError(Exception):
    """Base of every error the assistant reports to a user."""


class UsageError(AssistantError):
    """The request itself is malformed (empty question, unknown backend, bad option)."""


class IngestError(AssistantError):
    """One file could not be ingested; the rest of a batch is unaffected."""

    def __init__(self, file: str, reason: str) -> None:
        super().__init__(f"{file}: {reason}")
        self.file = file
        self.reason = reason


class IndexBusy(AssistantError):
    """Another process holds the index's writer lock."""


class ModelMismatch(AssistantError):
    """The index was built by another embedding model."""


class EmptyIndex(AssistantError):
    """No documents are indexed yet."""


class IndexCorrupt(AssistantError):
    """The registry or the vector store cannot be read."""


class BackendError(AssistantError):
    """A generative backend is misconfigured or unreachable."""


class DiskFull(AssistantError):
    """The disk holding the corpus or the index has no space left."""


class IndexReadOnly(AssistantError):
    """The index folder cannot be written: reading works, writing is refused."""


class ServiceUnavailable(AssistantError):
    """A server the index lives on (the Chroma server, the PostgreSQL registry) cannot be reached;
    the message names it. Nothing half-written stays visible: the next write repairs, and the same
    request succeeds once the server is back."""


class IndexOutdated(AssistantError):
    """The index was built by an older version and a reader cannot bring it up to date."""
