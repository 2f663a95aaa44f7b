//! Acknowledged means durable: a request the collector answered `{"status":"success"}` is
//! committed (group commit, `synchronous=FULL`) before the answer leaves, so a server killed with
//! SIGKILL in the middle of a load loses none of them. Requests in flight at the kill may be lost
//! or kept; callstats-js never retries either way, so only the acknowledged ones are checked.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};

mod common;

use common::Server;
const CONF: &str = "durability%2F1";
const SENDERS: usize = 16;
/// Load runs at least this long before the kill…
const MIN_LOAD: Duration = Duration::from_millis(1500);
/// …and until this many requests are acknowledged (or `MAX_LOAD` passes), so the check is never
/// made over a handful of requests.
const MIN_ACKED: usize = 300;
const MAX_LOAD: Duration = Duration::from_secs(8);

fn now_ms() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970").as_millis() as f64
}

/// Authenticates `user` the way callstats-js does in the AppSecret flow (PROTOCOL.md §4.2) and
/// joins the conference; returns the access token and the ucID.
async fn join(client: &reqwest::Client, server: &Server, user: &str) -> (String, String) {
    let (base, app) = (&server.base, &server.app);
    let code = encode(
        &Header::new(Algorithm::HS256),
        &json!({"userID": user, "appID": app, "generateTurnCredentials": false}),
        &EncodingKey::from_secret(server.secret.as_bytes()),
    )
    .expect("sign the auth code");
    let r = client
        .post(format!("{base}/authenticate"))
        .form(&[("client_id", format!("{user}@{app}")), ("code", code), ("grant_type", "authorization_code".into())])
        .send()
        .await
        .expect("authenticate");
    assert_eq!(r.status(), 200, "authenticate {user}");
    let auth: Value = r.json().await.expect("auth reply is JSON");
    let token = auth["access_token"].as_str().expect("access_token").to_owned();

    let r = client
        .post(format!("{base}/v1/apps/{app}/conferences/{CONF}"))
        .bearer_auth(&token)
        .json(&json!({
            "localID": user, "deviceID": "d", "timestamp": now_ms(),
            "endpointInfo": {"type": "browser", "buildName": "Chrome", "buildVersion": "1"},
        }))
        .send()
        .await
        .expect("user joined");
    let joined: Value = r.json().await.expect("user joined reply is JSON");
    assert_eq!(joined["status"], "success", "user joined {user}: {joined}");
    let uc = joined["ucID"].as_str().expect("ucID is a string").to_owned();
    (token, uc)
}

/// What one sender saw.
#[derive(Default)]
struct Outcome {
    /// Seqs answered 200 `{"status":"success"}`.
    acked: Vec<u64>,
    /// Answered, but not with success (should stay 0; printed, as it explains a low ack count).
    refused: usize,
    /// Transport failures before the kill (should stay 0).
    early_errors: usize,
    /// Whether the sender stopped on a request cut by the kill.
    cut_by_kill: bool,
}

/// State the senders and the test share.
#[derive(Default)]
struct Load {
    /// The next seq; every request carries a distinct one.
    next_seq: AtomicU64,
    /// Acknowledged so far, to decide when enough load has run.
    acked: AtomicUsize,
    /// Set just before the SIGKILL: a transport failure after it is expected.
    killed: AtomicBool,
    /// Set after the SIGKILL.
    stop: AtomicBool,
}

/// Posts one custom event after another, each with a fresh seq, until the server dies or `stop`.
async fn send_events(client: reqwest::Client, url: String, token: String, user: String, load: Arc<Load>) -> Outcome {
    let mut out = Outcome::default();
    while !load.stop.load(Ordering::SeqCst) {
        let seq = load.next_seq.fetch_add(1, Ordering::SeqCst);
        let body = json!({
            "localID": user, "deviceID": "d", "timestamp": now_ms(), "eventType": "customEvent",
            "connectionID": "c", "remoteID": "r", "eventList": [{"seq": seq}],
        });
        let answer = match client.post(&url).bearer_auth(&token).json(&body).send().await {
            Ok(r) => {
                let status = r.status();
                r.json::<Value>().await.map(|v| (status, v))
            }
            Err(e) => Err(e),
        };
        match answer {
            Ok((status, v)) if status == 200 && v["status"] == "success" => {
                out.acked.push(seq);
                load.acked.fetch_add(1, Ordering::SeqCst);
            }
            Ok((status, v)) => {
                out.refused += 1;
                if out.refused == 1 {
                    eprintln!("{user}: seq {seq} refused with {status}: {v}");
                }
            }
            Err(_) if load.killed.load(Ordering::SeqCst) => {
                out.cut_by_kill = true;
                break;
            }
            Err(e) => {
                out.early_errors += 1;
                eprintln!("{user}: seq {seq} failed before the kill: {e}");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
    out
}

fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_load_loses_no_acknowledged_request() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = common::database(dir.path(), "durability").await;
    let (log1, log2) = (dir.path().join("serve-1.log"), dir.path().join("serve-2.log"));
    let mut server = Server::start(&db, &log1);

    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().expect("http client");
    let load = Arc::new(Load::default());
    let mut senders = Vec::new();
    for i in 0..SENDERS {
        let user = format!("u{i}");
        let (token, uc) = join(&client, &server, &user).await;
        let url = format!("{}/v1/apps/{}/conferences/{CONF}/{uc}/events/customevent", server.base, server.app);
        senders.push(tokio::spawn(send_events(client.clone(), url, token, user, Arc::clone(&load))));
    }

    let started = Instant::now();
    while started.elapsed() < MIN_LOAD
        || (load.acked.load(Ordering::SeqCst) < MIN_ACKED && started.elapsed() < MAX_LOAD)
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let acked_at_kill = load.acked.load(Ordering::SeqCst);
    load.killed.store(true, Ordering::SeqCst);
    server.kill9();
    load.stop.store(true, Ordering::SeqCst);
    let load_time = started.elapsed();

    let mut acked = HashSet::new();
    let (mut refused, mut early_errors, mut cut) = (0, 0, 0);
    for s in senders {
        let out = tokio::time::timeout(Duration::from_secs(10), s)
            .await
            .expect("senders stop once the server is gone")
            .expect("sender task panicked");
        acked.extend(out.acked);
        refused += out.refused;
        early_errors += out.early_errors;
        cut += usize::from(out.cut_by_kill);
    }
    let sent = load.next_seq.load(Ordering::SeqCst);
    println!(
        "load {load_time:?}: sent {sent}, acked {} ({acked_at_kill} when the kill was sent), refused {refused}, \
         failed before the kill {early_errors}, senders cut by the kill {cut}/{SENDERS}",
        acked.len()
    );
    assert!(acked.len() > 100, "too few acknowledged requests for a meaningful test: {}", acked.len());

    // Restart on the same file; the WAL left by the killed process is recovered on open.
    drop(server);
    let server = Server::start(&db, &log2);
    let admin = common::cli(&db, &["admin", "token"]).trim().to_owned();

    let r = reqwest::Client::new()
        .get(format!("{}/api/v1/apps/{}/conferences/{CONF}", server.base, server.app))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("read the conference back");
    assert_eq!(r.status(), 200, "conference read after restart");
    let detail: Value = r.json().await.expect("conference detail is JSON");
    let events = detail["events"].as_array().expect("events array");
    let stored: HashSet<u64> = events
        .iter()
        .filter(|e| e["eventType"] == "customEvent")
        .map(|e| e["body"]["eventList"][0]["seq"].as_u64().expect("stored body keeps its seq"))
        .collect();
    let joins = events.iter().filter(|e| e["eventType"] == "userJoined").count();

    let mut missing: Vec<u64> = acked.difference(&stored).copied().collect();
    missing.sort_unstable();
    let unacked_kept = stored.difference(&acked).count();
    println!(
        "after restart: acked {}, stored {} ({unacked_kept} of them unacknowledged, in flight at the kill), \
         missing {}, userJoined {joins}/{SENDERS}",
        acked.len(),
        stored.len(),
        missing.len()
    );
    assert!(stored.iter().all(|s| *s < sent), "a stored seq was never sent");
    assert_eq!(joins, SENDERS, "every acknowledged user joined survives");
    assert!(
        missing.is_empty(),
        "{} acknowledged requests lost by the kill, first {:?}\n--- killed server log ---\n{}\n--- restarted server log ---\n{}",
        missing.len(),
        &missing[..missing.len().min(20)],
        log_tail(&log1),
        log_tail(&log2),
    );
}
