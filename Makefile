# make build: install everything into .venv and build every leaflet into output/
# make test:  ruff, mypy, then the test suite
# make test-preview: the live preview in a headless browser (installs Debian's chromium and Playwright)
# make bench-smoke: every benchmark once on a tiny workload (CI runs it after the tests)
# make test-wheel: the wheel, installed into a fresh venv outside the checkout, runs `leafpress init` and builds
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PREVIEW_STAMP := $(VENV)/.installed-preview

.PHONY: build test test-preview test-wheel bench-smoke system-packages clean

build: $(STAMP)
	$(BIN)/leafpress build

test: $(STAMP)
	$(BIN)/ruff check leafpress tests bench
	$(BIN)/mypy leafpress
	$(BIN)/python -m pytest -n 2

# Not part of `make test`: chromium is large. Playwright drives /usr/bin/chromium
# and never downloads a browser; the test fails (not skips) without them here.
test-preview: $(PREVIEW_STAMP)
	@scripts/install-preview-packages
	LEAFPRESS_REQUIRE_BROWSER=1 $(BIN)/python -m pytest tests/preview

# Every benchmark once, on a tiny workload (--smoke), so that a change cannot break
# one unnoticed; their figures mean nothing. Runs them all, then fails if any failed.
bench-smoke: $(STAMP)
	@failed=""; for bench in bench/bench_*.py; do \
		echo "== $$bench --smoke"; \
		$(BIN)/python $$bench --smoke || failed="$$failed $$bench"; \
	done; \
	if [ -n "$$failed" ]; then echo "bench-smoke failed:$$failed" >&2; exit 1; fi

# Builds the wheel (pip wheel), checks it carries the theme, installs it into a
# fresh venv in a temporary folder, and there runs `leafpress init clinic` and
# `leafpress build`: the PDFs must embed only the bundled fonts. See scripts/check-wheel.
test-wheel: $(STAMP)
	scripts/check-wheel $(PYTHON)

system-packages:
	@scripts/install-system-packages

$(STAMP): pyproject.toml scripts/install-system-packages
	@echo "== Checking the system packages (Pango, qpdf, poppler-utils...)"
	@scripts/install-system-packages
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "leafpress needs Python 3.11 or newer")'
	@echo "== Creating $(VENV)"
	$(PYTHON) -m venv $(VENV)
	@echo "== Upgrading pip"
	$(BIN)/python -m pip install --progress-bar on --upgrade pip
	@echo "== Installing leafpress and its Python packages into $(VENV) (a few minutes the first time)"
	$(BIN)/python -m pip install --progress-bar on -e '.[test]'
	@echo "== Installed; building the leaflets"
	@touch $@

$(PREVIEW_STAMP): $(STAMP)
	@echo "== Installing Playwright into $(VENV)"
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(BIN)/python -m pip install --quiet -e '.[test,preview-test]'
	@touch $@

clean:
	rm -rf $(VENV) output/*/ .pytest_cache
