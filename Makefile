# The entry points a fresh clone needs: `make demo`, `make test` and, while working,
# `make test-fast` (unit tests, under a minute) and `make lint`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHECKED := src tests bench
# Unit tests only: no training over a second, no server process, no browser, no image build.
FAST := not slow and not integration and not browser and not image

.PHONY: demo test test-fast lint setup clean bench

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: setup
	$(BIN)/tabship demo

# Style, types (mypy: strict on plan, runtime, artifact, serve) and the import contracts
# of docs/ARCHITECTURE.md (lint-imports, lazy imports included), all in pyproject.toml.
lint: setup
	$(BIN)/ruff check $(CHECKED)
	$(BIN)/ruff format --check $(CHECKED)
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

test: lint
	$(BIN)/python -m pytest -n 2 --dist loadfile

test-fast: setup
	$(BIN)/ruff check $(CHECKED)
	$(BIN)/python -m pytest -n 2 --dist loadfile -m "$(FAST)"

bench: setup
	$(BIN)/python bench/quality.py

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache
