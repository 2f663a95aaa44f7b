//! Storage running out: a write that finds the disk full is answered 503 with `Retry-After` and
//! a message naming the cause (the collector's clients retry on it), nothing is acknowledged
//! that was not stored, and writes succeed again once there is room, without a restart. SQLite
//! only: its size is capped with `limit_growth` instead of filling a disk.

mod common;

use std::sync::Arc;

use axum::http::StatusCode;
use callstats_ingest::{Ingest, Limits, ManualClock, ServerKey};
use callstats_store_sqlite::SqliteStore;
use common::{START_MS, TestServer};
use serde_json::json;

#[tokio::test]
async fn a_full_disk_is_503_with_retry_after_and_writes_resume_when_there_is_room() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Arc::new(SqliteStore::open(dir.path().join("full.db")).expect("open sqlite"));
    let s = TestServer::with_ingest(
        Ingest::new(store.clone(), ServerKey::generate(), Limits::default(), Arc::new(ManualClock::new(START_MS))),
        dir,
    )
    .await;
    let token = s.token("alice").await;
    let uc = s.join(&token, "full", "alice").await;
    let path = format!("/v1/apps/{}/conferences/full/{uc}/events/app/logs", s.app_id);
    // Incompressible text, so each log takes pages of its own.
    let log = |n: u64| {
        let mut x = n.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        let text: String = (0..15_000)
            .map(|_| {
                // xorshift64: letters zstd cannot shrink much.
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                char::from(b'a' + (x % 26) as u8)
            })
            .collect();
        json!({"localID": "alice", "deviceID": "d", "timestamp": START_MS + n as i64, "eventType": "applicationErrorLog",
            "connectionID": "c1", "reason": "ApplicationLog", "function": "f", "messageType": "text", "message": text})
        .to_string()
    };
    store.limit_growth(Some(2)).await.expect("limit");
    let mut refused = None;
    let mut accepted = 0;
    for n in 0..20 {
        let r = s.post(&path, Some(&token), None, log(n)).await;
        if r.status == StatusCode::OK {
            accepted += 1;
            continue;
        }
        refused = Some(r);
        break;
    }
    let r = refused.expect("the capped database fills up");
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.json);
    assert_eq!(r.headers["retry-after"], "1");
    assert!(r.json["msg"].as_str().is_some_and(|m| m.contains("full")), "{}", r.json);
    let stored = || async {
        let d = s.api(&format!("/api/v1/apps/{}/conferences/full", s.app_id)).await;
        d["errors"].as_array().map(Vec::len)
    };
    assert_eq!(stored().await, Some(accepted), "what was acknowledged, and only that, is stored");
    // Room again: the same request is stored, no restart needed.
    store.limit_growth(None).await.expect("unlimit");
    assert_eq!(s.post(&path, Some(&token), None, log(99)).await.status, StatusCode::OK);
    assert_eq!(stored().await, Some(accepted + 1));
}
