# Innkeeper: `make run` serves the demo on 127.0.0.1:8000, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test test-fast lint typecheck worker migrate demo bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/innkeeper serve --demo

worker: $(STAMP)
	$(BIN)/innkeeper worker

migrate: $(STAMP)
	$(BIN)/innkeeper migrate

demo: $(STAMP)
	$(BIN)/innkeeper demo

test: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

# style, format, and the package graph of docs/architecture.md (import-linter contracts in pyproject.toml)
lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports

# search benchmark on PostgreSQL (INNKEEPER_BENCH_DATABASE_URL, default .../bench): dataset, then 1 and 2 API processes
bench: $(STAMP)
	$(BIN)/python -m bench.generate
	$(BIN)/python -m bench.search_bench

typecheck: $(STAMP)
	$(BIN)/mypy src

clean:
	rm -rf $(VENV) var/*.db var/*.db-* .pytest_cache .mypy_cache .ruff_cache
