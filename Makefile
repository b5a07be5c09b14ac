# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NOQT := .venv-noqt
export QT_QPA_PLATFORM ?= offscreen
export QTWEBENGINE_CHROMIUM_FLAGS ?= --no-sandbox --disable-gpu
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: venv demo test lint types contracts cycles unit-noqt pytest unit integration gui e2e bench bundle clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev,postgres,build]"
	touch $(STAMP)

venv: $(STAMP)

demo: venv
	$(BIN)/python -m console demo

test: venv lint types contracts cycles unit-noqt pytest

lint: venv
	$(BIN)/ruff check console tests
	$(BIN)/ruff format --check console tests

types: venv
	$(BIN)/mypy

contracts: venv
	$(BIN)/lint-imports --no-cache

# The unit suite must run where Qt is not installed at all (the domain is pure).
$(NOQT)/.installed: pyproject.toml
	$(PY) -m venv $(NOQT)
	$(NOQT)/bin/python -m pip install -q --upgrade pip
	$(NOQT)/bin/python -m pip install -q "msgspec>=0.18" "pytest>=8" "pytest-timeout>=2.3" "hypothesis>=6.100" "psutil>=5.9"
	touch $@

# Strict config holds here too: tests/conftest.py declares pytest-qt's ini keys when it is absent.
unit-noqt: $(NOQT)/.installed
	$(NOQT)/bin/python -c "import importlib.util as u; assert u.find_spec('PySide6') is None, 'PySide6 must be absent here'"
	$(NOQT)/bin/python -m pytest -q tests/unit

pytest: venv
	$(BIN)/python -m pytest -q -ra tests

unit: venv
	$(BIN)/python -m pytest -q tests/unit

integration: venv
	$(BIN)/python -m pytest -q -m integration tests

# Every test that uses a QApplication (the qapp or qtbot fixture), in any folder.
gui: venv
	$(BIN)/python -m pytest -q -m gui tests

# Import cycles between console modules (imports inside functions included).
cycles: venv
	$(BIN)/python build/check_import_cycles.py

# The Linux onedir bundle from console.spec, its frozen self-test and the NSIS installer script
# compiled against it (NSIS_FAST=1: zlib, ~1 min instead of ~7 for solid LZMA).
bundle: venv
	NSIS_FAST=$${NSIS_FAST:-1} bash build/build_linux_bundle.sh

clean:
	rm -rf $(VENV) $(NOQT) .pytest_cache .mypy_cache .ruff_cache
