//! The records the store keeps. Domain words match the JSON API, the SQL tables and the SDK:
//! app, conference, participant (a user in a conference, named by its ucID), fabric
//! (`connectionID`), submission (one accepted request body).

use serde::{Deserialize, Serialize};

/// Numeric app ID (the real client `parseInt`s it).
pub type AppId = i64;

/// An application registered with the service.
#[derive(Debug, Clone, PartialEq)]
pub struct App {
    /// The AppID.
    pub id: AppId,
    /// Display name.
    pub name: String,
    /// The AppSecret, sealed with the server key (never stored in clear).
    pub secret_sealed: Vec<u8>,
    /// Allowed `Origin`s; empty allows every origin.
    pub origins: Vec<String>,
    /// What tokens carry and what the SDK is told.
    pub settings: AppSettings,
    /// Creation time, epoch ms.
    pub created_at_ms: i64,
    /// The secret that signs webhook deliveries, sealed with the server key.
    pub webhook_secret_sealed: Option<Vec<u8>>,
}

/// Per-app settings, stored as JSON so new ones need no migration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AppSettings {
    /// Stats submission interval handed to clients, ms (default 15000).
    pub submission_interval_ms: u32,
    /// Whether clients may send SDPs (default true).
    pub collect_sdp: bool,
    /// Gated event types clients may send (default: all of them).
    pub ingested_events: Vec<String>,
    /// Access-token lifetime, seconds (default 3600).
    pub token_ttl_secs: u32,
    /// The default RTCPeerConnection configuration and media constraints delivered to
    /// `on('defaultConfig')`: `{"peerConnection":…,"media":…}`.
    pub default_config: Option<serde_json::Value>,
    /// The recommended configuration delivered to `on('recommendedConfig')`.
    pub recommended_config: Option<serde_json::Value>,
    /// Raw stats samples older than this many days are deleted (summaries are kept); `None`
    /// keeps everything.
    pub retention_days: Option<u32>,
    /// Where conference summaries are POSTed when a conference closes.
    pub webhook_url: Option<String>,
    /// Thresholds a closing conference is checked against; crossed ones are listed in its
    /// summary and webhook delivery.
    pub alerts: callstats_analytics::alerts::Thresholds,
}

impl Default for AppSettings {
    fn default() -> Self {
        AppSettings {
            submission_interval_ms: 15_000,
            collect_sdp: true,
            ingested_events: Vec::new(),
            token_ttl_secs: 3600,
            default_config: None,
            recommended_config: None,
            retention_days: None,
            webhook_url: None,
            alerts: Default::default(),
        }
    }
}

/// A third-party public key that verifies JWTs minted by the app's own server.
#[derive(Debug, Clone, PartialEq)]
pub struct AppKey {
    /// Owning app.
    pub app_id: AppId,
    /// The `keyID` claim that selects it.
    pub key_id: String,
    /// JWS algorithm (`ES256`).
    pub algorithm: String,
    /// SubjectPublicKeyInfo PEM.
    pub public_key_pem: String,
    /// Registration time, epoch ms.
    pub created_at_ms: i64,
}

/// A user's presence in a conference, created by user joined; its ucID is in every later URL.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Participant {
    /// The ID handed to the client.
    #[serde(rename = "ucID")]
    pub uc_id: String,
    /// App.
    #[serde(skip)]
    pub app_id: AppId,
    /// Conference (decoded).
    #[serde(rename = "confID")]
    pub conf_id: String,
    /// Local user ID (decoded).
    #[serde(rename = "userID")]
    pub user_id: String,
    /// Browser-profile device ID.
    #[serde(rename = "deviceID")]
    pub device_id: String,
    /// `endpointInfo` as sent.
    pub endpoint: serde_json::Value,
    /// `callstatsVersion` of the SDK.
    pub sdk_version: Option<String>,
    /// Client timestamp of the join, epoch ms.
    pub joined_at: f64,
    /// Server receive time, epoch ms.
    pub received_at: i64,
    /// ISO 3166-1 alpha-2 country, when a trusted proxy reported it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// Which kind of request a submission came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SubmissionKind {
    /// A conference event (including user joined).
    Event,
    /// A getStats submission.
    Stats,
    /// `sendCustomStats`.
    CustomStats,
    /// System status.
    SystemStatus,
    /// Pre-call test results and notifications (no conference).
    Precall,
    /// The generic log channel (`/generics`).
    Generic,
    /// The sender configuration the client posts to `…/configurations`.
    SenderConfig,
}

impl SubmissionKind {
    /// Every kind.
    pub const ALL: [SubmissionKind; 7] = [
        SubmissionKind::Event,
        SubmissionKind::Stats,
        SubmissionKind::CustomStats,
        SubmissionKind::SystemStatus,
        SubmissionKind::Precall,
        SubmissionKind::Generic,
        SubmissionKind::SenderConfig,
    ];

    /// Stable name used in storage and in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            SubmissionKind::Event => "event",
            SubmissionKind::Stats => "stats",
            SubmissionKind::CustomStats => "customStats",
            SubmissionKind::SystemStatus => "systemStatus",
            SubmissionKind::Precall => "precall",
            SubmissionKind::Generic => "generic",
            SubmissionKind::SenderConfig => "senderConfig",
        }
    }

    /// Inverse of `as_str`.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One accepted request body with the fields needed to find it again.
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    /// App.
    pub app_id: AppId,
    /// Conference, when the route has one.
    pub conf_id: Option<String>,
    /// Participant, when the route has one.
    pub uc_id: Option<String>,
    /// Request kind.
    pub kind: SubmissionKind,
    /// `eventType` (or the generic channel's type).
    pub event_type: String,
    /// Local user ID.
    pub user_id: Option<String>,
    /// Remote user ID.
    pub remote_id: Option<String>,
    /// Fabric (`connectionID`).
    pub connection_id: Option<String>,
    /// Client timestamp, epoch ms (server time when the body has none).
    pub timestamp_ms: f64,
    /// Server receive time, epoch ms.
    pub received_at_ms: i64,
    /// zstd-compressed body (see `codec`).
    pub body: Vec<u8>,
    /// Length of the uncompressed body.
    pub body_len: u32,
    /// Whether the body was cut to the size limit before storing (application logs).
    pub truncated: bool,
    /// What ingest derived from the body for analysis (stream snapshots of a stats body), in a
    /// form the ingest layer chooses and reads back (`callstats_ingest::normalise::unpack`,
    /// which also reads the JSON text and zstd-packed JSON of older rows). Opaque here.
    pub derived: Option<Vec<u8>>,
}

/// A submission as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSubmission {
    /// Arrival sequence number.
    pub id: i64,
    /// The stored fields; `body` is empty when the query asked for no bodies.
    pub submission: Submission,
}

/// One unit of a write batch.
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    /// A participant joined (user joined); goes with its event submission.
    Join(Participant),
    /// An accepted body.
    Submission(Submission),
    /// An integration step was seen (`count` times, last at `at_ms`).
    Activity {
        /// App.
        app_id: AppId,
        /// Step name.
        step: String,
        /// When, epoch ms.
        at_ms: i64,
        /// How many times since the last record.
        count: u32,
    },
    /// Keeps the closer off an existing conference until `until_ms` (a longer hold already in
    /// place stays). An import writes a conference's past, whose receive times are long gone,
    /// so the conference looks idle from its first record: the importer holds it while it
    /// writes, in the same batch as the join, and [`crate::Store::release_conference`] lets it
    /// go.
    Hold {
        /// App.
        app_id: AppId,
        /// Conference.
        conf_id: String,
        /// Epoch ms.
        until_ms: i64,
    },
}

/// When an integration step was first and last seen.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivityRow {
    /// Step name.
    pub step: String,
    /// First seen, epoch ms.
    pub first_seen: i64,
    /// Last seen, epoch ms.
    pub last_seen: i64,
    /// Times seen.
    pub count: u64,
}

/// A dashboard account.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    /// ID.
    pub id: i64,
    /// Login name.
    pub username: String,
    /// Argon2id PHC string.
    pub password_hash: String,
}

/// A dashboard session.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// Its user.
    pub user_id: i64,
    /// The user's name.
    pub username: String,
    /// The token state-changing requests must echo in `X-CSRF-Token`.
    pub csrf_token: String,
    /// Expiry, epoch ms.
    pub expires_at: i64,
}

/// A conference seen by the collector.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConferenceRow {
    /// App.
    #[serde(skip)]
    pub app_id: AppId,
    /// Conference ID (decoded).
    #[serde(rename = "confID")]
    pub conf_id: String,
    /// First receive time, epoch ms.
    pub first_seen: i64,
    /// Last receive time, epoch ms.
    pub last_seen: i64,
    /// Participants (user joined) so far.
    pub participant_count: u32,
    /// When it was closed (its summary written); `None` while ongoing.
    pub closed_at: Option<i64>,
    /// Setup status from the summary.
    pub setup_status: Option<String>,
    /// Score from the summary.
    pub score: Option<f64>,
    /// Mean audio MOS from the summary.
    pub avg_mos: Option<f64>,
}

/// An open conference the closer should look at.
#[derive(Debug, Clone, PartialEq)]
pub struct DueConference {
    /// App.
    pub app_id: AppId,
    /// Conference.
    pub conf_id: String,
    /// Last receive time, epoch ms.
    pub last_seen: i64,
}

/// A closed conference's summary, with the columns aggregates use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SummaryRecord {
    /// App.
    #[serde(skip)]
    pub app_id: AppId,
    /// Conference.
    #[serde(rename = "confID")]
    pub conf_id: String,
    /// Close time, epoch ms.
    pub closed_at: i64,
    /// Start, epoch ms.
    pub start_ms: i64,
    /// End, epoch ms.
    pub end_ms: i64,
    /// `allLeft` or `idle`.
    pub close_reason: String,
    /// `ok`, `partiallyFailed`, `failed` or `noFabrics`.
    pub setup_status: String,
    /// A fabric dropped.
    pub dropped: bool,
    /// A fabric was relayed.
    pub relayed: bool,
    /// Users.
    pub user_count: u32,
    /// Conference score.
    pub score: Option<f64>,
    /// Mean audio MOS.
    pub avg_mos: Option<f64>,
    /// Browsers of the participants.
    pub browsers: Vec<String>,
    /// Operating systems of the participants.
    pub oses: Vec<String>,
    /// The whole summary, JSON (empty when read by `summaries`, which skips it).
    #[serde(skip)]
    pub summary_json: String,
    /// What aggregates need beyond the columns (setup delays, failure reasons, feedback), JSON.
    #[serde(skip)]
    pub facts_json: String,
}

/// Which conferences to list.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ConferenceFilter {
    /// Conference ID contains this (case-insensitive).
    pub q: Option<String>,
    /// A participant's user ID equals this.
    pub user: Option<String>,
    /// `ongoing`, `closed`, or a setup status (`ok`, `partiallyFailed`, `failed`, `noFabrics`).
    pub status: Option<String>,
    /// Score at least.
    pub min_score: Option<f64>,
    /// Score at most.
    pub max_score: Option<f64>,
    /// A participant used this browser (closed conferences).
    pub browser: Option<String>,
    /// Last activity at or after, epoch ms.
    pub from: Option<i64>,
    /// Last activity before, epoch ms.
    pub to: Option<i64>,
    /// At most this many (default 100, at most 1000).
    pub limit: Option<u32>,
}

/// Which submissions to read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SubmissionQuery {
    /// App.
    pub app_id: AppId,
    /// `Some` for one conference; `None` for app-level submissions (no conference).
    pub conf_id: Option<String>,
    /// Only these kinds (empty: all).
    pub kinds: Vec<SubmissionKind>,
    /// Only this fabric.
    pub connection_id: Option<String>,
    /// Whether to load bodies.
    pub with_body: bool,
    /// At most this many (0: no limit).
    pub limit: u32,
}

/// A webhook delivery and where it stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookDelivery {
    /// Sequence number.
    pub id: i64,
    /// App.
    #[serde(rename = "appID")]
    pub app_id: AppId,
    /// Conference summarised.
    #[serde(rename = "confID")]
    pub conf_id: String,
    /// Target URL.
    pub url: String,
    /// The JSON body.
    #[serde(skip)]
    pub payload: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    /// Attempts made.
    pub attempts: u32,
    /// Next attempt, epoch ms.
    pub next_attempt_at: i64,
    /// HTTP status of the last attempt.
    pub last_status: Option<u16>,
    /// Error of the last attempt.
    pub last_error: Option<String>,
    /// Enqueued, epoch ms.
    pub created_at: i64,
    /// Delivered, epoch ms.
    pub delivered_at: Option<i64>,
}

/// The outcome of one delivery attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryAttempt {
    /// Delivery.
    pub id: i64,
    /// Delivered.
    pub delivered: bool,
    /// Give up after this attempt.
    pub give_up: bool,
    /// HTTP status, if a response came.
    pub status: Option<u16>,
    /// Error text, if it failed.
    pub error: Option<String>,
    /// When to try again, epoch ms.
    pub next_attempt_at: i64,
    /// When this attempt finished, epoch ms.
    pub at: i64,
}

/// One day's rollup, as read: the parts a query selected.
#[derive(Debug, Clone, PartialEq)]
pub struct DayRollup {
    /// UTC day: epoch ms divided by 86,400,000.
    pub day: i64,
    /// The layout it was built in (what its keys mean), so a reader can rebuild older ones.
    pub layout: i64,
    /// The selected parts.
    pub parts: Vec<RollupPart>,
}

impl DayRollup {
    /// Groups query rows `(day, layout, key, partial)`, ordered by day, into rollups; a day that
    /// has none of the selected parts comes as one row without a key and partial.
    pub fn group(rows: impl IntoIterator<Item = (i64, i64, Option<String>, Option<String>)>) -> Vec<DayRollup> {
        let mut out: Vec<DayRollup> = Vec::new();
        for (day, layout, key, partial) in rows {
            let part = key.zip(partial).map(|(key, partial)| RollupPart { key, partial });
            match out.last_mut() {
                Some(d) if d.day == day => d.parts.extend(part),
                _ => out.push(DayRollup { day, layout, parts: part.into_iter().collect() }),
            }
        }
        out
    }
}

/// One partial of a day rollup: a key (`all`, `browser:chrome`, `users:3`…) and the partial as
/// the analytics serialised it (JSON). Parts are stored apart so that a page reads only the one
/// it shows, not every browser's and OS's.
#[derive(Debug, Clone, PartialEq)]
pub struct RollupPart {
    /// What the partial covers.
    pub key: String,
    /// The partial, JSON.
    pub partial: String,
}

/// Which parts of day rollups to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RollupKeys<'a> {
    /// The part with this key.
    Exact(&'a str),
    /// Every part whose key starts with this.
    Prefix(&'a str),
}

impl<'a> RollupKeys<'a> {
    /// The key or prefix, and whether it is a prefix: the two parameters of the backends' query.
    pub fn as_query(self) -> (&'a str, bool) {
        match self {
            RollupKeys::Exact(k) => (k, false),
            RollupKeys::Prefix(k) => (k, true),
        }
    }
}

/// Milliseconds in a UTC day (no leap seconds in epoch time).
pub const DAY_MS: i64 = 86_400_000;

/// The UTC day an epoch-ms instant falls on.
pub fn utc_day(epoch_ms: i64) -> i64 {
    epoch_ms.div_euclid(DAY_MS)
}
