-- Apps and their credentials. The secret is sealed with the server key (see callstats-ingest).
CREATE TABLE apps (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL,
    secret_sealed BLOB    NOT NULL,
    origins       TEXT    NOT NULL,   -- JSON array of allowed Origin values
    settings      TEXT    NOT NULL,   -- JSON AppSettings
    created_at    INTEGER NOT NULL
);

CREATE TABLE app_keys (
    app_id         INTEGER NOT NULL REFERENCES apps(id),
    key_id         TEXT    NOT NULL,
    algorithm      TEXT    NOT NULL,
    public_key_pem TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    PRIMARY KEY (app_id, key_id)
);

CREATE TABLE conferences (
    id                INTEGER PRIMARY KEY,
    app_id            INTEGER NOT NULL,
    conf_id           TEXT    NOT NULL,
    first_seen        INTEGER NOT NULL,
    last_seen         INTEGER NOT NULL,
    participant_count INTEGER NOT NULL DEFAULT 0,
    UNIQUE (app_id, conf_id)
);
CREATE INDEX conferences_recent ON conferences (app_id, last_seen DESC);

CREATE TABLE participants (
    uc_id       TEXT    PRIMARY KEY,
    app_id      INTEGER NOT NULL,
    conference  INTEGER NOT NULL REFERENCES conferences(id),
    user_id     TEXT    NOT NULL,
    device_id   TEXT    NOT NULL,
    endpoint    TEXT    NOT NULL,    -- endpointInfo JSON as sent
    sdk_version TEXT,
    joined_at   REAL    NOT NULL,
    received_at INTEGER NOT NULL
);
CREATE INDEX participants_conference ON participants (conference, joined_at);

-- Every accepted request body, compressed, with the columns needed to find it again.
CREATE TABLE submissions (
    id            INTEGER PRIMARY KEY,
    app_id        INTEGER NOT NULL,
    conference    INTEGER REFERENCES conferences(id),
    uc_id         TEXT,
    kind          TEXT    NOT NULL,
    event_type    TEXT    NOT NULL,
    user_id       TEXT,
    remote_id     TEXT,
    connection_id TEXT,
    ts            REAL    NOT NULL,
    received_at   INTEGER NOT NULL,
    body          BLOB    NOT NULL,
    body_len      INTEGER NOT NULL,
    truncated     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX submissions_conference ON submissions (conference, id);
CREATE INDEX submissions_app_level ON submissions (app_id, kind, id) WHERE conference IS NULL;

CREATE TABLE admin_tokens (
    hash       BLOB    PRIMARY KEY,
    label      TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
