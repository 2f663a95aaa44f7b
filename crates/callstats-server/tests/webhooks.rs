//! Per-app settings, webhook delivery of conference summaries (signed, retried with backoff,
//! visible in the API) against a real HTTP receiver on 127.0.0.1 (allowed as an on-premises
//! receiver; by default private targets and redirects are refused), and retention of raw
//! samples.

mod common;

use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use common::{START_MS, TestServer};
use serde_json::{Value, json};

#[derive(Default)]
struct Received {
    calls: u32,
    ok_after: u32,
    bodies: Vec<(HeaderMap, String)>,
}

/// A receiver that answers 500 until `ok_after` calls have been made, then 204.
async fn receiver(ok_after: u32) -> (String, Arc<Mutex<Received>>) {
    let state = Arc::new(Mutex::new(Received { ok_after, ..Default::default() }));
    let s = state.clone();
    let app = axum::Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: String| {
            let s = s.clone();
            async move {
                let mut r = s.lock().expect("receiver lock");
                r.calls += 1;
                r.bodies.push((headers, body));
                if r.calls > r.ok_after { StatusCode::NO_CONTENT } else { StatusCode::INTERNAL_SERVER_ERROR }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("receiver serves") });
    (format!("http://{addr}/hook"), state)
}

async fn short_conference(s: &TestServer, conf: &str) {
    let token = s.token("alice").await;
    let uc = s.join(&token, conf, "alice").await;
    let stats = json!({"localID": "alice", "deviceID": "d", "timestamp": START_MS, "connectionID": "c1", "remoteID": "bob",
        "stats": [{"id": "IA", "type": "inbound-rtp", "kind": "audio", "ssrc": 1, "timestamp": START_MS, "bytesReceived": 100}]});
    let r = s
        .post(&format!("/v1/apps/{}/conferences/{conf}/{uc}/stats", s.app_id), Some(&token), None, stats.to_string())
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

async fn put_webhook(s: &TestServer, url: &str) -> common::Reply {
    s.send(
        axum::http::Request::put(format!("/api/v1/apps/{}/webhook", s.app_id))
            .header("authorization", format!("Bearer {}", s.admin))
            .body(axum::body::Body::from(json!({"url": url}).to_string()))
            .expect("request"),
    )
    .await
}

/// Closes a fresh conference and makes one delivery pass; returns its delivery.
async fn deliver_one(s: &TestServer, conf: &str) -> Value {
    short_conference(s, conf).await;
    s.clock.advance(30_000);
    assert_eq!(s.ingest.close_due().await.expect("close").len(), 1);
    // Earlier deliveries may be due again as well.
    assert!(s.ingest.deliver_due().await.expect("deliver") >= 1);
    let list = s.api(&format!("/api/v1/apps/{}/webhook/deliveries", s.app_id)).await;
    list["deliveries"].as_array().expect("deliveries").iter().find(|d| d["confID"] == conf).expect("delivery").clone()
}

#[tokio::test]
async fn summaries_are_delivered_signed_and_retried() {
    let s = TestServer::start_with(|ingest| ingest.with_private_webhooks(true)).await;
    let (url, received) = receiver(2).await;
    let r = put_webhook(&s, &url).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    let secret = r.json["secret"].as_str().unwrap().to_owned();

    short_conference(&s, "hooked").await;
    s.clock.advance(30_000);
    assert_eq!(s.ingest.close_due().await.unwrap().len(), 1);

    // First attempt fails (500); nothing is due again until the backoff has passed.
    assert_eq!(s.ingest.deliver_due().await.unwrap(), 1);
    assert_eq!(s.ingest.deliver_due().await.unwrap(), 0, "not due again before its backoff");
    let list = s.api(&format!("/api/v1/apps/{}/webhook/deliveries", s.app_id)).await;
    let d = &list["deliveries"][0];
    assert_eq!(
        (d["status"].as_str(), d["attempts"].as_u64(), d["lastStatus"].as_u64()),
        (Some("pending"), Some(1), Some(500))
    );
    let wait = d["nextAttemptAt"].as_i64().unwrap() - s.ingest.now_ms();
    assert!((4_000..=6_000).contains(&wait), "first backoff ≈ 5 s, got {wait}");
    s.clock.advance(wait);
    assert_eq!(s.ingest.deliver_due().await.unwrap(), 1);
    s.clock.advance(12_001);
    assert_eq!(s.ingest.deliver_due().await.unwrap(), 1);

    let list = s.api(&format!("/api/v1/apps/{}/webhook/deliveries", s.app_id)).await;
    let d = &list["deliveries"][0];
    assert_eq!(d["status"], "delivered");
    assert_eq!(d["attempts"], 3);
    assert!(d["deliveredAt"].is_i64());

    let r = received.lock().unwrap();
    assert_eq!(r.calls, 3);
    let (headers, body) = r.bodies.last().unwrap();
    let ts: i64 = headers["x-callstats-timestamp"].to_str().unwrap().parse().unwrap();
    let expected = callstats_ingest::webhooks::signature(&secret, ts, body);
    assert_eq!(headers["x-callstats-signature"].to_str().unwrap(), expected);
    assert_ne!(callstats_ingest::webhooks::signature("wrong", ts, body), expected);
    let payload: Value = serde_json::from_str(body).unwrap();
    assert_eq!(payload["event"], "conferenceSummary");
    assert_eq!(payload["confID"], "hooked");
    assert_eq!(payload["summary"]["userCount"], 1);
    assert_eq!(payload["alerts"], json!([]), "no thresholds set, no alerts");
}

#[tokio::test]
async fn retention_deletes_old_raw_samples_but_keeps_summaries() {
    let s = TestServer::start().await;
    s.ingest.patch_settings(s.app_id, &json!({"retentionDays": 2})).await.unwrap();
    short_conference(&s, "old").await;
    s.clock.advance(30_000);
    s.ingest.close_due().await.unwrap();
    s.clock.advance(86_400_000);
    assert_eq!(s.ingest.apply_retention().await.unwrap(), 0, "one day old: kept");
    s.clock.advance(86_400_000);
    assert_eq!(s.ingest.apply_retention().await.unwrap(), 1, "two days old: deleted");
    let d = s.api(&format!("/api/v1/apps/{}/conferences/old", s.app_id)).await;
    assert!(d["stats"].as_array().unwrap().is_empty());
    assert_eq!(d["status"], "closed");
    assert_eq!(d["summary"]["userCount"], 1, "the summary survives");
}

#[tokio::test]
async fn settings_are_validated_and_reach_the_sdk() {
    let s = TestServer::start().await;
    let patch = |body: Value| {
        axum::http::Request::patch(format!("/api/v1/apps/{}/settings", s.app_id))
            .header("authorization", format!("Bearer {}", s.admin))
            .body(axum::body::Body::from(body.to_string()))
            .unwrap()
    };
    let config =
        json!({"peerConnection": {"iceTransportPolicy": "relay"}, "media": {"audio": true, "video": {"width": 640}}});
    let r = s.send(patch(json!({"defaultConfig": config, "submissionIntervalMs": 10000}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    for bad in [
        json!({"submissionIntervalMs": 5}),
        json!({"defaultConfig": {"pc": {}}}),
        json!({"retentionDays": 0}),
        json!({"alerts": {"minScore": 7}}),
        json!({"webhookUrl": "http://x"}),
    ] {
        let r = s.send(patch(bad.clone())).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    // What on('defaultConfig') receives, and what the token tells the client.
    s.clock.advance(5_000); // past the app cache
    let token = s.token("alice").await;
    let r = s.get(&format!("/v1/apps/{}/configurations", s.app_id), Some(&token)).await;
    assert_eq!(r.json["default"], config);
    let claims: Value = {
        use base64::Engine;
        let payload = token.split('.').nth(1).unwrap();
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
    };
    assert_eq!(claims["submissionInterval"], 10000);
}

/// By default a delivery reaches public addresses only, whatever the URL spells, and however
/// its name resolves; nothing is sent to the receiver.
#[tokio::test]
async fn deliveries_to_private_addresses_are_refused_by_default() {
    let s = TestServer::start().await;
    let (url, received) = receiver(0).await;
    let port = url.rsplit(':').next().unwrap().trim_end_matches("/hook").to_owned();
    for (n, target) in [
        url.clone(),
        format!("http://localhost:{port}/hook"),
        format!("http://0x7f000001:{port}/hook"),
        format!("http://[::1]:{port}/hook"),
        "http://[::ffff:10.0.0.1]/hook".to_owned(),
        "http://169.254.169.254/latest".to_owned(),
    ]
    .iter()
    .enumerate()
    {
        assert_eq!(put_webhook(&s, target).await.status, StatusCode::OK, "{target}");
        let d = deliver_one(&s, &format!("private{n}")).await;
        assert_eq!(d["status"], "pending", "{target}: {d}");
        assert!(d["lastError"].as_str().is_some_and(|e| e.contains("not a public address")), "{target}: {d}");
    }
    assert_eq!(received.lock().unwrap().calls, 0);
    // URLs are parsed whole when set.
    for bad in ["ftp://example.com/x", "http://user:pw@example.com/", "http://exa mple.com/", "not a url"] {
        assert_eq!(put_webhook(&s, bad).await.status, StatusCode::BAD_REQUEST, "{bad}");
    }
}

/// A redirect is a failed attempt: the signed POST is never sent on to where it points.
#[tokio::test]
async fn redirects_are_not_followed() {
    let s = TestServer::start_with(|ingest| ingest.with_private_webhooks(true)).await;
    let (elsewhere, received) = receiver(0).await;
    let redirector = axum::Router::new().route(
        "/hook",
        post(move || {
            let to = elsewhere.clone();
            async move { (StatusCode::TEMPORARY_REDIRECT, [(axum::http::header::LOCATION, to)]) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, redirector).await.expect("redirector serves") });
    assert_eq!(put_webhook(&s, &format!("http://{addr}/hook")).await.status, StatusCode::OK);
    let d = deliver_one(&s, "redirected").await;
    assert_eq!((d["status"].as_str(), d["lastStatus"].as_u64()), (Some("pending"), Some(307)), "{d}");
    assert_eq!(received.lock().unwrap().calls, 0);
}
