# Every setup step lives here: a fresh machine needs only Python 3.11+ and the package registries.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install lint test stress live-test demo bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

lint: install
	$(BIN)/ruff check reconciler tests bench
	$(BIN)/ruff format --check reconciler tests bench
	$(BIN)/mypy

test: lint
	$(BIN)/pytest -m "not slow and not live" -q

stress: install
	$(BIN)/pytest -m slow -q

# Against your account: needs TENCENTCLOUD_SECRET_ID/_KEY, RECONCILER_LIVE_BUCKET and
# RECONCILER_LIVE_REGION (README, "Run against your account"); skipped, saying so, without them.
live-test: install
	$(BIN)/pytest -m live -v -rs tests/live

demo: install
	$(BIN)/python examples/seed_demo.py
	$(BIN)/reconciler plan examples/
	$(BIN)/reconciler apply examples/ --auto-approve --wait --timeout 120

clean:
	rm -rf $(VENV) .reconciler .pytest_cache .mypy_cache .ruff_cache
