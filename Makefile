# Two commands set everything up on a fresh machine with Python 3.11+:
#   make run    the product (emulator, worker + beat, web on http://127.0.0.1:8000)
#   make test   the whole test suite
#   make lint   ruff, mypy and the import contracts (make test runs them too)
# Two more measure it (README, "Measuring"):
#   make bench        every benchmark, one table, written to docs/performance.md
#   make resilience   1,000 submissions through faults: nothing lost, twice or stuck
# One more checks the tests (docs/testing.md, "Mutation testing"):
#   make mutate       mutmut over the modules that hold the rules, a score per module
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint install bench resilience resilience-nodes mutate messages catalogs

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The translations (locale/*.po) compiled to .mo, in Python: no gettext needed to run.
catalogs: $(STAMP)
	$(BIN)/python manage.py compile_catalogs -v 0

# Every language's catalogs updated from the sources, then compiled (needs gettext's
# xgettext and msgmerge: apt-get install gettext). docs/i18n.md says how to translate.
messages: $(STAMP)
	$(BIN)/python manage.py update_catalogs

run: catalogs
	$(BIN)/python manage.py migrate --noinput
	SECURE_COOKIES=$${SECURE_COOKIES:-false} $(BIN)/python manage.py demo

# Tests keep their own data folder (test database, broker queue) apart from the demo's.
test: catalogs
	PORTAL_DATA_DIR=$(CURDIR)/var/test $(BIN)/python -m pytest $(PYTEST_ARGS)

# The same checks as tests/portal/test_quality.py, with their own output.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m mypy
	$(BIN)/lint-imports --no-cache

# Loopback only, bounded in time (about 6 and 5 minutes); each keeps its data in var/bench-*.
bench: $(STAMP)
	$(BIN)/python bench/run.py

resilience: $(STAMP)
	$(BIN)/python bench/resilience.py

# The same across machines (loopback addresses): 2 web nodes, 3 workers, 1 beat on PostgreSQL
# and Redis, FILE submissions, a web node and a worker killed (bench/resilience_nodes.py).
resilience-nodes: $(STAMP)
	$(BIN)/python bench/resilience_nodes.py

# Not a CI step: tens of minutes. MODULE=path/to/module.py runs one of [tool.mutmut] only_mutate;
# CHILDREN=1 tests one mutant at a time (default: one per core); AGAIN=1 tests again only the
# mutants the last run left alive. The tests it runs need the compiled translations, and the
# sign-in tests the test identity provider's Node packages.
mutate: catalogs tests/idp/node_modules
	PORTAL_DATA_DIR=$(CURDIR)/var/mutate $(BIN)/python bench/mutate.py $(MODULE) \
		$(if $(CHILDREN),--children $(CHILDREN)) $(if $(AGAIN),--again)

tests/idp/node_modules: tests/idp/package-lock.json
	npm ci --prefix tests/idp --no-audit --no-fund --loglevel=error
