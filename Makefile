# make build: install everything into .venv and build every leaflet into output/
# make test:  run the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: build test system-packages clean

build: $(STAMP)
	$(BIN)/leafpress build

test: $(STAMP)
	$(BIN)/python -m pytest

system-packages:
	@scripts/install-system-packages

$(STAMP): pyproject.toml scripts/install-system-packages
	@scripts/install-system-packages
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "leafpress needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

clean:
	rm -rf $(VENV) output/*/ .pytest_cache
