//! Choosing and opening the store from a URL, and finding the server key.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use callstats_ingest::ServerKey;
use callstats_store::Store;
use callstats_store_sqlite::SqliteStore;

/// Options every subcommand shares.
#[derive(Debug, clap::Args)]
pub struct DatabaseArgs {
    /// Database URL: `sqlite://RELATIVE/PATH.db`, `sqlite:///ABSOLUTE/PATH.db` (created if
    /// missing), or `postgres://…` (not yet supported).
    #[arg(long, global = true, env = "CALLSTATS_DATABASE", default_value = "sqlite://./data/callstats.db")]
    pub database: String,
    /// File holding the server key that seals app secrets and signs tokens (created if missing).
    /// Default: `server.key` beside the SQLite file. Every node of one deployment needs the same key.
    #[arg(long, global = true, env = "CALLSTATS_SERVER_KEY_FILE")]
    pub server_key_file: Option<PathBuf>,
}

/// Where a database URL points.
#[derive(Debug, PartialEq, Eq)]
pub enum Backend {
    /// An SQLite file.
    Sqlite(PathBuf),
}

pub fn parse_url(url: &str) -> anyhow::Result<Backend> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        if path.is_empty() {
            bail!("database URL `{url}` has no path (use sqlite://./data/callstats.db or sqlite:///abs/path.db)");
        }
        return Ok(Backend::Sqlite(PathBuf::from(path)));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        bail!("PostgreSQL is not supported by this build yet; use an sqlite:// URL");
    }
    bail!("unsupported database URL `{url}`: expected sqlite://PATH")
}

/// Opens the store and loads the server key.
pub fn open(args: &DatabaseArgs) -> anyhow::Result<(Arc<dyn Store>, ServerKey)> {
    let Backend::Sqlite(path) = parse_url(&args.database)?;
    let store = SqliteStore::open(&path).with_context(|| format!("opening SQLite database {}", path.display()))?;
    let key_path = match &args.server_key_file {
        Some(p) => p.clone(),
        None => path.parent().map(|d| d.join("server.key")).unwrap_or_else(|| PathBuf::from("server.key")),
    };
    let key =
        ServerKey::load_or_create(&key_path).with_context(|| format!("loading server key {}", key_path.display()))?;
    Ok((Arc::new(store), key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sqlite_urls() {
        assert_eq!(parse_url("sqlite:///abs/x.db").unwrap(), Backend::Sqlite("/abs/x.db".into()));
        assert_eq!(parse_url("sqlite://./data/x.db").unwrap(), Backend::Sqlite("./data/x.db".into()));
        assert!(parse_url("sqlite://").is_err());
        assert!(parse_url("mysql://x").is_err());
        assert!(parse_url("postgres://localhost/x").unwrap_err().to_string().contains("PostgreSQL"));
    }
}
