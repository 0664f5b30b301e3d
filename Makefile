# Two entry points for a fresh Linux machine (see README.md):
#   make demo   installs coder with the demo model and completes a line of examples/
#   make test   installs the test tools and runs the whole suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The test suite's system tools (bubblewrap, neovim, git), from Debian.
APT_PACKAGES := git bubblewrap tmux

.PHONY: demo test install install-dev llama-cpp system-deps bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# llama-cpp-python first, built the way this machine runs it (see the script).
llama-cpp: $(BIN)/python
	scripts/install_llama_cpp.sh $(VENV)

install: llama-cpp
	$(BIN)/pip install --quiet -e .

install-dev: llama-cpp
	$(BIN)/pip install --quiet -e '.[dev]'

demo: install
	$(BIN)/coder complete examples/stats.py:7:11

system-deps:
	@if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
		if [ -n "$$missing" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi; \
	fi

test: system-deps install-dev
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

bench: install-dev
	$(BIN)/python bench/bench_runtime.py
	$(BIN)/python bench/bench_index.py

clean:
	rm -rf $(VENV) build *.egg-info
