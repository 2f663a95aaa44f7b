//! Input limits: what anyone holding an AppID can send is bounded in depth, length and range, is
//! refused with a message naming the limit, and nothing that is refused is stored. What was
//! stored before a limit existed degrades only itself.

mod common;

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use callstats_store::{Submission, SubmissionKind, Write, codec};
use common::{START_MS, TestServer};
use serde_json::{Value, json};

const CONF: &str = "limits";

fn stats_body(stats: &str) -> String {
    format!(
        r#"{{"localID":"alice","deviceID":"d","timestamp":{START_MS},"connectionID":"pc1","remoteID":"bob","stats":{stats}}}"#
    )
}

/// A report with a member nested `levels` deep.
fn deep_stats(levels: usize) -> String {
    format!(r#"[{{"type":"inbound-rtp","x":{}1{}}}]"#, "[".repeat(levels), "]".repeat(levels))
}

async fn stats_count(s: &TestServer) -> usize {
    let r = s.api(&format!("/api/v1/apps/{}/conferences/{CONF}/stats", s.app_id)).await;
    r["samples"].as_array().expect("samples").len()
}

#[tokio::test]
async fn a_deeply_nested_body_is_refused_and_not_stored() {
    let s = TestServer::start().await;
    let token = s.token("alice").await;
    let uc = s.join(&token, CONF, "alice").await;
    let base = format!("/v1/apps/{}/conferences/{CONF}/{uc}", s.app_id);
    let r = s.post(&format!("{base}/stats"), Some(&token), None, stats_body(&deep_stats(10))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    for (route, body) in [
        ("stats", stats_body(&deep_stats(100_000))),
        (
            "events/app/logs",
            json!({"localID": "alice"})
                .to_string()
                .replace('}', &format!(r#","message":{}1{}}}"#, "[".repeat(40), "]".repeat(40))),
        ),
        ("batch", format!(r#"{{"items":[{{"route":"stats","body":{}}}]}}"#, stats_body(&deep_stats(100)))),
    ] {
        let r = s.post(&format!("{base}/{route}"), Some(&token), None, body).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{route}: {}", r.json);
        assert_eq!(r.json["msg"], "body nests arrays and objects deeper than 32 levels", "{route}");
    }
    assert_eq!(stats_count(&s).await, 1);
    // The stored sample reads back, and so does the conference.
    let r = s.api(&format!("/api/v1/apps/{}/conferences/{CONF}/stats", s.app_id)).await;
    assert!(r["samples"][0]["body"]["stats"].is_array(), "{r}");
    s.api(&format!("/api/v1/apps/{}/conferences/{CONF}", s.app_id)).await;
    // The app-level channels and the JSON API's bodies have the same limit.
    let deep = format!(r#"{{"appID":{},"eventType":"log","x":{}1{}}}"#, s.app_id, "[".repeat(50), "]".repeat(50));
    assert_eq!(s.post("/generics", None, Some("https://a.example"), deep).await.status, StatusCode::BAD_REQUEST);
    let patch = format!(r#"{{"defaultConfig":{}1{}}}"#, "[".repeat(200), "]".repeat(200));
    let r = s
        .send(
            axum::http::Request::patch(format!("/api/v1/apps/{}/settings", s.app_id))
                .header("authorization", format!("Bearer {}", s.admin))
                .body(axum::body::Body::from(patch))
                .expect("request"),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.json);
    assert!(r.json["error"]["message"].as_str().is_some_and(|m| m.contains("deeper than 32")), "{}", r.json);
}

#[tokio::test]
async fn an_unreadable_stored_body_degrades_only_itself() {
    let s = TestServer::start().await;
    let token = s.token("alice").await;
    let uc = s.join(&token, CONF, "alice").await;
    let base = format!("/v1/apps/{}/conferences/{CONF}/{uc}", s.app_id);
    let r = s.post(&format!("{base}/stats"), Some(&token), None, stats_body("[]")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    // What an earlier server stored without a depth limit: a sample and an event.
    let deep = stats_body(&deep_stats(100_000));
    let stored = |kind, event_type: &str| {
        Write::Submission(Submission {
            app_id: s.app_id,
            conf_id: Some(CONF.into()),
            uc_id: Some(uc.clone()),
            kind,
            event_type: event_type.into(),
            user_id: Some("alice".into()),
            remote_id: Some("bob".into()),
            connection_id: Some("pc1".into()),
            timestamp_ms: START_MS as f64 + 1.0,
            received_at_ms: START_MS + 1,
            body: codec::compress(deep.as_bytes()),
            body_len: deep.len() as u32,
            truncated: false,
            derived: None,
        })
    };
    s.ingest
        .store()
        .write(vec![stored(SubmissionKind::Stats, "stats"), stored(SubmissionKind::Event, "dominantSpeaker")])
        .await
        .expect("write");
    let r = s.api(&format!("/api/v1/apps/{}/conferences/{CONF}/stats", s.app_id)).await;
    let samples = r["samples"].as_array().expect("samples");
    assert_eq!(samples.len(), 2);
    let bad: Vec<&Value> = samples.iter().filter(|x| x.get("bodyError").is_some()).collect();
    assert_eq!(bad.len(), 1, "{r}");
    assert!(bad[0].get("body").is_none());
    assert!(bad[0]["bodyError"].as_str().is_some_and(|e| e.contains("recursion limit")), "{r}");
    let d = s.api(&format!("/api/v1/apps/{}/conferences/{CONF}", s.app_id)).await;
    assert_eq!(d["participants"].as_array().map(Vec::len), Some(1));
    let event = d["events"].as_array().expect("events").iter().find(|e| e["eventType"] == "dominantSpeaker");
    assert!(event.is_some_and(|e| e["bodyError"].is_string()), "{d}");
}

#[tokio::test]
async fn aggregates_ranges_are_clamped() {
    let s = TestServer::start().await;
    let path = |from: i64, to: i64| format!("/api/v1/apps/{}/aggregates?from={from}&to={to}", s.app_id);
    let started = Instant::now();
    let r = s.api(&path(i64::MIN, i64::MAX)).await;
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
    let day = 86_400_000;
    assert_eq!(r["to"], START_MS + day);
    assert_eq!(r["from"], START_MS + day - 400 * day);
    let r = s.get(&path(i64::MAX, i64::MAX), Some(&s.admin)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.json);
    let r = s.api(&path(i64::MIN, i64::MIN)).await;
    assert_eq!(r["to"], 0);
}

#[tokio::test]
async fn overlong_ids_are_refused_with_the_field_named() {
    let s = TestServer::start().await;
    let token = s.token("alice").await;
    let long = "x".repeat(257);
    let join =
        json!({"localID": "alice", "deviceID": "dev", "timestamp": START_MS, "endpointInfo": {"type": "browser"}});
    let r = s.post(&format!("/v1/apps/{}/conferences/{long}", s.app_id), Some(&token), None, join.to_string()).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.json);
    assert_eq!(r.json["field"], "confID");
    let mut with_long_device = join.clone();
    with_long_device["deviceID"] = json!(long);
    let r = s
        .post(&format!("/v1/apps/{}/conferences/{CONF}", s.app_id), Some(&token), None, with_long_device.to_string())
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.json);
    assert_eq!(r.json["field"], "deviceID");
    assert_eq!(r.json["msg"], "field `deviceID` is longer than 256 bytes");
    let uc = s.join(&token, CONF, "alice").await;
    let r = s
        .post(
            &format!("/v1/apps/{}/conferences/{CONF}/{uc}/stats", s.app_id),
            Some(&token),
            None,
            stats_body("[]").replace("\"pc1\"", &format!("\"{long}\"")),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.json);
    assert_eq!(r.json["field"], "connectionID");
    assert_eq!(stats_count(&s).await, 0);
    let r = s.authenticate_with(&long, &s.secret.clone(), None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.json);
    // 256 bytes is still fine.
    s.token(&"y".repeat(256)).await;
}

#[tokio::test]
async fn generics_need_a_known_app_an_allowed_origin_and_a_small_body() {
    let s = TestServer::start().await;
    let log = |app: i64, pad: usize| {
        json!({"appID": app, "userID": "alice", "version": "3.73.16", "eventType": "log", "data": {"msg": "x".repeat(pad)}})
            .to_string()
    };
    let page = Some("https://meet.example.com");
    let stored = || async {
        let r = s.api(&format!("/api/v1/apps/{}/submissions?kind=generic", s.app_id)).await;
        r["submissions"].as_array().map(Vec::len)
    };
    assert_eq!(s.post("/generics", None, page, log(s.app_id, 10)).await.status, StatusCode::OK);
    assert_eq!(stored().await, Some(1));
    // Not from a web page, an unknown app, too large.
    let r = s.post("/generics", None, None, log(s.app_id, 10)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.json);
    assert_eq!(s.post("/generics", None, page, log(1, 10)).await.status, StatusCode::NOT_FOUND);
    let r = s.post("/generics", None, page, log(s.app_id, 40 << 10)).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.json);
    assert_eq!(r.json["msg"], "body exceeds the limit of 32768 bytes");
    // An origin the app does not allow.
    s.ingest.set_origins(s.app_id, vec!["https://meet.example.com".into()]).await.expect("origins");
    let r = s.post("/generics", None, Some("https://evil.example"), log(s.app_id, 10)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.json);
    assert_eq!(s.post("/generics", None, page, log(s.app_id, 10)).await.status, StatusCode::OK);
    assert_eq!(stored().await, Some(2));
}
