#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod codec;
mod records;

pub use records::*;

use async_trait::async_trait;

/// What went wrong in a backend, by meaning. Backend errors are boxed as the source and never
/// leak their types through the trait.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The thing asked for does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// A unique key is taken (app ID, key ID, ucID).
    #[error("{0} already exists")]
    Conflict(String),
    /// The backend cannot take more work now (write queue full, pool exhausted); retry later.
    #[error("storage unavailable: {reason}")]
    Unavailable {
        /// Why.
        reason: String,
    },
    /// Stored data could not be read back (bad JSON, undecodable body).
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// Any other backend failure.
    #[error("storage backend failed: {context}")]
    Backend {
        /// What was being done.
        context: String,
        /// The driver's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl StoreError {
    /// Wraps a driver error with what was being done.
    pub fn backend(context: impl Into<String>, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        StoreError::Backend { context: context.into(), source: Box::new(source) }
    }
}

/// Result alias of the store layer.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Storage of callstats. Implementations must make `write` durable before it returns: the
/// collector acknowledges a request only after the write that holds it has committed.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Inserts a new app. `Conflict` when the ID is taken.
    async fn create_app(&self, app: &App) -> Result<()>;
    /// All apps, by ID.
    async fn apps(&self) -> Result<Vec<App>>;
    /// One app.
    async fn app(&self, id: AppId) -> Result<Option<App>>;
    /// Replaces an app's name, sealed secret, origins and settings.
    async fn update_app(&self, app: &App) -> Result<()>;
    /// Registers a third-party public key. `Conflict` when the key ID is taken for that app.
    async fn add_app_key(&self, key: &AppKey) -> Result<()>;
    /// The app's third-party keys.
    async fn app_keys(&self, app: AppId) -> Result<Vec<AppKey>>;

    /// Appends participants and submissions in one durable commit (backends batch concurrent
    /// calls into one transaction). Returns only after the data is committed.
    async fn write(&self, batch: Vec<Write>) -> Result<()>;

    /// The participant behind a ucID.
    async fn participant(&self, uc_id: &str) -> Result<Option<Participant>>;
    /// Participants of one conference, by join time.
    async fn participants(&self, app: AppId, conf_id: &str) -> Result<Vec<Participant>>;
    /// An app's conferences matching `filter`, most recently active first.
    async fn conferences(&self, app: AppId, filter: &ConferenceFilter) -> Result<Vec<ConferenceRow>>;
    /// One conference.
    async fn conference(&self, app: AppId, conf_id: &str) -> Result<Option<ConferenceRow>>;
    /// Stored submissions matching `query`, in arrival order.
    async fn submissions(&self, query: &SubmissionQuery) -> Result<Vec<StoredSubmission>>;

    /// Claims up to `limit` open conferences that are due (last seen at or before
    /// `idle_before_ms`, or where someone left or terminated a fabric), oldest first, and that no
    /// other node holds: each is leased until `now_ms + lease_ms`, so nodes sharing a database
    /// never summarise the same conference at the same time. A node that dies holding a lease
    /// delays that conference by at most `lease_ms`; [`Store::release_conference`] hands back a
    /// claim that did not end in a close.
    async fn claim_due_conferences(
        &self,
        idle_before_ms: i64,
        now_ms: i64,
        lease_ms: i64,
        limit: u32,
    ) -> Result<Vec<DueConference>>;
    /// Ends this node's lease on a conference it claimed but did not close.
    async fn release_conference(&self, app: AppId, conf_id: &str) -> Result<()>;
    /// Takes the periodic job `name` (retention, rollups) until `now_ms + lease_ms` if no node
    /// holds it; whether this call took it. Nodes sharing a database run such a job one at a
    /// time, once per lease.
    async fn claim_job(&self, name: &str, now_ms: i64, lease_ms: i64) -> Result<bool>;
    /// Stores a summary and marks the conference closed, but only if nothing arrived for it
    /// after `expected_last_seen` (otherwise returns `false` and changes nothing). A webhook
    /// delivery of the summary (`url`, `payload`) is enqueued in the same transaction.
    async fn close_conference(
        &self,
        summary: &SummaryRecord,
        expected_last_seen: i64,
        webhook: Option<(String, String)>,
    ) -> Result<bool>;
    /// Claims up to `limit` pending deliveries due at `now_ms` for `lease_ms` (so no other node
    /// attempts them meanwhile) and returns them.
    async fn claim_deliveries(&self, now_ms: i64, lease_ms: i64, limit: u32) -> Result<Vec<WebhookDelivery>>;
    /// Records the outcome of an attempt.
    async fn record_attempt(&self, attempt: &DeliveryAttempt) -> Result<()>;
    /// An app's deliveries, newest first.
    async fn deliveries(&self, app: AppId, limit: u32) -> Result<Vec<WebhookDelivery>>;
    /// Deletes raw stats samples of `app` received before `before_ms` in closed conferences;
    /// returns how many.
    async fn delete_raw_samples(&self, app: AppId, before_ms: i64) -> Result<u64>;
    /// Drops whole time partitions of raw stats samples received before `before_ms` (a cutoff
    /// that every app's retention has passed), except those holding samples of an open
    /// conference; returns how many partitions. Backends without partitions do nothing.
    async fn drop_raw_partitions(&self, before_ms: i64) -> Result<u64> {
        let _ = before_ms;
        Ok(0)
    }
    /// A closed conference's summary.
    async fn summary(&self, app: AppId, conf_id: &str) -> Result<Option<SummaryRecord>>;
    /// Summaries of conferences that started in `[from_ms, to_ms)`, without `summary_json`.
    async fn summaries(&self, app: AppId, from_ms: i64, to_ms: i64) -> Result<Vec<SummaryRecord>>;

    /// Cached aggregate partials of whole UTC days `from_day..to_day` (day = epoch ms divided by
    /// 86,400,000, by conference start) that are still current, with only the parts `keys`
    /// selects (a day can have none of them): a day where a conference closed (or closed again)
    /// after its rollup was read is left out, so callers rebuild it.
    async fn rollups(&self, app: AppId, from_day: i64, to_day: i64, keys: RollupKeys<'_>) -> Result<Vec<DayRollup>>;
    /// Summaries (as `summaries`, without `summary_json`) of conferences that started on `day`,
    /// with the day's version read in the same snapshot, for building its rollup.
    async fn day_summaries(&self, app: AppId, day: i64) -> Result<(i64, Vec<SummaryRecord>)>;
    /// Days in `from_day..to_day` where a conference closed and the rollup is missing or was
    /// built at an older version, oldest first.
    async fn stale_rollup_days(&self, app: AppId, from_day: i64, to_day: i64) -> Result<Vec<i64>>;
    /// Stores a day's rollup built from the summaries read at `version` in `layout`, one row per
    /// part (replacing an older rollup of the day, parts and all). `close_conference` moves the
    /// day's version on, which makes the rollup stale.
    async fn put_rollup(&self, app: AppId, day: i64, version: i64, layout: i64, parts: Vec<RollupPart>) -> Result<()>;

    /// An app's integration progress.
    async fn activity(&self, app: AppId) -> Result<Vec<ActivityRow>>;

    /// Creates a dashboard account; `Conflict` when the name is taken.
    async fn create_user(&self, username: &str, password_hash: &str, now_ms: i64) -> Result<i64>;
    /// Replaces an account's password.
    async fn set_password(&self, username: &str, password_hash: &str) -> Result<()>;
    /// An account by name.
    async fn user(&self, username: &str) -> Result<Option<User>>;
    /// How many accounts exist.
    async fn user_count(&self) -> Result<u64>;
    /// Stores a session under the SHA-256 of its cookie value.
    async fn create_session(
        &self,
        hash: &[u8; 32],
        user_id: i64,
        csrf_token: &str,
        now_ms: i64,
        expires_at: i64,
    ) -> Result<()>;
    /// A live session by the SHA-256 of its cookie value.
    async fn session(&self, hash: &[u8; 32], now_ms: i64) -> Result<Option<Session>>;
    /// Ends a session.
    async fn delete_session(&self, hash: &[u8; 32]) -> Result<()>;

    /// Records the SHA-256 of a new admin API token.
    async fn add_admin_token(&self, token_hash: &[u8; 32], label: &str) -> Result<()>;
    /// Whether an admin token with this hash exists.
    async fn admin_token_exists(&self, token_hash: &[u8; 32]) -> Result<bool>;
}
