//! `callstats admin …`.

use anyhow::Context;
use clap::Subcommand;

use crate::database::DatabaseArgs;

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an admin token for the JSON API and print it (only its hash is stored).
    Token {
        /// A label to recognise the token by.
        #[arg(long, default_value = "cli")]
        label: String,
    },
}

pub async fn run(db: &DatabaseArgs, cmd: AdminCommand) -> anyhow::Result<()> {
    let ingest = super::ingest(db)?;
    match cmd {
        AdminCommand::Token { label } => {
            let token = ingest.create_admin_token(&label).await.context("creating admin token")?;
            println!("{token}");
        }
    }
    Ok(())
}
