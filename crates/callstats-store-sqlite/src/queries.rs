//! SQL of the SQLite backend, one function per store operation.

use std::collections::HashMap;

use callstats_store::{
    ActivityRow, App, AppId, AppKey, AppSettings, ConferenceFilter, ConferenceRow, DAY_MS, DayRollup, DeliveryAttempt,
    DueConference, Participant, Result, RollupPart, Session, StoreError, StoredSubmission, Submission, SubmissionKind,
    SubmissionQuery, SummaryRecord, User, WebhookDelivery, Write, utc_day,
};
use rusqlite::{Connection, OptionalExtension, Row, params};

fn db(context: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |e| match e {
        rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
            StoreError::Conflict(context.to_owned())
        }
        e => StoreError::backend(context, e),
    }
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("store records serialise to JSON")
}

fn parse_json<T: serde::de::DeserializeOwned>(s: &str, what: &str) -> rusqlite::Result<T> {
    serde_json::from_str(s).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, format!("{what}: {e}").into())
    })
}

const APP_COLUMNS: &str = "id, name, secret_sealed, origins, settings, created_at, webhook_secret_sealed";

fn app_row(r: &Row<'_>) -> rusqlite::Result<App> {
    let origins: String = r.get(3)?;
    let settings: String = r.get(4)?;
    Ok(App {
        id: r.get(0)?,
        name: r.get(1)?,
        secret_sealed: r.get(2)?,
        origins: parse_json(&origins, "origins")?,
        settings: parse_json::<AppSettings>(&settings, "settings")?,
        created_at_ms: r.get(5)?,
        webhook_secret_sealed: r.get(6)?,
    })
}

pub(crate) fn insert_app(c: &Connection, app: &App) -> Result<()> {
    c.execute(
        "INSERT INTO apps (id, name, secret_sealed, origins, settings, created_at, webhook_secret_sealed)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            app.id,
            app.name,
            app.secret_sealed,
            json(&app.origins),
            json(&app.settings),
            app.created_at_ms,
            app.webhook_secret_sealed
        ],
    )
    .map_err(db("app"))?;
    Ok(())
}

pub(crate) fn update_app(c: &Connection, app: &App) -> Result<()> {
    let n = c
        .execute(
            "UPDATE apps SET name = ?2, secret_sealed = ?3, origins = ?4, settings = ?5, webhook_secret_sealed = ?6
             WHERE id = ?1",
            params![
                app.id,
                app.name,
                app.secret_sealed,
                json(&app.origins),
                json(&app.settings),
                app.webhook_secret_sealed
            ],
        )
        .map_err(db("update app"))?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("app {}", app.id)));
    }
    Ok(())
}

pub(crate) fn apps(c: &Connection) -> Result<Vec<App>> {
    let mut st = c.prepare_cached(&format!("SELECT {APP_COLUMNS} FROM apps ORDER BY id")).map_err(db("apps"))?;
    let rows = st.query_map([], app_row).map_err(db("apps"))?;
    rows.collect::<rusqlite::Result<_>>().map_err(db("apps"))
}

pub(crate) fn app(c: &Connection, id: AppId) -> Result<Option<App>> {
    let mut st = c.prepare_cached(&format!("SELECT {APP_COLUMNS} FROM apps WHERE id = ?1")).map_err(db("app"))?;
    st.query_row([id], app_row).optional().map_err(db("app"))
}

pub(crate) fn insert_app_key(c: &Connection, k: &AppKey) -> Result<()> {
    c.execute(
        "INSERT INTO app_keys (app_id, key_id, algorithm, public_key_pem, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![k.app_id, k.key_id, k.algorithm, k.public_key_pem, k.created_at_ms],
    )
    .map_err(db("app key"))?;
    Ok(())
}

pub(crate) fn app_keys(c: &Connection, app: AppId) -> Result<Vec<AppKey>> {
    let mut st = c
        .prepare_cached(
            "SELECT app_id, key_id, algorithm, public_key_pem, created_at FROM app_keys WHERE app_id = ?1 ORDER BY key_id",
        )
        .map_err(db("app keys"))?;
    let rows = st
        .query_map([app], |r| {
            Ok(AppKey {
                app_id: r.get(0)?,
                key_id: r.get(1)?,
                algorithm: r.get(2)?,
                public_key_pem: r.get(3)?,
                created_at_ms: r.get(4)?,
            })
        })
        .map_err(db("app keys"))?;
    rows.collect::<rusqlite::Result<_>>().map_err(db("app keys"))
}

/// Finds or creates the conference row, once per transaction per conference.
fn conference_key(
    c: &Connection,
    app: AppId,
    conf: &str,
    at: i64,
    cache: &mut HashMap<(AppId, String), i64>,
) -> Result<i64> {
    if let Some(id) = cache.get(&(app, conf.to_owned())) {
        return Ok(*id);
    }
    let mut st = c
        .prepare_cached(
            "INSERT INTO conferences (app_id, conf_id, first_seen, last_seen) VALUES (?1, ?2, ?3, ?3)
             ON CONFLICT (app_id, conf_id) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen),
                 -- Data arriving after the close (a request that was in flight) reopens the
                 -- conference and asks the closer to look again soon, instead of in 30 s.
                 ended_hint = CASE WHEN closed_at IS NULL THEN ended_hint ELSE 1 END, closed_at = NULL
             RETURNING id",
        )
        .map_err(db("conference"))?;
    let id: i64 = st.query_row(params![app, conf, at], |r| r.get(0)).map_err(db("conference"))?;
    cache.insert((app, conf.to_owned()), id);
    Ok(id)
}

pub(crate) fn apply_write(c: &Connection, w: &Write, cache: &mut HashMap<(AppId, String), i64>) -> Result<()> {
    match w {
        Write::Join(p) => {
            let conf = conference_key(c, p.app_id, &p.conf_id, p.received_at, cache)?;
            c.prepare_cached(
                "INSERT INTO participants (uc_id, app_id, conference, user_id, device_id, endpoint, sdk_version, joined_at, received_at, country)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )
            .and_then(|mut st| {
                st.execute(params![
                    p.uc_id,
                    p.app_id,
                    conf,
                    p.user_id,
                    p.device_id,
                    json(&p.endpoint),
                    p.sdk_version,
                    p.joined_at,
                    p.received_at,
                    p.country
                ])
            })
            .map_err(db("participant"))?;
            c.prepare_cached("UPDATE conferences SET participant_count = participant_count + 1 WHERE id = ?1")
                .and_then(|mut st| st.execute([conf]))
                .map_err(db("participant count"))?;
        }
        Write::Activity { app_id, step, at_ms, count } => {
            c.prepare_cached(
                "INSERT INTO app_activity (app_id, step, first_seen, last_seen, count) VALUES (?1, ?2, ?3, ?3, ?4)
                 ON CONFLICT (app_id, step) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen),
                     count = count + excluded.count",
            )
            .and_then(|mut st| st.execute(params![app_id, step, at_ms, count]))
            .map_err(db("activity"))?;
        }
        Write::Hold { app_id, conf_id, until_ms } => {
            c.prepare_cached(
                "UPDATE conferences SET close_lease_until = max(close_lease_until, ?3) WHERE app_id = ?1 AND conf_id = ?2",
            )
            .and_then(|mut st| st.execute(params![app_id, conf_id, until_ms]))
            .map_err(db("hold conference"))?;
        }
        Write::Submission(s) => {
            let conf = match &s.conf_id {
                Some(conf) => Some(conference_key(c, s.app_id, conf, s.received_at_ms, cache)?),
                None => None,
            };
            c.prepare_cached(
                "INSERT INTO submissions (app_id, conference, uc_id, kind, event_type, user_id, remote_id, connection_id, ts, received_at, body, body_len, truncated, derived)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            )
            .and_then(|mut st| {
                st.execute(params![
                    s.app_id,
                    conf,
                    s.uc_id,
                    s.kind.as_str(),
                    s.event_type,
                    s.user_id,
                    s.remote_id,
                    s.connection_id,
                    s.timestamp_ms,
                    s.received_at_ms,
                    s.body,
                    s.body_len,
                    s.truncated,
                    s.derived
                ])
            })
            .map_err(db("submission"))?;
            if let Some(conf) = conf
                && matches!(s.event_type.as_str(), "userLeft" | "fabricTerminated")
            {
                c.prepare_cached("UPDATE conferences SET ended_hint = 1 WHERE id = ?1")
                    .and_then(|mut st| st.execute([conf]))
                    .map_err(db("conference end hint"))?;
            }
        }
    }
    Ok(())
}

const PARTICIPANT_COLUMNS: &str = "p.uc_id, p.app_id, c.conf_id, p.user_id, p.device_id, p.endpoint, p.sdk_version, p.joined_at, p.received_at, p.country";

fn participant_row(r: &Row<'_>) -> rusqlite::Result<Participant> {
    let endpoint: String = r.get(5)?;
    Ok(Participant {
        uc_id: r.get(0)?,
        app_id: r.get(1)?,
        conf_id: r.get(2)?,
        user_id: r.get(3)?,
        device_id: r.get(4)?,
        endpoint: parse_json(&endpoint, "endpoint")?,
        sdk_version: r.get(6)?,
        joined_at: r.get(7)?,
        received_at: r.get(8)?,
        country: r.get(9)?,
    })
}

pub(crate) fn participant(c: &Connection, uc: &str) -> Result<Option<Participant>> {
    let mut st = c
        .prepare_cached(&format!(
            "SELECT {PARTICIPANT_COLUMNS} FROM participants p JOIN conferences c ON c.id = p.conference WHERE p.uc_id = ?1"
        ))
        .map_err(db("participant"))?;
    st.query_row([uc], participant_row).optional().map_err(db("participant"))
}

pub(crate) fn participants(c: &Connection, app: AppId, conf: &str) -> Result<Vec<Participant>> {
    let mut st = c
        .prepare_cached(&format!(
            "SELECT {PARTICIPANT_COLUMNS} FROM participants p JOIN conferences c ON c.id = p.conference
             WHERE c.app_id = ?1 AND c.conf_id = ?2 ORDER BY p.joined_at"
        ))
        .map_err(db("participants"))?;
    let rows = st.query_map(params![app, conf], participant_row).map_err(db("participants"))?;
    rows.collect::<rusqlite::Result<_>>().map_err(db("participants"))
}

const CONFERENCE_COLUMNS: &str = "c.app_id, c.conf_id, c.first_seen, c.last_seen, c.participant_count, c.closed_at,
     s.setup_status, s.score, s.avg_mos";

fn conference_row(r: &Row<'_>) -> rusqlite::Result<ConferenceRow> {
    Ok(ConferenceRow {
        app_id: r.get(0)?,
        conf_id: r.get(1)?,
        first_seen: r.get(2)?,
        last_seen: r.get(3)?,
        participant_count: r.get(4)?,
        closed_at: r.get(5)?,
        setup_status: r.get(6)?,
        score: r.get(7)?,
        avg_mos: r.get(8)?,
    })
}

pub(crate) fn conferences(c: &Connection, app: AppId, f: &ConferenceFilter) -> Result<Vec<ConferenceRow>> {
    let mut sql = format!(
        "SELECT {CONFERENCE_COLUMNS} FROM conferences c LEFT JOIN conference_summaries s ON s.conference = c.id
         WHERE c.app_id = ?1"
    );
    let mut args: Vec<Box<dyn rusqlite::ToSql>> = vec![Box::new(app)];
    let mut arg = |sql: &mut String, clause: &str, v: Box<dyn rusqlite::ToSql>| {
        args.push(v);
        sql.push_str(&clause.replace("?#", &format!("?{}", args.len())));
    };
    if let Some(q) = f.q.as_deref().filter(|q| !q.is_empty()) {
        let escaped = q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        arg(&mut sql, " AND c.conf_id LIKE ?# ESCAPE '\\'", Box::new(format!("%{escaped}%")));
    }
    if let Some(u) = f.user.as_deref().filter(|u| !u.is_empty()) {
        arg(
            &mut sql,
            " AND c.id IN (SELECT conference FROM participants WHERE app_id = ?1 AND user_id = ?#)",
            Box::new(u.to_owned()),
        );
    }
    match f.status.as_deref() {
        None | Some("") => {}
        Some("ongoing") => sql.push_str(" AND c.closed_at IS NULL"),
        Some("closed") => sql.push_str(" AND c.closed_at IS NOT NULL"),
        Some(other) => {
            arg(&mut sql, " AND c.closed_at IS NOT NULL AND s.setup_status = ?#", Box::new(other.to_owned()))
        }
    }
    if let Some(v) = f.min_score {
        arg(&mut sql, " AND s.score >= ?#", Box::new(v));
    }
    if let Some(v) = f.max_score {
        arg(&mut sql, " AND s.score <= ?#", Box::new(v));
    }
    if let Some(b) = f.browser.as_deref().filter(|b| !b.is_empty()) {
        arg(
            &mut sql,
            " AND EXISTS (SELECT 1 FROM json_each(s.browsers) WHERE lower(value) = lower(?#))",
            Box::new(b.to_owned()),
        );
    }
    if let Some(v) = f.from {
        arg(&mut sql, " AND c.last_seen >= ?#", Box::new(v));
    }
    if let Some(v) = f.to {
        arg(&mut sql, " AND c.last_seen < ?#", Box::new(v));
    }
    let limit = f.limit.unwrap_or(100).clamp(1, 1000);
    sql.push_str(&format!(" ORDER BY c.last_seen DESC LIMIT {limit}"));
    let mut st = c.prepare_cached(&sql).map_err(db("conferences"))?;
    let rows = st.query_map(rusqlite::params_from_iter(args.iter()), conference_row).map_err(db("conferences"))?;
    rows.collect::<rusqlite::Result<_>>().map_err(db("conferences"))
}

pub(crate) fn conference(c: &Connection, app: AppId, conf: &str) -> Result<Option<ConferenceRow>> {
    let mut st = c
        .prepare_cached(&format!(
            "SELECT {CONFERENCE_COLUMNS} FROM conferences c LEFT JOIN conference_summaries s ON s.conference = c.id
             WHERE c.app_id = ?1 AND c.conf_id = ?2"
        ))
        .map_err(db("conference"))?;
    st.query_row(params![app, conf], conference_row).optional().map_err(db("conference"))
}

pub(crate) fn submissions(c: &Connection, q: &SubmissionQuery) -> Result<Vec<StoredSubmission>> {
    let body = if q.with_body { "s.body" } else { "x''" };
    let mut sql = format!(
        "SELECT s.id, s.app_id, c.conf_id, s.uc_id, s.kind, s.event_type, s.user_id, s.remote_id, s.connection_id,
                s.ts, s.received_at, {body}, s.body_len, s.truncated, s.derived
         FROM submissions s LEFT JOIN conferences c ON c.id = s.conference WHERE "
    );
    let mut args: Vec<Box<dyn rusqlite::ToSql>> = vec![Box::new(q.app_id)];
    match &q.conf_id {
        Some(conf) => {
            sql.push_str("s.conference = (SELECT id FROM conferences WHERE app_id = ?1 AND conf_id = ?2)");
            args.push(Box::new(conf.clone()));
        }
        None => sql.push_str("s.app_id = ?1 AND s.conference IS NULL"),
    }
    if !q.kinds.is_empty() {
        let marks: Vec<String> = q
            .kinds
            .iter()
            .map(|k| {
                args.push(Box::new(k.as_str()));
                format!("?{}", args.len())
            })
            .collect();
        sql.push_str(&format!(" AND s.kind IN ({})", marks.join(",")));
    }
    if let Some(conn_id) = &q.connection_id {
        args.push(Box::new(conn_id.clone()));
        sql.push_str(&format!(" AND s.connection_id = ?{}", args.len()));
    }
    sql.push_str(" ORDER BY s.id");
    if q.limit > 0 {
        sql.push_str(&format!(" LIMIT {}", q.limit));
    }
    let mut st = c.prepare_cached(&sql).map_err(db("submissions"))?;
    let rows = st
        .query_map(rusqlite::params_from_iter(args.iter()), |r| {
            let kind: String = r.get(4)?;
            Ok(StoredSubmission {
                id: r.get(0)?,
                submission: Submission {
                    app_id: r.get(1)?,
                    conf_id: r.get(2)?,
                    uc_id: r.get(3)?,
                    kind: SubmissionKind::parse(&kind).ok_or_else(|| {
                        rusqlite::Error::FromSqlConversionFailure(4, rusqlite::types::Type::Text, kind.clone().into())
                    })?,
                    event_type: r.get(5)?,
                    user_id: r.get(6)?,
                    remote_id: r.get(7)?,
                    connection_id: r.get(8)?,
                    timestamp_ms: r.get(9)?,
                    received_at_ms: r.get(10)?,
                    body: r.get(11)?,
                    body_len: r.get(12)?,
                    truncated: r.get(13)?,
                    // A BLOB (packed) or, in rows written before packing, TEXT.
                    derived: match r.get_ref(14)? {
                        rusqlite::types::ValueRef::Blob(b) | rusqlite::types::ValueRef::Text(b) => Some(b.to_vec()),
                        _ => None,
                    },
                },
            })
        })
        .map_err(db("submissions"))?;
    rows.collect::<rusqlite::Result<_>>().map_err(db("submissions"))
}

pub(crate) fn insert_admin_token(c: &Connection, hash: &[u8; 32], label: &str) -> Result<()> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
    c.execute("INSERT INTO admin_tokens (hash, label, created_at) VALUES (?1, ?2, ?3)", params![&hash[..], label, now])
        .map_err(db("admin token"))?;
    Ok(())
}

pub(crate) fn admin_token_exists(c: &Connection, hash: &[u8; 32]) -> Result<bool> {
    let mut st = c.prepare_cached("SELECT 1 FROM admin_tokens WHERE hash = ?1").map_err(db("admin token"))?;
    st.exists([&hash[..]]).map_err(db("admin token"))
}

pub(crate) fn claim_due_conferences(
    c: &Connection,
    idle_before: i64,
    now: i64,
    lease: i64,
    limit: u32,
) -> Result<Vec<DueConference>> {
    let mut st = c
        .prepare_cached(
            "UPDATE conferences SET close_lease_until = ?3
             WHERE id IN (SELECT id FROM conferences
                          WHERE closed_at IS NULL AND (last_seen <= ?1 OR ended_hint = 1) AND close_lease_until <= ?2
                          ORDER BY last_seen LIMIT ?4)
             RETURNING app_id, conf_id, last_seen",
        )
        .map_err(db("due conferences"))?;
    let rows = st
        .query_map(params![idle_before, now, now.saturating_add(lease), limit], |r| {
            Ok(DueConference { app_id: r.get(0)?, conf_id: r.get(1)?, last_seen: r.get(2)? })
        })
        .map_err(db("due conferences"))?;
    // RETURNING gives rows in no set order; oldest first, as documented.
    let mut due: Vec<DueConference> = rows.collect::<rusqlite::Result<_>>().map_err(db("due conferences"))?;
    due.sort_by_key(|d| d.last_seen);
    Ok(due)
}

pub(crate) fn claim_job(c: &Connection, name: &str, now: i64, lease: i64) -> Result<bool> {
    c.prepare_cached(
        "INSERT INTO job_leases (name, lease_until) VALUES (?1, ?3)
         ON CONFLICT (name) DO UPDATE SET lease_until = excluded.lease_until WHERE job_leases.lease_until <= ?2
         RETURNING name",
    )
    .and_then(|mut st| st.exists(params![name, now, now.saturating_add(lease)]))
    .map_err(db("claim job"))
}

pub(crate) fn release_conference(c: &Connection, app: AppId, conf: &str) -> Result<()> {
    c.prepare_cached("UPDATE conferences SET close_lease_until = 0 WHERE app_id = ?1 AND conf_id = ?2")
        .and_then(|mut st| st.execute(params![app, conf]))
        .map_err(db("release conference"))?;
    Ok(())
}

pub(crate) fn close_conference(
    c: &Connection,
    s: &SummaryRecord,
    expected_last_seen: i64,
    webhook: Option<&(String, String)>,
) -> Result<bool> {
    let id: Option<i64> = c
        .query_row(
            "SELECT id FROM conferences WHERE app_id = ?1 AND conf_id = ?2 AND last_seen = ?3 AND closed_at IS NULL",
            params![s.app_id, s.conf_id, expected_last_seen],
            |r| r.get(0),
        )
        .optional()
        .map_err(db("close conference"))?;
    let Some(id) = id else { return Ok(false) };
    // The rollups of the day it started on (and of the day a previous summary said) go stale.
    let previous_start: Option<i64> = c
        .query_row("SELECT start_ms FROM conference_summaries WHERE conference = ?1", [id], |r| r.get(0))
        .optional()
        .map_err(db("close conference"))?;
    let mut days = vec![utc_day(s.start_ms)];
    days.extend(previous_start.map(utc_day).filter(|d| *d != days[0]));
    for day in days {
        c.execute(
            "INSERT INTO day_versions (app_id, day, version) VALUES (?1, ?2, 1)
             ON CONFLICT (app_id, day) DO UPDATE SET version = version + 1",
            params![s.app_id, day],
        )
        .map_err(db("close conference"))?;
    }
    c.execute(
        "INSERT INTO conference_summaries (conference, app_id, closed_at, start_ms, end_ms, close_reason, setup_status,
             dropped, relayed, user_count, score, avg_mos, browsers, oses, facts)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
         ON CONFLICT (conference) DO UPDATE SET closed_at = excluded.closed_at, start_ms = excluded.start_ms,
             end_ms = excluded.end_ms, close_reason = excluded.close_reason, setup_status = excluded.setup_status,
             dropped = excluded.dropped, relayed = excluded.relayed, user_count = excluded.user_count,
             score = excluded.score, avg_mos = excluded.avg_mos, browsers = excluded.browsers, oses = excluded.oses,
             facts = excluded.facts",
        params![
            id,
            s.app_id,
            s.closed_at,
            s.start_ms,
            s.end_ms,
            s.close_reason,
            s.setup_status,
            s.dropped,
            s.relayed,
            s.user_count,
            s.score,
            s.avg_mos,
            json(&s.browsers),
            json(&s.oses),
            s.facts_json
        ],
    )
    .map_err(db("store summary"))?;
    c.execute(
        "INSERT INTO conference_summary_docs (conference, summary) VALUES (?1, ?2)
         ON CONFLICT (conference) DO UPDATE SET summary = excluded.summary",
        params![id, s.summary_json],
    )
    .map_err(db("store summary"))?;
    c.execute(
        "UPDATE conferences SET closed_at = ?2, ended_hint = 0, close_lease_until = 0 WHERE id = ?1",
        params![id, s.closed_at],
    )
    .map_err(db("close conference"))?;
    if let Some((url, payload)) = webhook {
        c.execute(
            "INSERT INTO webhook_deliveries (app_id, conf_id, url, payload, status, next_attempt_at, created_at)
             VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?5)",
            params![s.app_id, s.conf_id, url, payload, s.closed_at],
        )
        .map_err(db("enqueue webhook"))?;
    }
    Ok(true)
}

const DELIVERY_COLUMNS: &str = "id, app_id, conf_id, url, payload, status, attempts, next_attempt_at, last_status,
     last_error, created_at, delivered_at";

fn delivery_row(r: &Row<'_>) -> rusqlite::Result<WebhookDelivery> {
    Ok(WebhookDelivery {
        id: r.get(0)?,
        app_id: r.get(1)?,
        conf_id: r.get(2)?,
        url: r.get(3)?,
        payload: r.get(4)?,
        status: r.get(5)?,
        attempts: r.get(6)?,
        next_attempt_at: r.get(7)?,
        last_status: r.get(8)?,
        last_error: r.get(9)?,
        created_at: r.get(10)?,
        delivered_at: r.get(11)?,
    })
}

pub(crate) fn claim_deliveries(c: &Connection, now: i64, lease: i64, limit: u32) -> Result<Vec<WebhookDelivery>> {
    let mut st = c
        .prepare_cached(&format!(
            "UPDATE webhook_deliveries SET lease_until = ?2
             WHERE id IN (SELECT id FROM webhook_deliveries
                          WHERE status = 'pending' AND next_attempt_at <= ?1 AND lease_until <= ?1
                          ORDER BY next_attempt_at LIMIT ?3)
             RETURNING {DELIVERY_COLUMNS}"
        ))
        .map_err(db("claim deliveries"))?;
    let rows = st.query_map(params![now, now + lease, limit], delivery_row).map_err(db("claim deliveries"))?;
    rows.collect::<rusqlite::Result<_>>().map_err(db("claim deliveries"))
}

pub(crate) fn record_attempt(c: &Connection, a: &DeliveryAttempt) -> Result<()> {
    let status = if a.delivered {
        "delivered"
    } else if a.give_up {
        "failed"
    } else {
        "pending"
    };
    c.execute(
        "UPDATE webhook_deliveries SET status = ?2, attempts = attempts + 1, next_attempt_at = ?3, lease_until = 0,
             last_status = ?4, last_error = ?5, delivered_at = CASE WHEN ?2 = 'delivered' THEN ?6 ELSE delivered_at END
         WHERE id = ?1",
        params![a.id, status, a.next_attempt_at, a.status, a.error, a.at],
    )
    .map_err(db("record attempt"))?;
    Ok(())
}

pub(crate) fn deliveries(c: &Connection, app: AppId, limit: u32) -> Result<Vec<WebhookDelivery>> {
    let mut st = c
        .prepare_cached(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE app_id = ?1 ORDER BY id DESC LIMIT ?2"
        ))
        .map_err(db("deliveries"))?;
    let rows = st.query_map(params![app, limit], delivery_row).map_err(db("deliveries"))?;
    rows.collect::<rusqlite::Result<_>>().map_err(db("deliveries"))
}

pub(crate) fn delete_raw_samples(c: &Connection, app: AppId, before: i64) -> Result<u64> {
    let n = c
        .execute(
            "DELETE FROM submissions WHERE app_id = ?1 AND kind = 'stats' AND received_at < ?2
               AND conference IN (SELECT id FROM conferences WHERE app_id = ?1 AND closed_at IS NOT NULL)",
            params![app, before],
        )
        .map_err(db("retention"))?;
    Ok(n as u64)
}

const SUMMARY_COLUMNS: &str = "s.app_id, c.conf_id, s.closed_at, s.start_ms, s.end_ms, s.close_reason, s.setup_status,
     s.dropped, s.relayed, s.user_count, s.score, s.avg_mos, s.browsers, s.oses, d.summary, s.facts";
/// The same without the full summary, for aggregating many.
const SUMMARY_FACT_COLUMNS: &str = "s.app_id, c.conf_id, s.closed_at, s.start_ms, s.end_ms, s.close_reason,
     s.setup_status, s.dropped, s.relayed, s.user_count, s.score, s.avg_mos, s.browsers, s.oses, '', s.facts";

fn summary_row(r: &Row<'_>) -> rusqlite::Result<SummaryRecord> {
    let browsers: String = r.get(12)?;
    let oses: String = r.get(13)?;
    Ok(SummaryRecord {
        app_id: r.get(0)?,
        conf_id: r.get(1)?,
        closed_at: r.get(2)?,
        start_ms: r.get(3)?,
        end_ms: r.get(4)?,
        close_reason: r.get(5)?,
        setup_status: r.get(6)?,
        dropped: r.get(7)?,
        relayed: r.get(8)?,
        user_count: r.get(9)?,
        score: r.get(10)?,
        avg_mos: r.get(11)?,
        browsers: parse_json(&browsers, "browsers")?,
        oses: parse_json(&oses, "oses")?,
        summary_json: r.get(14)?,
        facts_json: r.get(15)?,
    })
}

pub(crate) fn summary(c: &Connection, app: AppId, conf: &str) -> Result<Option<SummaryRecord>> {
    let mut st = c
        .prepare_cached(&format!(
            "SELECT {SUMMARY_COLUMNS} FROM conference_summaries s JOIN conferences c ON c.id = s.conference
             JOIN conference_summary_docs d ON d.conference = s.conference
             WHERE c.app_id = ?1 AND c.conf_id = ?2"
        ))
        .map_err(db("summary"))?;
    st.query_row(params![app, conf], summary_row).optional().map_err(db("summary"))
}

pub(crate) fn summaries(c: &Connection, app: AppId, from: i64, to: i64) -> Result<Vec<SummaryRecord>> {
    let mut st = c
        .prepare_cached(&format!(
            "SELECT {SUMMARY_FACT_COLUMNS} FROM conference_summaries s JOIN conferences c ON c.id = s.conference
             WHERE s.app_id = ?1 AND s.start_ms >= ?2 AND s.start_ms < ?3 ORDER BY s.start_ms"
        ))
        .map_err(db("summaries"))?;
    let rows = st.query_map(params![app, from, to], summary_row).map_err(db("summaries"))?;
    rows.collect::<rusqlite::Result<_>>().map_err(db("summaries"))
}

pub(crate) fn rollups(
    c: &Connection,
    app: AppId,
    from_day: i64,
    to_day: i64,
    key: &str,
    prefix: bool,
) -> Result<Vec<DayRollup>> {
    // A current day with none of the keys still comes back (with no parts): it is known empty.
    let mut st = c
        .prepare_cached(
            "SELECT r.day, r.layout, p.key, p.partial FROM day_rollups r
             LEFT JOIN day_versions v ON v.app_id = r.app_id AND v.day = r.day
             LEFT JOIN day_rollup_parts p ON p.app_id = r.app_id AND p.day = r.day
                  AND (p.key = ?4 OR (?5 AND substr(p.key, 1, length(?4)) = ?4))
             WHERE r.app_id = ?1 AND r.day >= ?2 AND r.day < ?3 AND r.version = COALESCE(v.version, 0)
             ORDER BY r.day",
        )
        .map_err(db("rollups"))?;
    let rows = st
        .query_map(params![app, from_day, to_day, key, prefix], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .map_err(db("rollups"))?;
    Ok(DayRollup::group(rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db("rollups"))?))
}

pub(crate) fn stale_rollup_days(c: &Connection, app: AppId, from_day: i64, to_day: i64) -> Result<Vec<i64>> {
    let mut st = c
        .prepare_cached(
            "SELECT v.day FROM day_versions v
             LEFT JOIN day_rollups r ON r.app_id = v.app_id AND r.day = v.day
             WHERE v.app_id = ?1 AND v.day >= ?2 AND v.day < ?3 AND (r.version IS NULL OR r.version <> v.version)
             ORDER BY v.day",
        )
        .map_err(db("stale rollups"))?;
    let rows = st.query_map(params![app, from_day, to_day], |r| r.get(0)).map_err(db("stale rollups"))?;
    rows.collect::<rusqlite::Result<_>>().map_err(db("stale rollups"))
}

/// The day's version and summaries, read in one transaction so they agree.
pub(crate) fn day_summaries(c: &Connection, app: AppId, day: i64) -> Result<(i64, Vec<SummaryRecord>)> {
    let tx = c.unchecked_transaction().map_err(db("day summaries"))?;
    let version: i64 = tx
        .query_row("SELECT version FROM day_versions WHERE app_id = ?1 AND day = ?2", params![app, day], |r| r.get(0))
        .optional()
        .map_err(db("day summaries"))?
        .unwrap_or(0);
    let rows = summaries(&tx, app, day * DAY_MS, (day + 1) * DAY_MS)?;
    tx.finish().map_err(db("day summaries"))?;
    Ok((version, rows))
}

/// Replaces the day's rollup unless a newer one is stored already. The writer runs this inside
/// its transaction, so the row and its parts change together.
pub(crate) fn put_rollup(
    c: &Connection,
    app: AppId,
    day: i64,
    version: i64,
    layout: i64,
    parts: &[RollupPart],
) -> Result<()> {
    let taken = c
        .execute(
            "INSERT INTO day_rollups (app_id, day, version, layout) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (app_id, day) DO UPDATE SET version = excluded.version, layout = excluded.layout
             WHERE excluded.version >= day_rollups.version",
            params![app, day, version, layout],
        )
        .map_err(db("store rollup"))?;
    if taken > 0 {
        c.execute("DELETE FROM day_rollup_parts WHERE app_id = ?1 AND day = ?2", params![app, day])
            .map_err(db("store rollup"))?;
        let mut st = c
            .prepare_cached("INSERT INTO day_rollup_parts (app_id, day, key, partial) VALUES (?1, ?2, ?3, ?4)")
            .map_err(db("store rollup"))?;
        for p in parts {
            st.execute(params![app, day, p.key, p.partial]).map_err(db("store rollup"))?;
        }
    }
    Ok(())
}

pub(crate) fn activity(c: &Connection, app: AppId) -> Result<Vec<ActivityRow>> {
    let mut st = c
        .prepare_cached(
            "SELECT step, first_seen, last_seen, count FROM app_activity WHERE app_id = ?1 ORDER BY first_seen",
        )
        .map_err(db("activity"))?;
    let rows = st
        .query_map([app], |r| {
            Ok(ActivityRow { step: r.get(0)?, first_seen: r.get(1)?, last_seen: r.get(2)?, count: r.get(3)? })
        })
        .map_err(db("activity"))?;
    rows.collect::<rusqlite::Result<_>>().map_err(db("activity"))
}

pub(crate) fn create_user(c: &Connection, username: &str, hash: &str, now: i64) -> Result<i64> {
    c.execute(
        "INSERT INTO users (username, password_hash, created_at) VALUES (?1, ?2, ?3)",
        params![username, hash, now],
    )
    .map_err(db("user"))?;
    Ok(c.last_insert_rowid())
}

pub(crate) fn set_password(c: &Connection, username: &str, hash: &str) -> Result<()> {
    let n = c
        .execute("UPDATE users SET password_hash = ?2 WHERE username = ?1", params![username, hash])
        .map_err(db("password"))?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("user {username}")));
    }
    // A new password ends every session of the account.
    c.execute("DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = ?1)", [username])
        .map_err(db("password"))?;
    Ok(())
}

pub(crate) fn user(c: &Connection, username: &str) -> Result<Option<User>> {
    let mut st =
        c.prepare_cached("SELECT id, username, password_hash FROM users WHERE username = ?1").map_err(db("user"))?;
    st.query_row([username], |r| Ok(User { id: r.get(0)?, username: r.get(1)?, password_hash: r.get(2)? }))
        .optional()
        .map_err(db("user"))
}

pub(crate) fn user_count(c: &Connection) -> Result<u64> {
    c.query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0)).map_err(db("users"))
}

pub(crate) fn create_session(
    c: &Connection,
    hash: &[u8; 32],
    user: i64,
    csrf: &str,
    now: i64,
    expires: i64,
) -> Result<()> {
    c.execute(
        "INSERT INTO sessions (hash, user_id, csrf_token, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![&hash[..], user, csrf, now, expires],
    )
    .map_err(db("session"))?;
    c.execute("DELETE FROM sessions WHERE expires_at <= ?1", [now]).map_err(db("session cleanup"))?;
    Ok(())
}

pub(crate) fn session(c: &Connection, hash: &[u8; 32], now: i64) -> Result<Option<Session>> {
    let mut st = c
        .prepare_cached(
            "SELECT s.user_id, u.username, s.csrf_token, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.hash = ?1 AND s.expires_at > ?2",
        )
        .map_err(db("session"))?;
    st.query_row(params![&hash[..], now], |r| {
        Ok(Session { user_id: r.get(0)?, username: r.get(1)?, csrf_token: r.get(2)?, expires_at: r.get(3)? })
    })
    .optional()
    .map_err(db("session"))
}

pub(crate) fn delete_session(c: &Connection, hash: &[u8; 32]) -> Result<()> {
    c.execute("DELETE FROM sessions WHERE hash = ?1", [&hash[..]]).map_err(db("session"))?;
    Ok(())
}
