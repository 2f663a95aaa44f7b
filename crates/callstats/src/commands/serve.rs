//! `callstats serve`.

use std::net::SocketAddr;

use anyhow::Context;

use crate::database::DatabaseArgs;

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the bound address is printed).
    #[arg(long, env = "CALLSTATS_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Derive per-stream snapshots from stats bodies as they arrive (`false` only to measure
    /// what that costs: analyses then parse raw bodies when asked).
    #[arg(long, env = "CALLSTATS_ANALYTICS", default_value_t = true, action = clap::ArgAction::Set)]
    pub analytics: bool,
    /// Request header that a proxy in front sets to the client's country (ISO 3166-1 alpha-2),
    /// e.g. `CF-IPCountry` or `CloudFront-Viewer-Country`; participants then carry their country
    /// and the overview can filter by it. Name one only when every request passes that proxy:
    /// clients could set the header themselves otherwise.
    #[arg(long, env = "CALLSTATS_COUNTRY_HEADER", value_parser = parse_header_name)]
    pub country_header: Option<String>,
    /// Request header that a proxy in front sets to the client's IP address (`X-Forwarded-For`,
    /// `X-Real-IP`, `CF-Connecting-IP`; its last address is taken), which the rate limits key
    /// on. Without it they key on the connection's peer address, which behind a proxy is the
    /// proxy's. Name one only when every request passes that proxy.
    #[arg(long, env = "CALLSTATS_CLIENT_IP_HEADER", value_parser = parse_header_name)]
    pub client_ip_header: Option<String>,
    /// Let webhooks reach loopback, private, link-local and unique-local addresses, for
    /// receivers on your own network. Without it every address a webhook's host resolves to
    /// must be public, or the delivery fails without being sent.
    #[arg(long, env = "CALLSTATS_ALLOW_PRIVATE_WEBHOOKS")]
    pub allow_private_webhooks: bool,
    /// Serve Prometheus metrics at `http://ADDR/metrics`, on an address of their own (keep it
    /// off the internet: nothing there asks for credentials). Port 0 picks a free port; the
    /// bound address is printed. Without it no metrics are kept.
    #[arg(long, env = "CALLSTATS_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
    #[command(flatten)]
    pub limits: super::limits::LimitArgs,
}

fn parse_header_name(s: &str) -> Result<String, String> {
    axum::http::HeaderName::from_bytes(s.as_bytes())
        .map(|h| h.as_str().to_owned())
        .map_err(|_| format!("`{s}` is not a valid HTTP header name"))
}

pub async fn run(db: &DatabaseArgs, args: ServeArgs) -> anyhow::Result<()> {
    let ingest = super::ingest_with(db, args.limits.ingest_limits(), |ingest| {
        ingest
            .with_analytics(args.analytics)
            .with_country_header(args.country_header.clone())
            .with_client_ip_header(args.client_ip_header.clone())
            .with_private_webhooks(args.allow_private_webhooks)
    })?;
    let listener =
        tokio::net::TcpListener::bind(args.listen).await.with_context(|| format!("binding {}", args.listen))?;
    let addr = listener.local_addr()?;
    say(&format!("Listening on http://{addr}"));

    // Zero-config first run: a demo app, whose credentials are printed on every start so the
    // README's first command is all a newcomer needs.
    let apps = ingest.store().apps().await.context("listing apps")?;
    let demo = match apps.iter().find(|a| a.name == "demo").or(apps.first()) {
        Some(app) => app.id,
        None => {
            let created = ingest.create_app("demo").await.context("creating the demo app")?.0.id;
            // Nodes starting together on an empty PostgreSQL database may each create one; all
            // of them then show the oldest, so they agree on the credentials they print.
            let apps = ingest.store().apps().await.context("listing apps")?;
            apps.iter().filter(|a| a.name == "demo").map(|a| a.id).min().unwrap_or(created)
        }
    };
    let secret = ingest.app_secret(demo).await.context("opening the demo app's secret")?;
    say(&format!("AppID: {demo}"));
    say(&format!("AppSecret: {secret}"));
    // The first dashboard account; its password is shown this once (`callstats admin password`
    // sets a new one).
    if let Some((user, password)) = ingest.ensure_first_admin().await.context("creating the first admin")? {
        say(&format!("DashboardUser: {user}"));
        say(&format!("DashboardPassword: {password}"));
    }
    if callstats_server::missing_assets().contains(&"/") {
        say(&format!("Dashboard: not built into this binary; the JSON API is at http://{addr}/api/v1/"));
    } else {
        say(&format!("Dashboard: http://{addr}/"));
    }
    if let Some(metrics) = args.metrics_listen {
        let bound = serve_metrics(metrics).await?;
        say(&format!("Metrics: http://{bound}/metrics"));
    }
    tracing::info!(%addr, app.id = demo, "callstats serving");

    // Conferences close 30 s after their last measurement; checking every 5 s keeps the
    // summary within 35 s of it.
    tokio::spawn(ingest.clone().run_closer(std::time::Duration::from_secs(5)));
    // Day rollups of the overview are rebuilt within a minute of a late close, so pages rarely
    // pay for it.
    tokio::spawn(ingest.clone().run_rollup_keeper(std::time::Duration::from_secs(60)));
    // Webhooks are attempted within 2 s of being due; retention runs hourly.
    tokio::spawn(
        ingest.clone().run_background(std::time::Duration::from_secs(2), std::time::Duration::from_secs(3600)),
    );

    let connections = args.limits.connection_limits();
    callstats_server::serve(listener, callstats_server::router(ingest), connections, shutdown())
        .await
        .context("serving")?;
    tracing::info!("stopped");
    Ok(())
}

/// Installs the Prometheus recorder and serves what it renders on `addr`; returns the bound
/// address.
async fn serve_metrics(addr: SocketAddr) -> anyhow::Result<SocketAddr> {
    use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
    // Request latencies from a fraction of a millisecond (a stats submission) to the 30 s
    // request timeout; group commits from one request to thousands.
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full("callstats_http_request_duration_seconds".into()),
            &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0],
        )?
        .set_buckets_for_metric(
            Matcher::Full("callstats_group_commit_requests".into()),
            &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0, 4096.0],
        )?
        .install_recorder()
        .context("installing the metrics recorder")?;
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
        loop {
            tick.tick().await;
            upkeep.run_upkeep();
        }
    });
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("binding {addr}"))?;
    let bound = listener.local_addr()?;
    let app = axum::Router::new().route("/metrics", axum::routing::get(move || std::future::ready(handle.render())));
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "serving metrics failed");
        }
    });
    Ok(bound)
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// Prints a start-up line. A supervisor that stops reading our stdout must not take the server
/// down with it (println! would panic on a closed pipe), so write errors are ignored.
fn say(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}
