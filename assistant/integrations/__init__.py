"""The assistant's parts as components of other frameworks (``langchain``: a retriever and embeddings)."""
