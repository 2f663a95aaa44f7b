//! `callstats bench …`: load generators that print figures (benchmarks, not pass/fail tests).
//!
//! `bench ingest` simulates PeerConnections posting the real 16 KB stats body that
//! callstats-js 3.73.16 sends (from `fixtures/wire`, embedded at build time) to a server in a
//! closed loop: each simulated PeerConnection waits for its answer before sending again, so the
//! figure is the rate at which the server acknowledges durably committed submissions.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Acknowledged stats submissions per second, latency and server memory.
    Ingest(IngestArgs),
    /// Server time of the dashboard's API requests with a large history stored.
    Pages(super::bench_pages::PagesArgs),
}

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Simulated PeerConnections posting concurrently.
    #[arg(long, default_value_t = 200)]
    pub users: usize,
    /// Measured seconds.
    #[arg(long, default_value_t = 20)]
    pub duration: u64,
    /// Seconds of load before measuring.
    #[arg(long, default_value_t = 2)]
    pub warmup: u64,
    /// Target a running server instead of starting one (then --app-id and --app-secret).
    #[arg(long)]
    pub url: Option<String>,
    /// App of the running server.
    #[arg(long)]
    pub app_id: Option<i64>,
    /// Its secret.
    #[arg(long)]
    pub app_secret: Option<String>,
    /// Extra argument for the `serve` this command starts (repeatable), e.g.
    /// `--server-arg=--analytics=false`.
    #[arg(long = "server-arg", allow_hyphen_values = true)]
    pub server_args: Vec<String>,
}

pub async fn run(cmd: BenchCommand) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Ingest(args) => ingest(args).await,
        BenchCommand::Pages(args) => super::bench_pages::pages(args).await,
    }
}

const STATS_FIXTURE: &str = include_str!(
    "../../../../fixtures/wire/secret-flow/POST_stats_v1_apps_appID_conferences_confID_ucID_stats__stats.json"
);

/// A `serve` child process; killed on drop.
struct Server {
    child: Child,
    dir: std::path::PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn start_server(extra: &[String]) -> anyhow::Result<(Server, String, i64, String)> {
    let dir = std::env::temp_dir().join(format!("callstats-bench-ingest-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let db = format!("sqlite://{}/bench.db", dir.display());
    let mut child = Command::new(std::env::current_exe()?)
        .args(["serve", "--listen", "127.0.0.1:0", "--database", &db])
        .args(extra)
        .env("CALLSTATS_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting the server")?;
    let stdout = child.stdout.take().context("server stdout")?;
    let server = Server { child, dir };
    let mut lines = BufReader::new(stdout).lines();
    let mut next = |prefix: &str| -> anyhow::Result<String> {
        for line in lines.by_ref() {
            if let Some(v) = line?.strip_prefix(prefix) {
                return Ok(v.trim().to_owned());
            }
        }
        bail!("the server exited before printing `{prefix}`")
    };
    let base = next("Listening on ")?;
    let app: i64 = next("AppID: ")?.parse()?;
    let secret = next("AppSecret: ")?;
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Ok((server, base, app, secret))
}

fn peak_rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 =
        status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?.trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kb / 1024.0)
}

struct User {
    token: String,
    url: String,
}

async fn prepare(client: &reqwest::Client, base: &str, app: i64, secret: &str, i: usize) -> anyhow::Result<User> {
    let user = format!("bench-user-{i}");
    let code = encode(
        &Header::new(Algorithm::HS256),
        &json!({"userID": user, "appID": app.to_string(), "generateTurnCredentials": false}),
        &EncodingKey::from_secret(secret.as_bytes()),
    )?;
    let auth: Value = client
        .post(format!("{base}/authenticate"))
        .form(&[("client_id", format!("{user}@{app}")), ("code", code), ("grant_type", "authorization_code".into())])
        .send()
        .await?
        .json()
        .await?;
    let token = auth["access_token"].as_str().context("no access token")?.to_owned();
    let conf = format!("bench-conf-{}", i / 2);
    let joined: Value = client
        .post(format!("{base}/v1/apps/{app}/conferences/{conf}"))
        .bearer_auth(&token)
        .json(&json!({"localID": user, "deviceID": "bench", "timestamp": 1, "eventType": "userJoined",
                      "endpointInfo": {"type": "browser", "buildName": "Chrome", "buildVersion": "156"}}))
        .send()
        .await?
        .json()
        .await?;
    let uc = joined["ucID"].as_str().context("no ucID")?;
    Ok(User { token, url: format!("{base}/v1/apps/{app}/conferences/{conf}/{uc}/stats") })
}

async fn ingest(args: IngestArgs) -> anyhow::Result<()> {
    let (server, base, app, secret) = match &args.url {
        Some(url) => {
            let app = args.app_id.context("--url needs --app-id")?;
            let secret = args.app_secret.clone().context("--url needs --app-secret")?;
            (None, url.trim_end_matches('/').to_owned(), app, secret)
        }
        None => {
            let (s, b, a, sec) = start_server(&args.server_args)?;
            (Some(s), b, a, sec)
        }
    };
    let fixture: Value = serde_json::from_str(STATS_FIXTURE)?;
    let body = Arc::new(serde_json::to_vec(&fixture["body_json"])?);
    let client = reqwest::Client::builder().pool_max_idle_per_host(args.users + 8).build()?;
    let mut users = Vec::with_capacity(args.users);
    for i in 0..args.users {
        users.push(prepare(&client, &base, app, &secret, i).await.with_context(|| format!("preparing user {i}"))?);
    }

    let start = Instant::now();
    let measure_from = start + Duration::from_secs(args.warmup);
    let end = measure_from + Duration::from_secs(args.duration);
    let mut tasks = Vec::new();
    for u in users {
        let (client, body) = (client.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies: Vec<u32> = Vec::new();
            let mut errors: BTreeMap<String, u64> = BTreeMap::new();
            while Instant::now() < end {
                let sent = Instant::now();
                let result = client
                    .post(&u.url)
                    .bearer_auth(&u.token)
                    .header("content-type", "application/json")
                    .body(body.as_ref().clone())
                    .send()
                    .await;
                let outcome = match result {
                    Ok(resp) => {
                        let status = resp.status();
                        match resp.json::<Value>().await {
                            Ok(v) if status.is_success() && v["status"] == "success" => Ok(()),
                            Ok(v) => Err(format!("HTTP {status} {}", v["msg"].as_str().unwrap_or(""))),
                            Err(e) => Err(format!("HTTP {status} unreadable: {e}")),
                        }
                    }
                    Err(e) => Err(format!("transport: {e}")),
                };
                let done = Instant::now();
                if sent < measure_from || done > end {
                    continue;
                }
                match outcome {
                    Ok(()) => latencies.push(done.duration_since(sent).as_micros() as u32),
                    Err(e) => *errors.entry(e).or_default() += 1,
                }
            }
            (latencies, errors)
        }));
    }
    let mut latencies = Vec::new();
    let mut errors: BTreeMap<String, u64> = BTreeMap::new();
    for t in tasks {
        let (l, e) = t.await?;
        latencies.extend(l);
        for (k, v) in e {
            *errors.entry(k).or_default() += v;
        }
    }
    let rss = server.as_ref().and_then(|s| peak_rss_mib(s.child.id()));
    let db_bytes: u64 = server
        .as_ref()
        .map(|s| {
            ["bench.db", "bench.db-wal"]
                .iter()
                .filter_map(|f| std::fs::metadata(s.dir.join(f)).ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0);
    drop(server);

    latencies.sort_unstable();
    let n = latencies.len();
    let pct = |p: f64| {
        if n == 0 { 0.0 } else { f64::from(latencies[((p / 100.0) * n as f64).ceil().max(1.0) as usize - 1]) / 1000.0 }
    };
    let rate = n as f64 / args.duration as f64;
    println!(
        "users {}  duration {} s (after {} s warm-up)  body {} bytes",
        args.users,
        args.duration,
        args.warmup,
        body.len()
    );
    println!("acknowledged {n}  = {rate:.0} submissions/s");
    println!("latency ms: p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}", pct(50.0), pct(90.0), pct(99.0), pct(100.0));
    match rss {
        Some(r) => {
            println!("server peak RSS {r:.0} MiB; database after the run {:.0} MiB", db_bytes as f64 / 1048576.0)
        }
        None => println!("server peak RSS n/a (external server)"),
    }
    for (e, c) in &errors {
        println!("error x{c}: {e}");
    }
    println!(
        "RESULT ingest submissions_per_s={rate:.0} p50_ms={:.2} p99_ms={:.2} peak_rss_mib={}",
        pct(50.0),
        pct(99.0),
        rss.map_or("n/a".into(), |r| format!("{r:.0}"))
    );
    Ok(())
}
