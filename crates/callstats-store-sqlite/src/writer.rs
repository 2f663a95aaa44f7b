//! The single writer thread and its group commit.
//!
//! SQLite allows one writer at a time, and with `synchronous=FULL` each commit costs an fsync.
//! Rather than let request tasks contend for the write lock, every write is a job on a bounded
//! queue. The writer takes the first job, drains whatever else is already waiting (up to
//! `MAX_BATCH_WRITES` records), applies them in one transaction, commits once, and only then
//! answers every job. Under load the batches grow by themselves; when idle a lone request commits
//! at once. A full queue is reported as `Unavailable` so the HTTP layer answers 503 with
//! `Retry-After` instead of buffering without bound.

use std::collections::HashMap;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};

use callstats_store::{Result, StoreError, Write};
use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::queries;

/// Jobs that may wait for the writer; beyond this, writes are refused with `Unavailable`.
const QUEUE_JOBS: usize = 8192;
/// Records folded into one transaction at most, so one commit never stalls for long.
const MAX_BATCH_WRITES: usize = 4096;

type Exec = Box<dyn FnOnce(&mut Connection) + Send>;

enum Job {
    Batch(Vec<Write>, oneshot::Sender<Result<()>>),
    Exec(Exec),
}

pub(crate) struct Writer {
    tx: SyncSender<Job>,
}

impl Writer {
    pub(crate) fn start(conn: Connection) -> Result<Self> {
        let (tx, rx) = sync_channel(QUEUE_JOBS);
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run(conn, rx))
            .map_err(|e| StoreError::backend("spawn writer thread", e))?;
        Ok(Writer { tx })
    }

    fn submit(&self, job: Job) -> Result<()> {
        self.tx.try_send(job).map_err(|e| match e {
            TrySendError::Full(_) => StoreError::Unavailable { reason: "write queue is full".into() },
            TrySendError::Disconnected(_) => StoreError::Unavailable { reason: "writer has stopped".into() },
        })
    }

    pub(crate) async fn write(&self, batch: Vec<Write>) -> Result<()> {
        let (done, wait) = oneshot::channel();
        self.submit(Job::Batch(batch, done))?;
        wait.await.map_err(|_| StoreError::Unavailable { reason: "writer dropped the request".into() })?
    }

    /// Runs an arbitrary write (app management) on the writer's connection, in its own
    /// transaction.
    pub(crate) async fn exec<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let (done, wait) = oneshot::channel();
        self.submit(Job::Exec(Box::new(move |conn: &mut Connection| {
            let out = (|| {
                let tx = begin(conn)?;
                let v = f(&tx)?;
                tx.commit().map_err(|e| StoreError::backend("commit", e))?;
                Ok(v)
            })();
            let _ = done.send(out);
        })))?;
        wait.await.map_err(|_| StoreError::Unavailable { reason: "writer dropped the request".into() })?
    }
}

fn run(mut conn: Connection, rx: Receiver<Job>) {
    let mut batch: Vec<(Vec<Write>, oneshot::Sender<Result<()>>)> = Vec::new();
    while let Ok(first) = rx.recv() {
        let mut pending = Some(first);
        let mut records = 0;
        loop {
            match pending.take() {
                Some(Job::Batch(writes, done)) => {
                    records += writes.len();
                    batch.push((writes, done));
                }
                Some(Job::Exec(f)) => {
                    // Keep ordering: commit what is gathered before running the exec job.
                    commit(&mut conn, &mut batch);
                    records = 0;
                    f(&mut conn);
                }
                None => {}
            }
            if records >= MAX_BATCH_WRITES {
                break;
            }
            match rx.try_recv() {
                Ok(job) => pending = Some(job),
                Err(_) => break,
            }
        }
        commit(&mut conn, &mut batch);
    }
    tracing::debug!("sqlite writer stopped");
}

fn commit(conn: &mut Connection, batch: &mut Vec<(Vec<Write>, oneshot::Sender<Result<()>>)>) {
    if batch.is_empty() {
        return;
    }
    let jobs = batch.len();
    metrics::histogram!("callstats_group_commit_requests").record(jobs as f64);
    match apply(conn, batch) {
        Ok(()) => {
            tracing::trace!(jobs, "group commit");
            for (_, done) in batch.drain(..) {
                let _ = done.send(Ok(()));
            }
        }
        // One bad record must not fail the requests that happened to share its transaction:
        // retry each job alone so only the faulty one is refused.
        Err(e) if jobs > 1 => {
            tracing::warn!(jobs, error = %e, "group commit failed; committing jobs one by one");
            for job in batch.drain(..) {
                let result = apply(conn, std::slice::from_ref(&job));
                let _ = job.1.send(result);
            }
        }
        // A lone job gets its own error as it is (a taken key stays a `Conflict`).
        Err(e) => {
            match &e {
                StoreError::Conflict(_) => tracing::debug!(error = %e, "write refused"),
                _ => tracing::error!(error = %e, "commit failed"),
            }
            if let Some((_, done)) = batch.pop() {
                let _ = done.send(Err(e));
            }
        }
    }
}

/// Begins a write transaction that holds the database's write lock from its first statement.
///
/// Another process may write the same file (the CLI's `import` or `loadgen history` beside a
/// running server). A deferred transaction that reads before it writes (closing a conference
/// checks its `last_seen` first) fails at once with `SQLITE_BUSY` when the other process commits
/// in between, because its read snapshot is stale, and `busy_timeout` does not retry that. An
/// immediate transaction waits for the lock (up to `busy_timeout`) at `BEGIN` instead, so it
/// never reads a snapshot it cannot write on.
fn begin(conn: &mut Connection) -> Result<rusqlite::Transaction<'_>> {
    conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(|e| crate::unavailable_if_transient(StoreError::backend("begin", e)))
}

fn apply(conn: &mut Connection, batch: &[(Vec<Write>, oneshot::Sender<Result<()>>)]) -> Result<()> {
    let tx = begin(conn)?;
    let mut conferences: HashMap<(i64, String), i64> = HashMap::new();
    for (writes, _) in batch {
        for w in writes {
            queries::apply_write(&tx, w, &mut conferences).map_err(crate::unavailable_if_transient)?;
        }
    }
    tx.commit().map_err(|e| crate::unavailable_if_transient(StoreError::backend("commit", e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Another process that commits between this transaction's read and its write must not make
    /// the write fail: it has to wait until this transaction ends.
    #[tokio::test]
    async fn a_write_transaction_holds_the_write_lock_from_its_start() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("two-writers.db");
        let conn = Connection::open(&path).expect("open");
        conn.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (v INTEGER);").expect("schema");
        let writer = Writer::start(conn).expect("writer");
        let other_path = path.clone();
        let other_committed = writer
            .exec(move |tx| {
                let n: i64 = tx.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).expect("read");
                // The other process, while this transaction is between its read and its write.
                let other = Connection::open(&other_path).expect("other");
                other.busy_timeout(std::time::Duration::from_millis(50)).expect("timeout");
                let committed = other.execute("INSERT INTO t VALUES (2)", []).is_ok();
                tx.execute("INSERT INTO t VALUES (?1)", [n + 1]).map_err(|e| StoreError::backend("write", e))?;
                Ok(committed)
            })
            .await
            .expect("this transaction's write succeeds");
        assert!(!other_committed, "the other writer waited for the lock instead of slipping in between");
    }
}
