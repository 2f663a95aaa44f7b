//! `callstats bench pages`: how long the server takes to answer what the dashboard's pages ask
//! for, with a large history stored. The requests go through the real router in-process, so the
//! figure is server time (routing, queries, analysis, JSON), not network or browser time.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use axum::body::Body;
use axum::http::Request;
use callstats_ingest::{Ingest, Limits, SystemClock};
use callstats_store_sqlite::SqliteStore;
use clap::Args;
use http_body_util::BodyExt;
use tower::ServiceExt;

use super::loadgen::{HistoryArgs, generate};

#[derive(Debug, Args)]
pub struct PagesArgs {
    /// Conferences to store before measuring.
    #[arg(long, default_value_t = 100_000)]
    pub conferences: u32,
    /// Stats submissions per fabric at most in the generated history.
    #[arg(long, default_value_t = 3)]
    pub samples: u32,
    /// Repetitions of each request.
    #[arg(long, default_value_t = 15)]
    pub repeat: usize,
    /// Keep (or reuse) the database here instead of a temporary directory.
    #[arg(long)]
    pub dir: Option<std::path::PathBuf>,
}

/// Nearest-rank percentile of sorted values.
pub(super) fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize - 1;
    sorted[i.min(sorted.len() - 1)]
}

pub async fn pages(args: PagesArgs) -> anyhow::Result<()> {
    let tmp = tempfile_dir()?;
    let dir = args.dir.clone().unwrap_or_else(|| tmp.clone());
    std::fs::create_dir_all(&dir)?;
    let store = SqliteStore::open(dir.join("pages.db")).context("opening the benchmark database")?;
    let key = callstats_ingest::ServerKey::load_or_create(&dir.join("server.key"))?;
    let ingest = Arc::new(Ingest::new(Arc::new(store), key, Limits::default(), Arc::new(SystemClock)));
    let app = match ingest.store().apps().await?.into_iter().find(|a| a.name == "bench-pages") {
        Some(app) => app.id,
        None => {
            let app = ingest.create_app("bench-pages").await?.0.id;
            println!("generating {} conferences…", args.conferences);
            let history = HistoryArgs {
                app,
                conferences: args.conferences,
                days: 30,
                samples: args.samples,
                seed: 7,
                parallel: 64,
            };
            generate(ingest.clone(), &history).await?;
            app
        }
    };
    // What `serve`'s rollup keeper does within a minute of conferences closing.
    let started = Instant::now();
    let rebuilt = ingest.refresh_rollups().await?;
    println!(
        "rollup keeper: {rebuilt} stale day rollups rebuilt in {:.0} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    let token = ingest.create_admin_token("bench").await?;
    let router = callstats_server::router(ingest.clone());
    let stored = ingest.list_conferences(app, &Default::default()).await?;
    let some_conf = stored.first().map(|c| c.conf_id.clone()).context("no conference stored")?;
    let some_user = {
        let p = ingest.store().participants(app, &some_conf).await?;
        p.first().map(|p| p.user_id.clone()).unwrap_or_default()
    };
    let enc = |s: &str| callstats_protocol::uri::encode_uri_component(s);
    let pages: Vec<(&str, String)> = vec![
        ("conferences (latest 100)", format!("/api/v1/apps/{app}/conferences")),
        ("search by user", format!("/api/v1/apps/{app}/conferences?user={}", enc(&some_user))),
        ("search by conference ID", format!("/api/v1/apps/{app}/conferences?q=standup-9")),
        ("filter failed", format!("/api/v1/apps/{app}/conferences?status=failed")),
        ("filter score < 3", format!("/api/v1/apps/{app}/conferences?maxScore=3")),
        ("filter browser", format!("/api/v1/apps/{app}/conferences?browser=Firefox")),
        ("overview, 7 days", format!("/api/v1/apps/{app}/aggregates")),
        ("overview, 30 days", format!("/api/v1/apps/{app}/aggregates?from={}", ingest.now_ms() - 30 * 86_400_000)),
        (
            "overview, 30 days, Firefox",
            format!("/api/v1/apps/{app}/aggregates?from={}&browser=Firefox", ingest.now_ms() - 30 * 86_400_000),
        ),
        (
            "overview, 30 days, 2 filters",
            format!(
                "/api/v1/apps/{app}/aggregates?from={}&browser=Firefox&os=Linux",
                ingest.now_ms() - 30 * 86_400_000
            ),
        ),
        ("conference detail", format!("/api/v1/apps/{app}/conferences/{}", enc(&some_conf))),
        ("integration progress", format!("/api/v1/apps/{app}/integration")),
        ("apps", "/api/v1/apps".to_owned()),
        ("settings", format!("/api/v1/apps/{app}/settings")),
    ];
    println!(
        "{} conferences stored; server time per request over {} runs:",
        stored.len().max(args.conferences as usize),
        args.repeat
    );
    // The first request of each page is shown apart: it pays for cold caches (day rollups of the
    // overview are built on first use and reused until a conference of that day closes).
    println!("{:<28} {:>9} {:>9} {:>9} {:>9} {:>10}", "page", "first ms", "p50 ms", "p95 ms", "max ms", "bytes");
    let mut worst: f64 = 0.0;
    for (name, path) in &pages {
        let mut times = Vec::with_capacity(args.repeat);
        let mut bytes = 0;
        for _ in 0..args.repeat {
            let req = Request::get(path).header("authorization", format!("Bearer {token}")).body(Body::empty())?;
            let start = Instant::now();
            let resp = router.clone().oneshot(req).await?;
            let status = resp.status();
            let body = resp.into_body().collect().await?.to_bytes();
            times.push(start.elapsed().as_secs_f64() * 1000.0);
            anyhow::ensure!(status.is_success(), "{name}: HTTP {status}: {}", String::from_utf8_lossy(&body));
            bytes = body.len();
        }
        let first = times[0];
        times.sort_by(f64::total_cmp);
        let p95 = percentile(&times, 95.0);
        worst = worst.max(p95);
        println!(
            "{name:<28} {first:>9.1} {:>9.1} {:>9.1} {:>9.1} {bytes:>10}",
            percentile(&times, 50.0),
            p95,
            times[times.len() - 1]
        );
    }
    println!("RESULT pages worst_p95_ms={worst:.1} target_ms=200 {}", if worst < 200.0 { "met" } else { "NOT met" });
    if args.dir.is_none() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    Ok(())
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let d = std::env::temp_dir().join(format!("callstats-bench-pages-{}", std::process::id()));
    Ok(d)
}
