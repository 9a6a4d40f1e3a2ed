"""A sentence-transformers model exported to ONNX, once per machine, and checked before use.

Importing torch and sentence-transformers costs ~8 s here, most of the web app's start-up;
ONNX Runtime (already a Chroma dependency) imports in ~0.3 s and encodes 1.1x (chunks) to 3.4x
(one question) faster (docs/BENCHMARKS.md, "Encoder runtimes"). So
the model is exported from sentence-transformers itself, the whole pipeline (transformer, mean
pooling, normalisation) in one graph, and kept only if ONNX Runtime gives the same vectors as
sentence-transformers on probe texts of every length (docs/BENCHMARKS.md, "Startup").

An export lives in ``<cache_dir>/encoders/<key>/``: ``model.onnx`` and ``export.json``
(written last, so a folder without it is an interrupted export). The key hashes the model
folder's path and each file's name, size and modification time, so a changed model is
exported again, and the export it supersedes is deleted.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

from ..errors import AssistantError
from .runtimes import OnnxModel

log = logging.getLogger(__name__)

# Bump when the exported graph or its inputs change: older exports are then made again.
EXPORT_FORMAT = 1
# The export is kept only if no vector component differs from sentence-transformers' by more.
MAX_ABS_DIFF = 1e-5
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
# Probe texts: one word to past the encoder's 256-word-piece limit, padded together and alone,
# with the whitespace and Unicode that tokenisers treat specially.
PROBES = (
    "ResNet",
    "  Who benefited from the ResNet research done at Microsoft Research Asia?  ",
    "Kaiming He joined Facebook AI Research in 2016; Jian Sun became Megvii’s chief scientist.",
    "Ünïcödé — naïve café, 深度残差学习, ½ ≈ 0.5 %",
    " ".join(["Deeper neural networks are more difficult to train."] * 60),
)


class ExportError(AssistantError):
    """The model could not be exported, or its export does not give sentence-transformers' vectors."""


@dataclass(frozen=True)
class ExportRecord:
    """What ``export.json`` holds: enough to run the graph without loading the original model."""

    model: str
    key: str
    dimension: int
    max_tokens: int
    max_abs_diff: float
    seconds: float
    format: int = EXPORT_FORMAT


def export_folder(model_path: str | Path, cache_dir: Path) -> Path:
    """Where the export of the model in ``model_path`` lives (whether or not it exists yet)."""
    folder = Path(model_path).resolve()
    digest = hashlib.sha256(f"{EXPORT_FORMAT}\x00{folder}".encode())
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        stat = file.stat()
        digest.update(f"\x00{file.relative_to(folder)}\x00{stat.st_size}\x00{stat.st_mtime_ns}".encode())
    return Path(cache_dir) / "encoders" / f"{folder.name}-{digest.hexdigest()[:16]}"


def read_record(folder: Path) -> ExportRecord | None:
    """The record of a finished export in ``folder``; None when there is none (or it is unreadable)."""
    try:
        record = ExportRecord(**json.loads((folder / "export.json").read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None
    if record.format != EXPORT_FORMAT or record.key != folder.name or not (folder / "model.onnx").is_file():
        return None
    return record


def export(model, model_path: str | Path, folder: Path) -> ExportRecord:
    """Export the loaded SentenceTransformer ``model`` into ``folder``, check it, and record it.

    The files are written in a temporary folder beside ``folder`` and moved in whole, so a
    crash or a concurrent export never leaves a half-written model where a reader looks.
    """
    started = time.perf_counter()
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        _write_graph(model, staging / "model.onnx")
        exported = OnnxModel(staging / "model.onnx", Path(model_path), max_tokens=int(model.max_seq_length))
        expected = model.encode(
            list(PROBES), normalize_embeddings=True, convert_to_numpy=True, batch_size=len(PROBES), show_progress_bar=False
        )
        together = exported.encode(list(PROBES), batch_size=len(PROBES))
        alone = [exported.encode([text], batch_size=1)[0] for text in PROBES]
        diff = max(float(abs(together - expected).max()), max(float(abs(a - e).max()) for a, e in zip(alone, expected)))
        if diff > MAX_ABS_DIFF:
            raise ExportError(
                f"the ONNX export of {model_path} differs from sentence-transformers by {diff:.2g} "
                f"(allowed {MAX_ABS_DIFF:g}); set ASSISTANT_ENCODER_RUNTIME=torch"
            )
        record = ExportRecord(
            model=str(Path(model_path).resolve()), key=folder.name, dimension=int(expected.shape[1]),
            max_tokens=int(model.max_seq_length), max_abs_diff=diff, seconds=round(time.perf_counter() - started, 2),
        )
        (staging / "export.json").write_text(json.dumps(asdict(record), indent=2), encoding="utf-8")
        if folder.exists() and read_record(folder) is None:  # damaged: a finished export always has its record
            shutil.rmtree(folder, ignore_errors=True)
        try:
            os.replace(staging, folder)
        except OSError:  # another process finished the same export first: theirs is as good
            if read_record(folder) is None:
                raise
        log.info("exported the encoder to ONNX in %.1f s (%s, max difference %.1g)", record.seconds, folder, diff)
        _remove_superseded(folder, record.model)
        return record
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _remove_superseded(folder: Path, model: str) -> None:
    """Delete the other exports of this model folder (its files changed since) and those of
    model folders that no longer exist, so the cache holds one export per model in use."""
    for other in folder.parent.iterdir():
        record = read_record(other) if other != folder and not other.name.startswith(".") else None
        if record is not None and (record.model == model or not Path(record.model).is_dir()):
            shutil.rmtree(other, ignore_errors=True)
            log.info("removed the superseded encoder export %s", other)


def _write_graph(model, target: Path) -> None:
    import torch

    try:
        import onnx  # noqa: F401  (torch's exporter needs it)
    except ImportError as exc:
        raise ExportError("the onnx package is missing (pip install onnx); set ASSISTANT_ENCODER_RUNTIME=torch") from exc

    class Pipeline(torch.nn.Module):
        """Word-piece ids in, normalised sentence vectors out: the whole sentence-transformers pipeline."""

        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            features = {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids}
            return torch.nn.functional.normalize(self.model(features)["sentence_embedding"], dim=-1)

    # Traced with a padded row, so the graph always applies the attention mask.
    ids = torch.ones((2, 8), dtype=torch.long)
    mask = torch.ones_like(ids)
    mask[1, 5:] = 0
    axes = {name: {0: "batch", 1: "tokens"} for name in INPUT_NAMES} | {"embedding": {0: "batch"}}
    with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
        warnings.simplefilter("ignore")  # the tracer's notes on Python-level branches; the probes check the result
        torch.onnx.export(
            Pipeline().eval(), (ids, mask, torch.zeros_like(ids)), str(target), dynamo=False,
            input_names=list(INPUT_NAMES), output_names=["embedding"], dynamic_axes=axes, opset_version=17,
        )
