//! `callstats admin …`.

use anyhow::Context;
use clap::Subcommand;

use crate::database::DatabaseArgs;

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a dashboard account; prints the password (generated unless given).
    Create {
        /// Login name.
        #[arg(long)]
        username: String,
        /// Password (at least 10 characters); generated when omitted.
        #[arg(long, env = "CALLSTATS_ADMIN_PASSWORD")]
        password: Option<String>,
    },
    /// Set a new password for a dashboard account (ends its sessions).
    Password {
        /// Login name.
        #[arg(long)]
        username: String,
        /// The new password (at least 10 characters).
        #[arg(long, env = "CALLSTATS_ADMIN_PASSWORD")]
        password: String,
    },
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
        AdminCommand::Create { username, password } => {
            let password = ingest.create_user(&username, password.as_deref()).await.context("creating account")?;
            println!("DashboardUser: {username}");
            println!("DashboardPassword: {password}");
        }
        AdminCommand::Password { username, password } => {
            ingest.set_password(&username, &password).await.context("setting password")?;
            println!("password of {username} changed");
        }
        AdminCommand::Token { label } => {
            let token = ingest.create_admin_token(&label).await.context("creating admin token")?;
            println!("{token}");
        }
    }
    Ok(())
}
