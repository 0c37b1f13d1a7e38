# Loupan — make run (serve on http://127.0.0.1:$(PORT)), make test (the whole suite).
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 5000
export FLASK_APP := run.py

.PHONY: run test test-sqlite test-postgresql install install-test translations extract-messages \
        update-messages browser-deps scheduler migration clean

$(VENV)/bin/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-test: requirements-test.txt $(VENV)/.installed
	$(PY) -m pip install -q -r requirements-test.txt
	touch $@

install: $(VENV)/.installed translations
install-test: $(VENV)/.installed-test translations browser-deps

# Catalogues: translations/<locale>/LC_MESSAGES/messages.po → .mo (compiled by the build).
translations: $(VENV)/.installed
	$(VENV)/bin/pybabel compile -f -d translations -D messages >/dev/null

extract-messages: $(VENV)/.installed
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k _ -o translations/messages.pot app

update-messages: extract-messages
	$(VENV)/bin/pybabel update -N -i translations/messages.pot -d translations -D messages

# Debian's Chromium, a Chinese font for it (screenshots) and the tools to look at PDFs;
# installed when missing (needs root).
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v pdftoppm >/dev/null 2>&1 \
	    || [ -z "$$(fc-list :lang=zh 2>/dev/null)" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils \
	      fontconfig fonts-wqy-microhei >/dev/null; \
	  else echo "needed: sudo apt-get install chromium poppler-utils fontconfig fonts-wqy-microhei"; exit 1; fi; \
	fi

run: install
	$(PY) -m flask loupan setup
	LOUPAN_SCHEDULER_IN_PROCESS=1 $(PY) run.py

scheduler: install
	$(PY) -m flask scheduler run

# Both databases at once, one process each (the machine's two cores), each with its own instance
# directory; their logs are printed whole when both have finished, SQLite's first.
test: install-test
	@mkdir -p tests/artifacts; \
	LOUPAN_INSTANCE_DIR=$$(mktemp -d) LOUPAN_TEST_DB=sqlite $(PY) -m pytest -p no:cacheprovider --durations=15 \
	  > tests/artifacts/pytest-sqlite.log 2>&1 & s=$$!; \
	LOUPAN_INSTANCE_DIR=$$(mktemp -d) LOUPAN_TEST_DB=postgresql $(PY) -m pytest -p no:cacheprovider --durations=15 \
	  > tests/artifacts/pytest-postgresql.log 2>&1 & p=$$!; \
	wait $$s; rs=$$?; wait $$p; rp=$$?; \
	echo "=== SQLite ==="; cat tests/artifacts/pytest-sqlite.log; \
	echo "=== PostgreSQL ==="; cat tests/artifacts/pytest-postgresql.log; \
	echo "SQLite: exit $$rs; PostgreSQL: exit $$rp"; \
	test $$rs = 0 && test $$rp = 0

test-sqlite: install-test
	LOUPAN_TEST_DB=sqlite $(PY) -m pytest $(ARGS)

test-postgresql: install-test
	LOUPAN_TEST_DB=postgresql $(PY) -m pytest $(ARGS)

# A new migration from the models: make migration m="what changed"
migration: install
	LOUPAN_INSTANCE_DIR=$$(mktemp -d) sh -c '$(PY) -m flask db upgrade && $(PY) -m flask db migrate -m "$(m)"'

clean:
	rm -rf $(VENV) tests/artifacts
