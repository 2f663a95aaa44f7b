#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod migrate;
mod queries;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use callstats_store::{
    ActivityRow, App, AppId, AppKey, ConferenceFilter, ConferenceRow, DayRollup, DeliveryAttempt, DueConference,
    Participant, Result, RollupKeys, RollupPart, Session, Store, StoreError, StoredSubmission, SubmissionQuery,
    SummaryRecord, User, WebhookDelivery, Write,
};
use rusqlite::{Connection, OpenFlags};

use writer::Writer;

/// The SQLite-backed store.
pub struct SqliteStore {
    path: PathBuf,
    writer: Writer,
    readers: Arc<Mutex<Vec<Connection>>>,
}

/// Sets the pragmas every connection needs. Each one is here for durability or concurrency:
fn configure(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        // WAL: readers never block the writer and a commit is one sequential append.
        // synchronous=FULL: every commit fsyncs the WAL, so an acknowledged request survives
        //   power loss, not just a killed process (NORMAL would only survive kill -9). Group
        //   commit shares that fsync between all requests in a batch.
        // busy_timeout: the CLI (`callstats app create`) may write while a server runs.
        // foreign_keys: participants and submissions must point at a real conference.
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA busy_timeout = 5000;
         PRAGMA foreign_keys = ON;",
    )
    .map_err(|e| StoreError::backend("configure connection", e))
}

/// A failure that the database may get over without us (a full disk, an I/O error, a lock held
/// too long) is `Unavailable`, naming the cause, so the caller is told to retry later (503 with
/// `Retry-After`); the next write succeeds once space is freed, without a restart. Anything
/// else is returned as it is.
pub(crate) fn unavailable_if_transient(e: StoreError) -> StoreError {
    use rusqlite::ErrorCode as C;
    let StoreError::Backend { context, source } = &e else { return e };
    let cause = match source.downcast_ref::<rusqlite::Error>().and_then(rusqlite::Error::sqlite_error_code) {
        Some(C::DiskFull) => "the disk (or the database's size limit) is full",
        Some(C::SystemIoFailure) => "a disk I/O error",
        Some(C::DatabaseBusy | C::DatabaseLocked) => "the database is locked by another process",
        Some(C::ReadOnly) => "the database is read-only",
        Some(C::CannotOpen) => "the database file cannot be opened",
        _ => return e,
    };
    StoreError::Unavailable { reason: format!("{cause} ({context})") }
}

impl SqliteStore {
    /// Lets the database file grow by at most `pages` more pages (`PRAGMA max_page_count` on
    /// the writer's connection), or with `None` as far as SQLite allows. A write beyond fails
    /// as on a full disk; tests use it to run out of space without filling a disk.
    pub async fn limit_growth(&self, pages: Option<u64>) -> Result<()> {
        self.writer
            .exec(move |conn| {
                let now: u64 = conn
                    .query_row("PRAGMA page_count", [], |r| r.get(0))
                    .map_err(|e| StoreError::backend("page count", e))?;
                let max = pages.map_or(u64::from(u32::MAX - 1), |p| now + p);
                conn.query_row(&format!("PRAGMA max_page_count = {max}"), [], |_| Ok(()))
                    .map_err(|e| StoreError::backend("limit growth", e))
            })
            .await
    }

    /// Opens (creating if missing) the database file, migrates it, and starts the writer.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::backend(format!("create {}", dir.display()), e))?;
        }
        let mut conn =
            Connection::open(&path).map_err(|e| StoreError::backend(format!("open {}", path.display()), e))?;
        configure(&conn)?;
        migrate::run(&mut conn)?;
        Ok(SqliteStore { writer: Writer::start(conn)?, readers: Arc::new(Mutex::new(Vec::new())), path })
    }

    /// Runs `f` on a pooled read-only connection off the async runtime.
    async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let readers = Arc::clone(&self.readers);
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            let pooled = readers.lock().expect("reader pool lock is never held across a panic").pop();
            let conn = match pooled {
                Some(c) => c,
                None => {
                    let c = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY)
                        .map_err(|e| StoreError::backend("open reader", e))?;
                    c.execute_batch("PRAGMA busy_timeout = 5000;")
                        .map_err(|e| StoreError::backend("configure reader", e))?;
                    c
                }
            };
            let out = f(&conn);
            readers.lock().expect("reader pool lock is never held across a panic").push(conn);
            out
        })
        .await
        .map_err(|e| StoreError::backend("reader task", e))?
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn create_app(&self, app: &App) -> Result<()> {
        let app = app.clone();
        self.writer.exec(move |c| queries::insert_app(c, &app)).await
    }

    async fn apps(&self) -> Result<Vec<App>> {
        self.read(queries::apps).await
    }

    async fn app(&self, id: AppId) -> Result<Option<App>> {
        self.read(move |c| queries::app(c, id)).await
    }

    async fn update_app(&self, app: &App) -> Result<()> {
        let app = app.clone();
        self.writer.exec(move |c| queries::update_app(c, &app)).await
    }

    async fn add_app_key(&self, key: &AppKey) -> Result<()> {
        let key = key.clone();
        self.writer.exec(move |c| queries::insert_app_key(c, &key)).await
    }

    async fn app_keys(&self, app: AppId) -> Result<Vec<AppKey>> {
        self.read(move |c| queries::app_keys(c, app)).await
    }

    async fn write(&self, batch: Vec<Write>) -> Result<()> {
        self.writer.write(batch).await
    }

    async fn participant(&self, uc_id: &str) -> Result<Option<Participant>> {
        let uc = uc_id.to_owned();
        self.read(move |c| queries::participant(c, &uc)).await
    }

    async fn participants(&self, app: AppId, conf_id: &str) -> Result<Vec<Participant>> {
        let conf = conf_id.to_owned();
        self.read(move |c| queries::participants(c, app, &conf)).await
    }

    async fn conferences(&self, app: AppId, filter: &ConferenceFilter) -> Result<Vec<ConferenceRow>> {
        let f = filter.clone();
        self.read(move |c| queries::conferences(c, app, &f)).await
    }

    async fn conference(&self, app: AppId, conf_id: &str) -> Result<Option<ConferenceRow>> {
        let conf = conf_id.to_owned();
        self.read(move |c| queries::conference(c, app, &conf)).await
    }

    async fn submissions(&self, query: &SubmissionQuery) -> Result<Vec<StoredSubmission>> {
        let q = query.clone();
        self.read(move |c| queries::submissions(c, &q)).await
    }

    async fn claim_due_conferences(
        &self,
        idle_before_ms: i64,
        now_ms: i64,
        lease_ms: i64,
        limit: u32,
    ) -> Result<Vec<DueConference>> {
        self.writer.exec(move |c| queries::claim_due_conferences(c, idle_before_ms, now_ms, lease_ms, limit)).await
    }

    async fn claim_job(&self, name: &str, now_ms: i64, lease_ms: i64) -> Result<bool> {
        let name = name.to_owned();
        self.writer.exec(move |c| queries::claim_job(c, &name, now_ms, lease_ms)).await
    }

    async fn release_conference(&self, app: AppId, conf_id: &str) -> Result<()> {
        let conf = conf_id.to_owned();
        self.writer.exec(move |c| queries::release_conference(c, app, &conf)).await
    }

    async fn close_conference(
        &self,
        summary: &SummaryRecord,
        expected_last_seen: i64,
        webhook: Option<(String, String)>,
    ) -> Result<bool> {
        let s = summary.clone();
        self.writer.exec(move |c| queries::close_conference(c, &s, expected_last_seen, webhook.as_ref())).await
    }

    async fn claim_deliveries(&self, now_ms: i64, lease_ms: i64, limit: u32) -> Result<Vec<WebhookDelivery>> {
        self.writer.exec(move |c| queries::claim_deliveries(c, now_ms, lease_ms, limit)).await
    }

    async fn record_attempt(&self, attempt: &DeliveryAttempt) -> Result<()> {
        let a = attempt.clone();
        self.writer.exec(move |c| queries::record_attempt(c, &a)).await
    }

    async fn deliveries(&self, app: AppId, limit: u32) -> Result<Vec<WebhookDelivery>> {
        self.read(move |c| queries::deliveries(c, app, limit)).await
    }

    async fn delete_raw_samples(&self, app: AppId, before_ms: i64) -> Result<u64> {
        self.writer.exec(move |c| queries::delete_raw_samples(c, app, before_ms)).await
    }

    async fn summary(&self, app: AppId, conf_id: &str) -> Result<Option<SummaryRecord>> {
        let conf = conf_id.to_owned();
        self.read(move |c| queries::summary(c, app, &conf)).await
    }

    async fn summaries(&self, app: AppId, from_ms: i64, to_ms: i64) -> Result<Vec<SummaryRecord>> {
        self.read(move |c| queries::summaries(c, app, from_ms, to_ms)).await
    }

    async fn rollups(&self, app: AppId, from_day: i64, to_day: i64, keys: RollupKeys<'_>) -> Result<Vec<DayRollup>> {
        let (key, prefix) = keys.as_query();
        let key = key.to_owned();
        self.read(move |c| queries::rollups(c, app, from_day, to_day, &key, prefix)).await
    }

    async fn day_summaries(&self, app: AppId, day: i64) -> Result<(i64, Vec<SummaryRecord>)> {
        self.read(move |c| queries::day_summaries(c, app, day)).await
    }

    async fn stale_rollup_days(&self, app: AppId, from_day: i64, to_day: i64) -> Result<Vec<i64>> {
        self.read(move |c| queries::stale_rollup_days(c, app, from_day, to_day)).await
    }

    async fn put_rollup(&self, app: AppId, day: i64, version: i64, layout: i64, parts: Vec<RollupPart>) -> Result<()> {
        self.writer.exec(move |c| queries::put_rollup(c, app, day, version, layout, &parts)).await
    }

    async fn activity(&self, app: AppId) -> Result<Vec<ActivityRow>> {
        self.read(move |c| queries::activity(c, app)).await
    }

    async fn create_user(&self, username: &str, password_hash: &str, now_ms: i64) -> Result<i64> {
        let (u, h) = (username.to_owned(), password_hash.to_owned());
        self.writer.exec(move |c| queries::create_user(c, &u, &h, now_ms)).await
    }

    async fn set_password(&self, username: &str, password_hash: &str) -> Result<()> {
        let (u, h) = (username.to_owned(), password_hash.to_owned());
        self.writer.exec(move |c| queries::set_password(c, &u, &h)).await
    }

    async fn user(&self, username: &str) -> Result<Option<User>> {
        let u = username.to_owned();
        self.read(move |c| queries::user(c, &u)).await
    }

    async fn user_count(&self) -> Result<u64> {
        self.read(queries::user_count).await
    }

    async fn create_session(
        &self,
        hash: &[u8; 32],
        user_id: i64,
        csrf_token: &str,
        now_ms: i64,
        expires_at: i64,
    ) -> Result<()> {
        let (h, csrf) = (*hash, csrf_token.to_owned());
        self.writer.exec(move |c| queries::create_session(c, &h, user_id, &csrf, now_ms, expires_at)).await
    }

    async fn session(&self, hash: &[u8; 32], now_ms: i64) -> Result<Option<Session>> {
        let h = *hash;
        self.read(move |c| queries::session(c, &h, now_ms)).await
    }

    async fn delete_session(&self, hash: &[u8; 32]) -> Result<()> {
        let h = *hash;
        self.writer.exec(move |c| queries::delete_session(c, &h)).await
    }

    async fn add_admin_token(&self, token_hash: &[u8; 32], label: &str) -> Result<()> {
        let (hash, label) = (*token_hash, label.to_owned());
        self.writer.exec(move |c| queries::insert_admin_token(c, &hash, &label)).await
    }

    async fn admin_token_exists(&self, token_hash: &[u8; 32]) -> Result<bool> {
        let hash = *token_hash;
        self.read(move |c| queries::admin_token_exists(c, &hash)).await
    }
}
