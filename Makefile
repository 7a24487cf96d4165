# Two entry points a fresh clone needs: `make app` and `make test`.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup app index browser test test-fast clean

setup: $(STAMP)

# torch first, pinned: pip then takes the local CPU wheel instead of pulling CUDA builds.
# llama-cpp-python compiles from source here (~5 minutes on 2 cores), once, for this CPU but
# without AMX: on CPUs that report AMX inside a VM that does not enable it, ggml's AMX kernels
# die on their first instruction (general protection fault in ldtilecfg, seen on this project's
# machines). Never from pip's wheel cache, which may hold a build made without these flags.
NO_AMX := -mno-amx-tile -mno-amx-int8 -mno-amx-bf16
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install torch==2.13.0
	CMAKE_ARGS='-DCMAKE_C_FLAGS="$(NO_AMX)" -DCMAKE_CXX_FLAGS="$(NO_AMX)"' \
	  $(BIN)/pip install --no-cache-dir "llama-cpp-python==$$(sed -n 's/.*"llama-cpp-python==\([^"]*\)".*/\1/p' pyproject.toml)"
	$(BIN)/pip install -e ".[test,ray]"  # the tests build on a local Ray instance too
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
