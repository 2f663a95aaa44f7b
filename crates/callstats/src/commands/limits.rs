//! The limits `serve` enforces on what the internet may send it, as flags. Each has a default
//! that a public deployment can keep; README's "Exposure and limits" lists them.

use std::time::Duration;

use callstats_ingest::Limits;
use callstats_protocol::depth::MAX_MAX_DEPTH;
use callstats_server::ConnectionLimits;
use clap::builder::TypedValueParser as _;

#[derive(Debug, Clone, clap::Args)]
pub struct LimitArgs {
    /// Largest request body accepted, bytes, after gzip is undone (413 beyond).
    #[arg(long, env = "CALLSTATS_MAX_BODY_BYTES", default_value_t = 1 << 20)]
    pub max_body_bytes: usize,
    /// Largest body of `POST /generics`, the client's log channel that carries no token, bytes
    /// (413 beyond).
    #[arg(long, env = "CALLSTATS_MAX_GENERIC_BYTES", default_value_t = 32 << 10)]
    pub max_generic_bytes: usize,
    /// Deepest nesting of arrays and objects accepted in a JSON body (400 beyond); at most 100,
    /// so that every stored body can be read back.
    #[arg(long, env = "CALLSTATS_MAX_JSON_DEPTH", default_value_t = callstats_protocol::depth::DEFAULT_MAX_DEPTH,
          value_parser = clap::value_parser!(u16).range(2..=MAX_MAX_DEPTH as i64).map(usize::from))]
    pub max_json_depth: usize,
    /// Longest conference, user, device, connection or remote ID and event type accepted, bytes
    /// (400 beyond).
    #[arg(long, env = "CALLSTATS_MAX_ID_BYTES", default_value_t = 256)]
    pub max_id_bytes: usize,
    /// Longest range the aggregates read, days; a longer range is cut at its start.
    #[arg(long, env = "CALLSTATS_MAX_AGGREGATE_DAYS", default_value_t = 400)]
    pub max_aggregate_days: u32,
    /// Memory the compact-stats bases of one fabric may take, bytes; a larger keyframe is
    /// stored, but deltas against it are answered 409.
    #[arg(long, env = "CALLSTATS_COMPACT_BASE_BYTES_PER_FABRIC", default_value_t = 64 << 10)]
    pub compact_base_bytes_per_fabric: usize,
    /// Memory all compact-stats bases may take, bytes; beyond, the fabrics held first are
    /// forgotten and their next delta is answered 409, so the SDK sends a keyframe.
    #[arg(long, env = "CALLSTATS_COMPACT_BASE_BYTES", default_value_t = 64 << 20)]
    pub compact_base_bytes: usize,
    /// Dashboard sign-ins that may hash a password at once (each holds ~20 MiB for tens of
    /// milliseconds); more are answered 429.
    #[arg(long, env = "CALLSTATS_MAX_CONCURRENT_HASHES", default_value_t = 2)]
    pub max_concurrent_hashes: usize,
    /// Wrong dashboard sign-ins of one account before each further one doubles a delay (1 s up
    /// to 15 min) answered 429; one client IP gets four times as many.
    #[arg(long, env = "CALLSTATS_SIGN_IN_FAILURES", default_value_t = 5)]
    pub sign_in_failures: u32,
    /// `POST /authenticate` requests per minute per app and client IP (a token bucket of that
    /// size; 429 with Retry-After beyond); 0 for no limit.
    #[arg(long, env = "CALLSTATS_AUTHENTICATE_PER_MINUTE", default_value_t = 120)]
    pub authenticate_per_minute: u32,
    /// Open connections at most; more wait in the listen backlog until one closes. Lowered at
    /// start to what the file-descriptor limit allows (the soft limit is first raised to the
    /// hard one).
    #[arg(long, env = "CALLSTATS_MAX_CONNECTIONS", default_value_t = 4096)]
    pub max_connections: usize,
    /// Seconds a connection has to send a whole request head, counted whenever the server
    /// waits for one (so also between keep-alive requests); the connection is closed after.
    #[arg(long, env = "CALLSTATS_HEADER_TIMEOUT", default_value_t = 10, value_name = "SECS")]
    pub header_timeout: u64,
    /// Seconds a request has from its head to its answer, body included (408 beyond).
    #[arg(long, env = "CALLSTATS_REQUEST_TIMEOUT", default_value_t = 30, value_name = "SECS")]
    pub request_timeout: u64,
}

/// Descriptors kept for everything but client connections: the database, its pool, logs.
const RESERVED_DESCRIPTORS: u64 = 256;

impl LimitArgs {
    /// The connection limits, with the cap lowered to what the descriptor limit allows after
    /// raising it as far as the system lets a process.
    pub fn connection_limits(&self) -> ConnectionLimits {
        let mut max_connections = self.max_connections;
        match rlimit::increase_nofile_limit(u64::MAX) {
            Ok(fds) => {
                let room = usize::try_from(fds.saturating_sub(RESERVED_DESCRIPTORS)).unwrap_or(usize::MAX).max(1);
                if room < max_connections {
                    tracing::warn!(
                        connections.max = max_connections,
                        fds.limit = fds,
                        "the file-descriptor limit allows only {room} connections; serving at most that many"
                    );
                    max_connections = room;
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not read the file-descriptor limit"),
        }
        ConnectionLimits {
            max_connections,
            header_timeout: Duration::from_secs(self.header_timeout),
            request_timeout: Duration::from_secs(self.request_timeout),
        }
    }

    /// The limits of the services.
    pub fn ingest_limits(&self) -> Limits {
        Limits {
            max_body_bytes: self.max_body_bytes,
            max_generic_bytes: self.max_generic_bytes,
            max_json_depth: self.max_json_depth,
            max_id_bytes: self.max_id_bytes,
            max_aggregate_days: self.max_aggregate_days,
            compact_base_bytes_per_fabric: self.compact_base_bytes_per_fabric,
            compact_base_bytes: self.compact_base_bytes,
            max_concurrent_hashes: self.max_concurrent_hashes,
            sign_in_failures: self.sign_in_failures,
            authenticate_per_minute: self.authenticate_per_minute,
            ..Limits::default()
        }
    }
}
