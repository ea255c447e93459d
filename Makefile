# Two commands for a newcomer: `make demo` and `make test`. Both create .venv and install izquvar into it.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

.PHONY: demo test lint install clean

$(BIN)/izquvar: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,bench,spark]"
	touch $(BIN)/izquvar

install: $(BIN)/izquvar

## Simulate a small Tashkent outbreak, ingest and trace it, and start the service with its first case traced.
demo: install
	$(BIN)/izquvar demo --out izquvar-demo --serve

## Lint, type-check and run the whole test suite (the command CI runs).
test: install lint
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/ruff format --check src tests benchmarks tools
	$(BIN)/mypy

clean:
	rm -rf $(VENV) izquvar-demo .pytest_cache .mypy_cache .ruff_cache
