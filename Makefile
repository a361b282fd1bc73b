# Two commands: `make run` and `make test`. Everything installs into .venv from the project's own files.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_URL ?= postgres://postgres@127.0.0.1:5432/burrow

.PHONY: run test lint venv clean bench

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/burrow migrate
	$(BIN)/burrow bootstrap --demo
	$(BIN)/burrow serve --host 127.0.0.1 --port 8000

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: $(STAMP) lint
	$(BIN)/pytest
	@if $(BIN)/python -m burrow.devtools pg-available; then \
		echo "== PostgreSQL found on 127.0.0.1:5432: running the suite again on PostgreSQL =="; \
		DATABASE_URL=$(PG_URL) BURROW_FUZZ_EXAMPLES=$${BURROW_FUZZ_EXAMPLES:-6} $(BIN)/pytest; \
	else \
		echo "== PostgreSQL not reachable on 127.0.0.1:5432: PostgreSQL run skipped =="; \
	fi

bench: $(STAMP)
	$(BIN)/python bench/api.py

clean:
	rm -rf $(VENV) var
