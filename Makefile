# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NOQT := .venv-noqt
BUNDLE_VENV := .venv-bundle
LOCK_VENV := .venv-lock
export QT_QPA_PLATFORM ?= offscreen
export QTWEBENGINE_CHROMIUM_FLAGS ?= --no-sandbox --disable-gpu
export PYTHONDONTWRITEBYTECODE := 1

# Every venv holds exactly one lock of requirements/ (requirements/README.md), installed by pip
# alone: the lock checked against pyproject.toml (offline: stale if pyproject.toml asks for more),
# pip upgraded to pip.lock's, then the lock, each file checked against its sha256, wheels only
# (nothing built from source), and locktool.py removes what the lock does not list.
# The inputs of each lock, as `uv pip compile` (make lock) and `locktool.py fresh` take them:
DEV_IN := pyproject.toml --extra dev --extra postgres --extra build --group pyproject.toml:build-backend
BUNDLE_IN := pyproject.toml --extra postgres --extra build --group pyproject.toml:build-backend
NOQT_IN := --group pyproject.toml:noqt-tests
PIP_IN := --group pyproject.toml:pip
PIP_LOCKED := -m pip install -q --require-hashes --only-binary=:all:
# $(call locked_venv,DIR,LOCK,INPUTS[,more pip options])
define locked_venv
	$(PY) -m venv $(1)
	$(1)/bin/python requirements/locktool.py fresh requirements/pip.lock $(PIP_IN)
	$(1)/bin/python requirements/locktool.py fresh $(2) $(3)
	$(1)/bin/python $(PIP_LOCKED) -r requirements/pip.lock
	$(1)/bin/python $(PIP_LOCKED) $(4) -r $(2)
	$(1)/bin/python requirements/locktool.py sync $(2)
endef
# The project itself, with the locked setuptools and without deps (the lock has them all).
PROJECT := -m pip install -q --no-deps --no-build-isolation -e .

.PHONY: venv demo test lint types contracts cycles unit-noqt pytest unit integration gui e2e bench bundle bundle-venv lock lock-check-windows clean

# The dev venv: the runtime, extras dev, postgres and build, as locked in requirements/dev.lock.
$(STAMP): requirements/dev.lock requirements/pip.lock pyproject.toml
	$(call locked_venv,$(VENV),requirements/dev.lock,$(DEV_IN))
	$(BIN)/python $(PROJECT)
	$(BIN)/python -m pip check
	touch $@

venv: $(STAMP)

# The Debian packages of build/system-packages.txt for one group (test, demo, bundle): installed
# when root, otherwise a stop with the command that installs them. Checked before anything else.
sysdeps-%:
	PY=$(PY) bash build/system_packages.sh $*

demo: sysdeps-demo
	@$(MAKE) --no-print-directory venv
	$(BIN)/python -m console demo

# Nothing starts (not even the venv) unless the system packages are there.
test: sysdeps-test
	@$(MAKE) --no-print-directory venv lint types contracts cycles unit-noqt pytest

lint: venv
	$(BIN)/ruff check console tests
	$(BIN)/ruff format --check console tests

types: venv
	$(BIN)/mypy

contracts: venv
	$(BIN)/lint-imports --no-cache

# The unit suite must run where Qt is not installed at all (the domain is pure).
# Its lock is pyproject.toml's dependency group noqt-tests, at dev.lock's versions.
$(NOQT)/.installed: requirements/noqt.lock requirements/pip.lock pyproject.toml
	$(call locked_venv,$(NOQT),requirements/noqt.lock,$(NOQT_IN))
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
# It is frozen in its own venv holding exactly requirements/bundle.lock (runtime, postgres, build:
# the set the Windows builder installs, build/README.md), not in the dev venv, so that no test or
# lint tool can slip into the bundle. No .pyc there: PyInstaller compiles what it collects.
bundle: sysdeps-bundle
	@$(MAKE) --no-print-directory bundle-venv
	PYTHON=$(CURDIR)/$(BUNDLE_VENV)/bin/python NSIS_FAST=$${NSIS_FAST:-1} bash build/build_linux_bundle.sh

bundle-venv: $(BUNDLE_VENV)/.installed

$(BUNDLE_VENV)/.installed: requirements/bundle.lock requirements/pip.lock pyproject.toml
	$(call locked_venv,$(BUNDLE_VENV),requirements/bundle.lock,$(BUNDLE_IN),--no-compile)
	$(BUNDLE_VENV)/bin/python $(PROJECT)
	$(BUNDLE_VENV)/bin/python -m pip check
	touch $@

# Re-resolve the locks from pyproject.toml after changing a dependency there (needs PyPI; uv only
# here, in its own venv). Pins still allowed are kept; `make lock UPGRADE=1` takes the newest
# allowed release of everything. One universal resolution (Linux and Windows, markers kept) from
# Python 3.11 up; bundle.lock and noqt.lock are held to dev.lock's versions (what the tests ran).
UV_SPEC ?= uv==0.13.9
UV_COMPILE = $(LOCK_VENV)/bin/uv pip compile -q --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command "make lock" $(if $(UPGRADE),--upgrade)

$(LOCK_VENV)/.installed:
	$(PY) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install -q "$(UV_SPEC)"
	touch $@

lock: $(LOCK_VENV)/.installed
	$(UV_COMPILE) $(DEV_IN) -o requirements/dev.lock
	$(UV_COMPILE) $(BUNDLE_IN) -c requirements/dev.lock -o requirements/bundle.lock
	$(UV_COMPILE) $(NOQT_IN) -c requirements/dev.lock -o requirements/noqt.lock
	$(UV_COMPILE) $(PIP_IN) -o requirements/pip.lock

# Every wheel a Windows builder (bundle.lock) or developer (dev.lock) installs, fetched for
# win_amd64 / CPython 3.11 with its hash checked (about 300 MB into a temporary folder, then
# removed): proof that the Windows bundle can be built from the locks. Not part of `make test`.
lock-check-windows: $(LOCK_VENV)/.installed
	@d="$$(mktemp -d)"; trap 'rm -rf "$$d"' EXIT; set -e; \
	for lock in requirements/bundle.lock requirements/dev.lock; do \
		$(LOCK_VENV)/bin/python requirements/locktool.py windows $$lock >"$$d/win.txt"; \
		$(LOCK_VENV)/bin/python -m pip download -q --no-deps --only-binary=:all: --platform win_amd64 --python-version 3.11 \
			--implementation cp --require-hashes -r "$$d/win.txt" -d "$$d/wheels"; \
		echo "lock-check-windows: $$lock: $$(wc -l <"$$d/win.txt") wheels for win_amd64, hashes match"; \
	done; echo "lock-check-windows: $$(du -sh "$$d/wheels" | cut -f1) in all"

clean:
	rm -rf $(VENV) $(NOQT) $(BUNDLE_VENV) $(LOCK_VENV) .pytest_cache .mypy_cache .ruff_cache
