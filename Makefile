# The two commands of the README: `make run` and `make test`. Each installs what it needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SOURCE ?= samples
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS ?= 120

.PHONY: install run test services bench lint

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	$(BIN)/python -m sluice.caches  # word arrays and unit table, so no job pays for them
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/sluice run $(SOURCE)

services:
	bash scripts/services.sh

test: install services
	SLUICE_REQUIRE_PG=1 $(BIN)/pytest -q

bench: install
	$(BIN)/python bench/throughput.py

lint: install
	$(BIN)/ruff check sluice flows tasks blocks tests bench
