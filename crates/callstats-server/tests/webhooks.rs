//! Per-app settings, webhook delivery of conference summaries (signed, retried with backoff,
//! visible in the API) against a real HTTP receiver on 127.0.0.1, and retention of raw samples.

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

#[tokio::test]
async fn summaries_are_delivered_signed_and_retried() {
    let s = TestServer::start().await;
    let (url, received) = receiver(2).await;
    let r = s
        .send(
            axum::http::Request::put(format!("/api/v1/apps/{}/webhook", s.app_id))
                .header("authorization", format!("Bearer {}", s.admin))
                .body(axum::body::Body::from(json!({"url": url}).to_string()))
                .unwrap(),
        )
        .await;
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
