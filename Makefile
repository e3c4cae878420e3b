# Regieteam privacy portal. `make run` starts the demo, `make test` runs the whole suite.
# Works on a fresh machine with python3 (3.11+) and node/npm; everything lands in .venv and
# node_modules inside the repository.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app portal
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=

PIP_STAMP := $(VENV)/.installed
NPM_STAMP := node_modules/.installed
VENDOR := portal/static/vendor
VENDOR_CSS := $(VENDOR)/design-tokens.css $(VENDOR)/component-library.css
PO_FILES := $(wildcard translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: help install run test lint translations clean bench

help:
	@echo "make install       set up .venv, node_modules, NL Design System CSS, compiled translations"
	@echo "make run           demo: migrate, load demo data, print accounts, serve http://$(HOST):$(PORT)"
	@echo "make test          whole test suite (SQLite, or the database in DATABASE_URL);"
	@echo "                   extra pytest arguments in PYTEST_ARGS, e.g. PYTEST_ARGS='-k consent -x'"
	@echo "make lint          ruff check"
	@echo "make bench         benchmarks under bench/ (PostgreSQL; minutes, not seconds)"
	@echo "make translations  extract strings, update translations/*/messages.po, compile"
	@echo "make clean         remove node_modules, vendored CSS, compiled translations, caches"

install: $(PIP_STAMP) $(NPM_STAMP) $(VENDOR_CSS) $(MO_FILES)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when pyproject.toml changed since the last successful install.
$(PIP_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $@

$(NPM_STAMP): package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

$(VENDOR)/design-tokens.css: $(NPM_STAMP)
	@mkdir -p $(VENDOR)
	cp node_modules/@utrecht/design-tokens/dist/index.css $@

$(VENDOR)/component-library.css: $(NPM_STAMP)
	@mkdir -p $(VENDOR)
	cp node_modules/@utrecht/component-library-css/dist/index.css $@

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po | $(PIP_STAMP)
	$(BIN)/pybabel compile --statistics -l $* -i $< -o $@

run: install
	PORTAL_DEMO=1 $(FLASK) db upgrade
	PORTAL_DEMO=1 $(FLASK) demo load
	@echo
	PORTAL_DEMO=1 $(FLASK) demo accounts
	@echo
	@echo "The portal runs at http://$(HOST):$(PORT)  (stop with Ctrl+C)"
	@echo
	PORTAL_DEMO=1 $(FLASK) run --host $(HOST) --port $(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# All benchmarks, then docs/benchmarks.md; BENCH_ARGS='--quick' for a shorter run.
bench: install
	$(BIN)/python bench/run_all.py $(BENCH_ARGS)

lint: $(PIP_STAMP)
	$(BIN)/ruff check .

translations: $(PIP_STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --sort-by-file \
		--project "Privacyportaal Regieteams" --copyright-holder "Gemeente Nijmegen" \
		-o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations
	$(BIN)/pybabel compile --statistics -d translations

clean:
	rm -rf node_modules $(VENDOR) .pytest_cache .ruff_cache .hypothesis test-artifacts *.egg-info
	rm -f translations/*/LC_MESSAGES/*.mo $(PIP_STAMP)
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
