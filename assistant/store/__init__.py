"""The index folder: the registry (documents, chunks, journal, change log) and the vectors beside it.

Read by both sides: ``index.Index`` is the read side's view; ``assistant.ingest`` writes through the same classes.
Nothing here imports ``assistant.ingest``.
"""
