# dispatch120 — developer entry points. Every target sets itself up first, on a fresh
# Debian/Ubuntu machine too: system packages, .venv, the project installed editable, .qm files.
#
#   make venv          set up (idempotent; cheap when nothing changed)
#   make run           the seat in simulation mode (starts its own training server)
#   make test          ruff, import contracts, mypy, then pytest (offscreen)
#   make lint          ruff, import contracts and mypy (app/, server_stub/) only
#   make i18n          compile i18n/*.ts into resources/i18n/*.qm
#   make i18n-update   refresh i18n/*.ts from the sources, then compile
#   make bench         python -m bench (installs the `bench` extra first)
#   make services      start PostgreSQL (and Redis if installed) in .services/ on 127.0.0.1; prints the URLs
#   make services-stop stop them (the data stays in .services/)
#   make screenshot    tools/screenshot.py under Xvfb
#   make dist          seat + server bundles (PyInstaller) and their .deb packages in dist/; prints sizes, times
#   make dist-msi      the seat's Windows MSI from a STAND-IN folder (checks the WiX source; not a Windows build)
#   make lock          regenerate requirements.lock (pip constraints) from the resolved .venv
#   make clean         remove build outputs and caches (make distclean also removes .venv)
#
# Variables: PYTHON=/path/to/python3.11 to choose the interpreter for .venv;
# PYTEST_ARGS="-k call -x" for pytest; ARGS="..." for run, bench and screenshot;
# SKIP_SYSTEM_PACKAGES=1 to skip the apt check.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
# Touched after a successful install; pyproject.toml being newer means: install again.
STAMP := $(VENV)/.installed
# Every install takes its versions from the lock (pip constraints; `make lock` writes it).
LOCK := requirements.lock
PIP_INSTALL := $(PY) -m pip install --disable-pip-version-check --progress-bar off -q -c $(LOCK)

# QtWebEngine refuses to start as root without this (DESIGN.md §3); harmless otherwise.
WEBENGINE_ENV := QTWEBENGINE_CHROMIUM_FLAGS="$${QTWEBENGINE_CHROMIUM_FLAGS:---no-sandbox}"

.PHONY: help venv system deps run test lint i18n i18n-update bench screenshot services services-stop clean distclean dist dist-msi lock

help:
	@grep -E '^#   make ' Makefile | sed 's/^# //'

# ---- set-up ---------------------------------------------------------------------------

system:
	@tools/setup_system.sh

# The interpreter is looked for only when .venv is missing or broken (e.g. the Python it
# was made from is gone). A Debian python3 without ensurepip cannot make a venv, so its
# pythonX.Y-venv package is installed first. `venv --clear` also removes the stamp.
deps: system
	@if ! $(PY) -c '' 2>/dev/null; then \
	    py=$$(tools/find_python.sh); \
	    echo "creating $(VENV) with $$py ($$("$$py" -c 'import sys; print(sys.version.split()[0])'))"; \
	    if ! "$$py" -c 'import ensurepip' 2>/dev/null; then \
	        tools/setup_system.sh "python$$("$$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')-venv"; \
	    fi; \
	    "$$py" -m venv --clear $(VENV); \
	fi
	@if [[ ! -e $(STAMP) || pyproject.toml -nt $(STAMP) || $(LOCK) -nt $(STAMP) ]]; then \
	    echo "installing the project, its dev tools and the bundler into $(VENV) (pip install -c $(LOCK) -e '.[dev,dist]')"; \
	    $(PIP_INSTALL) -e '.[dev,dist]'; \
	    touch $(STAMP); \
	fi

venv: deps
	@$(PY) i18n/build.py

# ---- daily use ------------------------------------------------------------------------

run: venv
	@if [[ -z "$${DISPLAY:-}" && -z "$${WAYLAND_DISPLAY:-}" ]]; then \
	    echo "note: no DISPLAY or WAYLAND_DISPLAY; running on a virtual X screen (xvfb-run) that you cannot see"; \
	    $(WEBENGINE_ENV) xvfb-run -a -s "-screen 0 1920x1080x24" $(VENV)/bin/dispatch120 --simulate $(ARGS); \
	else \
	    $(WEBENGINE_ENV) $(VENV)/bin/dispatch120 --simulate $(ARGS); \
	fi

lint: deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

test: venv lint
	@tmp_runtime=""; \
	if [[ -z "$${XDG_RUNTIME_DIR:-}" ]]; then \
	    tmp_runtime=$$(mktemp -d); export XDG_RUNTIME_DIR=$$tmp_runtime; \
	    trap 'rm -rf "$$tmp_runtime"' EXIT; \
	fi; \
	QT_QPA_PLATFORM=offscreen $(WEBENGINE_ENV) $(PY) -m pytest -q --durations=25 $(PYTEST_ARGS)

i18n: deps
	$(PY) i18n/build.py --force

i18n-update: deps
	$(PY) i18n/build.py --update

# The benchmarks also need the `bench` extra (neurokit2, the ECG reference detectors);
# installed here only, with its own stamp, so `make test` and `make run` stay lighter.
BENCH_STAMP := $(VENV)/.installed-bench

bench: venv
	@if [[ ! -e $(BENCH_STAMP) || pyproject.toml -nt $(BENCH_STAMP) || $(LOCK) -nt $(BENCH_STAMP) ]]; then \
	    echo "installing the benchmark extras into $(VENV) (pip install -c $(LOCK) -e '.[dev,bench]')"; \
	    $(PIP_INSTALL) -e '.[dev,bench]'; \
	    touch $(BENCH_STAMP); \
	fi
	QT_QPA_PLATFORM="$${QT_QPA_PLATFORM:-offscreen}" $(WEBENGINE_ENV) $(PY) -m bench $(ARGS)

# PostgreSQL refuses to run as root: as root the cluster runs as the postgres user (tests/services.py).
# `make test` needs none of this running: the integration tests start their own temporary cluster.
services: deps
	@$(PY) -m tests.services start .services

services-stop:
	@if [[ -x $(PY) ]]; then $(PY) -m tests.services stop .services; fi

screenshot: venv
	$(WEBENGINE_ENV) xvfb-run -a -s "-screen 0 1920x1080x24" $(PY) tools/screenshot.py $(ARGS)

# ---- packaging ------------------------------------------------------------------------
# The bundles are cached in build/dist-cache/ by a hash of the sources and the lock (the CI test
# tests/installer/test_dist.py shares the cache); --rebuild in ARGS forces a build.

dist: venv
	@$(PY) -c 'import PyInstaller' 2>/dev/null || $(PIP_INSTALL) -e '.[dist]'
	$(PY) installer/build.py --out dist $(ARGS)

# wixl, wixl-heat, msibuild, msiinfo: Debian's wixl and msitools packages.
dist-msi: deps
	@tools/setup_system.sh wixl msitools
	$(PY) installer/windows/build_msi.py --out dist $(ARGS)

lock: deps
	$(PY) installer/lock.py

# ---- cleaning -------------------------------------------------------------------------

clean:
	rm -rf build dist *.egg-info .pytest_cache .ruff_cache .import_linter_cache resources/i18n/*.qm
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
