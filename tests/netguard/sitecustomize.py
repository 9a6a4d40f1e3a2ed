"""Installs the test suite's network guard in every Python process the tests start (this folder
is first on their PYTHONPATH; see network_guard.py)."""

import network_guard

network_guard.install()
