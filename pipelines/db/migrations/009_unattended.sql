-- Which process did a run, and which distributed crawl it took part in: several workers
-- (`scrapy crawl` with REDIS_URL set) each record their own run, sharing one crawl id.
ALTER TABLE crawl_runs
    ADD COLUMN worker text,              -- hostname:pid
    ADD COLUMN distributed_crawl text;   -- the shared crawl's id in Redis; NULL when run alone

CREATE INDEX crawl_runs_distributed_crawl ON crawl_runs (distributed_crawl)
    WHERE distributed_crawl IS NOT NULL;

-- Incremental runs: the digest of each article's list entry when it was last fetched (an entry
-- that changes is fetched again), and the HTTP validators of feeds and sitemaps per URL.
CREATE TABLE list_entries (
    source      text NOT NULL,
    external_id text NOT NULL,
    lang        text NOT NULL,
    digest      bytea NOT NULL,
    fetched_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, external_id, lang)
);

CREATE TABLE http_validators (
    url           text PRIMARY KEY,
    etag          text,
    last_modified text,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
