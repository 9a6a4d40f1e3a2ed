"""Generative backends are a registry: a package that declares an entry point in the
``assistant.backends`` group adds a backend, with no change to the assistant (config.py,
answering/generative.py). The plugin here is a real installed distribution (a module and its
``.dist-info`` on the path), found the way pip-installed packages are."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from assistant.answering import generative
from assistant.config import BACKEND_ENTRY_POINTS, BACKENDS
from assistant.errors import BackendError

from .conftest import export_the_encoder

QUESTION = "Which company did Kaiming He join after leaving MSRA?"

# Quotes the first sentence of the first passage it is given, cited [1]: an answer the verifier
# can check, so the chain keeps it only if the plugin really answered.
PLUGIN = '''
def stream(settings, messages):
    prompt = str(messages[-1].content)
    passage = prompt.split("<passage>\\n", 1)[1].split("\\n</passage>", 1)[0]
    first = passage.replace("\\n", " ").split(". ")[0].rstrip(".")
    yield first + ". [1]"


def broken(settings, messages):
    raise RuntimeError("never reached")
'''


def _install_plugin(folder: Path) -> dict[str, str]:
    (folder / "quote_backend.py").write_text(PLUGIN)
    info = folder / "quote_backend-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: quote-backend\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(textwrap.dedent(f"""\
        [{BACKEND_ENTRY_POINTS}]
        quote = quote_backend:stream
        missing = quote_backend_gone:stream
        openai = quote_backend:broken
        """))
    env = {k: v for k, v in os.environ.items()}
    env["PYTHONPATH"] = os.pathsep.join([str(folder), env.get("PYTHONPATH", "")])
    return env


def test_an_installed_plugin_answers_through_the_whole_chain(seed_root: Path, tmp_path: Path):
    export_the_encoder()
    env = _install_plugin(tmp_path)
    env.update(ASSISTANT_CORPUS=str(seed_root / "corpus"), ASSISTANT_INDEX=str(seed_root / "index"))
    done = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "--quiet", "ask", QUESTION, "--backend", "quote", "--json"],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["backend"] == "quote" and not answer["refused"], answer  # not the extractive fallback
    assert answer["citations"] and answer["answer"].endswith("[1]"), answer
    # A plugin cannot take over a built-in name, and a plugin that cannot be imported is named.
    probe = (
        "from assistant.config import plugin_backends; from assistant.answering import generative\n"
        "from assistant.errors import BackendError\n"
        "print(plugin_backends())\n"
        "print(generative.generator('openai') is generative.BUILT_IN['openai'])\n"
        "try:\n    generative.generator('missing')\nexcept BackendError as exc:\n    print(exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    names, builtin_kept, missing = done.stdout.strip().splitlines()
    assert names == "('missing', 'quote')" and builtin_kept == "True"
    assert "missing backend" in missing and "quote_backend_gone:stream" in missing and "cannot be loaded" in missing


def test_without_the_plugin_its_name_is_a_usage_error_and_an_unknown_backend_error():
    assert "quote" not in BACKENDS
    with pytest.raises(BackendError, match="unknown generative backend 'quote'.*assistant.backends"):
        generative.generator("quote")
    done = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "ask", QUESTION, "--backend", "quote"], capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 2 and "unknown backend 'quote'" in done.stderr and "usage:" in done.stderr
