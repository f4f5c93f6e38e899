# Two commands set everything up on a fresh machine with Python 3.11+:
#   make run    the product (emulator, worker + beat, web on http://127.0.0.1:8000)
#   make test   the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test install

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	SECURE_COOKIES=$${SECURE_COOKIES:-false} $(BIN)/python manage.py demo

# Tests keep their own data folder (test database, broker queue) apart from the demo's.
test: $(STAMP)
	PORTAL_DATA_DIR=$(CURDIR)/var/test $(BIN)/python -m pytest $(PYTEST_ARGS)
