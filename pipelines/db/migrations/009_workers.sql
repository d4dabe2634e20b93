-- Which process did a run, and which distributed crawl it took part in: several workers
-- (`scrapy crawl` with REDIS_URL set) each record their own run, sharing one crawl id.
ALTER TABLE crawl_runs
    ADD COLUMN worker text,              -- hostname:pid
    ADD COLUMN distributed_crawl text;   -- the shared crawl's id in Redis; NULL when run alone

CREATE INDEX crawl_runs_distributed_crawl ON crawl_runs (distributed_crawl)
    WHERE distributed_crawl IS NOT NULL;
