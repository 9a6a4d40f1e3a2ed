"""The sentence encoder (``encoder.Encoder``), its runtimes and its ONNX export, and ``COMPUTE_LOCK``.

Used by both sides; imports nothing of ``store`` or ``ingest``.
"""
