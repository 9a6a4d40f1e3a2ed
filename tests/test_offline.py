"""Offline by construction: importing `assistant` switches the hubs and telemetry off, and an
ingest plus a search open no connection beyond loopback (conftest's network guard)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from assistant.config import PROJECT_ROOT, Settings

OFFLINE = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "ORT_DISABLE_TELEMETRY": "1",
}


def test_importing_assistant_forces_the_offline_variables():
    """Even a shell that turned them on cannot bring the network back."""
    env = {**os.environ, "HF_HUB_OFFLINE": "0", "TRANSFORMERS_OFFLINE": "0", "ANONYMIZED_TELEMETRY": "True",
           "GRADIO_ANALYTICS_ENABLED": "True", "ORT_DISABLE_TELEMETRY": "0"}
    code = "import json, os, assistant; print(json.dumps({k: os.environ.get(k) for k in %r}))" % sorted(OFFLINE)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == OFFLINE


def test_ingest_and_search_stay_on_this_machine(fresh_root: Path, no_network):
    import assistant  # noqa: F401

    for name, value in OFFLINE.items():
        assert os.environ.get(name) == value, name

    from assistant.ingest.library import Library
    from assistant.retrieval import Searcher

    shutil.copy(PROJECT_ROOT / "corpus" / "who-benefits-from-american-ai-research-in-china.txt", fresh_root / "corpus")
    library = Library(Settings.from_env(corpus=fresh_root / "corpus", index=fresh_root / "index"))
    assert library.store.client.get_settings().anonymized_telemetry is False
    assert library.sync().ok
    assert Searcher(library.index, library.encoder).search("Who benefits from American AI research?", k=3)
    assert no_network() == []  # the guard saw no connection attempt beyond loopback, in any process
