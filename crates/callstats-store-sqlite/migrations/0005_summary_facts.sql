-- The few per-conference values aggregates need beyond the summary columns (setup delays,
-- failure reasons, feedback), as a small JSON document, so that aggregating a month of
-- conferences never parses their full summaries.
ALTER TABLE conference_summaries ADD COLUMN facts TEXT NOT NULL DEFAULT '{}';
