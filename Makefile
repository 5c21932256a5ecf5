# Biz Portal: two commands on a fresh machine with Python 3.11+.
#   make demo   install, migrate, load Thai demo data, print logins, serve web + worker
#   make test   the whole test suite (unit, API, live HTTP journey, browser journey);
#               TEST_ARGS passes more pytest options, e.g. TEST_ARGS='-m "not browser"'

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export BIZPORTAL_BASE_URL ?= http://127.0.0.1:$(PORT)

.PHONY: demo test install lint typecheck browser clean lock

# Exactly the tested versions: every package pinned with its hashes in requirements.lock.
$(VENV)/.installed: pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is required")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $@

# After changing dependencies in pyproject.toml: re-resolve and re-hash the lock file.
lock: install
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --generate-hashes --universal \
		--python-version 3.11 --quiet -o requirements.lock

install: $(VENV)/.installed

demo: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py load_demo
	$(PY) manage.py serve --port $(PORT) --companions

test: install
	$(PY) -m pytest -n 2 --dist loadgroup -q $(TEST_ARGS)

lint: install
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/ruff format --check src tests
	$(VENV)/bin/lint-imports --no-cache

typecheck: install
	$(VENV)/bin/mypy src

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
