//! Group commit: the requests' write batches of one node share transactions.
//!
//! Each stats submission committed on its own costs PostgreSQL a transaction and a WAL flush, and
//! that per-commit work, not the rows, is what limits a node (`callstats bench ingest
//! --postgres`). So writes are jobs on a bounded queue, and a few committer tasks each take the
//! first waiting job plus whatever else is queued (up to `MAX_GROUP_WRITES` records), write them
//! in one transaction, commit once, and only then answer every job. Under load the groups grow by
//! themselves; a lone request is written at once, as before. A full queue is `Unavailable` (the
//! HTTP layer answers 503 with `Retry-After`).
//!
//! The jobs of a group are written in conference order, so two nodes' groups lock the conference
//! rows they share in the same order. A group that fails (a bad record, a deadlock, a partition
//! another node's retention dropped) is written again job by job, each with the retries of a lone
//! write, so a faulty job is refused alone.

use std::collections::BTreeSet;
use std::sync::Arc;

use callstats_store::{Result, StoreError, SubmissionKind, Write, utc_day};
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio_postgres::error::SqlState;

use crate::{Shared, db, queries, sql_state};

/// Jobs that may wait; beyond this, writes are refused with `Unavailable`.
const QUEUE_JOBS: usize = 8192;
/// Records written in one transaction at most, so one commit never holds its locks for long.
const MAX_GROUP_WRITES: usize = 1024;
/// Transactions a node has in flight at once: while one waits for its flush, the next group
/// gathers. Each holds a pooled connection while it writes.
pub(crate) const COMMITTERS: usize = 3;
/// How often a transaction that lost a deadlock (two nodes writing the same conferences in a
/// different order) is retried before the error is returned.
const DEADLOCK_RETRIES: usize = 3;

struct Job {
    writes: Vec<Write>,
    done: oneshot::Sender<Result<()>>,
}

/// The queue in front of the committer tasks.
pub(crate) struct Committer {
    tx: mpsc::Sender<Job>,
}

impl Committer {
    /// Starts the committer tasks on the current tokio runtime; they end when the store is
    /// dropped.
    pub(crate) fn start(shared: Arc<Shared>) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE_JOBS);
        let rx = Arc::new(Mutex::new(rx));
        for _ in 0..COMMITTERS {
            tokio::spawn(run(Arc::clone(&shared), Arc::clone(&rx)));
        }
        Committer { tx }
    }

    /// Writes `writes` atomically, in a transaction it may share with other jobs.
    pub(crate) async fn write(&self, writes: Vec<Write>) -> Result<()> {
        let (done, wait) = oneshot::channel();
        self.tx.try_send(Job { writes, done }).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => StoreError::Unavailable { reason: "write queue is full".into() },
            mpsc::error::TrySendError::Closed(_) => {
                StoreError::Unavailable { reason: "the committers have stopped".into() }
            }
        })?;
        wait.await.map_err(|_| StoreError::Unavailable { reason: "a committer dropped the write".into() })?
    }
}

async fn run(shared: Arc<Shared>, rx: Arc<Mutex<mpsc::Receiver<Job>>>) {
    loop {
        let mut group = Vec::new();
        {
            // One committer gathers at a time; the others wait here, or are committing.
            let mut rx = rx.lock().await;
            let Some(first) = rx.recv().await else { return };
            let mut records = first.writes.len();
            group.push(first);
            while records < MAX_GROUP_WRITES {
                let Ok(job) = rx.try_recv() else { break };
                records += job.writes.len();
                group.push(job);
            }
        }
        commit(&shared, group).await;
    }
}

/// The conference a job writes to first, by which the jobs of a group are ordered.
fn conference(job: &Job) -> Option<(i64, &str)> {
    job.writes.iter().find_map(|w| match w {
        Write::Join(p) => Some((p.app_id, p.conf_id.as_str())),
        Write::Submission(s) => Some((s.app_id, s.conf_id.as_deref()?)),
        Write::Hold { app_id, conf_id, .. } => Some((*app_id, conf_id.as_str())),
        Write::Activity { .. } => None,
    })
}

async fn commit(shared: &Shared, mut group: Vec<Job>) {
    metrics::histogram!("callstats_group_commit_requests").record(group.len() as f64);
    if group.len() > 1 {
        group.sort_by(|a, b| conference(a).cmp(&conference(b)));
        let jobs = group.len();
        match write_group(shared, &group).await {
            Ok(()) => {
                tracing::trace!(jobs, "group commit");
                for job in group {
                    let _ = job.done.send(Ok(()));
                }
                return;
            }
            Err(e) => tracing::debug!(jobs, error = %e, "group commit failed; writing its jobs one by one"),
        }
    }
    for job in group {
        let result = write_alone(shared, &job.writes).await;
        let _ = job.done.send(result);
    }
}

/// The partitions (days) the stats samples of `writes` go to.
fn days<'a>(writes: impl Iterator<Item = &'a Write>) -> BTreeSet<i64> {
    writes
        .filter_map(|w| match w {
            Write::Submission(s) if s.kind == SubmissionKind::Stats => Some(utc_day(s.received_at_ms)),
            _ => None,
        })
        .collect()
}

async fn write_group(shared: &Shared, group: &[Job]) -> Result<()> {
    shared.partitions.ensure(&shared.pool, days(group.iter().flat_map(|j| &j.writes))).await?;
    let mut client = shared.client().await?;
    let tx = client.transaction().await.map_err(db("begin write"))?;
    // The jobs' statements are pipelined: sent without waiting for each other's replies.
    let tx_ref = &tx;
    futures_util::future::try_join_all(group.iter().map(|j| async move {
        for w in &j.writes {
            queries::apply_write(tx_ref, w).await?;
        }
        Ok::<(), StoreError>(())
    }))
    .await?;
    tx.commit().await.map_err(db("commit write"))
}

/// One job in a transaction of its own, retried after a deadlock or a partition dropped by
/// another node.
async fn write_alone(shared: &Shared, writes: &[Write]) -> Result<()> {
    let days = days(writes.iter());
    shared.partitions.ensure(&shared.pool, days.clone()).await?;
    let mut attempt = 0;
    loop {
        match write_once(shared, writes).await {
            // Another node's retention dropped a partition this node still had in mind.
            Err(e) if sql_state(&e) == Some(&SqlState::CHECK_VIOLATION) && attempt == 0 => {
                shared.partitions.forget();
                shared.partitions.ensure(&shared.pool, days.clone()).await?;
            }
            Err(e) if sql_state(&e) == Some(&SqlState::T_R_DEADLOCK_DETECTED) && attempt < DEADLOCK_RETRIES => {}
            other => return other,
        }
        attempt += 1;
    }
}

async fn write_once(shared: &Shared, writes: &[Write]) -> Result<()> {
    let mut client = shared.client().await?;
    // A submission, an activity count or a hold alone is one statement, atomic by itself: one
    // round trip instead of four with BEGIN and COMMIT (most requests are one stats submission).
    if let [w @ (Write::Submission(_) | Write::Activity { .. } | Write::Hold { .. })] = writes {
        return queries::apply_write(&client, w).await;
    }
    let tx = client.transaction().await.map_err(db("begin write"))?;
    for w in writes {
        queries::apply_write(&tx, w).await?;
    }
    tx.commit().await.map_err(db("commit write"))
}
