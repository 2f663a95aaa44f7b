//! The compact stats extension (`…/{ucID}/stats/compact`) over HTTP: the SDK's recorded chains
//! (fixtures/wire/compact, with one lost submission and one second keyframe) give a conference
//! the same stream analysis as the same getStats data sent as report lists, and a delta whose
//! base the server does not hold is refused with 409 rather than guessed.

mod common;

use axum::http::StatusCode;
use common::{START_MS, TestServer};
use serde_json::{Value, json};

fn fixture(name: &str) -> Vec<Value> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/wire/compact").join(name);
    let v: Value = serde_json::from_slice(&std::fs::read(path).expect("fixture")).expect("fixture JSON");
    v["submissions"].as_array().expect("submissions").clone()
}

/// The stream analysis of a conference, without what names the participant.
async fn streams(s: &TestServer, conf: &str) -> Value {
    let mut d = s.api(&format!("/api/v1/apps/{}/conferences/{conf}", s.app_id)).await;
    let mut streams = d["streams"].take();
    for st in streams.as_array_mut().expect("streams").iter_mut() {
        if let Some(o) = st.as_object_mut() {
            o.remove("ucID");
        }
    }
    streams
}

#[tokio::test]
async fn compact_chains_give_the_analysis_of_report_lists() {
    let s = TestServer::start().await;
    let token = s.token("alice").await;
    let uc_full = s.join(&token, "full", "alice").await;
    let uc_compact = s.join(&token, "compact", "alice").await;
    let subs = fixture("chromium-steady.json");
    for (n, sub) in subs.iter().enumerate().filter(|(_, x)| x["delivered"] == true) {
        let full = json!({"localID": "alice", "deviceID": "d", "timestamp": START_MS + n as i64 * 1000, "eventType": "stats",
            "connectionID": "pc1", "remoteID": "bob", "stats": sub["stats"]});
        let r = s
            .post(
                &format!("/v1/apps/{}/conferences/full/{uc_full}/stats", s.app_id),
                Some(&token),
                None,
                full.to_string(),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.json);
        let mut compact = sub["compact"].clone();
        compact["timestamp"] = json!(START_MS + n as i64 * 1000);
        let path = format!("/v1/apps/{}/conferences/compact/{uc_compact}/stats/compact", s.app_id);
        let r = s.post(&path, Some(&token), None, compact.to_string()).await;
        assert_eq!(r.status, StatusCode::OK, "submission {n}: {}", r.json);
    }
    let (full, compact) = (streams(&s, "full").await, streams(&s, "compact").await);
    assert!(full.as_array().is_some_and(|a| a.len() == 4), "{full}");
    let intervals = full
        .as_array()
        .expect("streams")
        .iter()
        .map(|st| st["intervals"].as_array().map_or(0, Vec::len))
        .sum::<usize>();
    assert!(intervals >= 30, "{intervals} intervals: {full}");
    assert_eq!(compact, full);
}

#[tokio::test]
async fn a_delta_without_its_base_is_refused_with_409() {
    let s = TestServer::start().await;
    let token = s.token("alice").await;
    let uc = s.join(&token, "c", "alice").await;
    let subs = fixture("chromium-steady.json");
    let delta = &subs[2]["compact"];
    assert!(delta["base"].is_u64(), "submission 2 is a delta");
    let path = format!("/v1/apps/{}/conferences/c/{uc}/stats/compact", s.app_id);
    let r = s.post(&path, Some(&token), None, delta.to_string()).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.json);
    assert!(r.json["msg"].as_str().expect("msg").contains("keyframe required"), "{}", r.json);
    // Its keyframe first, then the next delta, is accepted; a malformed body is a 400.
    for n in [0, 1, 2] {
        let r = s.post(&path, Some(&token), None, subs[n]["compact"].to_string()).await;
        assert_eq!(r.status, StatusCode::OK, "submission {n}: {}", r.json);
    }
    let progress = s.api(&format!("/api/v1/apps/{}/integration", s.app_id)).await;
    let steps = progress["steps"].as_array().expect("steps");
    assert!(steps.iter().any(|x| x["step"] == "statsReceived" && x["done"] == true), "{progress}");
    let r = s.post(&path, Some(&token), None, json!({"localID": "alice", "seq": 1}).to_string()).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.json);
    let r = s.post(&path, None, None, subs[0]["compact"].to_string()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn openapi_documents_the_compact_route() {
    let s = TestServer::start().await;
    let doc = s.get("/api/openapi.json", None).await.json;
    let op = &doc["paths"]["/v1/apps/{appID}/conferences/{confID}/{ucID}/stats/compact"]["post"];
    assert!(op["responses"]["409"].is_object(), "{op}");
    assert!(op["requestBody"]["content"]["application/json"]["schema"]["properties"]["s"].is_object());
}

/// The bases are bounded by bytes: past the total, the fabrics held first are forgotten, and
/// their next delta is answered 409 (the SDK then sends a keyframe).
#[tokio::test]
async fn bases_past_their_memory_bound_are_forgotten_and_answered_409() {
    let subs = fixture("chromium-steady.json");
    let (keyframe, delta) = (&subs[0]["compact"], &subs[1]["compact"]);
    assert!(keyframe["base"].is_null() && delta["base"].is_u64());
    let parsed = callstats_protocol::compact::parse(keyframe.to_string().as_bytes()).expect("keyframe");
    let one = callstats_protocol::compact::memory_size(&parsed.s);
    let limits = callstats_ingest::Limits { compact_base_bytes: one * 5 / 2, ..callstats_ingest::Limits::default() };
    let dir = tempfile::tempdir().expect("tempdir");
    let store = common::test_store(&dir).await;
    let clock = std::sync::Arc::new(callstats_ingest::ManualClock::new(START_MS));
    let ingest = callstats_ingest::Ingest::new(store, callstats_ingest::ServerKey::generate(), limits, clock);
    let s = TestServer::with_ingest(ingest, dir).await;
    let token = s.token("alice").await;
    let uc = s.join(&token, "c", "alice").await;
    let path = format!("/v1/apps/{}/conferences/c/{uc}/stats/compact", s.app_id);
    let on = |body: &Value, pc: &str| {
        let mut b = body.clone();
        b["connectionID"] = json!(pc);
        b.to_string()
    };
    for pc in ["pc1", "pc2", "pc3"] {
        assert_eq!(s.post(&path, Some(&token), None, on(keyframe, pc)).await.status, StatusCode::OK, "{pc}");
    }
    // pc3 pushed pc1 out; pc3's delta adds a base, which pushes pc2 out.
    assert_eq!(s.post(&path, Some(&token), None, on(delta, "pc1")).await.status, StatusCode::CONFLICT);
    assert_eq!(s.post(&path, Some(&token), None, on(delta, "pc3")).await.status, StatusCode::OK);
    assert_eq!(s.post(&path, Some(&token), None, on(delta, "pc2")).await.status, StatusCode::CONFLICT);
    // A keyframe brings a fabric back.
    assert_eq!(s.post(&path, Some(&token), None, on(keyframe, "pc1")).await.status, StatusCode::OK);
    assert_eq!(s.post(&path, Some(&token), None, on(delta, "pc1")).await.status, StatusCode::OK);
}
