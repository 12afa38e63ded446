# Two entry points: `make run` (the main job on the default data) and `make test`.
# Both create the virtual environment in .venv when it is missing.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
# The snapshot directory: BAYESGROWTH_DATA if set, else the shared checkout beside this one when it
# exists, else empty (the package then fetches the pinned files into its user cache). The shared
# checkout's path is made absolute: a test that changes directory (the notebook's) still finds it.
SHARED_SNAPSHOT := ../shared/data/hf-paper-2025-02-18
DATA ?= $(or $(BAYESGROWTH_DATA),$(abspath $(wildcard $(SHARED_SNAPSHOT))))
export BAYESGROWTH_DATA := $(DATA)
export MPLBACKEND := Agg

.PHONY: run test env clean-env

# Finds a Python >= 3.12. $PYTHON, when set, is the user's choice: it is used, or make stops saying
# why it cannot be (an explicit choice is never passed over for another interpreter). Otherwise it
# runs candidates: versioned names, then pyenv versions (a pyenv shim only runs with PYENV_VERSION set).
define FIND_PYTHON
ok() { "$$@" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; }; \
if [ -n "$${PYTHON:-}" ]; then \
  if ok $$PYTHON; then echo "$$PYTHON"; exit 0; fi; \
  found="$$($$PYTHON -c 'import sys; print("Python", sys.version.split()[0])' 2>/dev/null)"; \
  echo "PYTHON=$$PYTHON is $${found:-not a Python that runs}; bayesgrowth needs Python >= 3.12:" \
    "set PYTHON to one, or unset PYTHON to let make search" >&2; \
  exit 1; \
fi; \
for c in python3.14 python3.13 python3.12 python3 python; do \
  if ok $$c; then echo "$$c"; exit 0; fi; \
done; \
for v in $$(pyenv versions --bare 2>/dev/null | grep -E '^3\.(1[2-9]|[2-9][0-9])(\.|$$)' | sort -rV); do \
  for c in python$${v%.*} python3; do \
    if ok env PYENV_VERSION=$$v $$c; then echo "env PYENV_VERSION=$$v $$c"; exit 0; fi; \
  done; \
done; \
echo "no Python >= 3.12 found: set PYTHON=/path/to/python3.12" >&2; exit 1
endef

$(BIN)/.installed: pyproject.toml
	@py="$$($(FIND_PYTHON))" || exit 1; \
	echo "creating $(VENV) with $$py"; \
	$$py -m venv $(VENV) && \
	$(BIN)/python -m pip install --quiet --upgrade pip && \
	$(BIN)/python -m pip install --quiet -e '.[dev]' && touch $@

env: $(BIN)/.installed

run: env
	$(BIN)/bayesgrowth run --out results/latest

test: env
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/pytest

clean-env:
	rm -rf $(VENV)
