-- Cleaning: the detected language of the cleaned text and the detector's confidence.
-- title/body hold the cleaned text; raw_title/raw_body keep the source's text untouched, so
-- `scrapy reclean` can re-derive title/body when the rules improve.

ALTER TABLE articles
    ADD COLUMN detected_lang text,
    ADD COLUMN lang_confidence real;

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
       a.platform
FROM articles a
JOIN sources s ON s.id = a.source_id;
