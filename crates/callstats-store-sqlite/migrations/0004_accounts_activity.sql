-- Dashboard accounts. Passwords are Argon2id PHC strings.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
);

-- Dashboard sessions, found by the SHA-256 of the cookie value (the value itself is never stored).
CREATE TABLE sessions (
    hash       BLOB    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    csrf_token TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

-- Integration progress: when each step of the integration guide was first and last seen.
CREATE TABLE app_activity (
    app_id     INTEGER NOT NULL,
    step       TEXT    NOT NULL,
    first_seen INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL,
    count      INTEGER NOT NULL,
    PRIMARY KEY (app_id, step)
);
