"""Scrapy settings. Everything tunable lives here, with why; secrets come only from the environment.

Override any of them per run with ``-s NAME=VALUE``.
"""

import os

from crawler.items import EXPORT_FIELDS

BOT_NAME = "newscrawl"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
COMMANDS_MODULE = "crawler.commands"

# A source's own settings (its site's URLs, ...) live with its spider, in custom_settings.

# --- database ------------------------------------------------------------------------------
# postgresql://user:password@host:port/db; read from the environment only, never written here.
DATABASE_URL = os.environ.get("DATABASE_URL")
# False: nothing is written to a database (none is needed), e.g. to export with -O out.jsonl only.
STORE_ENABLED = True
STORE_BATCH_SIZE = 500  # items per transaction
STORE_RETRIES = 3  # attempts per batch when the connection fails
FAILED_ITEMS_DIR = "var/failed"  # batches kept here when the database stays away
# Buffered items are written at least this often (seconds): bounds what a kill can lose. Each
# flush also beats the run's heartbeat; a run silent for RUN_STALE_SECONDS counts as abandoned.
STORE_FLUSH_SECONDS = 5.0
RUN_STALE_SECONDS = 600.0
# With -s JOBDIR=…, a killed crawl resumes without losing or refetching stored articles.
DUPEFILTER_CLASS = "crawler.resume.StoredRequestsDupeFilter"
SPIDER_MIDDLEWARES = {"crawler.resume.StoredRequestsJournal": 40}

# Near-duplicate threshold: estimated Jaccard similarity of two cleaned texts, 0..1.
DEDUPE_THRESHOLD = 0.5

# validate (storable, bounded, plausible: pipelines/validation.py) -> clean -> fingerprint
# -> store (story decision and write, in one transaction per batch)
ITEM_PIPELINES = {
    "pipelines.validate.ValidatePipeline": 100,
    "pipelines.clean.CleanPipeline": 300,
    "pipelines.fingerprint.FingerprintPipeline": 500,
    "pipelines.store.StorePipeline": 800,
}

# --- politeness ------------------------------------------------------------------------------
USER_AGENT = "newscrawl/0.1 (+https://github.com/newscrawl/newscrawl; news research crawler)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024  # a page larger than this is refused and counted
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024

# 429 and 503 wait for Retry-After (capped), other retryable errors back off exponentially.
RETRY_ENABLED = True
RETRY_TIMES = 4
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
RETRY_BACKOFF_BASE = 2.0  # seconds; doubles on each retry of a request
RETRY_AFTER_MAX = 300.0  # seconds; a longer Retry-After is not waited for: the request gives up
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.retry.BackoffRetryMiddleware": 550,
    # ETag / Last-Modified for requests with meta conditional_get (feeds, sitemaps)
    "crawler.middlewares.conditional_get.ConditionalGetMiddleware": 580,
    "crawler.middlewares.mirror.MirrorMiddleware": 950,
    # after decompression (590) and redirects (600): decides on the final, readable page
    "crawler.middlewares.render.RenderMiddleware": 580,
}
# Fetch a site from a saved copy: {"https://www.example.com": "http://127.0.0.1:8804/www.example.com"}
# (the tests' fixture sites; see crawler/middlewares/mirror.py). Empty: the real sites.
SOURCE_MIRRORS: dict[str, str] = {}
# A request that fails for good is logged once, as an error, by the spider's errback.
RETRY_GIVE_UP_LOG_LEVEL = "INFO"
EXTENSIONS = {
    "crawler.extensions.summary.CrawlSummary": 500,
    "crawler.extensions.network_errors.QuietNetworkErrors": 0,
}

# --- rendering (crawler/rendering.py) ---------------------------------------------------------
# Only requests marked with a render mode go to Chromium; the browser starts at the first of them.
DOWNLOAD_HANDLERS = {
    "http": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
    "https": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
}
PLAYWRIGHT_BROWSER_TYPE = "chromium"
PLAYWRIGHT_BROWSER_PROVIDER = "crawler.rendering.LazyBrowserProvider"
# Debian's chromium (make install), never a downloaded browser build.
PLAYWRIGHT_LAUNCH_OPTIONS = {
    "executable_path": os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
    "headless": True,
    "args": [
        "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
    ],
}  # fmt: skip
PLAYWRIGHT_ABORT_REQUEST = "crawler.rendering.block_heavy_resources"  # no images, fonts, media
# One browser context, a few pages at once: Chromium's memory is what limits rendering.
PLAYWRIGHT_MAX_CONTEXTS = 1
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 4
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = DOWNLOAD_TIMEOUT * 1000  # ms
RENDER_WAIT_TIMEOUT = 15.0  # s for the content to appear after the page loaded; then the page fails
RENDER_WAIT_MIN_CHARS = 50  # characters of text that mean the content element is filled
# `auto`: a page whose HTML yields fewer characters of article text than this is rendered.
RENDER_AUTO_MIN_CHARS = 200
RENDER_AUTO_MEASURE = "crawler.rendering.article_text_length"  # (html, url) -> int

# Remote control runs code over HTTP: never on by default.
REMOTE_CONTROL_ENABLED = False
TELNETCONSOLE_ENABLED = False

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
# -O/-o exports the cleaned article (crawler/exporters.py); CSV cells with lists hold JSON.
FEED_EXPORT_FIELDS = list(EXPORT_FIELDS)
FEED_EXPORTERS = {"csv": "crawler.exporters.CsvItemExporter"}
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")

# --- distributed crawls (scrapy-redis) -------------------------------------------------------
# With REDIS_URL set (redis://host:port/db), every process running the same `scrapy crawl`
# shares one request queue and one duplicate filter in Redis (crawler/distributed).
REDIS_URL = os.environ.get("REDIS_URL")
REDIS_IDLE_CLOSE = 30  # seconds a worker waits on an empty shared queue before it leaves
REDIS_CRAWL_KEY = "newscrawl:%(spider)s"  # Redis keys of a crawl; differ per concurrent crawl
ADDONS = {"crawler.distributed.DistributedCrawl": 0}

# --- incremental runs (crawler/incremental.py; `-a full=1` ignores them) -----------------------
INCREMENTAL_REFRESH_HOURS = 48  # a stored article younger than this is fetched again
INCREMENTAL_OVERLAP_PAGES = 1  # list pages read past the first page holding only stored articles
