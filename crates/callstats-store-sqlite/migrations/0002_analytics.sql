-- Per-stream snapshots extracted from a stats body at ingest (JSON), so analysis never has to
-- re-parse the 16 KB raw body.
ALTER TABLE submissions ADD COLUMN derived TEXT;

-- Conference lifecycle: closed_at is set when the summary is written and cleared if data
-- arrives again; ended_hint marks conferences where someone left or terminated a fabric, so the
-- closer looks at them before their idle timeout.
ALTER TABLE conferences ADD COLUMN closed_at INTEGER;
ALTER TABLE conferences ADD COLUMN ended_hint INTEGER NOT NULL DEFAULT 0;
CREATE INDEX conferences_open ON conferences (last_seen) WHERE closed_at IS NULL;

-- The summary written when a conference closes, with the columns aggregates filter and group by.
CREATE TABLE conference_summaries (
    conference    INTEGER PRIMARY KEY REFERENCES conferences(id),
    app_id        INTEGER NOT NULL,
    closed_at     INTEGER NOT NULL,
    start_ms      INTEGER NOT NULL,
    end_ms        INTEGER NOT NULL,
    close_reason  TEXT    NOT NULL,
    setup_status  TEXT    NOT NULL,
    dropped       INTEGER NOT NULL,
    relayed       INTEGER NOT NULL,
    user_count    INTEGER NOT NULL,
    score         REAL,
    avg_mos       REAL,
    browsers      TEXT    NOT NULL,   -- JSON array
    oses          TEXT    NOT NULL,   -- JSON array
    summary       TEXT    NOT NULL    -- JSON ConferenceSummary
);
CREATE INDEX conference_summaries_app_time ON conference_summaries (app_id, start_ms);
