"""The read side's search: ``Searcher(index, encoder)`` fuses dense and BM25 (``search.py``,
``lexical.py``); ``followup.py`` says what a follow-up question refers back to."""

from .search import Searcher

__all__ = ["Searcher"]
