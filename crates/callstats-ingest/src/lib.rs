#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod accounts;
pub mod aggregates;
pub mod analysis;
pub mod auth;
mod collect;
mod directory;
pub mod dumps;
pub mod import;
pub mod normalise;
mod packed;
pub mod progress;
pub mod read;
pub mod secrets;
mod throttle;
pub mod webhooks;

use std::sync::Arc;
use std::time::Duration;

use callstats_protocol::ProtocolError;
use callstats_store::{Store, StoreError};

pub use auth::{AccessRefusal, AuthRefusal, TokenIssuer};
pub use secrets::ServerKey;

/// Size limits of the collector and the read API.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest request body accepted, bytes (default 1 MiB; a callstats-js stats body is ~16 KB).
    pub max_body_bytes: usize,
    /// Largest body of `/generics`, the client's log channel, which carries no token (default
    /// 32 KiB: callstats-js's largest, a failed request's body echoed, stays below it).
    pub max_generic_bytes: usize,
    /// Deepest nesting of arrays and objects accepted in a request body (default 32; at most
    /// `callstats_protocol::depth::MAX_MAX_DEPTH`, so every stored body reads back).
    pub max_json_depth: usize,
    /// Longest ID accepted, bytes: conference IDs, user, device, connection and remote IDs,
    /// event types, SDK versions (default 256).
    pub max_id_bytes: usize,
    /// Longest range the aggregates read, days; a longer one is cut at its start (default 400).
    pub max_aggregate_days: u32,
    /// Application logs longer than this are stored cut to it and flagged (default 20 KB, the
    /// limit the integration guide promises).
    pub app_log_bytes: usize,
    /// How long an app's record (origins, settings) is cached before it is read again.
    pub app_cache_ttl: Duration,
    /// Memory the compact-stats bases of one fabric may take, bytes; a larger keyframe is stored
    /// but its deltas are answered 409 (default 64 KiB; a fabric's bases take a few KB).
    pub compact_base_bytes_per_fabric: usize,
    /// Memory all compact-stats bases may take, bytes; beyond, the fabrics held first are
    /// forgotten and their next delta is answered 409, which makes the SDK send a keyframe
    /// (default 64 MiB).
    pub compact_base_bytes: usize,
    /// Dashboard sign-ins hashing a password at once; more are refused 429 (default 2: each
    /// hash holds ~20 MiB for tens of milliseconds).
    pub max_concurrent_hashes: usize,
    /// Wrong dashboard sign-ins of one account before each further one doubles a delay
    /// (1 s up to 15 min) answered 429; a client IP gets four times as many (default 5).
    pub sign_in_failures: u32,
    /// `/authenticate` requests per minute per app and client IP, as a token bucket of that
    /// size (default 120; 0: unlimited).
    pub authenticate_per_minute: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 1 << 20,
            max_generic_bytes: 32 << 10,
            max_json_depth: callstats_protocol::depth::DEFAULT_MAX_DEPTH,
            max_id_bytes: 256,
            max_aggregate_days: 400,
            app_log_bytes: 20 * 1024,
            app_cache_ttl: Duration::from_secs(2),
            compact_base_bytes_per_fabric: 64 << 10,
            compact_base_bytes: 64 << 20,
            max_concurrent_hashes: 2,
            sign_in_failures: 5,
            authenticate_per_minute: 120,
        }
    }
}

/// The source of "now" for everything time-based, so tests can control it.
pub trait Clock: Send + Sync + 'static {
    /// Epoch milliseconds.
    fn now_ms(&self) -> i64;
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
    }
}

/// A clock that only moves when told to, for tests of expiry and timers.
#[derive(Debug, Default)]
pub struct ManualClock(std::sync::atomic::AtomicI64);

impl ManualClock {
    /// A clock standing at `now_ms`.
    pub fn new(now_ms: i64) -> Self {
        ManualClock(std::sync::atomic::AtomicI64::new(now_ms))
    }

    /// Moves the clock forward.
    pub fn advance(&self, ms: i64) {
        self.0.fetch_add(ms, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// Everything that can go wrong handling a request, by what the caller should be told.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The body breaks the protocol.
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    /// The request itself is malformed (a path segment, a header).
    #[error("{0}")]
    BadRequest(String),
    /// No credentials, or credentials that are not ours.
    #[error("{0}")]
    Unauthorized(String),
    /// The access token has expired; callstats-js re-authenticates on exactly this.
    #[error("Token has expired")]
    TokenExpired,
    /// Valid credentials that do not allow this (another app's token, a refused origin).
    #[error("{0}")]
    Forbidden(String),
    /// The app, conference or participant does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The body is larger than `Limits::max_body_bytes`.
    #[error("body exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: usize,
    },
    /// Overloaded; the caller should retry later.
    #[error("{0}")]
    Unavailable(String),
    /// This caller asked too often; it may try again after `retry_after_secs`.
    #[error("{message}")]
    TooManyRequests {
        /// What was limited.
        message: String,
        /// Seconds to wait (`Retry-After`).
        retry_after_secs: u64,
    },
    /// Deployment problem (server key, stored data).
    #[error("{0}")]
    Config(String),
    /// A compact stats delta names a base this node does not hold; the client sends a keyframe.
    #[error("{0}")]
    KeyframeRequired(String),
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for IngestError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable { reason } => IngestError::Unavailable(reason),
            other => IngestError::Store(other),
        }
    }
}

/// Who is calling: the bearer token and `Origin` of the request, as the HTTP layer found them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Caller<'a> {
    /// Access token from `Authorization: Bearer` (or the REST API's `token` header).
    pub token: Option<&'a str>,
    /// The `Origin` header.
    pub origin: Option<&'a str>,
    /// The caller's country as a trusted proxy in front reported it (the header named by
    /// [`Ingest::country_header`]), unchecked.
    pub country: Option<&'a str>,
}

/// An ISO 3166-1 alpha-2 code from a proxy's header, upper-cased; `None` for anything else and
/// for the "unknown" codes proxies send (`XX`, and `T1` for Tor exits).
pub fn country_code(header: &str) -> Option<String> {
    let code = header.trim().to_ascii_uppercase();
    let valid = code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase());
    (valid && code != "XX" && code != "T1").then_some(code)
}

/// The collector's services, shared by every request handler.
pub struct Ingest {
    store: Arc<dyn Store>,
    key: ServerKey,
    tokens: TokenIssuer,
    limits: Limits,
    clock: Arc<dyn Clock>,
    directory: directory::Directory,
    analytics: bool,
    country_header: Option<String>,
    progress: progress::Recorder,
    compact_bases: collect::CompactBases,
    throttles: throttle::Throttles,
    client_ip_header: Option<String>,
    private_webhooks: bool,
}

impl Ingest {
    /// Builds the services over a store.
    pub fn new(store: Arc<dyn Store>, key: ServerKey, limits: Limits, clock: Arc<dyn Clock>) -> Self {
        Ingest {
            tokens: TokenIssuer::new(&key),
            directory: directory::Directory::new(limits.app_cache_ttl),
            throttles: throttle::Throttles::new(&limits),
            compact_bases: collect::CompactBases::new(&limits),
            store,
            key,
            limits,
            clock,
            analytics: true,
            country_header: None,
            progress: progress::Recorder::default(),
            client_ip_header: None,
            private_webhooks: false,
        }
    }

    /// Switches the ingest-time analysis (stream snapshots of stats bodies) on or off; off is
    /// for measuring its cost, analyses then fall back to parsing raw bodies.
    pub fn with_analytics(mut self, on: bool) -> Self {
        self.analytics = on;
        self
    }

    /// Trusts the request header `name` (`CF-IPCountry`, `CloudFront-Viewer-Country`, or what a
    /// proxy with a GeoIP module sets) for the country of the participants who join, which the
    /// aggregates can then filter by. Without it no country is known: the server has no GeoIP
    /// database of its own, and a header is only trustworthy when a proxy in front sets it.
    pub fn with_country_header(mut self, name: Option<String>) -> Self {
        self.country_header = name;
        self
    }

    /// Trusts the request header `name` (`X-Forwarded-For`, `X-Real-IP`, `CF-Connecting-IP`) for
    /// the client's IP address, which the rate limits key on; its last address is taken, the one
    /// a proxy in front appended. Without it the peer address of the connection is used.
    pub fn with_client_ip_header(mut self, name: Option<String>) -> Self {
        self.client_ip_header = name;
        self
    }

    /// Lets webhooks reach loopback, private, link-local and unique-local addresses (receivers
    /// on the operator's own network); by default deliveries go to public addresses only.
    pub fn with_private_webhooks(mut self, allow: bool) -> Self {
        self.private_webhooks = allow;
        self
    }

    /// The header trusted for the client's IP address, if any.
    pub fn client_ip_header(&self) -> Option<&str> {
        self.client_ip_header.as_deref()
    }

    /// The header trusted for the caller's country, if any.
    pub fn country_header(&self) -> Option<&str> {
        self.country_header.as_deref()
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The store underneath.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Now, per the configured clock.
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }
}
