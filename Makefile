# The user's entry points. Each target installs what it needs first, and is quiet when all is there.
#   make crawl   live Followin into $DATABASE_URL (or a local PostgreSQL it starts), then a summary
#   make demo    the same against the offline fixture site
#   make test    the test suite (starts and stops its own PostgreSQL)
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SCRAPY := $(VENV)/bin/scrapy
STAMP := $(VENV)/.installed
PG_DIR ?= var/pg
PG_PORT ?= 55432
DEMO_PORT ?= 8765
LOCAL_DB_URL := postgresql://postgres@127.0.0.1:$(PG_PORT)/postgres
# DATABASE_URL from the environment wins; otherwise the project-local cluster.
DB_URL := $(or $(DATABASE_URL),$(LOCAL_DB_URL))
export DATABASE_URL := $(DB_URL)
# Spider arguments for `make crawl`, e.g. make crawl ARGS="-a langs=en,zh-Hans -a max_pages=5"
ARGS ?=
# The spider `make crawl` runs: followin, or news (every feed/sitemap source of crawler/sources/)
SPIDER ?= followin
# Fast settings for our own loopback fixture site (politeness is for other people's servers).
DEMO_SETTINGS := -s FOLLOWIN_BASE_URL=http://127.0.0.1:$(DEMO_PORT) -s FOLLOWIN_API_URL=http://127.0.0.1:$(DEMO_PORT) \
	-s AUTOTHROTTLE_ENABLED=False -s DOWNLOAD_DELAY=0

.PHONY: help install system-deps db db-stop psql migrate crawl demo test lint bench clean

help:
	@echo "make crawl | demo | test | lint | bench | db | db-stop | psql | clean  (see README.md)"

# --- installation -----------------------------------------------------------------------
system-deps:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "Installing PostgreSQL (apt-get)"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
		else \
			echo "PostgreSQL server binaries are missing: sudo apt-get install postgresql"; exit 1; \
		fi; \
	fi
# Debian's Chromium renders the pages that need a browser (never a downloaded browser build).
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "Installing Chromium (apt-get)"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
		else \
			echo "Chromium is missing: sudo apt-get install chromium"; exit 1; \
		fi; \
	fi

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing Python packages into $(VENV)"
	@mkdir -p var
	@$(PY) -m pip install -q --upgrade pip > var/pip.log 2>&1 || { cat var/pip.log; exit 1; }
	@$(PY) -m pip install -q -e '.[dev]' > var/pip.log 2>&1 || { cat var/pip.log; exit 1; }
	@touch $(STAMP)

install: system-deps $(STAMP)

# --- database ---------------------------------------------------------------------------
db: install
ifeq ($(DB_URL),$(LOCAL_DB_URL))
	@$(PY) -m pipelines.db.localpg start --dir $(PG_DIR) --port $(PG_PORT) >/dev/null
	@echo "PostgreSQL is up: $(LOCAL_DB_URL)   (psql: make psql; stop: make db-stop)"
endif

db-stop: $(STAMP)
	@$(PY) -m pipelines.db.localpg stop --dir $(PG_DIR) --port $(PG_PORT) && echo "PostgreSQL stopped"

psql: db
	@psql "$(DB_URL)"

migrate: db
	@$(SCRAPY) migrate

# --- crawling ---------------------------------------------------------------------------
crawl: migrate
	@$(SCRAPY) crawl $(SPIDER) $(ARGS); status=$$?; $(SCRAPY) report; exit $$status

demo: migrate
	@mkdir -p var; $(PY) -m tests.site.server --port $(DEMO_PORT) > var/demo-site.log 2>&1 & server=$$!; \
	trap "kill $$server 2>/dev/null" EXIT; \
	for i in $$(seq 50); do $(PY) -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$(DEMO_PORT)/robots.txt')" 2>/dev/null && break; sleep 0.1; done; \
	$(SCRAPY) crawl followin -a langs=en,zh-Hans -a max_pages=50 -a news=1 -a kol=1006785 -a topic=3307 -a tag=1000027 \
		$(DEMO_SETTINGS) $(ARGS) -s LOG_LEVEL=WARNING; \
	status=$$?; $(SCRAPY) report; exit $$status

# --- checks -----------------------------------------------------------------------------
test: install lint
	@$(PY) -m pytest

# ruff over everything; mypy over crawler/ and pipelines/ (configured in pyproject.toml)
lint: $(STAMP)
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/mypy

bench: db
	@$(PY) -m tests.bench

clean:
	-@$(PY) -m pipelines.db.localpg stop --dir $(PG_DIR) --port $(PG_PORT) 2>/dev/null
	rm -rf $(VENV) var build *.egg-info .pytest_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
