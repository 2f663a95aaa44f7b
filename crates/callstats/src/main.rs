#![doc = include_str!("../README.md")]

mod commands;
mod database;
mod logging;

use clap::{Parser, Subcommand};

/// Self-hosted WebRTC monitoring and analytics, compatible with callstats.js.
#[derive(Debug, Parser)]
#[command(name = "callstats", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub global: database::DatabaseArgs,
    /// How log lines on stderr are written: `text`, or `json` (one object per line).
    #[arg(long, global = true, env = "CALLSTATS_LOG_FORMAT", value_enum, default_value_t)]
    pub log_format: logging::LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the collector, the JSON API and (later) the dashboard.
    Serve(commands::serve::ServeArgs),
    /// Manage apps: create, list, rotate secrets, third-party keys, origin allow-lists.
    #[command(subcommand)]
    App(commands::app::AppCommand),
    /// Admin access to the JSON API.
    #[command(subcommand)]
    Admin(commands::admin::AdminCommand),
    /// Create or upgrade the database schema and exit.
    Migrate,
    /// Import recorded requests (NDJSON, or a directory in the fixtures/wire format) into an app.
    Import(commands::loadgen::ImportArgs),
    /// Generate load: a realistic history of conferences for dashboards and benchmarks.
    #[command(subcommand)]
    Loadgen(LoadgenCommand),
    /// Benchmarks that print figures (not pass/fail tests).
    #[command(subcommand)]
    Bench(commands::bench::BenchCommand),
}

#[derive(Debug, Subcommand)]
pub enum LoadgenCommand {
    /// Generate closed conferences spread over past days, straight into the database.
    History(commands::loadgen::HistoryArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    logging::init(cli.log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => commands::serve::run(&cli.global, args).await,
            Command::App(cmd) => commands::app::run(&cli.global, cmd).await,
            Command::Admin(cmd) => commands::admin::run(&cli.global, cmd).await,
            Command::Bench(cmd) => commands::bench::run(cmd).await,
            Command::Import(args) => commands::loadgen::import(&cli.global, args).await,
            Command::Loadgen(LoadgenCommand::History(args)) => commands::loadgen::history(&cli.global, args).await,
            Command::Migrate => {
                database::open(&cli.global)?;
                println!("database is up to date");
                Ok(())
            }
        }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn verify_cli() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
