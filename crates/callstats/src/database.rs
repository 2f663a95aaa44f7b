//! Choosing and opening the store from a URL, and finding the server key.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use callstats_ingest::ServerKey;
use callstats_store::Store;
use callstats_store_postgres::PostgresStore;
use callstats_store_sqlite::SqliteStore;

/// Options every subcommand shares.
#[derive(Debug, clap::Args)]
pub struct DatabaseArgs {
    /// Database URL: `sqlite://RELATIVE/PATH.db`, `sqlite:///ABSOLUTE/PATH.db` (created if
    /// missing), or `postgres://USER:PASSWORD@HOST:PORT/DB` (several nodes may share one; the
    /// schema is migrated on start).
    #[arg(long, global = true, env = "CALLSTATS_DATABASE", default_value = "sqlite://./data/callstats.db")]
    pub database: String,
    /// File holding the server key that seals app secrets and signs tokens (created if missing).
    /// Default: `server.key` beside the SQLite file; required with PostgreSQL. Every node of one
    /// deployment needs the same key.
    #[arg(long, global = true, env = "CALLSTATS_SERVER_KEY_FILE")]
    pub server_key_file: Option<PathBuf>,
}

/// Where a database URL points.
#[derive(Debug, PartialEq, Eq)]
pub enum Backend {
    /// An SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL database (the URL as given).
    Postgres(String),
}

pub fn parse_url(url: &str) -> anyhow::Result<Backend> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        if path.is_empty() {
            bail!("database URL `{url}` has no path (use sqlite://./data/callstats.db or sqlite:///abs/path.db)");
        }
        return Ok(Backend::Sqlite(PathBuf::from(path)));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Backend::Postgres(url.to_owned()));
    }
    bail!("unsupported database URL `{url}`: expected sqlite://PATH or postgres://…")
}

/// Opens the store and loads the server key.
pub fn open(args: &DatabaseArgs) -> anyhow::Result<(Arc<dyn Store>, ServerKey)> {
    let (store, key_path): (Arc<dyn Store>, PathBuf) = match parse_url(&args.database)? {
        Backend::Sqlite(path) => {
            let store =
                SqliteStore::open(&path).with_context(|| format!("opening SQLite database {}", path.display()))?;
            let key_path = match &args.server_key_file {
                Some(p) => p.clone(),
                None => path.parent().map(|d| d.join("server.key")).unwrap_or_else(|| PathBuf::from("server.key")),
            };
            (Arc::new(store), key_path)
        }
        Backend::Postgres(url) => {
            let Some(key_path) = args.server_key_file.clone() else {
                bail!("--server-key-file is required with PostgreSQL: every node must use the same key file");
            };
            // Subcommands open the store from inside the runtime; the pool needs it to connect.
            let store =
                tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(PostgresStore::open(&url)))
                    .context("opening PostgreSQL database")?;
            (Arc::new(store), key_path)
        }
    };
    let key =
        ServerKey::load_or_create(&key_path).with_context(|| format!("loading server key {}", key_path.display()))?;
    Ok((store, key))
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
        assert_eq!(
            parse_url("postgres://u@localhost/x").unwrap(),
            Backend::Postgres("postgres://u@localhost/x".into())
        );
    }
}
