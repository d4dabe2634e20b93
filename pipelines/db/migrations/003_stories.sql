-- Deduplication: stories, near-duplicate fingerprints with indexed LSH band keys, versions.

CREATE TABLE stories (
    id                   bigserial PRIMARY KEY,
    -- The earliest article of the story (by publish time, then first seen); the others point
    -- at it with articles.duplicate_of.
    canonical_article_id bigint,
    created_at           timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE articles
    ADD COLUMN story_id       bigint REFERENCES stories (id),
    ADD COLUMN duplicate_of   bigint REFERENCES articles (id) ON DELETE SET NULL,
    ADD COLUMN dedupe_reason  text,      -- new_story | exact | near | cross_language
    ADD COLUMN text_hash      bytea,     -- hash of the folded cleaned text
    ADD COLUMN minhash        bytea,     -- MinHash signature (pipelines/text/fingerprint.py)
    ADD COLUMN facts          text[];    -- numbers, amounts, symbols: what tells flash items apart

ALTER TABLE stories
    ADD CONSTRAINT stories_canonical FOREIGN KEY (canonical_article_id)
        REFERENCES articles (id) ON DELETE SET NULL;

-- Articles stored before this migration: each its own story (they have no fingerprints yet).
WITH made AS (
    INSERT INTO stories (canonical_article_id)
    SELECT id FROM articles ORDER BY id
    RETURNING id, canonical_article_id
)
UPDATE articles a SET story_id = made.id, dedupe_reason = 'new_story'
FROM made WHERE a.id = made.canonical_article_id;

CREATE INDEX articles_story ON articles (story_id);
CREATE INDEX articles_text_hash ON articles (text_hash);
CREATE INDEX articles_external ON articles (source_id, external_id);

-- One row per (band key, article): a new article finds its near-duplicate candidates with an
-- index lookup on its band keys, whoever stored them and whenever.
-- No foreign key and no index on article_id: each article adds 40 rows here, and the per-row
-- foreign-key check and second index cost more than the rest of the write (measured: 1.6k vs
-- 2.5k articles/s). The writer keeps the rows in step with the articles in the same transaction;
-- a band row whose article is gone is never seen, since look-ups join articles.
CREATE TABLE article_bands (
    band_key   bigint NOT NULL,
    article_id bigint NOT NULL,
    PRIMARY KEY (band_key, article_id)
);

-- The content an article had before a re-crawl changed it, written in the same transaction as
-- the change (by the trigger below, so no writer can forget it).
CREATE TABLE article_versions (
    id            bigserial PRIMARY KEY,
    article_id    bigint NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    title         text NOT NULL,
    body          text NOT NULL,
    raw_title     text,
    raw_body      text,
    content_digest bytea NOT NULL,
    seen_from     timestamptz NOT NULL,   -- when this content was first stored
    seen_until    timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE article_versions ALTER COLUMN body SET COMPRESSION lz4,
                             ALTER COLUMN raw_body SET COMPRESSION lz4;
CREATE INDEX article_versions_article ON article_versions (article_id);

CREATE FUNCTION keep_article_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO article_versions
        (article_id, title, body, raw_title, raw_body, content_digest, seen_from)
    VALUES (OLD.id, OLD.title, OLD.body, OLD.raw_title, OLD.raw_body, OLD.content_digest,
            OLD.updated_at);
    RETURN NEW;
END
$$;

CREATE TRIGGER articles_keep_version
    BEFORE UPDATE OF content_digest ON articles
    FOR EACH ROW
    WHEN (OLD.content_digest IS DISTINCT FROM NEW.content_digest)
    EXECUTE FUNCTION keep_article_version();


CREATE OR REPLACE VIEW article_feed AS
SELECT a.id,
       s.name AS source,
       a.external_id,
       a.url,
       a.lang,
       a.title,
       a.body,
       a.original_lang,
       a.original_title,
       a.original_body,
       a.is_machine_translated,
       a.author,
       a.published_at,
       ARRAY(SELECT jsonb_array_elements(a.tags) ->> 'name') AS tags,
       a.first_seen_at,
       a.updated_at,
       a.source_url,
       a.related_feeds,
       a.images,
       a.raw_title,
       a.raw_body,
       a.detected_lang,
       a.lang_confidence,
       a.platform,
       a.story_id,
       a.duplicate_of,
       a.last_seen_at
FROM articles a
JOIN sources s ON s.id = a.source_id;

CREATE VIEW story_feed AS
SELECT st.id AS story_id,
       st.canonical_article_id,
       c.url AS canonical_url,
       c.lang AS canonical_lang,
       c.title AS canonical_title,
       c.published_at,
       agg.first_seen_at,
       agg.last_seen_at,
       agg.articles,
       agg.sources,
       agg.languages
FROM stories st
JOIN LATERAL (
    SELECT min(a.first_seen_at) AS first_seen_at,
           max(a.last_seen_at) AS last_seen_at,
           count(*) AS articles,
           count(DISTINCT (a.source_id, coalesce(a.author, ''))) AS sources,
           count(DISTINCT a.lang) AS languages
    FROM articles a
    WHERE a.story_id = st.id
) agg ON true
LEFT JOIN articles c ON c.id = st.canonical_article_id;

GRANT SELECT ON article_feed, story_feed TO feed_reader;
