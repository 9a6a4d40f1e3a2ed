"""The write side: files -> pages -> chunks -> vectors + registry (``library.Library``).

No read-side module (retrieval, pipeline, answering, integrations) imports this package.
"""
