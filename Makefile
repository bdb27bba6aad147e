# transync: `make demo` runs the whole job on the embedded default; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: demo test test-fast bench lint services clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

demo: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" bash examples/demo.sh

services:
	bash scripts/services.sh

test: $(STAMP) services
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest -q $(PYTEST_ARGS)

bench: $(STAMP) services
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m bench $(if $(SCALE),--scale $(SCALE),)

lint: $(STAMP)
	$(BIN)/ruff check sync workers tests bench
	$(BIN)/ruff format --check sync workers tests bench || true

clean:
	rm -rf $(VENV) .demo .pytest_cache test-output
