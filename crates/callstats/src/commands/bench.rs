//! `callstats bench …`: load generators that print figures (benchmarks, not pass/fail tests).
//!
//! `bench ingest` simulates PeerConnections posting the real 16 KB stats body that
//! callstats-js 3.73.16 sends (from `fixtures/wire`, embedded at build time) to a server in a
//! closed loop: each simulated PeerConnection waits for its answer before sending again, so the
//! figure is the rate at which the server acknowledges durably committed submissions (the server
//! answers 2xx only after the commit that holds the data).
//!
//! Each simulated user authenticates and joins exactly as callstats-js does (§4 and §8 of the
//! wire protocol), so the whole compat path is measured, not a shortcut into the store. By
//! default the command starts its own `serve` on a fresh SQLite file in a temporary directory, so
//! runs do not disturb each other and `--server-arg` can compare configurations side by side; the
//! server's peak RSS and CPU time are then read from `/proc`. The client runs on the same machine,
//! so its CPU time is printed too: on a small box the load generator competes with the server.
//!
//! Everything is bounded: the server must print its start-up lines within [`STARTUP_TIMEOUT`],
//! every request gives up after [`REQUEST_TIMEOUT`], and no request starts after the measured
//! window ends.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use axum::body::Bytes;
use callstats_protocol::uri::encode_uri_component;
use clap::{Args, Subcommand};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Acknowledged stats submissions per second, latency and server memory.
    Ingest(IngestArgs),
    /// Server time of the dashboard's API requests with a large history stored.
    Pages(super::bench_pages::PagesArgs),
    /// Time and size of a stats body's stored stream snapshots, in the stored format and in the
    /// zstd-packed JSON of earlier versions, side by side (one thread, no I/O).
    Snapshots(SnapshotsArgs),
}

#[derive(Debug, Args)]
pub struct SnapshotsArgs {
    /// Repetitions of each operation.
    #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u32).range(1..))]
    pub iterations: u32,
}

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Simulated PeerConnections posting concurrently.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..))]
    pub users: u32,
    /// Measured seconds.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..))]
    pub duration: u64,
    /// Seconds of load before measuring.
    #[arg(long, default_value_t = 2)]
    pub warmup: u64,
    /// Target a running server instead of starting one (then --app-id and --app-secret).
    #[arg(long, requires_all = ["app_id", "app_secret"])]
    pub url: Option<String>,
    /// App of the running server.
    #[arg(long, requires = "url")]
    pub app_id: Option<i64>,
    /// Its secret.
    #[arg(long, requires = "url")]
    pub app_secret: Option<String>,
    /// Extra argument for the `serve` this command starts (repeatable), e.g.
    /// `--server-arg=--analytics=false`.
    #[arg(long = "server-arg", allow_hyphen_values = true, conflicts_with = "url")]
    pub server_args: Vec<String>,
    /// Run against this PostgreSQL server (`postgres://USER@HOST:PORT/DB`, a database to connect to
    /// while creating scratch ones) instead of SQLite: once with one node and once with two nodes
    /// behind a round-robin spread of the users, each on a fresh database (dropped afterwards),
    /// printed side by side.
    #[arg(long, conflicts_with = "url")]
    pub postgres: Option<String>,
    /// Compare with a second configuration: each round runs a server with `--server-arg`s alone
    /// and one with these added (repeatable, e.g. `--versus=--analytics=false`), one after the
    /// other on fresh databases, and prints both rates and their ratio per round and the median.
    #[arg(long, allow_hyphen_values = true, conflicts_with_all = ["url", "postgres"])]
    pub versus: Vec<String>,
    /// Rounds of a `--versus` comparison; alternating runs cancel out slow drifts of the machine.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    pub rounds: u32,
}

pub async fn run(cmd: BenchCommand) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Ingest(args) => ingest(args).await,
        BenchCommand::Pages(args) => super::bench_pages::pages(args).await,
        BenchCommand::Snapshots(args) => snapshots(&args),
    }
}

/// Median µs of `f` over `n` runs, in batches of 100 so the clock's cost stays out.
fn median_micros<T>(n: u32, mut f: impl FnMut() -> T) -> f64 {
    let mut batches: Vec<f64> = (0..n.div_ceil(100))
        .map(|_| {
            let t = Instant::now();
            for _ in 0..100 {
                std::hint::black_box(f());
            }
            t.elapsed().as_secs_f64() * 1e6 / 100.0
        })
        .collect();
    batches.sort_by(f64::total_cmp);
    super::bench_pages::percentile(&batches, 50.0)
}

fn snapshots(args: &SnapshotsArgs) -> anyhow::Result<()> {
    use callstats_ingest::normalise;
    use callstats_store::codec;
    let fixture: Value = serde_json::from_str(STATS_FIXTURE)?;
    let stats = fixture["body_json"]["stats"].to_string();
    let snaps = normalise::snapshots_from_json(&stats);
    let json_zstd = |s: &[_]| codec::pack_text(&serde_json::to_string(s).expect("snapshots serialise"));
    let (stored, old) = (normalise::pack(&snaps), json_zstd(&snaps));
    anyhow::ensure!(normalise::unpack(&stored).as_deref() == Some(&snaps[..]), "the stored form does not round-trip");
    let n = args.iterations;
    let extract = median_micros(n, || normalise::snapshots_from_json(&stats));
    let (pack, pack_old) = (median_micros(n, || normalise::pack(&snaps)), median_micros(n, || json_zstd(&snaps)));
    let (unpack, unpack_old) =
        (median_micros(n, || normalise::unpack(&stored)), median_micros(n, || normalise::unpack(&old)));
    println!(
        "{} streams from a callstats-js stats body of {} B; extracting them: {extract:.1} µs",
        snaps.len(),
        stats.len()
    );
    println!("{:<26} {:>8} {:>10} {:>10}", "", "bytes", "pack µs", "unpack µs");
    println!("{:<26} {:>8} {pack:>10.2} {unpack:>10.2}", "stored (postcard, varints)", stored.len());
    println!("{:<26} {:>8} {pack_old:>10.2} {unpack_old:>10.2}", "JSON + zstd (before)", old.len());
    println!(
        "RESULT snapshots bytes={} bytes_before={} pack_us={pack:.2} pack_before_us={pack_old:.2} ratio_pack={:.2}",
        stored.len(),
        old.len(),
        pack / pack_old
    );
    Ok(())
}

const STATS_FIXTURE: &str = include_str!(
    "../../../../fixtures/wire/secret-flow/POST_stats_v1_apps_appID_conferences_confID_ucID_stats__stats.json"
);
const JOINED_FIXTURE: &str =
    include_str!("../../../../fixtures/wire/secret-flow/POST_events_v1_apps_appID_conferences_confID__userJoined.json");

/// How long the spawned server may take to print its address and app credentials (it runs the
/// migrations first).
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
/// A request that takes longer than this counts as an error; it also bounds how long the run can
/// overrun its window when the server stalls.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Linux reports process CPU times in USER_HZ ticks, which is 100 on every ABI.
const USER_HZ: f64 = 100.0;

/// A `serve` child process and its scratch directory; the child is killed and the directory
/// removed on drop, so an early `?` cleans up too.
struct Server {
    child: Child,
    dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Server {
    /// Bytes of the SQLite database and its write-ahead log.
    fn database_bytes(&self) -> (u64, u64) {
        let size = |f: &str| std::fs::metadata(self.dir.join(f)).map_or(0, |m| m.len());
        (size("bench.db"), size("bench.db-wal"))
    }
}

/// Where to send the load (user `i` goes to node `i % bases.len()`, as a round-robin load
/// balancer would), and, when this command started them, the servers themselves.
struct Target {
    servers: Vec<Server>,
    bases: Vec<String>,
    app: i64,
    secret: String,
}

fn scratch_dir() -> anyhow::Result<PathBuf> {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let dir = std::env::temp_dir().join(format!("callstats-bench-ingest-{}-{nanos}", std::process::id()));
    std::fs::create_dir(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

/// One `serve` on a fresh SQLite file.
fn start_server(extra: &[String]) -> anyhow::Result<Target> {
    let dir = scratch_dir()?;
    let db = vec!["--database".to_owned(), format!("sqlite://{}/bench.db", dir.display())];
    let (server, base, app, secret) = start_node(dir, &db, extra)?;
    Ok(Target { servers: vec![server], bases: vec![base], app, secret })
}

/// `nodes` servers on one fresh PostgreSQL database (created on the server of `url`, and returned
/// so it can be dropped), sharing a server key, started one after the other.
async fn start_postgres_nodes(url: &str, nodes: usize, extra: &[String]) -> anyhow::Result<(Target, String)> {
    let db_url = callstats_store_postgres::create_scratch_database(url, "bench_ingest")
        .await
        .context("creating a scratch PostgreSQL database")?;
    let dir = scratch_dir()?;
    let db = vec![
        "--database".to_owned(),
        db_url.clone(),
        "--server-key-file".to_owned(),
        dir.join("server.key").display().to_string(),
    ];
    let mut target = Target { servers: Vec::new(), bases: Vec::new(), app: 0, secret: String::new() };
    for _ in 0..nodes {
        let (server, base, app, secret) = start_node(dir.clone(), &db, extra)?;
        target.servers.push(server);
        target.bases.push(base);
        (target.app, target.secret) = (app, secret);
    }
    Ok((target, db_url))
}

/// Starts `serve` with `db` (its `--database …` arguments) and waits for its start-up lines.
fn start_node(dir: PathBuf, db: &[String], extra: &[String]) -> anyhow::Result<(Server, String, i64, String)> {
    let spawned = Command::new(std::env::current_exe().context("finding the callstats binary")?)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(db)
        .args(extra)
        .env("CALLSTATS_LOG", "warn")
        // Every simulated user authenticates from this one address.
        .env("CALLSTATS_AUTHENTICATE_PER_MINUTE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(e).context("starting the server");
        }
    };
    let stdout = child.stdout.take().context("the server's stdout is not piped")?;
    let server = Server { child, dir };

    // A thread reads stdout so the wait for the start-up lines can time out, and keeps draining
    // it afterwards so the server never blocks on a full pipe.
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            // After start-up nobody listens; the lines are dropped.
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    let next = |prefix: &str| -> anyhow::Result<String> {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(v) = line.strip_prefix(prefix) {
                        return Ok(v.trim().to_owned());
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    bail!("the server did not print `{prefix}` within {} s", STARTUP_TIMEOUT.as_secs())
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => bail!("the server exited before printing `{prefix}`"),
            }
        }
    };
    let base = next("Listening on ")?;
    let app = next("AppID: ")?.parse().context("the server printed an AppID that is not a number")?;
    let secret = next("AppSecret: ")?;
    Ok((server, base, app, secret))
}

/// `VmHWM` of a process: the most resident memory it has had.
fn peak_rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 =
        status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?.trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kb / 1024.0)
}

/// User and system CPU seconds a process (all its threads) has used so far.
#[derive(Clone, Copy)]
struct Cpu {
    user: f64,
    system: f64,
}

fn cpu_seconds(pid: &str) -> Option<Cpu> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces; utime and stime are fields 14 and 15, i.e.
    // the 12th and 13th after the closing parenthesis.
    let mut rest = stat.rsplit_once(')')?.1.split_whitespace().skip(11);
    let utime: f64 = rest.next()?.parse().ok()?;
    let stime: f64 = rest.next()?.parse().ok()?;
    Some(Cpu { user: utime / USER_HZ, system: stime / USER_HZ })
}

/// CPU seconds of the servers (summed, if this command started them) and of this process.
fn cpu_sample(servers: &[u32]) -> (Option<Cpu>, Option<Cpu>) {
    let server = (!servers.is_empty())
        .then(|| {
            servers
                .iter()
                .map(|pid| cpu_seconds(&pid.to_string()))
                .try_fold(Cpu { user: 0.0, system: 0.0 }, |acc, c| {
                    c.map(|c| Cpu { user: acc.user + c.user, system: acc.system + c.system })
                })
        })
        .flatten();
    (server, cpu_seconds("self"))
}

/// The `code` callstats-js signs in the AppSecret flow (wire protocol §4.2): header
/// `{"alg":"HS256"}` without `typ`, no time claims, the appID as a string.
fn auth_code(user: &str, app: i64, secret: &str) -> anyhow::Result<String> {
    let mut header = Header::new(Algorithm::HS256);
    header.typ = None;
    let claims = json!({"userID": user, "appID": app.to_string(), "generateTurnCredentials": false});
    Ok(encode(&header, &claims, &EncodingKey::from_secret(secret.as_bytes()))?)
}

/// A simulated PeerConnection, authenticated and joined.
struct User {
    token: String,
    url: String,
}

async fn prepare(client: &reqwest::Client, target: &Target, joined_body: &Value, i: u32) -> anyhow::Result<User> {
    let Target { bases, app, secret, .. } = target;
    let base = &bases[i as usize % bases.len()];
    let user = format!("bench-user-{i}");
    let auth = client
        .post(format!("{base}/authenticate"))
        .form(&[
            ("client_id", format!("{user}@{app}")),
            ("code", auth_code(&user, *app, secret)?),
            ("grant_type", "authorization_code".into()),
        ])
        .send()
        .await
        .context("authenticating")?;
    let status = auth.status();
    let auth: Value = auth.json().await.with_context(|| format!("authenticating: HTTP {status}"))?;
    let token = auth["access_token"].as_str().with_context(|| format!("no access_token in {auth}"))?.to_owned();

    let conf = encode_uri_component(&format!("bench-conf-{}", i / 2));
    let mut body = joined_body.clone();
    body["localID"] = json!(user);
    body["remoteID"] = json!(format!("bench-user-{}", i ^ 1));
    body["timestamp"] = json!(SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis() as f64);
    let joined: Value = client
        .post(format!("{base}/v1/apps/{app}/conferences/{conf}"))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .context("joining")?
        .json()
        .await
        .context("joining: unreadable answer")?;
    let uc = joined["ucID"].as_str().with_context(|| format!("no ucID in {joined}"))?;
    Ok(User { token, url: format!("{base}/v1/apps/{app}/conferences/{conf}/{uc}/stats") })
}

/// What one stats submission came to: acknowledged, or an error named so that equal errors
/// from different users are counted together.
async fn submit(client: &reqwest::Client, user: &User, body: &Bytes) -> Result<(), String> {
    let resp = client
        .post(&user.url)
        .bearer_auth(&user.token)
        .header("content-type", "application/json")
        .body(body.clone())
        .send()
        .await
        .map_err(transport_error)?;
    let status = resp.status();
    match resp.json::<Value>().await {
        Ok(v) if status == reqwest::StatusCode::OK && v["status"] == "success" => Ok(()),
        Ok(v) => Err(format!("HTTP {status} {}", v["msg"].as_str().unwrap_or("(no msg)"))),
        Err(e) if e.is_timeout() => Err(format!("HTTP {status}, then timeout reading the body")),
        Err(_) => Err(format!("HTTP {status} with a body that is not JSON")),
    }
}

fn transport_error(e: reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else {
        "transport"
    };
    // The innermost cause says what happened (reset, refused, …); the URL would make every
    // user's error distinct.
    let mut cause: &dyn std::error::Error = &e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    format!("{kind}: {cause}")
}

/// Nearest-rank percentile of sorted microseconds, in milliseconds.
fn percentile_ms(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    f64::from(sorted[rank.min(sorted.len()) - 1]) / 1000.0
}

async fn ingest(args: IngestArgs) -> anyhow::Result<()> {
    if !args.versus.is_empty() {
        return versus(&args).await;
    }
    let Some(url) = &args.postgres else {
        let target = match &args.url {
            Some(url) => Target {
                servers: Vec::new(),
                bases: vec![url.trim_end_matches('/').to_owned()],
                app: args.app_id.context("--url needs --app-id")?,
                secret: args.app_secret.clone().context("--url needs --app-secret")?,
            },
            None => start_server(&args.server_args)?,
        };
        let m = measure(&args, target).await?;
        m.print(&args);
        println!(
            "RESULT ingest submissions_per_s={:.0} p50_ms={:.2} p99_ms={:.2} peak_rss_mib={}",
            m.rate,
            m.p50,
            m.p99,
            m.rss.map_or_else(|| "n/a".to_owned(), |r| format!("{r:.0}"))
        );
        return Ok(());
    };
    let mut runs = Vec::new();
    for nodes in [1, 2] {
        eprintln!("PostgreSQL with {nodes} node(s):");
        let (target, db_url) = start_postgres_nodes(url, nodes, &args.server_args).await?;
        let m = measure(&args, target).await;
        // The servers are gone with `target`; the scratch database goes too, measured or not.
        if let Err(e) = callstats_store_postgres::drop_scratch_database(&db_url).await {
            eprintln!("could not drop the scratch database {db_url}: {e}");
        }
        let m = m?;
        println!("== PostgreSQL, {nodes} node(s) on one database");
        m.print(&args);
        runs.push((nodes, m));
    }
    println!("== side by side (PostgreSQL, same machine, same run)");
    println!("{:<36}{:>16}{:>16}", "", "1 node", "2 nodes");
    let row = |name: &str, f: &dyn Fn(&Measured) -> String| {
        println!("{name:<36}{:>16}{:>16}", f(&runs[0].1), f(&runs[1].1));
    };
    row("acknowledged submissions/s", &|m| format!("{:.0}", m.rate));
    row("errors", &|m| m.error_count.to_string());
    row("latency p50 ms", &|m| format!("{:.2}", m.p50));
    row("latency p99 ms", &|m| format!("{:.2}", m.p99));
    row("server CPU (all nodes, 100% = core)", &|m| m.server_cpu.clone());
    for (nodes, m) in &runs {
        println!(
            "RESULT ingest backend=postgres nodes={nodes} submissions_per_s={:.0} p50_ms={:.2} p99_ms={:.2}",
            m.rate, m.p50, m.p99
        );
    }
    Ok(())
}

/// `--versus`: the configuration with and without the extra arguments, alternating, in one run.
async fn versus(args: &IngestArgs) -> anyhow::Result<()> {
    let base = args.server_args.clone();
    let mut other = base.clone();
    other.extend(args.versus.iter().cloned());
    let (name_a, name_b) = (format!("[{}]", base.join(" ")), format!("[{}]", other.join(" ")));
    let mut ratios = Vec::new();
    println!("{:<8}{:>24}{:>24}{:>10}{:>18}{:>18}", "round", "A/s", "B/s", "A/B", "A CPU µs/sub", "B CPU µs/sub");
    for round in 1..=args.rounds {
        let mut rates = Vec::new();
        for extra in [&base, &other] {
            let m = measure(args, start_server(extra)?).await?;
            if m.error_count > 0 {
                bail!("round {round} had {} errors: {:?}", m.error_count, m.errors);
            }
            rates.push(m);
        }
        let (a, b) = (&rates[0], &rates[1]);
        let ratio = a.rate / b.rate;
        ratios.push(ratio);
        let us = |m: &Measured| m.server_us_per_submission.map_or_else(|| "n/a".to_owned(), |u| format!("{u:.0}"));
        println!("{round:<8}{:>24.0}{:>24.0}{ratio:>10.3}{:>18}{:>18}", a.rate, b.rate, us(a), us(b));
    }
    ratios.sort_by(f64::total_cmp);
    let median = ratios[ratios.len() / 2];
    println!("A = {name_a}\nB = {name_b}");
    println!("RESULT ingest versus rounds={} median_ratio_a_over_b={median:.3}", args.rounds);
    Ok(())
}

/// The figures of one measured window.
struct Measured {
    body_len: usize,
    acknowledged: usize,
    rate: f64,
    error_count: u64,
    errors: BTreeMap<String, u64>,
    p50: f64,
    p90: f64,
    p99: f64,
    max: f64,
    /// Peak RSS of the (largest) server.
    rss: Option<f64>,
    server_cpu: String,
    client_cpu: String,
    server_us_per_submission: Option<f64>,
    /// SQLite database and WAL bytes (only for a server this command started on SQLite).
    db: Option<(u64, u64)>,
}

async fn measure(args: &IngestArgs, target: Target) -> anyhow::Result<Measured> {
    let server_pids: Vec<u32> = target.servers.iter().map(|s| s.child.id()).collect();

    let stats: Value = serde_json::from_str(STATS_FIXTURE).context("reading the embedded stats fixture")?;
    // Serialised once: every request sends the same bytes, and cloning `Bytes` only counts a
    // reference, so the client spends its CPU on HTTP rather than on copying 16 KB.
    let body = Bytes::from(serde_json::to_vec(&stats["body_json"])?);
    let joined: Value = serde_json::from_str(JOINED_FIXTURE).context("reading the embedded userJoined fixture")?;
    let joined_body = &joined["body_json"];

    let users_n = args.users as usize;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(users_n + 8)
        // The load goes to 127.0.0.1 (or --url); an HTTP_PROXY in the environment must not
        // reroute it.
        .no_proxy()
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
        .build()?;
    eprintln!("preparing {users_n} users on {}…", target.bases.join(", "));
    let mut users = Vec::with_capacity(users_n);
    for i in 0..args.users {
        let user = prepare(&client, &target, joined_body, i).await.with_context(|| format!("preparing user {i}"))?;
        users.push(user);
    }
    eprintln!("{} s warm-up, then {} s measured…", args.warmup, args.duration);

    let start = Instant::now();
    let measure_from = start + Duration::from_secs(args.warmup);
    let end = measure_from + Duration::from_secs(args.duration);
    let mut tasks = Vec::with_capacity(users_n);
    for user in users {
        let (client, body) = (client.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies: Vec<u32> = Vec::new();
            let mut errors: BTreeMap<String, u64> = BTreeMap::new();
            while Instant::now() < end {
                let sent = Instant::now();
                let outcome = submit(&client, &user, &body).await;
                let done = Instant::now();
                // Only requests wholly inside the window count, so the rate is not inflated
                // by warm-up answers nor deflated by requests cut off at the end.
                if sent < measure_from || done > end {
                    continue;
                }
                match outcome {
                    Ok(()) => latencies.push(u32::try_from(done.duration_since(sent).as_micros()).unwrap_or(u32::MAX)),
                    Err(e) => *errors.entry(e).or_default() += 1,
                }
            }
            (latencies, errors)
        }));
    }

    tokio::time::sleep_until(measure_from.into()).await;
    let cpu_before = cpu_sample(&server_pids);
    tokio::time::sleep_until(end.into()).await;
    let cpu_after = cpu_sample(&server_pids);

    let mut latencies = Vec::new();
    let mut errors: BTreeMap<String, u64> = BTreeMap::new();
    for t in tasks {
        let (l, e) = t.await.context("a simulated user panicked")?;
        latencies.extend(l);
        for (k, v) in e {
            *errors.entry(k).or_default() += v;
        }
    }
    // Read before the servers are killed: their /proc entries go with them.
    let rss = server_pids.iter().filter_map(|pid| peak_rss_mib(*pid)).reduce(f64::max);
    let db = match (args.postgres.is_none(), target.servers.first()) {
        (true, Some(server)) => Some(server.database_bytes()),
        _ => None,
    };
    drop(target);

    latencies.sort_unstable();
    let n = latencies.len();
    let secs = args.duration as f64;
    // Shares of one core over the window: total, and the kernel's part (loopback TCP, fsync).
    let cpu_pct = |before: Option<Cpu>, after: Option<Cpu>| match (before, after) {
        (Some(b), Some(a)) => {
            let (user, system) = ((a.user - b.user) / secs * 100.0, (a.system - b.system) / secs * 100.0);
            format!("{:.0}% (sys {system:.0}%)", user + system)
        }
        _ => "n/a".to_owned(),
    };
    let server_us_per_submission = match (cpu_before.0, cpu_after.0) {
        (Some(b), Some(a)) if n > 0 => Some(((a.user + a.system) - (b.user + b.system)) / n as f64 * 1e6),
        _ => None,
    };
    Ok(Measured {
        body_len: body.len(),
        acknowledged: n,
        rate: n as f64 / secs,
        error_count: errors.values().sum(),
        errors,
        p50: percentile_ms(&latencies, 50.0),
        p90: percentile_ms(&latencies, 90.0),
        p99: percentile_ms(&latencies, 99.0),
        max: percentile_ms(&latencies, 100.0),
        rss,
        server_cpu: cpu_pct(cpu_before.0, cpu_after.0),
        client_cpu: cpu_pct(cpu_before.1, cpu_after.1),
        server_us_per_submission,
        db,
    })
}

impl Measured {
    fn print(&self, args: &IngestArgs) {
        let mib = |b: u64| b as f64 / 1_048_576.0;
        println!("users {}  duration {} s (after {} s warm-up)", args.users, args.duration, args.warmup);
        println!("body {} bytes per submission", self.body_len);
        println!("acknowledged {}  = {:.0} submissions/s  ({} errors)", self.acknowledged, self.rate, self.error_count);
        println!("latency ms: p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}", self.p50, self.p90, self.p99, self.max);
        match self.rss {
            Some(r) => println!("server peak RSS {r:.0} MiB"),
            None => println!("server peak RSS n/a"),
        }
        println!(
            "CPU during the window (100% = one core): server {}  bench client {}",
            self.server_cpu, self.client_cpu
        );
        if let Some(us) = self.server_us_per_submission {
            println!("server CPU per acknowledged submission {us:.0} µs");
        }
        match self.db {
            Some((db, wal)) => {
                println!(
                    "database after the run {:.1} MiB (db {:.1} MiB + wal {:.1} MiB)",
                    mib(db + wal),
                    mib(db),
                    mib(wal)
                )
            }
            None => println!("database after the run n/a"),
        }
        if self.errors.is_empty() {
            println!("errors: none");
        }
        for (e, c) in &self.errors {
            println!("error x{c}: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_code_matches_callstats_js() {
        let code = auth_code("bench-user-1", 42, "s3cret").unwrap();
        let header = jsonwebtoken::decode_header(&code).unwrap();
        assert_eq!(header.alg, Algorithm::HS256);
        assert_eq!(header.typ, None, "callstats-js sends no typ");
        let mut validation = jsonwebtoken::Validation::new(Algorithm::HS256);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        let claims: Value =
            jsonwebtoken::decode(&code, &jsonwebtoken::DecodingKey::from_secret(b"s3cret"), &validation)
                .unwrap()
                .claims;
        assert_eq!(claims, json!({"userID": "bench-user-1", "appID": "42", "generateTurnCredentials": false}));
    }

    #[test]
    fn fixtures_hold_the_bodies() {
        let stats: Value = serde_json::from_str(STATS_FIXTURE).unwrap();
        assert!(serde_json::to_vec(&stats["body_json"]).unwrap().len() > 10_000);
        let joined: Value = serde_json::from_str(JOINED_FIXTURE).unwrap();
        assert_eq!(joined["body_json"]["eventType"], "userJoined");
    }

    #[test]
    fn percentiles_use_nearest_rank() {
        let v: Vec<u32> = (1..=100).map(|i| i * 1000).collect();
        assert_eq!(percentile_ms(&v, 50.0), 50.0);
        assert_eq!(percentile_ms(&v, 99.0), 99.0);
        assert_eq!(percentile_ms(&v, 100.0), 100.0);
        assert_eq!(percentile_ms(&[], 50.0), 0.0);
    }

    #[test]
    fn cpu_seconds_of_self() {
        assert!(cpu_seconds("self").is_some());
    }
}
