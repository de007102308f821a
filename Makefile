# Two commands from a fresh clone:
#   make plan   set everything up, then review the dev stack offline
#   make test   the whole test suite (what CI runs)
# A virtualenv is rebuilt only when its requirements file changes.

PYTHON ?= python3
VENV := .venv
CHECKOV_VENV := .venv-checkov
BIN := $(VENV)/bin
PIP_FLAGS := --quiet --disable-pip-version-check
STACK ?= dev

.PHONY: setup plan test lint typecheck unit docs clean

setup: $(VENV)/.installed $(CHECKOV_VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install $(PIP_FLAGS) -r requirements-dev.txt
	touch $@

# checkov pins an old `packaging`: it gets a virtualenv of its own.
$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install $(PIP_FLAGS) -r requirements-checkov.txt
	touch $@

plan: setup
	$(BIN)/python -m tools.plan --stack $(STACK)

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/yamllint --strict .

typecheck: $(VENV)/.installed
	$(BIN)/mypy components stacks tools

unit: setup
	CHECKOV=$(CURDIR)/$(CHECKOV_VENV)/bin/checkov $(BIN)/python -m pytest -n 2 --dist loadfile

test: lint typecheck unit

docs: $(VENV)/.installed
	$(BIN)/python -m tools.docs --write README.md

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis
