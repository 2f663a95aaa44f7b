-- The secret that signs an app's webhook deliveries, sealed like the AppSecret.
ALTER TABLE apps ADD COLUMN webhook_secret_sealed BLOB;

-- Conference summaries waiting to be delivered (or delivered, for the record). `lease_until`
-- lets several nodes share the work: a delivery is attempted by whoever claims it.
CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY,
    app_id          INTEGER NOT NULL,
    conf_id         TEXT    NOT NULL,
    url             TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    status          TEXT    NOT NULL,          -- pending, delivered, failed
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until     INTEGER NOT NULL DEFAULT 0,
    last_status     INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    delivered_at    INTEGER
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_app ON webhook_deliveries (app_id, id);
