# netvisor-sync developer commands. `make test` is what CI runs (via .ci/run).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test lint typecheck pytest format demo bench bench-full chaos clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check src tests scripts benchmarks
	$(BIN)/ruff format --check src tests scripts benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

test: lint typecheck pytest

format: $(STAMP)
	$(BIN)/ruff format src tests scripts benchmarks
	$(BIN)/ruff check --fix src tests scripts benchmarks

demo: $(STAMP)
	$(BIN)/netvisor-sync demo

# every missed goal gets one extra py-spy run that says where its time goes; BENCH_PROFILE= to skip them
BENCH_PROFILE ?= --profile py-spy

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run --quick $(BENCH_PROFILE) $(BENCH_ARGS)

bench-full: $(STAMP)
	$(BIN)/python -m benchmarks.run --full $(BENCH_PROFILE) $(BENCH_ARGS)

chaos: $(STAMP)
	CHAOS_ITERATIONS=$${CHAOS_ITERATIONS:-200} CHAOS_PG_ITERATIONS=$${CHAOS_PG_ITERATIONS:-40} \
	CHAOS_TABLES=$${CHAOS_TABLES:-all} $(BIN)/pytest -n 2 -q tests/reliability/test_chaos.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist src/*.egg-info
