//! Replays every request callstats-js 3.73.16 was recorded sending (`fixtures/wire/`) against the
//! real router and a real SQLite file, then reads each body back through the JSON API and checks
//! it arrived intact.

mod common;

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{TestServer, urlencode};
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/wire")
}

struct Sample {
    name: String,
    method: String,
    templated: String,
    body: Option<Value>,
}

fn samples() -> Vec<Sample> {
    let mut out = Vec::new();
    for dir in ["secret-flow", "precall", "errors", "jwt-flow"] {
        let mut files: Vec<_> =
            std::fs::read_dir(fixtures().join(dir)).expect("fixture dir").map(|e| e.expect("entry").path()).collect();
        files.sort();
        for f in files {
            let v: Value = serde_json::from_slice(&std::fs::read(&f).expect("read fixture")).expect("fixture json");
            out.push(Sample {
                name: format!("{dir}/{}", f.file_name().expect("name").to_string_lossy()),
                method: v["method"].as_str().expect("method").to_owned(),
                templated: v["templated_path"].as_str().expect("templated_path").to_owned(),
                body: v.get("body_json").filter(|b| !b.is_null()).cloned(),
            });
        }
    }
    assert!(out.len() >= 40, "expected the full fixture set, found {}", out.len());
    out
}

/// The recorder served each API under its own prefix; ours are all on one origin.
fn our_path(templated: &str) -> Option<String> {
    for prefix in ["/auth", "/collector", "/events", "/stats", "/config"] {
        if let Some(rest) = templated.strip_prefix(prefix) {
            return Some(rest.to_owned());
        }
    }
    None
}

#[tokio::test]
async fn every_recorded_request_is_accepted_and_read_back_intact() {
    let s = TestServer::start().await;
    let user = "alice@example.com";
    let token = s.token(user).await;
    let conf = "conf harness/1 ä";
    let conf_enc = urlencode(conf);
    assert_eq!(conf_enc, "conf%20harness%2F1%20%C3%A4");
    let uc = s.join(&token, &conf_enc, user).await;
    let fill =
        |p: &str| p.replace("{appID}", &s.app_id.to_string()).replace("{confID}", &conf_enc).replace("{ucID}", &uc);

    let mut sent_conference: Vec<Value> = Vec::new();
    let mut sent_stats: Vec<Value> = Vec::new();
    let mut sent_app_level: Vec<Value> = Vec::new();
    let mut replayed = 0;
    for sample in samples() {
        let Some(path) = our_path(&sample.templated) else { continue };
        let path = fill(&path);
        match (sample.method.as_str(), path.as_str(), &sample.body) {
            ("OPTIONS", _, _) => {
                let req = Request::options(&path)
                    .header("origin", "http://127.0.0.1:8080")
                    .header("access-control-request-method", "POST")
                    .header("access-control-request-headers", "authorization,content-type")
                    .body(Body::empty())
                    .expect("request");
                let r = s.send(req).await;
                assert!(r.status.is_success(), "{}: preflight {}", sample.name, r.status);
                assert_eq!(r.headers["access-control-allow-origin"], "http://127.0.0.1:8080", "{}", sample.name);
                let allowed = r.headers["access-control-allow-headers"].to_str().expect("ascii").to_ascii_lowercase();
                assert!(allowed.contains("authorization") && allowed.contains("content-type"), "{allowed}");
            }
            ("GET", "/clockSync", _) => {
                let r = s.get(&path, None).await;
                assert_eq!(r.json["now"], common::START_MS, "{}", sample.name);
            }
            ("GET", _, _) if path.contains("/configurations") => {
                let r = s.get(&path, Some(&token)).await;
                assert_eq!(r.status, StatusCode::OK, "{}: {}", sample.name, r.json);
                assert!(r.json.is_object(), "{}", sample.name);
            }
            ("POST", "/authenticate", _) => {} // covered by token(): same form, our own secret
            ("POST", _, Some(body)) => {
                let mut body = body.clone();
                if path == "/generics" {
                    // The generic channel names its app in the body.
                    body["appID"] = s.app_id.into();
                }
                let body = &body;
                let bearer = if path == "/generics" { None } else { Some(token.as_str()) };
                let r = s.post(&path, bearer, Some("http://127.0.0.1:8080"), body.to_string()).await;
                assert_eq!(r.status, StatusCode::OK, "{}: {}", sample.name, r.json);
                assert!(r.headers.contains_key("access-control-allow-origin"), "{}: no CORS header", sample.name);
                if path.ends_with("/configurations") {
                    sent_app_level.push(body.clone());
                } else if path.ends_with("/stats") {
                    assert_eq!(r.json["status"], "success");
                    sent_stats.push(body.clone());
                } else if path.contains("/conferences/") {
                    assert_eq!(r.json["status"], "success", "{}", sample.name);
                    sent_conference.push(body.clone());
                } else {
                    assert_eq!(r.json["status"], "success", "{}", sample.name);
                    sent_app_level.push(body.clone());
                }
            }
            _ => continue,
        }
        replayed += 1;
    }
    assert!(replayed >= 40, "replayed only {replayed}");

    let detail = s.api(&format!("/api/v1/apps/{}/conferences/{conf_enc}", s.app_id)).await;
    assert_eq!(detail["confID"], conf);
    let stored: Vec<&Value> = detail["events"].as_array().expect("events").iter().map(|e| &e["body"]).collect();
    for body in &sent_conference {
        assert!(stored.contains(&body), "event not stored intact: {}", body["eventType"]);
    }
    let stats = s.api(&format!("/api/v1/apps/{}/conferences/{conf_enc}/stats", s.app_id)).await;
    let stored_stats: Vec<&Value> = stats["samples"].as_array().expect("samples").iter().map(|e| &e["body"]).collect();
    assert_eq!(stored_stats.len(), sent_stats.len());
    for body in &sent_stats {
        assert!(stored_stats.contains(&body), "stats body not stored intact");
    }
    let app_level = s.api(&format!("/api/v1/apps/{}/submissions", s.app_id)).await;
    let stored_app: Vec<&Value> =
        app_level["submissions"].as_array().expect("submissions").iter().map(|e| &e["body"]).collect();
    for body in &sent_app_level {
        assert!(stored_app.contains(&body), "app-level body not stored intact: {body}");
    }

    // The fabric the recording set up and broke is visible as such.
    let fabric = detail["fabrics"]
        .as_array()
        .expect("fabrics")
        .iter()
        .find(|f| f["connectionID"] == "foelv22o9h")
        .expect("fabric");
    assert!(fabric["setupDelayMs"].as_f64().expect("setup delay") > 0.0);
    assert_eq!(fabric["failureReason"], "NegotiationFailure");
    assert_eq!(fabric["remoteUserID"], "bob");
    assert!(fabric["statsCount"].as_u64().expect("count") >= 2);
    assert_eq!(detail["participants"][0]["browser"]["name"], "Chrome");
    assert!(!detail["feedback"].as_array().expect("feedback").is_empty());
    assert!(detail["errors"].as_array().expect("errors").len() >= 2);
}
