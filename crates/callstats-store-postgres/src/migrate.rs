//! Forward-only migrations, embedded in the binary and recorded in `schema_version`, like
//! SQLite's. All pending ones are applied in one transaction that first takes an advisory lock,
//! so nodes starting together apply each migration exactly once (the others wait, then find
//! nothing to do). A database written by a newer build is refused rather than half-understood.

use callstats_store::{Result, StoreError};
use deadpool_postgres::GenericClient;

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_init.sql")),
    (2, include_str!("../migrations/0002_packed_derived.sql")),
    (3, include_str!("../migrations/0003_close_leases.sql")),
    (4, include_str!("../migrations/0004_job_leases.sql")),
    (5, include_str!("../migrations/0005_participant_country.sql")),
    (6, include_str!("../migrations/0006_rollup_parts.sql")),
];

/// Advisory lock key of schema migrations ("callstat" in ASCII).
const MIGRATION_LOCK: i64 = 0x6361_6c6c_7374_6174;

pub(crate) async fn run(client: &mut deadpool_postgres::Object) -> Result<()> {
    let fail = |what: &str, e: tokio_postgres::Error| StoreError::backend(format!("migration: {what}"), e);
    let tx = client.transaction().await.map_err(|e| fail("begin", e))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await.map_err(|e| fail("lock", e))?;
    // `IF NOT EXISTS` finding what another node made is expected, not worth a NOTICE in the log.
    tx.batch_execute("SET LOCAL client_min_messages = warning").await.map_err(|e| fail("quiet", e))?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")
        .await
        .map_err(|e| fail("version table", e))?;
    let current: i64 = tx
        .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_version", &[])
        .await
        .map_err(|e| fail("read version", e))?
        .get(0);
    let latest = MIGRATIONS.last().map_or(0, |m| m.0);
    if current > latest {
        return Err(StoreError::Corrupt(format!(
            "database schema version {current} is newer than this build knows ({latest}); refusing to downgrade"
        )));
    }
    for (version, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
        tx.batch_execute(sql).await.map_err(|e| fail(&format!("apply {version}"), e))?;
        tx.execute("INSERT INTO schema_version (version) VALUES ($1)", &[version])
            .await
            .map_err(|e| fail("record", e))?;
        tracing::info!(schema.version = version, "applied postgres migration");
    }
    tx.commit().await.map_err(|e| fail("commit", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_migration_file_is_listed_in_order() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .expect("migrations dir")
            .map(|e| e.expect("dir entry").file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        assert_eq!(files.len(), MIGRATIONS.len(), "{files:?}");
        for (i, (version, _)) in MIGRATIONS.iter().enumerate() {
            assert_eq!(*version, i as i64 + 1);
            assert!(files[i].starts_with(&format!("{:04}_", version)), "{}", files[i]);
        }
    }
}
