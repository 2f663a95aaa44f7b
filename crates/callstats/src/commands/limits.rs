//! The limits `serve` enforces on what the internet may send it, as flags. Each has a default
//! that a public deployment can keep; README's "Exposure and limits" lists them.

use callstats_ingest::Limits;
use callstats_protocol::depth::MAX_MAX_DEPTH;
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
}

impl LimitArgs {
    /// The limits of the services.
    pub fn ingest_limits(&self) -> Limits {
        Limits {
            max_body_bytes: self.max_body_bytes,
            max_generic_bytes: self.max_generic_bytes,
            max_json_depth: self.max_json_depth,
            max_id_bytes: self.max_id_bytes,
            max_aggregate_days: self.max_aggregate_days,
            ..Limits::default()
        }
    }
}
