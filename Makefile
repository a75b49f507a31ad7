# Two commands do everything: `make run` serves the app, `make test` runs the whole suite
# (`make test-fast` is the quick loop while editing).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run test test-fast test-slow demo bench lint clean

$(VENV)/.runtime: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.test: pyproject.toml $(VENV)/.runtime
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

## make run: install, build the demo warehouse if missing (scale M, about a minute), serve on :8050
run: $(VENV)/.runtime
	$(PY) app.py

## make test: install the test extra and run every test (browser tests skip without Chromium)
test: $(VENV)/.test
	$(PY) -m pytest

## make test-fast: the quick loop: every test but the browser ones and those that build a demo warehouse
test-fast: $(VENV)/.test
	$(PY) -m pytest -m "not browser and not slow and not exhaustive"

## make test-slow: every page panel for every institution of the demo city (minutes; not part of make test)
test-slow: $(VENV)/.test
	$(PY) -m pytest -m exhaustive

demo: $(VENV)/.runtime
	$(PY) -m dashboard demo --scale $(or $(SCALE),M)

bench: $(VENV)/.runtime
	$(PY) -m dashboard bench-build --scales S M L

lint: $(VENV)/.test
	$(PY) -m ruff check . && $(PY) -m ruff format --check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
