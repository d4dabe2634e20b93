-- Crawl runs carry a heartbeat and a status, so a run killed without a chance to record its end
-- is marked 'abandoned' by the next run or `scrapy report` instead of looking like it still runs.

ALTER TABLE crawl_runs
    ADD COLUMN heartbeat_at timestamptz,
    ADD COLUMN status text NOT NULL DEFAULT 'running'
        CONSTRAINT crawl_runs_status CHECK (status IN ('running', 'finished', 'abandoned'));

-- Runs from before this migration: ended ones are finished; open ones get judged by start time.
UPDATE crawl_runs SET status = 'finished' WHERE finished_at IS NOT NULL;

CREATE INDEX crawl_runs_running ON crawl_runs (id) WHERE status = 'running';
