# `make demo` and `make test` install what they need on a fresh Debian 12 machine.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: system venv demo test test-fast lint bench serve clean

system:
	bash scripts/install-system-packages.sh

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[all,dev]'
	touch $(STAMP)

venv: system $(STAMP)

demo: venv
	$(VENV)/bin/mystery demo

# Timing-accuracy and real-call audio tests first, alone (CPU contention from parallel tests
# would be measured as SIP timing error, and starves the simulator's and the dialer's audio
# clocks: frames lost to silence), then everything else on both cores.
test: venv
	$(PY) -m pytest -m timing -ra $(PYTEST_ARGS)
	$(PY) -m pytest -m "not timing" -n 2 --dist loadgroup -ra $(PYTEST_ARGS)

test-fast: venv
	$(PY) -m pytest -m "not slow and not sip" -ra $(PYTEST_ARGS)

# ruff (SLF001 on product code), the import contracts (pyproject.toml [tool.importlinter]) and mypy.
lint: venv
	$(VENV)/bin/ruff check mystery_core mystery campaigns switchboard console tests benchmarks scripts
	$(VENV)/bin/lint-imports
	$(PY) scripts/import_graph.py --check
	$(VENV)/bin/mypy

bench: venv
	for b in benchmarks/bench_*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache reports/demo
