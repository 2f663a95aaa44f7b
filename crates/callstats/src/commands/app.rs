//! `callstats app …`: app management from the command line. Writes go straight to the
//! database, so a running server sees a new app on its next request.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;

use crate::database::DatabaseArgs;

#[derive(Debug, Subcommand)]
pub enum AppCommand {
    /// Create an app; prints `AppID: …` and `AppSecret: …`.
    Create {
        /// Display name.
        #[arg(long)]
        name: String,
    },
    /// List apps.
    List,
    /// Replace an app's secret; prints the new one.
    RotateSecret {
        /// The AppID.
        #[arg(long)]
        app: i64,
    },
    /// Register a third-party public key (ES256, PEM) for JWT authentication.
    AddKey {
        /// The AppID.
        #[arg(long)]
        app: i64,
        /// The `keyID` claim tokens signed with this key carry.
        #[arg(long)]
        key_id: String,
        /// Path of the PEM public key.
        #[arg(long)]
        pem: PathBuf,
    },
    /// Show the app's settings, or change them with a JSON merge patch, e.g.
    /// --patch '{"defaultConfig":{"peerConnection":{"iceTransportPolicy":"relay"},"media":{"audio":true}}}'
    /// or '{"retentionDays":30,"submissionIntervalMs":10000}'.
    Settings {
        /// The AppID.
        #[arg(long)]
        app: i64,
        /// JSON merge patch to apply (a key set to null returns it to its default).
        #[arg(long)]
        patch: Option<String>,
    },
    /// Set where conference summaries are POSTed (prints the new signing secret), or clear it.
    Webhook {
        /// The AppID.
        #[arg(long)]
        app: i64,
        /// The URL; omit to stop deliveries.
        #[arg(long)]
        url: Option<String>,
    },
    /// Set the app's origin allow-list (repeat --origin; none clears it, allowing every origin).
    SetOrigin {
        /// The AppID.
        #[arg(long)]
        app: i64,
        /// An allowed origin, such as https://meet.example.com.
        #[arg(long = "origin")]
        origins: Vec<String>,
    },
}

pub async fn run(db: &DatabaseArgs, cmd: AppCommand) -> anyhow::Result<()> {
    let ingest = super::ingest(db)?;
    match cmd {
        AppCommand::Create { name } => {
            let (app, secret) = ingest.create_app(&name).await.context("creating app")?;
            println!("AppID: {}", app.id);
            println!("AppSecret: {secret}");
        }
        AppCommand::List => {
            for app in ingest.store().apps().await.context("listing apps")? {
                let origins = if app.origins.is_empty() { "any origin".to_owned() } else { app.origins.join(" ") };
                println!("{}\t{}\t{}", app.id, app.name, origins);
            }
        }
        AppCommand::RotateSecret { app } => {
            let secret = ingest.rotate_secret(app).await.context("rotating secret")?;
            println!("AppID: {app}");
            println!("AppSecret: {secret}");
        }
        AppCommand::AddKey { app, key_id, pem } => {
            let text = std::fs::read_to_string(&pem).with_context(|| format!("reading {}", pem.display()))?;
            ingest.add_app_key(app, &key_id, &text).await.context("adding key")?;
            println!("key {key_id} registered for app {app}");
        }
        AppCommand::Settings { app, patch } => {
            let settings = match patch {
                Some(p) => {
                    let patch: serde_json::Value = serde_json::from_str(&p).context("--patch is not JSON")?;
                    ingest.patch_settings(app, &patch).await.context("updating settings")?
                }
                None => ingest.app(app).await.context("reading app")?.settings.clone(),
            };
            println!("{}", serde_json::to_string_pretty(&settings)?);
        }
        AppCommand::Webhook { app, url } => {
            match ingest.set_webhook(app, url.clone()).await.context("setting webhook")? {
                Some(secret) => {
                    println!("webhook of app {app}: {}", url.unwrap_or_default());
                    println!("WebhookSecret: {secret}");
                }
                None => println!("webhook of app {app} cleared"),
            }
        }
        AppCommand::SetOrigin { app, origins } => {
            let n = origins.len();
            ingest.set_origins(app, origins).await.context("setting origins")?;
            if n == 0 {
                println!("app {app} accepts every origin");
            } else {
                println!("app {app} accepts {n} origin(s)");
            }
        }
    }
    Ok(())
}
