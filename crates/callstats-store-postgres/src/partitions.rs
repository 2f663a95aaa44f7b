//! Daily range partitions of raw stats samples (`submissions_stats_d<day>`, day = epoch ms /
//! 86,400,000 of the receive time).
//!
//! Whoever is about to write into a day creates its partition first, and the next day's too, in a
//! transaction of its own under an advisory lock, with `CREATE TABLE IF NOT EXISTS`: idempotent,
//! and two nodes never race on the catalogue. The set of days known to exist is a cache that
//! only saves that round trip; when it is wrong (another node's retention dropped a day) the
//! insert fails, the cache is forgotten and the write retried once.
//!
//! Retention drops a day's partition when it lies wholly before the cutoff and holds no sample
//! of a conference that is still open (those stay, as with row deletes).

use std::collections::{BTreeSet, HashSet};
use std::sync::Mutex;

use callstats_store::{DAY_MS, Result, StoreError};
use deadpool_postgres::{GenericClient, Pool};

use crate::db;

/// Advisory lock key of partition DDL ("partitio" in ASCII).
const PARTITION_LOCK: i64 = 0x7061_7274_6974_696f;

#[derive(Default)]
pub(crate) struct Partitions {
    known: Mutex<HashSet<i64>>,
}

fn name(day: i64) -> String {
    format!("submissions_stats_d{day}")
}

async fn connect(pool: &Pool) -> Result<deadpool_postgres::Object> {
    pool.get().await.map_err(|e| StoreError::Unavailable { reason: format!("no PostgreSQL connection free: {e}") })
}

impl Partitions {
    fn missing(&self, days: &BTreeSet<i64>) -> Vec<i64> {
        let known = self.known.lock().expect("partition cache lock is never held across a panic");
        days.iter()
            .flat_map(|d| [*d, d + 1])
            .filter(|d| !known.contains(d))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    }

    /// Makes sure the partitions of `days` (and of each following day) exist.
    pub(crate) async fn ensure(&self, pool: &Pool, days: BTreeSet<i64>) -> Result<()> {
        let missing = self.missing(&days);
        if missing.is_empty() {
            return Ok(());
        }
        let mut client = connect(pool).await?;
        let tx = client.transaction().await.map_err(db("begin partitions"))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&PARTITION_LOCK]).await.map_err(db("partition lock"))?;
        // `IF NOT EXISTS` finding another node's partition is expected, not worth a NOTICE.
        tx.batch_execute("SET LOCAL client_min_messages = warning").await.map_err(db("partition lock"))?;
        for day in &missing {
            tx.batch_execute(&format!(
                "CREATE TABLE IF NOT EXISTS {} PARTITION OF submissions_stats FOR VALUES FROM ({}) TO ({})",
                name(*day),
                day * DAY_MS,
                (day + 1) * DAY_MS
            ))
            .await
            .map_err(db("create partition"))?;
        }
        tx.commit().await.map_err(db("commit partitions"))?;
        self.known.lock().expect("partition cache lock is never held across a panic").extend(missing);
        Ok(())
    }

    /// Forgets which partitions exist (another node may have dropped some).
    pub(crate) fn forget(&self) {
        self.known.lock().expect("partition cache lock is never held across a panic").clear();
    }

    /// Drops the day partitions that end at or before `before_ms` and hold no sample of an
    /// open conference. Returns how many were dropped.
    pub(crate) async fn drop_before(&self, pool: &Pool, before_ms: i64) -> Result<u64> {
        let mut client = connect(pool).await?;
        let days: Vec<i64> = client
            .query(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                 WHERE i.inhparent = 'submissions_stats'::regclass",
                &[],
            )
            .await
            .map_err(db("list partitions"))?
            .iter()
            .filter_map(|r| r.get::<_, String>(0).strip_prefix("submissions_stats_d")?.parse().ok())
            .filter(|day: &i64| (day + 1) * DAY_MS <= before_ms)
            .collect();
        let mut dropped = 0;
        for day in days {
            let tx = client.transaction().await.map_err(db("begin retention"))?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&PARTITION_LOCK]).await.map_err(db("partition lock"))?;
            let table = name(day);
            let exists: bool =
                tx.query_one("SELECT to_regclass($1) IS NOT NULL", &[&table]).await.map_err(db("retention"))?.get(0);
            if !exists {
                continue;
            }
            let open: bool = tx
                .query_one(
                    &format!(
                        "SELECT EXISTS (SELECT 1 FROM {table} s JOIN conferences c ON c.id = s.conference
                         WHERE c.closed_at IS NULL)"
                    ),
                    &[],
                )
                .await
                .map_err(db("retention"))?
                .get(0);
            if open {
                continue;
            }
            tx.batch_execute(&format!("DROP TABLE {table}")).await.map_err(db("drop partition"))?;
            tx.commit().await.map_err(db("commit retention"))?;
            self.known.lock().expect("partition cache lock is never held across a panic").remove(&day);
            tracing::info!(partition = %table, "retention dropped a day of raw samples");
            dropped += 1;
        }
        Ok(dropped)
    }
}
