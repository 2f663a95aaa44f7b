//! `callstats import` and `callstats loadgen history`: filling a database with recorded or
//! generated conferences, through the same validation and storage path as live traffic.
//!
//! The generator makes conferences that look like a real product's: two to six people, mesh
//! or SFU topology, mostly good networks with a realistic share of lossy, high-latency,
//! freezing, dropped and failed calls, feedback that follows quality, spread over past days.
//! Its stats bodies are standard getStats reports with consistent cumulative counters, so the
//! analytics see what they would see from a browser.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use callstats_ingest::Ingest;
use callstats_ingest::import::{ImportRecord, Imported, Importer};
use clap::Args;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use crate::database::DatabaseArgs;

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// App to import into.
    #[arg(long)]
    pub app: i64,
    /// What the files hold.
    #[arg(long, value_enum, default_value_t = ImportFormat::Records)]
    pub format: ImportFormat,
    /// NDJSON file of records `{"path", "body", "receivedAt", "country"}` (the last two optional),
    /// or a directory of recorded request files (the `fixtures/wire` format), imported in name order.
    #[arg(long, required_if_eq("format", "records"))]
    pub file: Option<PathBuf>,
    /// Dump files (`--format rtcstats`), plain or gzip-compressed; each becomes one conference.
    #[arg(required_if_eq("format", "rtcstats"))]
    pub dumps: Vec<PathBuf>,
}

/// The formats `import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ImportFormat {
    /// Our own request records.
    Records,
    /// rtcstats dumps (jitsi's rtcstats client; Chromium's "rtcstats dump").
    Rtcstats,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// App to fill.
    #[arg(long)]
    pub app: i64,
    /// Conferences to generate.
    #[arg(long, default_value_t = 1000)]
    pub conferences: u32,
    /// Spread them over this many past days.
    #[arg(long, default_value_t = 14)]
    pub days: u32,
    /// Stats submissions per fabric at most (calls last between a third of this and this many
    /// 15-second intervals).
    #[arg(long, default_value_t = 12)]
    pub samples: u32,
    /// Random seed, for reproducible histories.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Conferences generated concurrently (their writes share group commits).
    #[arg(long, default_value_t = 32)]
    pub parallel: usize,
}

fn read_records(path: &PathBuf) -> anyhow::Result<Vec<ImportRecord>> {
    if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)?.filter_map(|e| e.ok().map(|e| e.path())).collect();
        files.retain(|p| p.extension().is_some_and(|e| e == "json"));
        files.sort();
        let mut out = Vec::new();
        for f in files {
            let v: Value =
                serde_json::from_slice(&std::fs::read(&f)?).with_context(|| format!("reading {}", f.display()))?;
            if v.get("body_json").is_some_and(|b| !b.is_null())
                && v.get("method").and_then(Value::as_str) == Some("POST")
            {
                out.push(serde_json::from_value(v).with_context(|| format!("record {}", f.display()))?);
            }
        }
        return Ok(out);
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).with_context(|| format!("line {}", i + 1)))
        .collect()
}

/// Imports dumps one by one: each is checked whole before anything of it is written.
async fn import_dumps(ingest: &callstats_ingest::Ingest, args: &ImportArgs) -> anyhow::Result<()> {
    for path in &args.dumps {
        let done = ingest.import_rtcstats(args.app, path).await?;
        if done.records == 0 {
            println!("{}: already imported as conference {}", path.display(), done.conference);
        } else {
            println!("{}: imported as conference {} ({} requests)", path.display(), done.conference, done.records);
        }
    }
    let closed = close_all(ingest).await?;
    println!("closed {closed} conference(s)");
    Ok(())
}

pub async fn import(db: &DatabaseArgs, args: ImportArgs) -> anyhow::Result<()> {
    let ingest = super::ingest(db)?;
    ingest.app(args.app).await.context("finding the app")?;
    let file = match (args.format, &args.file) {
        (ImportFormat::Rtcstats, _) => return import_dumps(&ingest, &args).await,
        (ImportFormat::Records, Some(file)) => file,
        (ImportFormat::Records, None) => bail!("--file is required with --format records"),
    };
    let records = read_records(file)?;
    // Joins must come before the participant's other requests.
    let (joins, rest): (Vec<_>, Vec<_>) = records.into_iter().partition(|r| {
        let p = r.path.trim_end_matches('/');
        p.split('/').filter(|s| !s.is_empty()).count() == if p.starts_with("/v1") { 5 } else { 6 }
    });
    let mut importer = Importer::new(&ingest, args.app);
    let (mut stored, mut skipped, mut failed) = (0, 0, 0);
    for r in joins.iter().chain(rest.iter()) {
        match importer.import(r).await {
            Ok(Imported::Skipped) => skipped += 1,
            Ok(_) => stored += 1,
            Err(e) => {
                failed += 1;
                eprintln!("{}: {e}", r.path);
            }
        }
    }
    importer.finish().await.context("handing the conferences to the closer")?;
    let closed = close_all(&ingest).await?;
    println!("imported {stored}, skipped {skipped}, refused {failed}; closed {closed} conference(s)");
    if failed > 0 {
        bail!("{failed} record(s) were refused");
    }
    Ok(())
}

async fn close_all(ingest: &Ingest) -> anyhow::Result<usize> {
    let mut total = 0;
    loop {
        let n = ingest.close_due().await.context("closing conferences")?.len();
        total += n;
        if n == 0 {
            return Ok(total);
        }
    }
}

pub async fn history(db: &DatabaseArgs, args: HistoryArgs) -> anyhow::Result<()> {
    generate(super::ingest(db)?, &args).await
}

/// Generates a history into the app of `args` through `ingest`.
pub async fn generate(ingest: Arc<Ingest>, args: &HistoryArgs) -> anyhow::Result<()> {
    ingest.app(args.app).await.context("finding the app")?;
    let now = ingest.now_ms();
    let span = i64::from(args.days.max(1)) * 86_400_000;
    let started = std::time::Instant::now();
    let next = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let mut tasks = Vec::new();
    for worker in 0..args.parallel.max(1) {
        let (ingest, next) = (ingest.clone(), next.clone());
        let (app, total, samples, seed) = (args.app, args.conferences, args.samples.max(2), args.seed);
        tasks.push(tokio::spawn(async move {
            let mut records = 0u64;
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= total {
                    return Ok::<_, anyhow::Error>(records);
                }
                let mut rng = StdRng::seed_from_u64(seed.wrapping_mul(1_000_003).wrapping_add(u64::from(i)));
                let start = now - 60_000 - rng.random_range(0..span);
                let recs = conference(&mut rng, i, start, samples);
                let mut importer = Importer::new(&ingest, app);
                for r in &recs {
                    importer.import(r).await.with_context(|| format!("worker {worker}: {}", r.path))?;
                }
                importer.finish().await.context("handing the conference to the closer")?;
                records += recs.len() as u64;
            }
        }));
    }
    let mut records = 0;
    for t in tasks {
        records += t.await.context("generator task")??;
    }
    let generated = started.elapsed();
    let closed = close_all(&ingest).await?;
    println!(
        "generated {} conferences ({records} requests) in {:.1} s; closed {closed} in {:.1} s more",
        args.conferences,
        generated.as_secs_f64(),
        started.elapsed().as_secs_f64() - generated.as_secs_f64()
    );
    Ok(())
}

#[derive(Clone, Copy, PartialEq)]
enum Network {
    Good,
    Lossy,
    Distant,
    Freezing,
}

struct Person {
    user: String,
    browser: (&'static str, &'static str),
    os: &'static str,
    /// As a proxy in front would report it; `None` for the share it cannot place.
    country: Option<&'static str>,
}

const BROWSERS: &[(&str, &str)] =
    &[("Chrome", "131.0"), ("Chrome", "156.0"), ("Firefox", "133.0"), ("Safari", "18.1"), ("Edge", "131.0")];
const OSES: &[&str] = &["Windows", "macOS", "Linux", "Android", "iOS"];
const COUNTRIES: &[Option<&str>] =
    &[Some("US"), Some("US"), Some("DE"), Some("FI"), Some("IN"), Some("BR"), Some("JP"), None];

/// The requests of one generated conference, in time order.
fn conference(rng: &mut StdRng, index: u32, start: i64, max_samples: u32) -> Vec<ImportRecord> {
    let size = *[2, 2, 2, 3, 3, 4, 5, 6].get(rng.random_range(0..8)).unwrap_or(&2);
    let names = ["standup", "sales-call", "support", "interview", "all-hands", "1on1", "design-review", "demo"];
    let conf = format!("{}-{index}", names[rng.random_range(0..names.len())]);
    let enc = callstats_protocol::uri::encode_uri_component(&conf);
    let people: Vec<Person> = (0..size)
        .map(|_| Person {
            user: format!("user{}@example.com", rng.random_range(1..400)),
            browser: BROWSERS[rng.random_range(0..BROWSERS.len())],
            os: OSES[rng.random_range(0..OSES.len())],
            country: COUNTRIES[rng.random_range(0..COUNTRIES.len())],
        })
        .collect();
    let roll: f64 = rng.random();
    let network = match roll {
        r if r < 0.72 => Network::Good,
        r if r < 0.84 => Network::Lossy,
        r if r < 0.93 => Network::Distant,
        _ => Network::Freezing,
    };
    let fail_one = rng.random_bool(0.06);
    let fail_all = rng.random_bool(0.015);
    let drop_one = rng.random_bool(0.03);
    let sfu = size > 3;
    let samples = rng.random_range((max_samples / 3).max(2)..=max_samples);
    let mut out = Vec::new();
    let mut push = |at: i64, path: String, body: Value| {
        out.push(ImportRecord { path, body, received_at: Some(at), country: None })
    };

    for (pi, p) in people.iter().enumerate() {
        let joined = start + pi as i64 * 2_000;
        let uc = format!("uc{pi}");
        let base = format!("/v1/apps/1/conferences/{enc}/{uc}");
        let common = |t: i64, et: &str, conn: &str, remote: &str| {
            json!({"localID": p.user, "deviceID": format!("dev-{}", p.user), "timestamp": t, "eventType": et,
                   "connectionID": conn, "remoteID": remote, "callstatsVersion": "gen-1"})
        };
        push(
            joined,
            format!("/v1/apps/1/conferences/{enc}"),
            json!({
            "localID": p.user, "deviceID": format!("dev-{}", p.user), "timestamp": joined, "eventType": "userJoined",
            "endpointInfo": {"type": "browser", "buildName": p.browser.0, "buildVersion": p.browser.1, "os": p.os, "osVersion": null}}),
        );
        let remotes: Vec<String> = if sfu {
            vec!["sfu".into()]
        } else {
            people.iter().enumerate().filter(|(j, _)| *j != pi).map(|(_, o)| o.user.clone()).collect()
        };
        for (fi, remote) in remotes.iter().enumerate() {
            let conn = format!("pc{pi}{fi}");
            let t_setup = joined + 500;
            let failed = fail_all || (fail_one && pi == 0 && fi == 0);
            if failed {
                let mut b = common(t_setup + 8_000, "fabricSetupFailed", &conn, remote);
                b["delay"] = json!(8_000 + rng.random_range(0..4_000));
                let reasons = [
                    ("IceConnectionFailure", "iceConnectionFailure"),
                    ("NegotiationFailure", "setRemoteDescription"),
                    ("MediaConfigError", "getUserMedia"),
                ];
                let (reason, func) = reasons[rng.random_range(0..reasons.len())];
                b["reason"] = json!(reason);
                b["function"] = json!(func);
                push(t_setup + 8_000, format!("{base}/events/fabric/setupfailed"), b);
                continue;
            }
            let delay = match network {
                Network::Distant => rng.random_range(700..2_500),
                _ => rng.random_range(120..900),
            };
            let relay = rng.random_bool(0.12);
            let mut b = common(t_setup, "fabricSetup", &conn, remote);
            b["delay"] = json!(delay);
            b["fabricTransmissionDirection"] = json!("sendrecv");
            b["remoteEndpointType"] = json!(if sfu { "server" } else { "peer" });
            b["localIceCandidates"] =
                json!([{"id": "L1", "candidateType": if relay { "relay" } else { "host" }, "transport": "udp"}]);
            b["iceCandidatePairs"] =
                json!([{"id": "CP1", "localCandidateId": "L1", "nominated": true, "state": "succeeded"}]);
            push(t_setup + i64::from(delay), format!("{base}/events/fabric/setup"), b);
            let mut counters = Counters::default();
            let t0 = t_setup + i64::from(delay);
            let mut t = t0;
            for k in 0..samples {
                t += 15_000;
                let body = counters.step(rng, network, k, 15.0, t, &p.user, &conn, remote);
                push(t + 50, format!("{base}/stats"), body);
                if k == samples / 2 && rng.random_bool(0.3) {
                    push(t + 100, format!("{base}/events/media/actions"), common(t + 100, "audioMute", &conn, remote));
                }
            }
            if drop_one && pi == 0 && fi == 0 {
                push(
                    t + 1_000,
                    format!("{base}/events/fabric/status"),
                    common(t + 1_000, "fabricDropped", &conn, remote),
                );
            } else {
                push(
                    t + 2_000,
                    format!("{base}/events/fabric/terminated"),
                    common(t + 2_000, "fabricTerminated", &conn, remote),
                );
            }
        }
        let end = start + 20_000 + i64::from(samples) * 15_000;
        if rng.random_bool(0.35) {
            let rating = match network {
                Network::Good => rng.random_range(4..=5),
                _ => rng.random_range(1..=3),
            };
            let mut b = common(end, "userFeedbackEvent", &p.user, &p.user);
            b["feedback"] = json!({"overallRating": rating});
            push(end, format!("{base}/events/feedback"), b);
        }
        push(end + 500, format!("{base}/events/user/left"), common(end + 500, "userLeft", &p.user, &p.user));
    }
    // The joins, in the order the people were pushed, get their country.
    let join_path = format!("/v1/apps/1/conferences/{enc}");
    for (rec, person) in out.iter_mut().filter(|r| r.path == join_path).zip(&people) {
        rec.country = person.country.map(str::to_owned);
    }
    out.sort_by_key(|r| r.received_at);
    out
}

#[derive(Default)]
struct Counters {
    a_bytes: f64,
    a_packets: f64,
    a_lost: f64,
    v_bytes: f64,
    v_packets: f64,
    v_lost: f64,
    frames: f64,
    freezes: f64,
    frozen_s: f64,
    samples: f64,
    concealed: f64,
}

impl Counters {
    #[expect(clippy::too_many_arguments, reason = "one sample of one fabric needs all of them")]
    fn step(
        &mut self,
        rng: &mut StdRng,
        net: Network,
        k: u32,
        dt: f64,
        t: i64,
        user: &str,
        conn: &str,
        remote: &str,
    ) -> Value {
        let (loss, rtt) = match net {
            Network::Good => (rng.random_range(0.0..0.005), rng.random_range(0.02..0.09)),
            Network::Lossy => (rng.random_range(0.03..0.12), rng.random_range(0.05..0.15)),
            Network::Distant => (rng.random_range(0.0..0.01), rng.random_range(0.3..0.7)),
            Network::Freezing => (rng.random_range(0.01..0.04), rng.random_range(0.08..0.2)),
        };
        let jitter = rng.random_range(0.002..0.03) + loss * 0.2;
        let a_pkts = 50.0 * dt;
        self.a_packets += a_pkts * (1.0 - loss);
        self.a_lost += a_pkts * loss;
        self.a_bytes += 4_000.0 * dt * (1.0 - loss);
        let v_rate = match net {
            Network::Good => rng.random_range(900_000.0..2_000_000.0),
            _ => rng.random_range(200_000.0..900_000.0),
        } / 8.0;
        let v_pkts = v_rate / 1_100.0 * dt;
        self.v_packets += v_pkts * (1.0 - loss);
        self.v_lost += v_pkts * loss;
        self.v_bytes += v_rate * dt;
        let fps = if net == Network::Freezing && k % 3 == 1 { 6.0 } else { 28.0 };
        self.frames += fps * dt;
        if net == Network::Freezing && k % 3 == 1 {
            self.freezes += 2.0;
            self.frozen_s += rng.random_range(2.0..6.0);
        }
        self.samples += 48_000.0 * dt;
        self.concealed += 48_000.0 * dt * loss * 0.8;
        let ts = t as f64;
        json!({
            "localID": user, "deviceID": format!("dev-{user}"), "timestamp": ts, "eventType": "stats",
            "connectionID": conn, "remoteID": remote, "callstatsVersion": "gen-1",
            "stats": [
                {"id": "T", "type": "transport", "timestamp": ts, "selectedCandidatePairId": "CP"},
                {"id": "CP", "type": "candidate-pair", "timestamp": ts, "state": "succeeded", "nominated": true, "currentRoundTripTime": rtt},
                {"id": "CA", "type": "codec", "timestamp": ts, "mimeType": "audio/opus", "sdpFmtpLine": "minptime=10;useinbandfec=1"},
                {"id": "CV", "type": "codec", "timestamp": ts, "mimeType": "video/VP8"},
                {"id": "IA", "type": "inbound-rtp", "kind": "audio", "ssrc": 1001, "timestamp": ts, "codecId": "CA",
                 "bytesReceived": self.a_bytes, "packetsReceived": self.a_packets, "packetsLost": self.a_lost, "jitter": jitter,
                 "jitterBufferDelay": self.samples * (0.03 + jitter), "jitterBufferEmittedCount": self.samples,
                 "concealedSamples": self.concealed, "totalSamplesReceived": self.samples},
                {"id": "IV", "type": "inbound-rtp", "kind": "video", "ssrc": 1002, "timestamp": ts, "codecId": "CV",
                 "bytesReceived": self.v_bytes, "packetsReceived": self.v_packets, "packetsLost": self.v_lost, "jitter": jitter,
                 "framesDecoded": self.frames, "frameWidth": 1280, "frameHeight": 720, "freezeCount": self.freezes,
                 "totalFreezesDuration": self.frozen_s},
                {"id": "OA", "type": "outbound-rtp", "kind": "audio", "ssrc": 2001, "timestamp": ts, "codecId": "CA",
                 "bytesSent": self.a_bytes, "packetsSent": self.a_packets + self.a_lost},
                {"id": "RA", "type": "remote-inbound-rtp", "kind": "audio", "ssrc": 2001, "localId": "OA", "timestamp": ts,
                 "roundTripTime": rtt, "fractionLost": loss, "packetsLost": self.a_lost, "jitter": jitter},
                {"id": "OV", "type": "outbound-rtp", "kind": "video", "ssrc": 2002, "timestamp": ts, "codecId": "CV",
                 "bytesSent": self.v_bytes, "packetsSent": self.v_packets + self.v_lost, "framesEncoded": self.frames,
                 "frameWidth": 1280, "frameHeight": 720,
                 "qualityLimitationReason": if net == Network::Good { "none" } else { "bandwidth" }},
                {"id": "RV", "type": "remote-inbound-rtp", "kind": "video", "ssrc": 2002, "localId": "OV", "timestamp": ts,
                 "roundTripTime": rtt, "fractionLost": loss, "packetsLost": self.v_lost, "jitter": jitter}
            ]
        })
    }
}

#[cfg(test)]
mod tests {
    use callstats_ingest::aggregates::AggregateFilter;

    use super::*;
    use crate::database::DatabaseArgs;

    /// A service on a new SQLite file, with one app.
    async fn fresh() -> (tempfile::TempDir, Arc<Ingest>, callstats_store::AppId) {
        let dir = tempfile::tempdir().expect("tempdir");
        let db =
            DatabaseArgs { database: format!("sqlite://{}", dir.path().join("c.db").display()), server_key_file: None };
        let ingest = crate::commands::ingest(&db).expect("open");
        let app = ingest.create_app("generated").await.expect("app").0.id;
        (dir, ingest, app)
    }

    /// The overview over generated days: assembled from day rollups it must equal a full scan
    /// (a participant filter that admits everyone forces the scan), before the rollups exist,
    /// once they are used, and after more conferences close on days already rolled up.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn day_rollups_give_the_figures_of_a_full_scan() {
        let (_dir, ingest, app) = fresh().await;
        let history = |conferences, seed| HistoryArgs { app, conferences, days: 6, samples: 3, seed, parallel: 4 };
        generate(ingest.clone(), &history(150, 3)).await.expect("history");

        let now = ingest.now_ms();
        let range =
            AggregateFilter { from: Some(now - 7 * 86_400_000 + 3_600_000), to: Some(now), ..Default::default() };
        // Each filter the rollups answer, and a combination they do not.
        let filters = [
            range.clone(),
            AggregateFilter { browser: Some("firefox".into()), ..range.clone() },
            AggregateFilter { os: Some("Android".into()), ..range.clone() },
            AggregateFilter { min_users: Some(3), max_users: Some(4), ..range.clone() },
            AggregateFilter { browser: Some("Chrome".into()), os: Some("Linux".into()), ..range.clone() },
            AggregateFilter { country: Some("fi".into()), ..range.clone() },
            AggregateFilter { browser: Some("chrome".into()), min_users: Some(2), ..range.clone() },
        ];
        let report = |f: AggregateFilter| {
            let ingest = ingest.clone();
            async move { ingest.aggregates(app, &f).await.expect("aggregates") }
        };
        let check_all = |expect_days: fn(u32) -> bool| {
            let filters = filters.clone();
            let report = &report;
            async move {
                for (i, f) in filters.into_iter().enumerate() {
                    let rolled = report(f.clone()).await;
                    let scanned = report(AggregateFilter { force_scan: true, ..f }).await;
                    assert_eq!(scanned.days_from_rollups, 0);
                    assert_eq!(rolled.aggregates, scanned.aggregates, "filter {i}");
                    assert!(rolled.aggregates.total > 0, "filter {i} matches something");
                    if i < 6 {
                        assert!(expect_days(rolled.days_from_rollups), "filter {i}: {} days", rolled.days_from_rollups);
                    } else {
                        assert_eq!(rolled.days_from_rollups, 0, "a combined filter scans");
                    }
                }
            }
        };

        let first = report(range.clone()).await;
        assert_eq!(first.aggregates.total, 150);
        assert_eq!(first.days_from_rollups, 0, "nothing rolled up yet");
        // The rollups are written in the background.
        for _ in 0..100 {
            if report(range.clone()).await.days_from_rollups == 6 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        check_all(|days| days == 6).await;
        assert_eq!(ingest.refresh_rollups().await.expect("refresh"), 0, "nothing stale");

        // More conferences close on the same days (the generator reuses conference IDs, so some
        // of them reopen and close again): the stale rollups are not used.
        generate(ingest.clone(), &history(40, 4)).await.expect("more history");
        let after = report(range.clone()).await;
        assert!(after.aggregates.total > 150, "{}", after.aggregates.total);
        assert!(after.days_from_rollups < 6, "{}", after.days_from_rollups);
        check_all(|days| days <= 6).await;

        // More closes, then the keeper (before any page asks): it rebuilds what went stale, and
        // the overview reads only rollups again.
        generate(ingest.clone(), &history(20, 5)).await.expect("yet more history");
        assert!(ingest.refresh_rollups().await.expect("refresh") > 0);
        assert_eq!(ingest.refresh_rollups().await.expect("refresh"), 0);
        check_all(|days| days == 6).await;
    }

    /// A server sharing the database runs its closer while an import writes a conference whose
    /// receive times are a day old: the conference is not closed half-written, and once the
    /// importer hands it over it closes with every participant.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_conference_being_imported_is_not_closed_half_written() {
        let (_dir, ingest, app) = fresh().await;
        let mut rng = StdRng::seed_from_u64(5);
        let records = conference(&mut rng, 0, ingest.now_ms() - 86_400_000, 4);
        let users = records.iter().filter(|r| r.body["eventType"] == "userJoined").count();
        assert!(users >= 2 && records.len() > users * 3, "a whole conference: {} records", records.len());
        let mut importer = Importer::new(&ingest, app);
        for r in &records {
            importer.import(r).await.expect("import");
            assert_eq!(ingest.close_due().await.expect("close").len(), 0, "closed during the import, after {}", r.path);
        }
        importer.finish().await.expect("finish");
        let closed = ingest.close_due().await.expect("close");
        let [(closed_app, conf)] = &closed[..] else { panic!("one conference closes: {closed:?}") };
        assert_eq!(*closed_app, app);
        let detail = ingest.conference_detail(app, conf).await.expect("detail");
        assert_eq!(detail.status, "closed");
        assert_eq!(detail.participants.len(), users);
        assert_eq!(detail.summary["userCount"], users);
    }
}
