#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod commit;
mod migrate;
mod partitions;
mod queries;

use std::sync::Arc;

use async_trait::async_trait;
use callstats_store::{
    ActivityRow, App, AppId, AppKey, ConferenceFilter, ConferenceRow, DayRollup, DeliveryAttempt, DueConference,
    Participant, Result, RollupKeys, RollupPart, Session, Store, StoreError, StoredSubmission, SubmissionQuery,
    SummaryRecord, User, WebhookDelivery, Write, utc_day,
};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::error::SqlState;

use partitions::Partitions;

/// Connections each node keeps at most. A node's requests wait for a free one (then fail as
/// `Unavailable`) rather than opening more; size the server's `max_connections` for
/// nodes × this.
const POOL_SIZE: usize = 16;

/// The PostgreSQL-backed store. Every node of a deployment opens one on the same database.
pub struct PostgresStore {
    shared: Arc<Shared>,
    committer: commit::Committer,
}

/// What the store's calls and its committer tasks share.
pub(crate) struct Shared {
    pool: Pool,
    partitions: Partitions,
}

impl Shared {
    async fn client(&self) -> Result<deadpool_postgres::Object> {
        self.pool.get().await.map_err(|e| match e {
            deadpool_postgres::PoolError::Backend(e) => {
                StoreError::Unavailable { reason: format!("cannot connect to PostgreSQL: {e}") }
            }
            e => StoreError::Unavailable { reason: format!("no PostgreSQL connection free: {e}") },
        })
    }
}

/// Maps a driver error: a unique-key violation is a `Conflict`; what the database may get over
/// without us (out of disk or memory, too many connections, shutting down, the connection
/// lost) is `Unavailable`, naming the cause, so the caller is told to retry (503); anything
/// else a backend failure.
pub(crate) fn db(context: &'static str) -> impl Fn(tokio_postgres::Error) -> StoreError {
    move |e| {
        let code = e.code().map(SqlState::code);
        let cause = match code {
            Some(c) if c == SqlState::UNIQUE_VIOLATION.code() => return StoreError::Conflict(context.to_owned()),
            Some("53100") => "the database's disk is full",
            // Class 53: insufficient resources (memory, connections); 57P0x: shutting down or
            // starting; class 08: the connection failed.
            Some(c) if c.starts_with("53") || c.starts_with("57P0") || c.starts_with("08") => {
                "the database cannot take the work now"
            }
            None if e.is_closed() => "the connection to the database was lost",
            _ => return StoreError::backend(context, e),
        };
        StoreError::Unavailable { reason: format!("{cause} ({context}: {e})") }
    }
}

fn sql_state(e: &StoreError) -> Option<&SqlState> {
    match e {
        StoreError::Backend { source, .. } => source.downcast_ref::<tokio_postgres::Error>()?.code(),
        _ => None,
    }
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user:pass@host:port/db`), migrates the schema under an
    /// advisory lock (so nodes starting together apply each migration once), and creates the
    /// raw-sample partitions of today and tomorrow.
    pub async fn open(url: &str) -> Result<Self> {
        let config: tokio_postgres::Config = url.parse().map_err(|e| StoreError::backend("parse PostgreSQL URL", e))?;
        let manager = Manager::from_config(
            config,
            tokio_postgres::NoTls,
            ManagerConfig { recycling_method: RecyclingMethod::Fast },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(std::time::Duration::from_secs(10)))
            .create_timeout(Some(std::time::Duration::from_secs(10)))
            .build()
            .map_err(|e| StoreError::backend("build connection pool", e))?;
        let shared = Arc::new(Shared { pool, partitions: Partitions::default() });
        {
            let mut client = shared.client().await?;
            migrate::run(&mut client).await?;
        }
        let today = utc_day(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| {
            i64::try_from(d.as_millis()).expect("epoch milliseconds fit in i64 until the year 292 million")
        }));
        shared.partitions.ensure(&shared.pool, [today].into_iter().collect()).await?;
        let committer = commit::Committer::start(Arc::clone(&shared));
        Ok(PostgresStore { shared, committer })
    }

    async fn client(&self) -> Result<deadpool_postgres::Object> {
        self.shared.client().await
    }
}

#[async_trait]
impl Store for PostgresStore {
    async fn create_app(&self, app: &App) -> Result<()> {
        queries::insert_app(&self.client().await?, app).await
    }

    async fn apps(&self) -> Result<Vec<App>> {
        queries::apps(&self.client().await?).await
    }

    async fn app(&self, id: AppId) -> Result<Option<App>> {
        queries::app(&self.client().await?, id).await
    }

    async fn update_app(&self, app: &App) -> Result<()> {
        queries::update_app(&self.client().await?, app).await
    }

    async fn add_app_key(&self, key: &AppKey) -> Result<()> {
        queries::insert_app_key(&self.client().await?, key).await
    }

    async fn app_keys(&self, app: AppId) -> Result<Vec<AppKey>> {
        queries::app_keys(&self.client().await?, app).await
    }

    /// Atomic per call, and committed before it returns (`synchronous_commit` at its default, on);
    /// concurrent calls share transactions (see `commit`).
    async fn write(&self, batch: Vec<Write>) -> Result<()> {
        self.committer.write(batch).await
    }

    async fn participant(&self, uc_id: &str) -> Result<Option<Participant>> {
        queries::participant(&self.client().await?, uc_id).await
    }

    async fn participants(&self, app: AppId, conf_id: &str) -> Result<Vec<Participant>> {
        queries::participants(&self.client().await?, app, conf_id).await
    }

    async fn conferences(&self, app: AppId, filter: &ConferenceFilter) -> Result<Vec<ConferenceRow>> {
        queries::conferences(&self.client().await?, app, filter).await
    }

    async fn conference(&self, app: AppId, conf_id: &str) -> Result<Option<ConferenceRow>> {
        queries::conference(&self.client().await?, app, conf_id).await
    }

    async fn submissions(&self, query: &SubmissionQuery) -> Result<Vec<StoredSubmission>> {
        queries::submissions(&self.client().await?, query).await
    }

    async fn claim_due_conferences(
        &self,
        idle_before_ms: i64,
        now_ms: i64,
        lease_ms: i64,
        limit: u32,
    ) -> Result<Vec<DueConference>> {
        queries::claim_due_conferences(&self.client().await?, idle_before_ms, now_ms, lease_ms, limit).await
    }

    async fn claim_job(&self, name: &str, now_ms: i64, lease_ms: i64) -> Result<bool> {
        queries::claim_job(&self.client().await?, name, now_ms, lease_ms).await
    }

    async fn release_conference(&self, app: AppId, conf_id: &str) -> Result<()> {
        queries::release_conference(&self.client().await?, app, conf_id).await
    }

    async fn close_conference(
        &self,
        summary: &SummaryRecord,
        expected_last_seen: i64,
        webhook: Option<(String, String)>,
    ) -> Result<bool> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db("begin close"))?;
        let closed = queries::close_conference(&tx, summary, expected_last_seen, webhook.as_ref()).await?;
        tx.commit().await.map_err(db("commit close"))?;
        Ok(closed)
    }

    async fn claim_deliveries(&self, now_ms: i64, lease_ms: i64, limit: u32) -> Result<Vec<WebhookDelivery>> {
        queries::claim_deliveries(&self.client().await?, now_ms, lease_ms, limit).await
    }

    async fn record_attempt(&self, attempt: &DeliveryAttempt) -> Result<()> {
        queries::record_attempt(&self.client().await?, attempt).await
    }

    async fn deliveries(&self, app: AppId, limit: u32) -> Result<Vec<WebhookDelivery>> {
        queries::deliveries(&self.client().await?, app, limit).await
    }

    async fn delete_raw_samples(&self, app: AppId, before_ms: i64) -> Result<u64> {
        queries::delete_raw_samples(&self.client().await?, app, before_ms).await
    }

    async fn drop_raw_partitions(&self, before_ms: i64) -> Result<u64> {
        self.shared.partitions.drop_before(&self.shared.pool, before_ms).await
    }

    async fn summary(&self, app: AppId, conf_id: &str) -> Result<Option<SummaryRecord>> {
        queries::summary(&self.client().await?, app, conf_id).await
    }

    async fn summaries(&self, app: AppId, from_ms: i64, to_ms: i64) -> Result<Vec<SummaryRecord>> {
        queries::summaries(&self.client().await?, app, from_ms, to_ms).await
    }

    async fn rollups(&self, app: AppId, from_day: i64, to_day: i64, keys: RollupKeys<'_>) -> Result<Vec<DayRollup>> {
        queries::rollups(&self.client().await?, app, from_day, to_day, keys).await
    }

    async fn day_summaries(&self, app: AppId, day: i64) -> Result<(i64, Vec<SummaryRecord>)> {
        let mut client = self.client().await?;
        // One snapshot for the version and the rows, so they agree.
        let tx = client
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(db("day summaries"))?;
        let out = queries::day_summaries(&tx, app, day).await?;
        tx.commit().await.map_err(db("day summaries"))?;
        Ok(out)
    }

    async fn stale_rollup_days(&self, app: AppId, from_day: i64, to_day: i64) -> Result<Vec<i64>> {
        queries::stale_rollup_days(&self.client().await?, app, from_day, to_day).await
    }

    async fn put_rollup(&self, app: AppId, day: i64, version: i64, layout: i64, parts: Vec<RollupPart>) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db("begin rollup"))?;
        queries::put_rollup(&tx, app, day, version, layout, &parts).await?;
        tx.commit().await.map_err(db("commit rollup"))
    }

    async fn activity(&self, app: AppId) -> Result<Vec<ActivityRow>> {
        queries::activity(&self.client().await?, app).await
    }

    async fn create_user(&self, username: &str, password_hash: &str, now_ms: i64) -> Result<i64> {
        queries::create_user(&self.client().await?, username, password_hash, now_ms).await
    }

    async fn set_password(&self, username: &str, password_hash: &str) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db("begin password"))?;
        queries::set_password(&tx, username, password_hash).await?;
        tx.commit().await.map_err(db("commit password"))
    }

    async fn user(&self, username: &str) -> Result<Option<User>> {
        queries::user(&self.client().await?, username).await
    }

    async fn user_count(&self) -> Result<u64> {
        queries::user_count(&self.client().await?).await
    }

    async fn create_session(
        &self,
        hash: &[u8; 32],
        user_id: i64,
        csrf_token: &str,
        now_ms: i64,
        expires_at: i64,
    ) -> Result<()> {
        queries::create_session(&self.client().await?, hash, user_id, csrf_token, now_ms, expires_at).await
    }

    async fn session(&self, hash: &[u8; 32], now_ms: i64) -> Result<Option<Session>> {
        queries::session(&self.client().await?, hash, now_ms).await
    }

    async fn delete_session(&self, hash: &[u8; 32]) -> Result<()> {
        queries::delete_session(&self.client().await?, hash).await
    }

    async fn add_admin_token(&self, token_hash: &[u8; 32], label: &str) -> Result<()> {
        queries::insert_admin_token(&self.client().await?, token_hash, label).await
    }

    async fn admin_token_exists(&self, token_hash: &[u8; 32]) -> Result<bool> {
        queries::admin_token_exists(&self.client().await?, token_hash).await
    }
}

/// Creates an empty database with a unique name on the server `url` points at and returns the
/// URL of the new database: each test (or test server) gets a database of its own, so tests run in
/// parallel. `url` must end in `/DATABASE` (the one connected to while creating).
pub async fn create_scratch_database(url: &str, prefix: &str) -> Result<String> {
    use std::sync::atomic::{AtomicU32, Ordering};
    static SEQ: AtomicU32 = AtomicU32::new(0);
    let Some((server, _)) = url.rsplit_once('/') else {
        return Err(StoreError::Corrupt(format!("database URL `{url}` does not end in /DATABASE")));
    };
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let name: String = format!("{prefix}_{}_{nanos}_{}", std::process::id(), SEQ.fetch_add(1, Ordering::Relaxed))
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' })
        .collect();
    let (client, conn) =
        tokio_postgres::connect(url, tokio_postgres::NoTls).await.map_err(db("connect to create a database"))?;
    let driver = tokio::spawn(conn);
    client.batch_execute(&format!("CREATE DATABASE {name}")).await.map_err(db("create database"))?;
    drop(client);
    let _ = driver.await;
    Ok(format!("{server}/{name}"))
}

/// Drops a database made by [`create_scratch_database`] (`url` is its URL), disconnecting
/// whoever is still connected, through the `postgres` maintenance database of the same server.
pub async fn drop_scratch_database(url: &str) -> Result<()> {
    let Some((server, name)) = url.rsplit_once('/') else {
        return Err(StoreError::Corrupt(format!("database URL `{url}` does not end in /DATABASE")));
    };
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(StoreError::Corrupt(format!("`{name}` is not a scratch database name")));
    }
    let (client, conn) = tokio_postgres::connect(&format!("{server}/postgres"), tokio_postgres::NoTls)
        .await
        .map_err(db("connect to drop a database"))?;
    let driver = tokio::spawn(conn);
    client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.map_err(db("drop database"))?;
    drop(client);
    let _ = driver.await;
    Ok(())
}
