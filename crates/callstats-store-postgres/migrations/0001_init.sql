-- The schema SQLite reaches after its migrations 0001–0009, in PostgreSQL's dialect, with one
-- difference: raw submissions are partitioned (see below). Later changes go in new files and
-- must be expand/contract safe, because nodes of the old and the new build share the database.

CREATE TABLE apps (
    id                    BIGINT PRIMARY KEY,
    name                  TEXT   NOT NULL,
    secret_sealed         BYTEA  NOT NULL,
    origins               TEXT   NOT NULL,   -- JSON array of allowed Origin values
    settings              TEXT   NOT NULL,   -- JSON AppSettings
    created_at            BIGINT NOT NULL,
    webhook_secret_sealed BYTEA
);

CREATE TABLE app_keys (
    app_id         BIGINT NOT NULL REFERENCES apps(id),
    key_id         TEXT   NOT NULL,
    algorithm      TEXT   NOT NULL,
    public_key_pem TEXT   NOT NULL,
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (app_id, key_id)
);

-- closed_at is set when the summary is written and cleared if data arrives again; ended_hint
-- marks conferences where someone left or terminated a fabric.
CREATE TABLE conferences (
    id                BIGSERIAL PRIMARY KEY,
    app_id            BIGINT  NOT NULL,
    conf_id           TEXT    NOT NULL,
    first_seen        BIGINT  NOT NULL,
    last_seen         BIGINT  NOT NULL,
    participant_count INTEGER NOT NULL DEFAULT 0,
    closed_at         BIGINT,
    ended_hint        BOOLEAN NOT NULL DEFAULT false,
    UNIQUE (app_id, conf_id)
);
CREATE INDEX conferences_recent ON conferences (app_id, last_seen DESC);
CREATE INDEX conferences_open ON conferences (last_seen) WHERE closed_at IS NULL;

CREATE TABLE participants (
    uc_id       TEXT             PRIMARY KEY,
    app_id      BIGINT           NOT NULL,
    conference  BIGINT           NOT NULL REFERENCES conferences(id),
    user_id     TEXT             NOT NULL,
    device_id   TEXT             NOT NULL,
    endpoint    TEXT             NOT NULL,    -- endpointInfo JSON as sent
    sdk_version TEXT,
    joined_at   DOUBLE PRECISION NOT NULL,
    received_at BIGINT           NOT NULL
);
CREATE INDEX participants_conference ON participants (conference, joined_at);
CREATE INDEX participants_user ON participants (app_id, user_id);

-- Every accepted request body, compressed. Stats samples (the bulk, and the only kind retention
-- removes) live in daily range partitions by receive time, so retention drops a whole day
-- instead of deleting rows; every other kind lives in one plain partition. Day partitions are
-- created ahead by the node that writes into them (see `partitions.rs`).
CREATE TABLE submissions (
    id            BIGSERIAL        NOT NULL,
    app_id        BIGINT           NOT NULL,
    conference    BIGINT,
    uc_id         TEXT,
    kind          TEXT             NOT NULL,
    event_type    TEXT             NOT NULL,
    user_id       TEXT,
    remote_id     TEXT,
    connection_id TEXT,
    ts            DOUBLE PRECISION NOT NULL,
    received_at   BIGINT           NOT NULL,
    body          BYTEA            NOT NULL,
    body_len      INTEGER          NOT NULL,
    truncated     BOOLEAN          NOT NULL DEFAULT false,
    derived       TEXT
) PARTITION BY LIST (kind);
CREATE TABLE submissions_stats PARTITION OF submissions FOR VALUES IN ('stats') PARTITION BY RANGE (received_at);
CREATE TABLE submissions_other PARTITION OF submissions DEFAULT;
CREATE INDEX submissions_conference ON submissions (conference, id);
CREATE INDEX submissions_app_level ON submissions (app_id, kind, id) WHERE conference IS NULL;

CREATE TABLE admin_tokens (
    hash       BYTEA  PRIMARY KEY,
    label      TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE conference_summaries (
    conference    BIGINT  PRIMARY KEY REFERENCES conferences(id),
    app_id        BIGINT  NOT NULL,
    closed_at     BIGINT  NOT NULL,
    start_ms      BIGINT  NOT NULL,
    end_ms        BIGINT  NOT NULL,
    close_reason  TEXT    NOT NULL,
    setup_status  TEXT    NOT NULL,
    dropped       BOOLEAN NOT NULL,
    relayed       BOOLEAN NOT NULL,
    user_count    INTEGER NOT NULL,
    score         DOUBLE PRECISION,
    avg_mos       DOUBLE PRECISION,
    browsers      TEXT    NOT NULL,   -- JSON array
    oses          TEXT    NOT NULL,   -- JSON array
    facts         TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX conference_summaries_app_time ON conference_summaries (app_id, start_ms);

CREATE TABLE conference_summary_docs (
    conference BIGINT PRIMARY KEY REFERENCES conferences(id),
    summary    TEXT   NOT NULL
);

-- lease_until lets several nodes share delivery: a row is attempted by whoever claims it.
CREATE TABLE webhook_deliveries (
    id              BIGSERIAL PRIMARY KEY,
    app_id          BIGINT  NOT NULL,
    conf_id         TEXT    NOT NULL,
    url             TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    status          TEXT    NOT NULL,          -- pending, delivered, failed
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT  NOT NULL,
    lease_until     BIGINT  NOT NULL DEFAULT 0,
    last_status     INTEGER,
    last_error      TEXT,
    created_at      BIGINT  NOT NULL,
    delivered_at    BIGINT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_app ON webhook_deliveries (app_id, id);

CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    username      TEXT   NOT NULL UNIQUE,
    password_hash TEXT   NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE sessions (
    hash       BYTEA  PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id),
    csrf_token TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE app_activity (
    app_id     BIGINT NOT NULL,
    step       TEXT   NOT NULL,
    first_seen BIGINT NOT NULL,
    last_seen  BIGINT NOT NULL,
    count      BIGINT NOT NULL,
    PRIMARY KEY (app_id, step)
);

-- A day's version moves on each time a conference that started that day closes; a rollup
-- counts only while it was built at the current version.
CREATE TABLE day_versions (
    app_id  BIGINT NOT NULL,
    day     BIGINT NOT NULL,
    version BIGINT NOT NULL,
    PRIMARY KEY (app_id, day)
);

CREATE TABLE day_rollups (
    app_id  BIGINT NOT NULL,
    day     BIGINT NOT NULL,
    version BIGINT NOT NULL,
    doc     TEXT   NOT NULL,
    PRIMARY KEY (app_id, day)
);
