-- Summaries stored before day versions existed belong to days without a version, which the
-- rollup keeper (it looks for days whose version is ahead of their rollup) would never visit.
-- Give each such day its first version.
INSERT OR IGNORE INTO day_versions (app_id, day, version)
SELECT DISTINCT app_id, start_ms / 86400000, 1 FROM conference_summaries;
