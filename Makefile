# Two entry points a fresh clone needs: `make app` and `make test`.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup app index browser test test-fast clean

setup: $(STAMP)

# torch first, pinned: pip then takes the local CPU wheel instead of pulling CUDA builds.
# llama-cpp-python compiles from source here (~5 minutes on 2 cores), once.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install torch==2.13.0
	$(BIN)/pip install -e ".[test]"
	touch $(STAMP)

index: setup
	$(BIN)/python -m embeddings build seeds

app: index
	$(BIN)/python app.py

# Browser tests need Debian's Chromium; installed here so a fresh machine (and CI) has it.
browser:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update && apt-get install -y chromium; \
	  else sudo apt-get update && sudo apt-get install -y chromium; fi; }

test: setup browser
	$(BIN)/python -m pytest

test-fast: setup
	$(BIN)/python -m pytest -m "not slow and not browser"

clean:
	rm -rf $(VENV) data
