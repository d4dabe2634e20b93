-- Stories that do not depend on arrival order (pipelines/db/stories.py).
--
-- A story is a connected component of "same news" links between articles. When a new article
-- links two stories, they merge into the lower id; the other keeps its row, pointing at the
-- survivor, so a story id a consumer saw once still resolves (story_aliases).

ALTER TABLE stories
    ADD COLUMN merged_into bigint REFERENCES stories (id),
    ADD COLUMN merged_at   timestamptz;
CREATE INDEX stories_merged_into ON stories (merged_into) WHERE merged_into IS NOT NULL;

-- The canonical form of source_url (pipelines/text/urls.py), written by the writer: an outlet's
-- original and the translations that name it as their source are one story.
ALTER TABLE articles ADD COLUMN source_url_key text;
CREATE INDEX articles_source_url_key ON articles (source_url_key) WHERE source_url_key IS NOT NULL;

-- Writers lock, in order, the rows for the keys their new articles could match on (source
-- article, text hash, LSH bands, URLs), hashed onto these slots. Two articles that could be one
-- story share a key, so their writers take turns; unrelated writers do not wait. The read-only
-- role cannot read this table, so it can never hold one of these locks.
CREATE TABLE dedupe_lock_slots (slot integer PRIMARY KEY);
INSERT INTO dedupe_lock_slots SELECT generate_series(0, 16383);

-- Every story id ever handed out, and the story it is part of now.
CREATE VIEW story_aliases AS
SELECT id AS story_id, coalesce(merged_into, id) AS current_story_id, merged_at
FROM stories;

-- canonical_lang is the language of the canonical article's text: its page language, unless the
-- page shows an untranslated original in another language. Merged stories are not listed
-- (story_aliases resolves their ids). source_names and langs list what the story has.
CREATE OR REPLACE VIEW story_feed AS
SELECT st.id AS story_id,
       st.canonical_article_id,
       c.url AS canonical_url,
       CASE WHEN c.is_machine_translated OR c.original_lang IS NULL
                 OR split_part(c.lang, '-', 1) = c.original_lang
            THEN c.lang ELSE c.original_lang END AS canonical_lang,
       c.title AS canonical_title,
       c.published_at,
       agg.first_seen_at,
       agg.last_seen_at,
       agg.articles,
       agg.sources,
       agg.languages,
       agg.source_names,
       agg.langs
FROM stories st
JOIN LATERAL (
    SELECT min(a.first_seen_at) AS first_seen_at,
           max(a.last_seen_at) AS last_seen_at,
           count(*) AS articles,
           count(DISTINCT (a.source_id, coalesce(a.author, ''))) AS sources,
           count(DISTINCT a.lang) AS languages,
           array_agg(DISTINCT s.name ORDER BY s.name) AS source_names,
           array_agg(DISTINCT a.lang ORDER BY a.lang) AS langs
    FROM articles a JOIN sources s ON s.id = a.source_id
    WHERE a.story_id = st.id
) agg ON true
LEFT JOIN articles c ON c.id = st.canonical_article_id
WHERE st.merged_into IS NULL;

GRANT SELECT ON story_feed, story_aliases TO feed_reader;
