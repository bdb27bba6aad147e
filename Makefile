# transync: `make demo` runs the whole job on the embedded default; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: demo test bench bench-deps lint services system-deps clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

demo: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" bash examples/demo.sh

services:
	bash scripts/services.sh

# Debian packages the tests drive: Chromium for the browser tests, gettext for msgfmt, and a
# real WordPress (Debian's wordpress on php-cli's built-in server, php-mysql, and MariaDB:
# the tests start private instances of both, never a system service).
system-deps:
	@command -v chromium >/dev/null 2>&1 && command -v msgfmt >/dev/null 2>&1 || \
	  { command -v apt-get >/dev/null 2>&1 && (apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium gettext >/dev/null) \
	    || echo "warning: could not install chromium/gettext; browser tests will say so"; }
	@test -f /usr/share/wordpress/wp-settings.php && command -v php >/dev/null 2>&1 && \
	  php -r 'exit(function_exists("mysqli_connect") ? 0 : 1);' && \
	  command -v mariadb-install-db >/dev/null 2>&1 || \
	  { command -v apt-get >/dev/null 2>&1 && (apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	      wordpress php-cli php-mysql mariadb-server >/dev/null) \
	    || echo "warning: could not install wordpress/php-cli/php-mysql/mariadb-server;" \
	            "the WordPress tests will say so"; }

# lint first: CI runs `make test`, so format drift or a lint finding fails it
test: $(STAMP) lint services system-deps
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest -q $(PYTEST_ARGS)

# `make bench SCALE=small` (< 5 minutes); BENCH_ARGS passes more, e.g. BENCH_ARGS="--only scan".
# wrk drives the web benchmark's load (an httpx load generator, which needs a core of its own,
# stands in without it); pgbench comes with PostgreSQL.
bench-deps:
	@command -v wrk >/dev/null 2>&1 || \
	  { command -v apt-get >/dev/null 2>&1 && (apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null) \
	    || echo "warning: could not install wrk; the web benchmark uses httpx instead"; }

bench: $(STAMP) services system-deps bench-deps
	@test -f $(VENV)/.bench-$(shell cksum pyproject.toml | cut -d' ' -f1) || \
	  { $(BIN)/python -m pip install -q -e '.[test,bench]' && \
	    touch $(VENV)/.bench-$(shell cksum pyproject.toml | cut -d' ' -f1); }
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m bench $(if $(SCALE),--scale $(SCALE),) $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check sync workers tests bench
	$(BIN)/ruff format --check sync workers tests bench

clean:
	rm -rf $(VENV) .demo .pytest_cache test-output
