"""assistant: an offline, citation-first question-answering assistant over a corpus of documents."""

from . import config as _config  # noqa: F401  (sets the offline environment before any model library loads)

__version__ = "0.1.0"
