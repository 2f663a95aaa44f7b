//! Forward-only migrations, embedded in the binary and recorded in `schema_version`. A database
//! written by a newer build is refused rather than half-understood.

use callstats_store::{Result, StoreError};
use rusqlite::Connection;

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_init.sql")),
    (2, include_str!("../migrations/0002_analytics.sql")),
    (3, include_str!("../migrations/0003_webhooks_retention.sql")),
    (4, include_str!("../migrations/0004_accounts_activity.sql")),
    (5, include_str!("../migrations/0005_summary_facts.sql")),
    (6, include_str!("../migrations/0006_summary_docs.sql")),
    (7, include_str!("../migrations/0007_day_rollups.sql")),
    (8, include_str!("../migrations/0008_participants_by_user.sql")),
    (9, include_str!("../migrations/0009_day_versions_of_existing.sql")),
    (10, include_str!("../migrations/0010_close_leases.sql")),
    (11, include_str!("../migrations/0011_job_leases.sql")),
    (12, include_str!("../migrations/0012_participant_country.sql")),
    (13, include_str!("../migrations/0013_rollup_parts.sql")),
];

pub(crate) fn run(conn: &mut Connection) -> Result<()> {
    let fail = |what: &str, e: rusqlite::Error| StoreError::backend(format!("migration: {what}"), e);
    conn.execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        .map_err(|e| fail("version table", e))?;
    let current: i64 = conn
        .query_row("SELECT COALESCE(MAX(version), 0) FROM schema_version", [], |r| r.get(0))
        .map_err(|e| fail("read version", e))?;
    let latest = MIGRATIONS.last().map_or(0, |m| m.0);
    if current > latest {
        return Err(StoreError::Corrupt(format!(
            "database schema version {current} is newer than this build knows ({latest}); refusing to downgrade"
        )));
    }
    for (version, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
        let tx = conn.transaction().map_err(|e| fail("begin", e))?;
        tx.execute_batch(sql).map_err(|e| fail(&format!("apply {version}"), e))?;
        tx.execute("INSERT INTO schema_version (version) VALUES (?1)", [version]).map_err(|e| fail("record", e))?;
        tx.commit().map_err(|e| fail("commit", e))?;
        tracing::info!(schema.version = version, "applied sqlite migration");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_migration_file_is_listed_in_order() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let mut files: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        files.sort();
        assert_eq!(files.len(), MIGRATIONS.len(), "{files:?}");
        for (i, (version, _)) in MIGRATIONS.iter().enumerate() {
            assert_eq!(*version, i as i64 + 1);
            assert!(files[i].starts_with(&format!("{:04}_", version)), "{}", files[i]);
        }
    }

    #[test]
    fn a_newer_database_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        run(&mut conn).unwrap();
        run(&mut conn).unwrap();
        conn.execute("INSERT INTO schema_version (version) VALUES (999)", []).unwrap();
        assert!(matches!(run(&mut conn), Err(StoreError::Corrupt(_))));
    }
}
