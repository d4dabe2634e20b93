-- Clean originals and authors that are people (see docs/schema.md).
--
-- original_title/original_body now hold the CLEANED original (by the rules of the original's
-- language, like title/body); the source's text is kept untouched beside them in
-- raw_original_title/raw_original_body, as raw_title/raw_body keep the page text.
-- author is now the person a byline names; account is the source's account that posted the
-- article (Followin's nickname, e.g. ODAILY), which author used to hold.
--
-- Rows stored before keep their raw originals here; run `scrapy reclean` after this migration to
-- derive the cleaned originals and the byline authors.

ALTER TABLE articles
    ADD COLUMN account            text,
    ADD COLUMN raw_original_title text,
    ADD COLUMN raw_original_body  text;
ALTER TABLE articles ALTER COLUMN raw_original_body SET COMPRESSION lz4;

UPDATE articles SET raw_original_title = original_title, raw_original_body = original_body;
-- The account is in the stored source payload; an author equal to it was the account, not a person.
UPDATE articles
SET account = raw ->> 'nickname',
    author = CASE WHEN author IS DISTINCT FROM raw ->> 'nickname' THEN author END
WHERE raw ->> 'nickname' IS NOT NULL;

-- Items set aside before this migration replay as items of today (scrapy crawl ingest -a failed=1).
UPDATE failed_items
SET item = item || jsonb_build_object('raw_original_title', item -> 'original_title',
                                      'raw_original_body', item -> 'original_body')
WHERE NOT item ? 'raw_original_body';
UPDATE failed_items
SET item = (item - 'author') || jsonb_build_object('account', item -> 'raw' -> 'nickname')
           || CASE WHEN item ->> 'author' IS DISTINCT FROM item -> 'raw' ->> 'nickname'
                   THEN jsonb_build_object('author', item -> 'author') ELSE '{}' END
WHERE item -> 'raw' ->> 'nickname' IS NOT NULL AND NOT item ? 'account';

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
       a.last_seen_at,
       a.account,
       a.raw_original_title,
       a.raw_original_body
FROM articles a
JOIN sources s ON s.id = a.source_id;

-- An outlet is the source and the account that posted there (author is now a person, often NULL).
-- The rest as migration 004 defined it.
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
           count(DISTINCT (a.source_id, coalesce(a.account, ''))) AS sources,
           count(DISTINCT a.lang) AS languages,
           array_agg(DISTINCT s.name ORDER BY s.name) AS source_names,
           array_agg(DISTINCT a.lang ORDER BY a.lang) AS langs
    FROM articles a JOIN sources s ON s.id = a.source_id
    WHERE a.story_id = st.id
) agg ON true
LEFT JOIN articles c ON c.id = st.canonical_article_id
WHERE st.merged_into IS NULL;
