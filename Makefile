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

.PHONY: help install system-deps db db-stop psql migrate crawl demo test lint bench clean scheduled-crawl

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
	@if ! command -v redis-server >/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "Installing Redis (apt-get)"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; \
		else \
			echo "redis-server is missing (distributed crawls and their tests): sudo apt-get install redis-server"; exit 1; \
		fi; \
	fi
# Debian's Chromium renders the pages that need a browser (never a downloaded browser build).
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "Installing Chromium (apt-get)"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
		else \
			echo "chromium is missing (rendered pages, report tests): sudo apt-get install chromium"; exit 1; \
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

# A scheduled run (.github/workflows/crawl.yml): crawl $(SPIDER) into $$DATABASE_URL (never a local
# database), keep its log and report (text and HTML) in RUN_DIR, and fail unless the run was clean:
# the crawl's exit status, and its error rate at most MAX_ERROR_RATE.
SPIDER ?= followin
RUN_DIR ?= var/run
MAX_ERROR_RATE ?= 0.1
scheduled-crawl: install
	@if [ "$(DB_URL)" = "$(LOCAL_DB_URL)" ]; then echo "scheduled-crawl: set DATABASE_URL (a CI secret)" >&2; exit 2; fi
	@mkdir -p $(RUN_DIR)
	@$(SCRAPY) migrate
	@$(SCRAPY) crawl $(SPIDER) $(ARGS) 2>&1 | tee $(RUN_DIR)/crawl.log; crawl=$${PIPESTATUS[0]}; \
	$(SCRAPY) report --html $(RUN_DIR)/report.html --fail-over-error-rate $(MAX_ERROR_RATE) \
		2>&1 | tee $(RUN_DIR)/report.txt; report=$${PIPESTATUS[0]}; \
	if [ $$crawl != 0 ]; then echo "scheduled-crawl: the crawl exited with status $$crawl" >&2; fi; \
	[ $$crawl = 0 ] && [ $$report = 0 ]

# --- checks -----------------------------------------------------------------------------
test: install lint
	@$(PY) -m pytest

# ruff over everything; mypy over crawler/ and pipelines/ (configured in pyproject.toml)
lint: $(STAMP)
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/mypy
	@$(VENV)/bin/actionlint .github/workflows/*.yml

bench: db
	@$(PY) -m tests.bench

clean:
	-@$(PY) -m pipelines.db.localpg stop --dir $(PG_DIR) --port $(PG_PORT) 2>/dev/null
	rm -rf $(VENV) var build *.egg-info .pytest_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
