# Every setup step lives here: a fresh machine needs only Python 3.11+ and the package registries.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

LOCK := requirements/dev.txt
# The locks resolve against PyPI alone (no local config, find-links or mirrors), so what a fresh
# clone installs is what CI tested. Made for Python 3.11, the CI version.
PYPI_ONLY := env -u PIP_FIND_LINKS -u PIP_EXTRA_INDEX_URL PIP_CONFIG_FILE=/dev/null
COMPILE := $(PYPI_ONLY) $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe \
	--strip-extras --no-emit-index-url

.PHONY: install lint test stress live-test demo bench clean lock

install: $(STAMP)

# Every dependency, test tools and build backend included, exactly as locked (with hashes);
# then the project itself, editable, with nothing resolved at install time.
$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Refresh the locks after changing dependencies in pyproject.toml (needs the network to PyPI):
# requirements/dev.txt (make install, CI) and requirements/runtime.txt (the release, recipes).
lock: install
	$(COMPILE) --extra test -o requirements/dev.txt pyproject.toml requirements/build.in
	$(COMPILE) -o requirements/runtime.txt pyproject.toml

lint: install
	$(BIN)/ruff check reconciler tests bench
	$(BIN)/ruff format --check reconciler tests bench
	$(BIN)/mypy

# The end-to-end and exactly-once suites run a second time first, with the emulator sending
# documented-but-unusual reply shapes (empty leaves, 640.0, unknown elements and job states...),
# then the whole suite, whose summary is the last line.
VARIANT_SUITES := tests/core/test_e2e.py tests/core/test_exactly_once.py

test: lint
	RECONCILER_TEST_REPLY_VARIANTS=7 $(BIN)/pytest -m "not slow and not live" -q $(VARIANT_SUITES)
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
