"""The encoder: its ONNX runtime gives sentence-transformers' vectors (exported once, checked,
made again when damaged, torch when it cannot be made); its short-text path gives ``encode``'s
vectors, remembered, bounded."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from assistant.encoder import encoder as encoder_module, onnx_export
from assistant.config import DEFAULT_CACHE_DIR
from assistant.encoder.encoder import Encoder

TEXTS = ["Who benefited from the ResNet research?", "Kaiming He joined Facebook AI Research in 2016.", "Sun now serves as the company’s chief scientist."]


def test_short_texts_get_the_vectors_encode_gives():
    encoder = Encoder()
    expected = encoder.encode(TEXTS)
    one = Encoder().encode_sentences(TEXTS[:1])  # the single-text path
    np.testing.assert_allclose(one[0], expected[0], atol=1e-6)
    many = Encoder().encode_sentences(TEXTS)  # the batched path
    np.testing.assert_allclose(many, expected, atol=1e-6)
    assert many.dtype == np.float32 and many.shape == (3, encoder.dimension)
    assert Encoder().encode_sentences([]).shape == (0, encoder.dimension)


def test_vectors_are_remembered_and_the_memory_is_bounded(monkeypatch):
    monkeypatch.setattr(encoder_module, "SENTENCE_CACHE_SIZE", 2)
    encoder = Encoder()
    calls: list[list[str]] = []
    original = encoder.encode

    def counting(texts, **kwargs):
        calls.append(list(texts))
        return original(texts, **kwargs)

    monkeypatch.setattr(encoder, "encode", counting)
    first = encoder.encode_sentences(TEXTS[1:])
    again = encoder.encode_sentences(TEXTS[1:])
    assert calls == [TEXTS[1:]], "the second call is answered from memory"
    np.testing.assert_array_equal(first, again)
    encoder.encode_sentences(TEXTS[:1])  # one more: the least recently used one is dropped
    assert list(encoder.sentence_cache) == TEXTS[2:] + TEXTS[:1]


# The texts the ONNX runtime must encode exactly as sentence-transformers does: padded together
# and alone, stripped, cut at 256 word pieces, Unicode.
RUNTIME_TEXTS = TEXTS + [
    "  leading and trailing spaces  ",
    "naïve café — 東京 😀 ½",
    " ".join(["Deeper neural networks are more difficult to train, so we present a residual framework."] * 40),
    "x",
]


def test_the_onnx_runtime_gives_sentence_transformers_vectors():
    onnx, torch = Encoder(runtime="onnx"), Encoder(runtime="torch")
    assert (onnx.model.runtime, torch.model.runtime) == ("onnx", "torch")
    assert (onnx.dimension, onnx.max_tokens) == (torch.dimension, torch.max_tokens) == (384, 256)
    expected = torch.encode(RUNTIME_TEXTS)
    for batch_size in (1, 3, 64):
        np.testing.assert_allclose(onnx.encode(RUNTIME_TEXTS, batch_size=batch_size), expected, atol=1e-5)
    np.testing.assert_allclose(onnx.model.encode_one(RUNTIME_TEXTS[3]), expected[3], atol=1e-5)
    assert onnx.encode([]).shape == (0, 384)


@pytest.fixture
def private_models(monkeypatch):
    """Encoders that load their model again rather than share the process's."""
    monkeypatch.setattr(encoder_module, "_MODELS", {})


def test_the_export_is_made_once_checked_and_reused(tmp_path: Path, private_models, monkeypatch):
    first = Encoder(cache_dir=tmp_path)
    assert first.model.runtime == "onnx"
    folder = onnx_export.export_folder(first.path, tmp_path)
    record = onnx_export.read_record(folder)
    assert record is not None and record.max_abs_diff <= onnx_export.MAX_ABS_DIFF
    assert record.dimension == 384 and record.max_tokens == 256

    # An export of the same folder with other files (superseded), and one of a folder since deleted.
    for name, model in (("model-0000000000000000", first.path), ("gone-0000000000000000", str(tmp_path / "gone"))):
        stale = tmp_path / "encoders" / name
        stale.mkdir()
        (stale / "model.onnx").write_bytes(b"old")
        stale_record = onnx_export.ExportRecord(model=model, key=name, dimension=384, max_tokens=256, max_abs_diff=0, seconds=0)
        (stale / "export.json").write_text(json.dumps(asdict(stale_record)))
        assert onnx_export.read_record(stale)
    shutil.rmtree(folder)
    encoder_module._MODELS.clear()
    Encoder(cache_dir=tmp_path).model
    assert sorted(p.name for p in (tmp_path / "encoders").iterdir()) == [folder.name], "one export per model in use"

    def no_export(*args, **kwargs):
        raise AssertionError("exported again")

    monkeypatch.setattr(onnx_export, "export", no_export)
    monkeypatch.setattr(encoder_module, "_MODELS", {})
    again = Encoder(cache_dir=tmp_path)
    np.testing.assert_array_equal(again.encode(TEXTS), first.encode(TEXTS))


def test_a_damaged_export_is_made_again(tmp_path: Path, private_models, caplog):
    folder = onnx_export.export_folder(Encoder().path, tmp_path)
    Encoder(cache_dir=tmp_path).model
    (folder / "model.onnx").write_bytes(b"\x00not a graph")
    encoder_module._MODELS.clear()
    encoder = Encoder(cache_dir=tmp_path)
    assert encoder.model.runtime == "onnx"
    assert "exporting it again" in caplog.text
    np.testing.assert_allclose(encoder.encode(TEXTS), Encoder(runtime="torch").encode(TEXTS), atol=1e-5)
    # An interrupted export (no record) is made again too.
    (folder / "export.json").unlink()
    encoder_module._MODELS.clear()
    assert Encoder(cache_dir=tmp_path).model.runtime == "onnx" and onnx_export.read_record(folder)


def test_when_export_fails_auto_falls_back_to_torch_and_onnx_says_why(tmp_path: Path, private_models, monkeypatch, caplog):
    def failing(model, model_path, folder):
        raise onnx_export.ExportError("the onnx package is missing (pip install onnx)")

    monkeypatch.setattr(onnx_export, "export", failing)
    assert Encoder(cache_dir=tmp_path).model.runtime == "torch"
    assert "the onnx package is missing" in caplog.text
    with pytest.raises(onnx_export.ExportError, match="onnx package is missing"):
        Encoder(cache_dir=tmp_path, runtime="onnx").model
    with pytest.raises(ValueError, match="not one of auto, onnx, torch"):
        Encoder(runtime="gpu")


def test_onnx_runtime_keeps_no_telemetry(tmp_path: Path):
    """ONNX Runtime 1.32 keeps a device id and queues usage events under ~/.cache unless
    ORT_DISABLE_TELEMETRY is set; importing `assistant` sets it, whatever the shell says."""
    home = tmp_path / "home"
    env = {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache"), "ORT_DISABLE_TELEMETRY": "0"}
    code = (
        "from assistant.encoder.encoder import Encoder; "
        f"e = Encoder(cache_dir={str(DEFAULT_CACHE_DIR)!r}); print(e.model.runtime, e.encode(['hello']).shape)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["onnx", "(1,", "384)"]
    assert [str(p.relative_to(home)) for p in home.rglob("*")] == [], "nothing written under the home folder"


def test_an_unwritable_cache_falls_back_to_torch(tmp_path: Path, private_models, caplog):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would go")
    encoder = Encoder(cache_dir=blocked)
    assert encoder.model.runtime == "torch"
    assert "ONNX encoder is unavailable" in caplog.text
    np.testing.assert_allclose(encoder.encode(TEXTS), Encoder(runtime="torch").encode(TEXTS), atol=1e-6)


_EXPORT_IN_ANOTHER_PROCESS = """
import sys
from pathlib import Path
from assistant.encoder.encoder import Encoder
print(Encoder(cache_dir=Path(sys.argv[1]), runtime="onnx").encode(["a question"])[0][:4].tolist())
"""


def test_two_processes_exporting_at_once_both_get_the_export(tmp_path: Path):
    """Each writes its own staging folder and moves it in whole; the second finds the first's."""
    command = [sys.executable, "-c", _EXPORT_IN_ANOTHER_PROCESS, str(tmp_path)]
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=600) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], [err[-2000:] for _, err in outputs]
    assert outputs[0][0] == outputs[1][0]
    exports = list((tmp_path / "encoders").iterdir())
    assert len(exports) == 1 and onnx_export.read_record(exports[0]) is not None, exports
