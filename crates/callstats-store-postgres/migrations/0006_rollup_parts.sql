-- A day rollup's partials become rows of their own, so an overview reads only the one it shows
-- instead of a document with every browser's, OS's and pair's (1.2 MB a day with 3,300
-- conferences). Rollups are a cache: the old ones are dropped and rebuilt on use or by the keeper.
DROP TABLE day_rollups;
CREATE TABLE day_rollups (
    app_id  BIGINT NOT NULL,
    day     BIGINT NOT NULL,
    version BIGINT NOT NULL,   -- the day's version it was built at (day_versions)
    layout  BIGINT NOT NULL,   -- what its keys mean; a reader rebuilds other layouts
    PRIMARY KEY (app_id, day)
);
CREATE TABLE day_rollup_parts (
    app_id  BIGINT NOT NULL,
    day     BIGINT NOT NULL,
    key     TEXT   NOT NULL,   -- all, browser:chrome, os:linux, browser:chrome|os:linux, country:fi, users:3
    partial TEXT   NOT NULL,   -- JSON of callstats_analytics::aggregate::Partial
    PRIMARY KEY (app_id, day, key)
);
