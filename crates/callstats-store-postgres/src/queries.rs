//! SQL of the PostgreSQL backend, one function per store operation, with the same semantics as
//! the SQLite backend's (its `queries.rs` is the model). Where several nodes could race, the
//! comment says what makes it safe.

use callstats_store::{
    ActivityRow, App, AppId, AppKey, ConferenceFilter, ConferenceRow, DAY_MS, DayRollup, DeliveryAttempt,
    DueConference, Participant, Result, RollupKeys, RollupPart, Session, StoreError, StoredSubmission, Submission,
    SubmissionKind, SubmissionQuery, SummaryRecord, User, WebhookDelivery, Write, utc_day,
};
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use crate::db;

type Param = Box<dyn ToSql + Sync + Send>;

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("store records serialise to JSON")
}

fn parse_json<T: serde::de::DeserializeOwned>(s: &str, what: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

fn get<'a, T: tokio_postgres::types::FromSql<'a>>(r: &'a Row, i: usize, what: &'static str) -> Result<T> {
    r.try_get(i).map_err(db(what))
}

fn unsigned<T: TryFrom<i64>>(v: i64, what: &str) -> Result<T> {
    T::try_from(v).map_err(|_| StoreError::Corrupt(format!("{what} {v} out of range")))
}

async fn query<C: GenericClient>(
    c: &C,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
    what: &'static str,
) -> Result<Vec<Row>> {
    let st = c.prepare_cached(sql).await.map_err(db(what))?;
    c.query(&st, params).await.map_err(db(what))
}

async fn execute<C: GenericClient>(
    c: &C,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
    what: &'static str,
) -> Result<u64> {
    let st = c.prepare_cached(sql).await.map_err(db(what))?;
    c.execute(&st, params).await.map_err(db(what))
}

fn boxed(params: &[Param]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| &**p as &(dyn ToSql + Sync)).collect()
}

const APP_COLUMNS: &str = "id, name, secret_sealed, origins, settings, created_at, webhook_secret_sealed";

fn app_row(r: &Row) -> Result<App> {
    Ok(App {
        id: get(r, 0, "app")?,
        name: get(r, 1, "app")?,
        secret_sealed: get(r, 2, "app")?,
        origins: parse_json(get(r, 3, "app")?, "origins")?,
        settings: parse_json(get(r, 4, "app")?, "settings")?,
        created_at_ms: get(r, 5, "app")?,
        webhook_secret_sealed: get(r, 6, "app")?,
    })
}

pub(crate) async fn insert_app<C: GenericClient>(c: &C, app: &App) -> Result<()> {
    execute(
        c,
        "INSERT INTO apps (id, name, secret_sealed, origins, settings, created_at, webhook_secret_sealed)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            &app.id,
            &app.name,
            &app.secret_sealed,
            &json(&app.origins),
            &json(&app.settings),
            &app.created_at_ms,
            &app.webhook_secret_sealed,
        ],
        "app",
    )
    .await?;
    Ok(())
}

pub(crate) async fn update_app<C: GenericClient>(c: &C, app: &App) -> Result<()> {
    let n = execute(
        c,
        "UPDATE apps SET name = $2, secret_sealed = $3, origins = $4, settings = $5, webhook_secret_sealed = $6
         WHERE id = $1",
        &[
            &app.id,
            &app.name,
            &app.secret_sealed,
            &json(&app.origins),
            &json(&app.settings),
            &app.webhook_secret_sealed,
        ],
        "update app",
    )
    .await?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("app {}", app.id)));
    }
    Ok(())
}

pub(crate) async fn apps<C: GenericClient>(c: &C) -> Result<Vec<App>> {
    query(c, &format!("SELECT {APP_COLUMNS} FROM apps ORDER BY id"), &[], "apps").await?.iter().map(app_row).collect()
}

pub(crate) async fn app<C: GenericClient>(c: &C, id: AppId) -> Result<Option<App>> {
    query(c, &format!("SELECT {APP_COLUMNS} FROM apps WHERE id = $1"), &[&id], "app")
        .await?
        .first()
        .map(app_row)
        .transpose()
}

pub(crate) async fn insert_app_key<C: GenericClient>(c: &C, k: &AppKey) -> Result<()> {
    execute(
        c,
        "INSERT INTO app_keys (app_id, key_id, algorithm, public_key_pem, created_at) VALUES ($1, $2, $3, $4, $5)",
        &[&k.app_id, &k.key_id, &k.algorithm, &k.public_key_pem, &k.created_at_ms],
        "app key",
    )
    .await?;
    Ok(())
}

pub(crate) async fn app_keys<C: GenericClient>(c: &C, app: AppId) -> Result<Vec<AppKey>> {
    query(
        c,
        "SELECT app_id, key_id, algorithm, public_key_pem, created_at FROM app_keys WHERE app_id = $1 ORDER BY key_id",
        &[&app],
        "app keys",
    )
    .await?
    .iter()
    .map(|r| {
        Ok(AppKey {
            app_id: get(r, 0, "app key")?,
            key_id: get(r, 1, "app key")?,
            algorithm: get(r, 2, "app key")?,
            public_key_pem: get(r, 3, "app key")?,
            created_at_ms: get(r, 4, "app key")?,
        })
    })
    .collect()
}

/// Finds or creates the conference row. The upsert locks the row until the transaction ends, so
/// a closer on another node that compares `last_seen` waits for this write and then sees it.
/// The conference row a write belongs to, created or touched: `$1` app, `$2` conference ID,
/// `$3` receive time, `$4` whether the write is an end event (user left, fabric terminated),
/// which asks the closer to look now. One text for `conference_key` and for the submission
/// insert that embeds it.
macro_rules! conference_upsert {
    () => {
        "INSERT INTO conferences (app_id, conf_id, first_seen, last_seen, ended_hint) VALUES ($1, $2, $3, $3, $4)
         ON CONFLICT (app_id, conf_id) DO UPDATE SET last_seen = GREATEST(conferences.last_seen, excluded.last_seen),
             -- Data arriving after the close reopens the conference and asks the closer to look
             -- again soon, instead of in 30 s.
             ended_hint = CASE WHEN conferences.closed_at IS NULL THEN conferences.ended_hint OR excluded.ended_hint
                               ELSE true END,
             closed_at = NULL
         RETURNING id"
    };
}

async fn conference_key<C: GenericClient>(c: &C, app: AppId, conf: &str, at: i64) -> Result<i64> {
    let rows = query(c, conference_upsert!(), &[&app, &conf, &at, &false], "conference").await?;
    get(rows.first().ok_or_else(|| StoreError::Corrupt("conference upsert returned no row".into()))?, 0, "conference")
}

pub(crate) async fn apply_write<C: GenericClient>(c: &C, w: &Write) -> Result<()> {
    match w {
        Write::Join(p) => {
            let conf = conference_key(c, p.app_id, &p.conf_id, p.received_at).await?;
            execute(
                c,
                "INSERT INTO participants (uc_id, app_id, conference, user_id, device_id, endpoint, sdk_version, joined_at, received_at, country)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                &[
                    &p.uc_id,
                    &p.app_id,
                    &conf,
                    &p.user_id,
                    &p.device_id,
                    &json(&p.endpoint),
                    &p.sdk_version,
                    &p.joined_at,
                    &p.received_at,
                    &p.country,
                ],
                "participant",
            )
            .await?;
            execute(
                c,
                "UPDATE conferences SET participant_count = participant_count + 1 WHERE id = $1",
                &[&conf],
                "participant count",
            )
            .await?;
        }
        Write::Activity { app_id, step, at_ms, count } => {
            execute(
                c,
                "INSERT INTO app_activity (app_id, step, first_seen, last_seen, count) VALUES ($1, $2, $3, $3, $4)
                 ON CONFLICT (app_id, step) DO UPDATE SET last_seen = GREATEST(app_activity.last_seen, excluded.last_seen),
                     count = app_activity.count + excluded.count",
                &[app_id, step, at_ms, &i64::from(*count)],
                "activity",
            )
            .await?;
        }
        Write::Hold { app_id, conf_id, until_ms } => {
            execute(
                c,
                "UPDATE conferences SET close_lease_until = GREATEST(close_lease_until, $3) WHERE app_id = $1 AND conf_id = $2",
                &[app_id, conf_id, until_ms],
                "hold conference",
            )
            .await?;
        }
        Write::Submission(s) => {
            let ends = matches!(s.event_type.as_str(), "userLeft" | "fabricTerminated");
            let body_len = i32::try_from(s.body_len).unwrap_or(i32::MAX);
            let kind = s.kind.as_str();
            let columns: [&(dyn ToSql + Sync); 13] = [
                &s.app_id,
                &s.uc_id,
                &kind,
                &s.event_type,
                &s.user_id,
                &s.remote_id,
                &s.connection_id,
                &s.timestamp_ms,
                &s.received_at_ms,
                &s.body,
                &body_len,
                &s.truncated,
                &s.derived,
            ];
            match &s.conf_id {
                // One statement, so a submission alone needs no explicit transaction: the
                // conference upsert feeds the insert.
                Some(conf) => {
                    let mut params: Vec<&(dyn ToSql + Sync)> = vec![&s.app_id, conf, &s.received_at_ms, &ends];
                    params.extend(&columns[1..]);
                    execute(
                        c,
                        concat!(
                            "WITH c AS (",
                            conference_upsert!(),
                            ")
                             INSERT INTO submissions (app_id, conference, uc_id, kind, event_type, user_id, remote_id, connection_id, ts, received_at, body, body_len, truncated, derived)
                             SELECT $1, c.id, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16 FROM c"
                        ),
                        &params,
                        "submission",
                    )
                    .await?;
                }
                None => {
                    execute(
                        c,
                        "INSERT INTO submissions (app_id, conference, uc_id, kind, event_type, user_id, remote_id, connection_id, ts, received_at, body, body_len, truncated, derived)
                         VALUES ($1, NULL, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                        &columns,
                        "submission",
                    )
                    .await?;
                }
            }
        }
    }
    Ok(())
}

const PARTICIPANT_COLUMNS: &str = "p.uc_id, p.app_id, c.conf_id, p.user_id, p.device_id, p.endpoint, p.sdk_version, p.joined_at, p.received_at, p.country";

fn participant_row(r: &Row) -> Result<Participant> {
    Ok(Participant {
        uc_id: get(r, 0, "participant")?,
        app_id: get(r, 1, "participant")?,
        conf_id: get(r, 2, "participant")?,
        user_id: get(r, 3, "participant")?,
        device_id: get(r, 4, "participant")?,
        endpoint: parse_json(get(r, 5, "participant")?, "endpoint")?,
        sdk_version: get(r, 6, "participant")?,
        joined_at: get(r, 7, "participant")?,
        received_at: get(r, 8, "participant")?,
        country: get(r, 9, "participant")?,
    })
}

pub(crate) async fn participant<C: GenericClient>(c: &C, uc: &str) -> Result<Option<Participant>> {
    query(
        c,
        &format!(
            "SELECT {PARTICIPANT_COLUMNS} FROM participants p JOIN conferences c ON c.id = p.conference WHERE p.uc_id = $1"
        ),
        &[&uc],
        "participant",
    )
    .await?
    .first()
    .map(participant_row)
    .transpose()
}

pub(crate) async fn participants<C: GenericClient>(c: &C, app: AppId, conf: &str) -> Result<Vec<Participant>> {
    query(
        c,
        &format!(
            "SELECT {PARTICIPANT_COLUMNS} FROM participants p JOIN conferences c ON c.id = p.conference
             WHERE c.app_id = $1 AND c.conf_id = $2 ORDER BY p.joined_at"
        ),
        &[&app, &conf],
        "participants",
    )
    .await?
    .iter()
    .map(participant_row)
    .collect()
}

const CONFERENCE_COLUMNS: &str = "c.app_id, c.conf_id, c.first_seen, c.last_seen, c.participant_count, c.closed_at,
     s.setup_status, s.score, s.avg_mos";

fn conference_row(r: &Row) -> Result<ConferenceRow> {
    Ok(ConferenceRow {
        app_id: get(r, 0, "conference")?,
        conf_id: get(r, 1, "conference")?,
        first_seen: get(r, 2, "conference")?,
        last_seen: get(r, 3, "conference")?,
        participant_count: unsigned(i64::from(get::<i32>(r, 4, "conference")?), "participant count")?,
        closed_at: get(r, 5, "conference")?,
        setup_status: get(r, 6, "conference")?,
        score: get(r, 7, "conference")?,
        avg_mos: get(r, 8, "conference")?,
    })
}

pub(crate) async fn conferences<C: GenericClient>(
    c: &C,
    app: AppId,
    f: &ConferenceFilter,
) -> Result<Vec<ConferenceRow>> {
    let mut sql = format!(
        "SELECT {CONFERENCE_COLUMNS} FROM conferences c LEFT JOIN conference_summaries s ON s.conference = c.id
         WHERE c.app_id = $1"
    );
    let mut args: Vec<Param> = vec![Box::new(app)];
    let mut arg = |sql: &mut String, clause: &str, v: Param| {
        args.push(v);
        sql.push_str(&clause.replace("$#", &format!("${}", args.len())));
    };
    if let Some(q) = f.q.as_deref().filter(|q| !q.is_empty()) {
        let escaped = q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        arg(&mut sql, " AND c.conf_id ILIKE $# ESCAPE '\\'", Box::new(format!("%{escaped}%")));
    }
    if let Some(u) = f.user.as_deref().filter(|u| !u.is_empty()) {
        arg(
            &mut sql,
            " AND c.id IN (SELECT conference FROM participants WHERE app_id = $1 AND user_id = $#)",
            Box::new(u.to_owned()),
        );
    }
    match f.status.as_deref() {
        None | Some("") => {}
        Some("ongoing") => sql.push_str(" AND c.closed_at IS NULL"),
        Some("closed") => sql.push_str(" AND c.closed_at IS NOT NULL"),
        Some(other) => {
            arg(&mut sql, " AND c.closed_at IS NOT NULL AND s.setup_status = $#", Box::new(other.to_owned()))
        }
    }
    if let Some(v) = f.min_score {
        arg(&mut sql, " AND s.score >= $#", Box::new(v));
    }
    if let Some(v) = f.max_score {
        arg(&mut sql, " AND s.score <= $#", Box::new(v));
    }
    if let Some(b) = f.browser.as_deref().filter(|b| !b.is_empty()) {
        arg(
            &mut sql,
            " AND EXISTS (SELECT 1 FROM jsonb_array_elements_text(s.browsers::jsonb) AS b(value)
                          WHERE lower(b.value) = lower($#))",
            Box::new(b.to_owned()),
        );
    }
    if let Some(v) = f.from {
        arg(&mut sql, " AND c.last_seen >= $#", Box::new(v));
    }
    if let Some(v) = f.to {
        arg(&mut sql, " AND c.last_seen < $#", Box::new(v));
    }
    let limit = f.limit.unwrap_or(100).clamp(1, 1000);
    sql.push_str(&format!(" ORDER BY c.last_seen DESC LIMIT {limit}"));
    query(c, &sql, &boxed(&args), "conferences").await?.iter().map(conference_row).collect()
}

pub(crate) async fn conference<C: GenericClient>(c: &C, app: AppId, conf: &str) -> Result<Option<ConferenceRow>> {
    query(
        c,
        &format!(
            "SELECT {CONFERENCE_COLUMNS} FROM conferences c LEFT JOIN conference_summaries s ON s.conference = c.id
             WHERE c.app_id = $1 AND c.conf_id = $2"
        ),
        &[&app, &conf],
        "conference",
    )
    .await?
    .first()
    .map(conference_row)
    .transpose()
}

pub(crate) async fn submissions<C: GenericClient>(c: &C, q: &SubmissionQuery) -> Result<Vec<StoredSubmission>> {
    let body = if q.with_body { "s.body" } else { "''::bytea" };
    let mut sql = format!(
        "SELECT s.id, s.app_id, c.conf_id, s.uc_id, s.kind, s.event_type, s.user_id, s.remote_id, s.connection_id,
                s.ts, s.received_at, {body}, s.body_len, s.truncated, s.derived
         FROM submissions s LEFT JOIN conferences c ON c.id = s.conference WHERE "
    );
    let mut args: Vec<Param> = vec![Box::new(q.app_id)];
    match &q.conf_id {
        Some(conf) => {
            sql.push_str("s.conference = (SELECT id FROM conferences WHERE app_id = $1 AND conf_id = $2)");
            args.push(Box::new(conf.clone()));
        }
        None => sql.push_str("s.app_id = $1 AND s.conference IS NULL"),
    }
    if !q.kinds.is_empty() {
        let kinds: Vec<String> = q.kinds.iter().map(|k| k.as_str().to_owned()).collect();
        args.push(Box::new(kinds));
        sql.push_str(&format!(" AND s.kind = ANY(${})", args.len()));
    }
    if let Some(conn_id) = &q.connection_id {
        args.push(Box::new(conn_id.clone()));
        sql.push_str(&format!(" AND s.connection_id = ${}", args.len()));
    }
    sql.push_str(" ORDER BY s.id");
    if q.limit > 0 {
        sql.push_str(&format!(" LIMIT {}", q.limit));
    }
    query(c, &sql, &boxed(&args), "submissions")
        .await?
        .iter()
        .map(|r| {
            let kind: String = get(r, 4, "submission")?;
            Ok(StoredSubmission {
                id: get(r, 0, "submission")?,
                submission: Submission {
                    app_id: get(r, 1, "submission")?,
                    conf_id: get(r, 2, "submission")?,
                    uc_id: get(r, 3, "submission")?,
                    kind: SubmissionKind::parse(&kind)
                        .ok_or_else(|| StoreError::Corrupt(format!("unknown submission kind {kind}")))?,
                    event_type: get(r, 5, "submission")?,
                    user_id: get(r, 6, "submission")?,
                    remote_id: get(r, 7, "submission")?,
                    connection_id: get(r, 8, "submission")?,
                    timestamp_ms: get(r, 9, "submission")?,
                    received_at_ms: get(r, 10, "submission")?,
                    body: get(r, 11, "submission")?,
                    body_len: unsigned(i64::from(get::<i32>(r, 12, "submission")?), "body length")?,
                    truncated: get(r, 13, "submission")?,
                    derived: get(r, 14, "submission")?,
                },
            })
        })
        .collect()
}

pub(crate) async fn insert_admin_token<C: GenericClient>(c: &C, hash: &[u8; 32], label: &str) -> Result<()> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
    execute(
        c,
        "INSERT INTO admin_tokens (hash, label, created_at) VALUES ($1, $2, $3)",
        &[&&hash[..], &label, &now],
        "admin token",
    )
    .await?;
    Ok(())
}

pub(crate) async fn admin_token_exists<C: GenericClient>(c: &C, hash: &[u8; 32]) -> Result<bool> {
    Ok(!query(c, "SELECT 1 FROM admin_tokens WHERE hash = $1", &[&&hash[..]], "admin token").await?.is_empty())
}

/// Rows another node is claiming right now are skipped rather than waited for (`SKIP LOCKED`);
/// rows it holds a lease on are skipped by the lease.
pub(crate) async fn claim_due_conferences<C: GenericClient>(
    c: &C,
    idle_before: i64,
    now: i64,
    lease: i64,
    limit: u32,
) -> Result<Vec<DueConference>> {
    let mut due = query(
        c,
        "UPDATE conferences SET close_lease_until = $3
         WHERE id IN (SELECT id FROM conferences
                      WHERE closed_at IS NULL AND (last_seen <= $1 OR ended_hint) AND close_lease_until <= $2
                      ORDER BY last_seen LIMIT $4
                      FOR UPDATE SKIP LOCKED)
         RETURNING app_id, conf_id, last_seen",
        &[&idle_before, &now, &now.saturating_add(lease), &i64::from(limit)],
        "due conferences",
    )
    .await?
    .iter()
    .map(|r| {
        Ok(DueConference {
            app_id: get(r, 0, "due conference")?,
            conf_id: get(r, 1, "due conference")?,
            last_seen: get(r, 2, "due conference")?,
        })
    })
    .collect::<Result<Vec<_>>>()?;
    // RETURNING gives rows in no set order; oldest first, as documented.
    due.sort_by_key(|d| d.last_seen);
    Ok(due)
}

/// The upsert's row lock makes a second claimer wait for the first to commit, then see its lease.
pub(crate) async fn claim_job<C: GenericClient>(c: &C, name: &str, now: i64, lease: i64) -> Result<bool> {
    let rows = query(
        c,
        "INSERT INTO job_leases (name, lease_until) VALUES ($1, $3)
         ON CONFLICT (name) DO UPDATE SET lease_until = excluded.lease_until WHERE job_leases.lease_until <= $2
         RETURNING name",
        &[&name, &now, &now.saturating_add(lease)],
        "claim job",
    )
    .await?;
    Ok(!rows.is_empty())
}

pub(crate) async fn release_conference<C: GenericClient>(c: &C, app: AppId, conf: &str) -> Result<()> {
    c.execute("UPDATE conferences SET close_lease_until = 0 WHERE app_id = $1 AND conf_id = $2", &[&app, &conf])
        .await
        .map_err(db("release conference"))?;
    Ok(())
}

/// Closes a conference inside the caller's transaction. The first statement is the
/// compare-and-set: it locks the conference row, so a second node closing the same conference
/// waits, re-reads the row after this commit, finds it closed (or seen later) and changes
/// nothing; a write of new data waits too and then reopens it. Exactly one close wins.
pub(crate) async fn close_conference<C: GenericClient>(
    c: &C,
    s: &SummaryRecord,
    expected_last_seen: i64,
    webhook: Option<&(String, String)>,
) -> Result<bool> {
    let rows = query(
        c,
        "UPDATE conferences SET closed_at = $4, ended_hint = false, close_lease_until = 0
         WHERE app_id = $1 AND conf_id = $2 AND last_seen = $3 AND closed_at IS NULL
         RETURNING id",
        &[&s.app_id, &s.conf_id, &expected_last_seen, &s.closed_at],
        "close conference",
    )
    .await?;
    let Some(row) = rows.first() else { return Ok(false) };
    let id: i64 = get(row, 0, "close conference")?;
    // The rollups of the day it started on (and of the day a previous summary said) go stale.
    let previous_start: Option<i64> =
        query(c, "SELECT start_ms FROM conference_summaries WHERE conference = $1", &[&id], "close conference")
            .await?
            .first()
            .map(|r| get(r, 0, "close conference"))
            .transpose()?;
    let mut days = vec![utc_day(s.start_ms)];
    days.extend(previous_start.map(utc_day).filter(|d| *d != days[0]));
    for day in days {
        execute(
            c,
            "INSERT INTO day_versions (app_id, day, version) VALUES ($1, $2, 1)
             ON CONFLICT (app_id, day) DO UPDATE SET version = day_versions.version + 1",
            &[&s.app_id, &day],
            "close conference",
        )
        .await?;
    }
    let user_count = i32::try_from(s.user_count).unwrap_or(i32::MAX);
    execute(
        c,
        "INSERT INTO conference_summaries (conference, app_id, closed_at, start_ms, end_ms, close_reason, setup_status,
             dropped, relayed, user_count, score, avg_mos, browsers, oses, facts)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
         ON CONFLICT (conference) DO UPDATE SET closed_at = excluded.closed_at, start_ms = excluded.start_ms,
             end_ms = excluded.end_ms, close_reason = excluded.close_reason, setup_status = excluded.setup_status,
             dropped = excluded.dropped, relayed = excluded.relayed, user_count = excluded.user_count,
             score = excluded.score, avg_mos = excluded.avg_mos, browsers = excluded.browsers, oses = excluded.oses,
             facts = excluded.facts",
        &[
            &id,
            &s.app_id,
            &s.closed_at,
            &s.start_ms,
            &s.end_ms,
            &s.close_reason,
            &s.setup_status,
            &s.dropped,
            &s.relayed,
            &user_count,
            &s.score,
            &s.avg_mos,
            &json(&s.browsers),
            &json(&s.oses),
            &s.facts_json,
        ],
        "store summary",
    )
    .await?;
    execute(
        c,
        "INSERT INTO conference_summary_docs (conference, summary) VALUES ($1, $2)
         ON CONFLICT (conference) DO UPDATE SET summary = excluded.summary",
        &[&id, &s.summary_json],
        "store summary",
    )
    .await?;
    if let Some((url, payload)) = webhook {
        execute(
            c,
            "INSERT INTO webhook_deliveries (app_id, conf_id, url, payload, status, next_attempt_at, created_at)
             VALUES ($1, $2, $3, $4, 'pending', $5, $5)",
            &[&s.app_id, &s.conf_id, url, payload, &s.closed_at],
            "enqueue webhook",
        )
        .await?;
    }
    Ok(true)
}

const DELIVERY_COLUMNS: &str = "id, app_id, conf_id, url, payload, status, attempts, next_attempt_at, last_status,
     last_error, created_at, delivered_at";

fn delivery_row(r: &Row) -> Result<WebhookDelivery> {
    Ok(WebhookDelivery {
        id: get(r, 0, "delivery")?,
        app_id: get(r, 1, "delivery")?,
        conf_id: get(r, 2, "delivery")?,
        url: get(r, 3, "delivery")?,
        payload: get(r, 4, "delivery")?,
        status: get(r, 5, "delivery")?,
        attempts: unsigned(i64::from(get::<i32>(r, 6, "delivery")?), "attempts")?,
        next_attempt_at: get(r, 7, "delivery")?,
        last_status: get::<Option<i32>>(r, 8, "delivery")?
            .map(|v| unsigned(i64::from(v), "HTTP status"))
            .transpose()?,
        last_error: get(r, 9, "delivery")?,
        created_at: get(r, 10, "delivery")?,
        delivered_at: get(r, 11, "delivery")?,
    })
}

/// Leases due deliveries. `FOR UPDATE SKIP LOCKED` lets nodes claiming at the same moment take
/// disjoint rows instead of waiting for each other; the lease keeps them from being claimed again
/// until it runs out (a node that dies mid-attempt leaves them to be retried after it).
pub(crate) async fn claim_deliveries<C: GenericClient>(
    c: &C,
    now: i64,
    lease: i64,
    limit: u32,
) -> Result<Vec<WebhookDelivery>> {
    let mut out = query(
        c,
        &format!(
            "UPDATE webhook_deliveries SET lease_until = $2
             WHERE id IN (SELECT id FROM webhook_deliveries
                          WHERE status = 'pending' AND next_attempt_at <= $1 AND lease_until <= $1
                          ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED)
             RETURNING {DELIVERY_COLUMNS}"
        ),
        &[&now, &(now + lease), &i64::from(limit)],
        "claim deliveries",
    )
    .await?
    .iter()
    .map(delivery_row)
    .collect::<Result<Vec<_>>>()?;
    out.sort_by_key(|d| (d.next_attempt_at, d.id));
    Ok(out)
}

pub(crate) async fn record_attempt<C: GenericClient>(c: &C, a: &DeliveryAttempt) -> Result<()> {
    let status = if a.delivered {
        "delivered"
    } else if a.give_up {
        "failed"
    } else {
        "pending"
    };
    execute(
        c,
        "UPDATE webhook_deliveries SET status = $2, attempts = attempts + 1, next_attempt_at = $3, lease_until = 0,
             last_status = $4, last_error = $5,
             delivered_at = CASE WHEN $2 = 'delivered' THEN $6 ELSE delivered_at END
         WHERE id = $1",
        &[&a.id, &status, &a.next_attempt_at, &a.status.map(i32::from), &a.error, &a.at],
        "record attempt",
    )
    .await?;
    Ok(())
}

pub(crate) async fn deliveries<C: GenericClient>(c: &C, app: AppId, limit: u32) -> Result<Vec<WebhookDelivery>> {
    query(
        c,
        &format!("SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE app_id = $1 ORDER BY id DESC LIMIT $2"),
        &[&app, &i64::from(limit)],
        "deliveries",
    )
    .await?
    .iter()
    .map(delivery_row)
    .collect()
}

/// Row deletes for the per-app part of retention. Partition pruning on `received_at` keeps this
/// to the days that have not been dropped whole yet.
pub(crate) async fn delete_raw_samples<C: GenericClient>(c: &C, app: AppId, before: i64) -> Result<u64> {
    execute(
        c,
        "DELETE FROM submissions WHERE app_id = $1 AND kind = 'stats' AND received_at < $2
           AND conference IN (SELECT id FROM conferences WHERE app_id = $1 AND closed_at IS NOT NULL)",
        &[&app, &before],
        "retention",
    )
    .await
}

const SUMMARY_COLUMNS: &str = "s.app_id, c.conf_id, s.closed_at, s.start_ms, s.end_ms, s.close_reason, s.setup_status,
     s.dropped, s.relayed, s.user_count, s.score, s.avg_mos, s.browsers, s.oses, d.summary, s.facts";
/// The same without the full summary, for aggregating many.
const SUMMARY_FACT_COLUMNS: &str = "s.app_id, c.conf_id, s.closed_at, s.start_ms, s.end_ms, s.close_reason,
     s.setup_status, s.dropped, s.relayed, s.user_count, s.score, s.avg_mos, s.browsers, s.oses, ''::text, s.facts";

fn summary_row(r: &Row) -> Result<SummaryRecord> {
    Ok(SummaryRecord {
        app_id: get(r, 0, "summary")?,
        conf_id: get(r, 1, "summary")?,
        closed_at: get(r, 2, "summary")?,
        start_ms: get(r, 3, "summary")?,
        end_ms: get(r, 4, "summary")?,
        close_reason: get(r, 5, "summary")?,
        setup_status: get(r, 6, "summary")?,
        dropped: get(r, 7, "summary")?,
        relayed: get(r, 8, "summary")?,
        user_count: unsigned(i64::from(get::<i32>(r, 9, "summary")?), "user count")?,
        score: get(r, 10, "summary")?,
        avg_mos: get(r, 11, "summary")?,
        browsers: parse_json(get(r, 12, "summary")?, "browsers")?,
        oses: parse_json(get(r, 13, "summary")?, "oses")?,
        summary_json: get(r, 14, "summary")?,
        facts_json: get(r, 15, "summary")?,
    })
}

pub(crate) async fn summary<C: GenericClient>(c: &C, app: AppId, conf: &str) -> Result<Option<SummaryRecord>> {
    query(
        c,
        &format!(
            "SELECT {SUMMARY_COLUMNS} FROM conference_summaries s JOIN conferences c ON c.id = s.conference
             JOIN conference_summary_docs d ON d.conference = s.conference
             WHERE c.app_id = $1 AND c.conf_id = $2"
        ),
        &[&app, &conf],
        "summary",
    )
    .await?
    .first()
    .map(summary_row)
    .transpose()
}

pub(crate) async fn summaries<C: GenericClient>(c: &C, app: AppId, from: i64, to: i64) -> Result<Vec<SummaryRecord>> {
    query(
        c,
        &format!(
            "SELECT {SUMMARY_FACT_COLUMNS} FROM conference_summaries s JOIN conferences c ON c.id = s.conference
             WHERE s.app_id = $1 AND s.start_ms >= $2 AND s.start_ms < $3 ORDER BY s.start_ms"
        ),
        &[&app, &from, &to],
        "summaries",
    )
    .await?
    .iter()
    .map(summary_row)
    .collect()
}

pub(crate) async fn rollups<C: GenericClient>(
    c: &C,
    app: AppId,
    from_day: i64,
    to_day: i64,
    keys: RollupKeys<'_>,
) -> Result<Vec<DayRollup>> {
    let (key, prefix) = keys.as_query();
    // A current day with none of the keys still comes back (with no parts): it is known empty.
    let rows = query(
        c,
        "SELECT r.day, r.layout, p.key, p.partial FROM day_rollups r
         LEFT JOIN day_versions v ON v.app_id = r.app_id AND v.day = r.day
         LEFT JOIN day_rollup_parts p ON p.app_id = r.app_id AND p.day = r.day
              AND (p.key = $4 OR ($5 AND starts_with(p.key, $4)))
         WHERE r.app_id = $1 AND r.day >= $2 AND r.day < $3 AND r.version = COALESCE(v.version, 0)
         ORDER BY r.day",
        &[&app, &from_day, &to_day, &key, &prefix],
        "rollups",
    )
    .await?;
    let rows = rows
        .iter()
        .map(|r| Ok((get(r, 0, "rollup")?, get(r, 1, "rollup")?, get(r, 2, "rollup")?, get(r, 3, "rollup")?)))
        .collect::<Result<Vec<_>>>()?;
    Ok(DayRollup::group(rows))
}

pub(crate) async fn stale_rollup_days<C: GenericClient>(
    c: &C,
    app: AppId,
    from_day: i64,
    to_day: i64,
) -> Result<Vec<i64>> {
    query(
        c,
        "SELECT v.day FROM day_versions v
         LEFT JOIN day_rollups r ON r.app_id = v.app_id AND r.day = v.day
         WHERE v.app_id = $1 AND v.day >= $2 AND v.day < $3 AND (r.version IS NULL OR r.version <> v.version)
         ORDER BY v.day",
        &[&app, &from_day, &to_day],
        "stale rollups",
    )
    .await?
    .iter()
    .map(|r| get(r, 0, "stale rollups"))
    .collect()
}

/// The day's version and summaries; the caller runs this in one repeatable-read snapshot.
pub(crate) async fn day_summaries<C: GenericClient>(c: &C, app: AppId, day: i64) -> Result<(i64, Vec<SummaryRecord>)> {
    let version =
        query(c, "SELECT version FROM day_versions WHERE app_id = $1 AND day = $2", &[&app, &day], "day summaries")
            .await?
            .first()
            .map(|r| get(r, 0, "day summaries"))
            .transpose()?
            .unwrap_or(0);
    Ok((version, summaries(c, app, day * DAY_MS, (day + 1) * DAY_MS).await?))
}

/// Replaces the day's rollup unless a newer one is stored already; the caller's transaction
/// makes the row and its parts change together.
pub(crate) async fn put_rollup<C: GenericClient>(
    c: &C,
    app: AppId,
    day: i64,
    version: i64,
    layout: i64,
    parts: &[RollupPart],
) -> Result<()> {
    let taken = execute(
        c,
        "INSERT INTO day_rollups (app_id, day, version, layout) VALUES ($1, $2, $3, $4)
         ON CONFLICT (app_id, day) DO UPDATE SET version = excluded.version, layout = excluded.layout
         WHERE excluded.version >= day_rollups.version",
        &[&app, &day, &version, &layout],
        "store rollup",
    )
    .await?;
    if taken > 0 {
        execute(c, "DELETE FROM day_rollup_parts WHERE app_id = $1 AND day = $2", &[&app, &day], "store rollup")
            .await?;
        let keys: Vec<&str> = parts.iter().map(|p| p.key.as_str()).collect();
        let partials: Vec<&str> = parts.iter().map(|p| p.partial.as_str()).collect();
        execute(
            c,
            "INSERT INTO day_rollup_parts (app_id, day, key, partial)
             SELECT $1, $2, k, p FROM unnest($3::text[], $4::text[]) AS t(k, p)",
            &[&app, &day, &keys, &partials],
            "store rollup",
        )
        .await?;
    }
    Ok(())
}

pub(crate) async fn activity<C: GenericClient>(c: &C, app: AppId) -> Result<Vec<ActivityRow>> {
    query(
        c,
        "SELECT step, first_seen, last_seen, count FROM app_activity WHERE app_id = $1 ORDER BY first_seen",
        &[&app],
        "activity",
    )
    .await?
    .iter()
    .map(|r| {
        Ok(ActivityRow {
            step: get(r, 0, "activity")?,
            first_seen: get(r, 1, "activity")?,
            last_seen: get(r, 2, "activity")?,
            count: unsigned(get(r, 3, "activity")?, "activity count")?,
        })
    })
    .collect()
}

pub(crate) async fn create_user<C: GenericClient>(c: &C, username: &str, hash: &str, now: i64) -> Result<i64> {
    let rows = query(
        c,
        "INSERT INTO users (username, password_hash, created_at) VALUES ($1, $2, $3) RETURNING id",
        &[&username, &hash, &now],
        "user",
    )
    .await?;
    get(rows.first().ok_or_else(|| StoreError::Corrupt("user insert returned no row".into()))?, 0, "user")
}

pub(crate) async fn set_password<C: GenericClient>(c: &C, username: &str, hash: &str) -> Result<()> {
    let n =
        execute(c, "UPDATE users SET password_hash = $2 WHERE username = $1", &[&username, &hash], "password").await?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("user {username}")));
    }
    // A new password ends every session of the account.
    execute(
        c,
        "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = $1)",
        &[&username],
        "password",
    )
    .await?;
    Ok(())
}

pub(crate) async fn user<C: GenericClient>(c: &C, username: &str) -> Result<Option<User>> {
    query(c, "SELECT id, username, password_hash FROM users WHERE username = $1", &[&username], "user")
        .await?
        .first()
        .map(|r| Ok(User { id: get(r, 0, "user")?, username: get(r, 1, "user")?, password_hash: get(r, 2, "user")? }))
        .transpose()
}

pub(crate) async fn user_count<C: GenericClient>(c: &C) -> Result<u64> {
    let rows = query(c, "SELECT COUNT(*) FROM users", &[], "users").await?;
    unsigned(
        get(rows.first().ok_or_else(|| StoreError::Corrupt("count returned no row".into()))?, 0, "users")?,
        "users",
    )
}

pub(crate) async fn create_session<C: GenericClient>(
    c: &C,
    hash: &[u8; 32],
    user: i64,
    csrf: &str,
    now: i64,
    expires: i64,
) -> Result<()> {
    execute(
        c,
        "INSERT INTO sessions (hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        &[&&hash[..], &user, &csrf, &now, &expires],
        "session",
    )
    .await?;
    execute(c, "DELETE FROM sessions WHERE expires_at <= $1", &[&now], "session cleanup").await?;
    Ok(())
}

pub(crate) async fn session<C: GenericClient>(c: &C, hash: &[u8; 32], now: i64) -> Result<Option<Session>> {
    query(
        c,
        "SELECT s.user_id, u.username, s.csrf_token, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.hash = $1 AND s.expires_at > $2",
        &[&&hash[..], &now],
        "session",
    )
    .await?
    .first()
    .map(|r| {
        Ok(Session {
            user_id: get(r, 0, "session")?,
            username: get(r, 1, "session")?,
            csrf_token: get(r, 2, "session")?,
            expires_at: get(r, 3, "session")?,
        })
    })
    .transpose()
}

pub(crate) async fn delete_session<C: GenericClient>(c: &C, hash: &[u8; 32]) -> Result<()> {
    execute(c, "DELETE FROM sessions WHERE hash = $1", &[&&hash[..]], "session").await?;
    Ok(())
}
