//! The binary as a user runs it: `serve` prints where it listens and the demo app's credentials,
//! and `app create` makes an app a running server accepts at once.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::json;

mod common;

use common::BIN;

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `serve` on a free port; returns the guard, base URL and the printed credentials.
fn serve(db: &[String]) -> (Server, String, String, String) {
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(db)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn serve");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut next = || lines.next().expect("a line").expect("utf-8");
    let listening = next();
    let base = listening.strip_prefix("Listening on ").expect("listening line").to_owned();
    let app = next().strip_prefix("AppID: ").expect("AppID line").to_owned();
    let secret = next().strip_prefix("AppSecret: ").expect("AppSecret line").to_owned();
    assert!(app.chars().all(|c| c.is_ascii_digit()), "AppID must be numeric: {app}");
    assert!(!secret.contains([' ', '"', '\'']), "secret must be shell-safe: {secret}");
    (Server(child), base, app, secret)
}

async fn authenticate(base: &str, app: &str, secret: &str) -> reqwest::Response {
    let code = encode(
        &Header::new(Algorithm::HS256),
        &json!({"userID": "alice", "appID": app, "generateTurnCredentials": false}),
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("sign");
    reqwest::Client::new()
        .post(format!("{base}/authenticate"))
        .form(&[("client_id", format!("alice@{app}")), ("code", code), ("grant_type", "authorization_code".into())])
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn serve_prints_credentials_and_new_apps_work_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = common::database(&dir.path().join("nested"), "cli").await;
    let (_server, base, demo_app, demo_secret) = serve(&db);
    assert_eq!(authenticate(&base, &demo_app, &demo_secret).await.status(), 200);

    let out = Command::new(BIN).args(["app", "create", "--name", "second"]).args(&db).output().expect("app create");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let mut lines = text.lines();
    let app = lines.next().and_then(|l| l.strip_prefix("AppID: ")).expect("AppID line");
    let secret = lines.next().and_then(|l| l.strip_prefix("AppSecret: ")).expect("AppSecret line");
    assert_ne!(app, demo_app);
    let r = authenticate(&base, app, secret).await;
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(body["token_type"], "bearer");

    let listed = Command::new(BIN).args(["app", "list"]).args(&db).output().expect("app list");
    let listed = String::from_utf8(listed.stdout).expect("utf-8");
    assert!(listed.contains(app) && listed.contains(&demo_app), "{listed}");

    // A second start keeps the same demo app and secret.
    drop(_server);
    let (_again, _, app2, secret2) = serve(&db);
    assert_eq!((app2, secret2), (demo_app, demo_secret));
}

#[test]
fn serve_help_lists_listen_and_database() {
    let out = Command::new(BIN).args(["serve", "--help"]).output().expect("help");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(text.contains("--listen") && text.contains("--database"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_and_generated_history_land_in_the_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = common::database(dir.path(), "import").await;
    let out = Command::new(BIN).args(["app", "create", "--name", "imported"]).args(&db).output().expect("create");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let app = text.lines().next().and_then(|l| l.strip_prefix("AppID: ")).expect("AppID").to_owned();
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/wire/secret-flow");
    let out = Command::new(BIN).args(["import", "--app", &app, "--file", fixtures]).args(&db).output().expect("import");
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{summary} {}", String::from_utf8_lossy(&out.stderr));
    assert!(summary.contains("refused 0") && summary.contains("closed 1 conference"), "{summary}");
    // An rtcstats dump: one conference, named in the output; the same file again writes nothing;
    // a file that is not a dump fails with the reason and a non-zero exit.
    let dump =
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/reference/quality/dumps/chrome-relay.rtcstats.jsonl");
    let import_dump = |file: &str| {
        Command::new(BIN)
            .args(["import", "--format", "rtcstats", "--app", &app, file])
            .args(&db)
            .output()
            .expect("import")
    };
    let out = import_dump(dump);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && said.contains("imported as conference") && said.contains("closed 1"), "{said}");
    let again = import_dump(dump);
    assert!(String::from_utf8_lossy(&again.stdout).contains("already imported as conference"));
    let out = import_dump(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not JSON"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = Command::new(BIN)
        .args(["loadgen", "history", "--app", &app, "--conferences", "40", "--samples", "4"])
        .args(&db)
        .output()
        .expect("history");
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && summary.contains("generated 40 conferences") && summary.contains("closed 40"),
        "{summary}"
    );
}

/// The README's demo workflow: `loadgen history` on the database a server is running on. Every
/// generated conference closes (by whichever process gets to it first) and the server logs no
/// error; two writers on one SQLite file used to collide ("summarising a conference failed …
/// close conference").
#[tokio::test]
async fn history_generated_beside_a_running_server_closes_every_conference_without_error_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = common::database(dir.path(), "beside").await;
    let log = dir.path().join("serve.log");
    let server = common::Server::start(&db, &log);
    let out = Command::new(BIN)
        .args(["loadgen", "history", "--app", &server.app, "--conferences", "300", "--samples", "6"])
        .args(&db)
        .output()
        .expect("history");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let admin = common::cli(&db, &["admin", "token"]).trim().to_owned();
    let client = reqwest::Client::new();
    let mut closed = 0;
    for _ in 0..60 {
        let list: serde_json::Value = client
            .get(format!("{}/api/v1/apps/{}/conferences?limit=500", server.base, server.app))
            .bearer_auth(&admin)
            .send()
            .await
            .expect("list")
            .json()
            .await
            .expect("JSON");
        let all = list["conferences"].as_array().expect("conferences");
        closed = all.iter().filter(|c| c["closedAt"].is_i64()).count();
        if all.len() == 300 && closed == 300 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    assert_eq!(closed, 300, "every generated conference closed");
    let logged = std::fs::read_to_string(&log).expect("server log");
    assert!(!logged.contains("ERROR"), "{logged}");
}

/// `--metrics-listen` serves Prometheus metrics on an address of its own: requests by route and
/// status with their latency, refusals by reason, group-commit sizes.
#[tokio::test]
async fn metrics_are_served_on_their_own_address() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = common::database(dir.path(), "metrics").await;
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"])
        .args(&db)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn serve");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let _server = Server(child);
    let mut printed = Vec::new();
    let metrics = loop {
        let line = lines.next().expect("serve printed a line").expect("utf-8");
        if let Some(url) = line.strip_prefix("Metrics: ") {
            break url.to_owned();
        }
        printed.push(line);
    };
    std::thread::spawn(move || lines.for_each(drop));
    let base = printed[0].strip_prefix("Listening on ").expect("listening line");
    let app = printed[1].strip_prefix("AppID: ").expect("AppID line");
    let secret = printed[2].strip_prefix("AppSecret: ").expect("AppSecret line");
    let client = reqwest::Client::new();
    assert_eq!(authenticate(base, app, secret).await.status(), 200);
    assert_eq!(client.get(format!("{base}/nowhere")).send().await.expect("get").status(), 404);
    assert_eq!(client.get(format!("{base}/metrics")).send().await.expect("get").status(), 404, "not public");
    let text = client.get(&metrics).send().await.expect("metrics").text().await.expect("text");
    for expected in [
        r#"callstats_http_requests_total{route="/authenticate",status="200"} 1"#,
        r#"callstats_http_requests_total{route="unmatched",status="404"}"#,
        r#"callstats_http_request_duration_seconds_bucket{route="/authenticate",le="0.005"}"#,
        r#"callstats_refusals_total{reason="not_found"}"#,
        "callstats_group_commit_requests_bucket",
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
}

/// A line break in a request (here `%0A` in an unknown route, decoded by the router and quoted
/// in the refusal) cannot forge a log line; with `--log-format json` every line is an object.
#[tokio::test]
async fn requests_cannot_forge_log_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = common::database(dir.path(), "logs").await;
    for format in ["text", "json"] {
        let log = dir.path().join(format!("{format}.log"));
        let mut args = db.clone();
        args.extend(["--log-format".to_owned(), format.to_owned()]);
        let server = common::Server::start(&args, &log);
        let forged = "2026-12-06T00:00:00.000000Z ERROR callstats_store_sqlite: commit failed";
        let path =
            format!("{}/v1/apps/{}/conferences/c/1/x%0A{}%0D%0A", server.base, server.app, forged.replace(' ', "%20"));
        let r = reqwest::Client::new().post(path).body("{}").send().await.expect("request");
        assert_eq!(r.status(), 404);
        drop(server);
        let text = std::fs::read_to_string(&log).expect("log");
        assert!(text.contains("x\\x0a2026-12-06") || text.contains("x\\n2026-12-06"), "{format}: {text}");
        for line in text.lines() {
            assert!(!line.starts_with("2026-12-06T00:00:00"), "{format}: forged line {line:?}");
            if format == "json" {
                serde_json::from_str::<serde_json::Value>(line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
            }
        }
    }
}
