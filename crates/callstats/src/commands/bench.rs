//! `callstats bench …`: load generators that print figures.

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Server time of the dashboard's API requests with a large history stored.
    Pages(super::bench_pages::PagesArgs),
}

pub async fn run(cmd: BenchCommand) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Pages(args) => super::bench_pages::pages(args).await,
    }
}
