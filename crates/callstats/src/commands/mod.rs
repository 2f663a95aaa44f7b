//! One module per subcommand.

pub mod admin;
pub mod app;
pub mod bench;
pub mod bench_pages;
pub mod limits;
pub mod loadgen;
pub mod serve;

use std::sync::Arc;

use callstats_ingest::{Ingest, Limits, SystemClock};

use crate::database::{self, DatabaseArgs};

/// Opens the store and builds the services the way every subcommand needs them.
pub fn ingest(args: &DatabaseArgs) -> anyhow::Result<Arc<Ingest>> {
    ingest_with(args, Limits::default(), |ingest| ingest)
}

/// As `ingest`, with these limits, and adjusted by `configure`.
pub fn ingest_with(
    args: &DatabaseArgs,
    limits: Limits,
    configure: impl FnOnce(Ingest) -> Ingest,
) -> anyhow::Result<Arc<Ingest>> {
    let (store, key) = database::open(args)?;
    Ok(Arc::new(configure(Ingest::new(store, key, limits, Arc::new(SystemClock)))))
}
