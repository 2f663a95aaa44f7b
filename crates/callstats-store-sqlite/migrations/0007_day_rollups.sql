-- Overview aggregates over long ranges read one cached partial per whole day instead of every
-- summary. A day's version moves on each time a conference that started that day closes, and a
-- rollup counts only while it was built at the current version, so nothing stale is served and
-- no node has to invalidate another's cache.
CREATE TABLE day_versions (
    app_id  INTEGER NOT NULL,
    day     INTEGER NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (app_id, day)
) WITHOUT ROWID;

CREATE TABLE day_rollups (
    app_id  INTEGER NOT NULL,
    day     INTEGER NOT NULL,
    version INTEGER NOT NULL,
    doc     TEXT    NOT NULL,
    PRIMARY KEY (app_id, day)
) WITHOUT ROWID;
