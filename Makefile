# One command to run the service on the sample data, one to run the tests.
# Both do their own set-up on a fresh Debian/Ubuntu machine (as root).

SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
PORT  ?= 8000
APT_PACKAGES := python3-venv python3-dev libsqlite3-mod-spatialite postgresql postgresql-postgis \
                libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core libreoffice-calc-nogui \
                chromium nginx-light
export SPATIALITE_LIBRARY_PATH := mod_spatialite

.PHONY: run test setup system-packages venv sample lint clean assets lint-js
STATIC := dashboards/static

MAP_PORT ?= 8080
# the app on $(PORT); the public map's snapshot in var/public, served by nginx on $(MAP_PORT) (without the app)
run: setup
	OUTAGES_DEMO=true $(VENV)/bin/outages demo-setup
	@set -euo pipefail; export OUTAGES_DEMO=true OUTAGES_PUBLIC_MAP_SNAPSHOT_DIR=var/public OUTAGES_TRUSTED_PROXIES=127.0.0.1 \
	  OUTAGES_PUBLIC_MAP_PUBLIC_URL=http://127.0.0.1:$(MAP_PORT)/map/data.json \
	  OUTAGES_PUBLIC_URL=$${OUTAGES_PUBLIC_URL:-http://127.0.0.1:$(PORT)}; \
	conf=$$($(VENV)/bin/outages public-map nginx-config --prefix var/nginx --listen 127.0.0.1:$(MAP_PORT) \
	  --app 127.0.0.1:$(PORT) 2>/dev/null); \
	nginx -p var/nginx -c $$conf -e error.log; \
	$(VENV)/bin/outages public-map watch 2>var/public-map-watch.log & watcher=$$!; \
	trap 'kill '$$watcher'; nginx -p var/nginx -c '$$conf' -s quit' EXIT; \
	echo "Public map (nginx, from the snapshot): http://127.0.0.1:$(MAP_PORT)/map"; \
	$(VENV)/bin/outages serve --port $(PORT)

test: lint
	@set -euo pipefail; \
	PG_URL=$$(.ci/postgis.sh start); \
	trap '.ci/postgis.sh stop' EXIT; \
	echo "== tests on SpatiaLite"; OUTAGES_TEST_DATABASE_URL=sqlite $(PY) -m pytest -q -p no:cacheprovider; \
	echo "== tests on PostGIS ($$PG_URL)"; OUTAGES_TEST_DATABASE_URL=$$PG_URL $(PY) -m pytest -q -p no:cacheprovider

# The checks before the suite: ruff (lint and format), mypy ([tool.mypy] in pyproject.toml), ESLint over the page
# scripts (dashboards/static/eslint.config.js) and the layers contract (import-linter)
PACKAGES := gis registry outages reports dashboards sample_data tests
lint: setup lint-js
	@set -euo pipefail; \
	echo "== ruff"; $(VENV)/bin/ruff check $(PACKAGES); $(VENV)/bin/ruff format --check $(PACKAGES); \
	echo "== mypy"; $(VENV)/bin/mypy; \
	echo "== import-linter (layers contract)"; $(VENV)/bin/lint-imports

lint-js: assets
	@echo "== eslint"; cd $(STATIC) && node_modules/.bin/eslint .

setup: system-packages $(VENV)/.installed assets

# Leaflet & co. for the maps, served locally (no CDN): installed from the npm registry into the
# git-ignored dashboards/static/node_modules, exactly as package-lock.json pins them.
assets: $(STATIC)/node_modules/.installed

$(STATIC)/node_modules/.installed: $(STATIC)/package.json $(STATIC)/package-lock.json
	@command -v npm >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; }
	cd $(STATIC) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

system-packages:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

# Debian's Python: the pyenv build cannot load SQLite extensions (SpatiaLite).
$(VENV)/.installed: pyproject.toml
	test -x $(PY) || /usr/bin/python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

clean:
	rm -rf $(VENV) var sample_data/build $(STATIC)/node_modules
