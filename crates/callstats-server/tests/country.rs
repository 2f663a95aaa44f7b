//! Countries come only from the header the operator names (a proxy in front sets it): they end
//! up on the participants, in the conference summary and in the aggregates, which filter by them.

mod common;

use common::{START_MS, TestServer};
use serde_json::Value;

const HEADER: &str = "cf-ipcountry";

async fn close_all(s: &TestServer) {
    s.clock.advance(31_000);
    let closed = s.ingest.close_due().await.expect("close");
    assert!(!closed.is_empty(), "the idle conferences close");
}

fn countries(summary: &Value) -> Vec<Value> {
    let mut list: Vec<Value> =
        summary["participants"].as_array().expect("participants").iter().map(|p| p["country"].clone()).collect();
    list.sort_by_key(|v| v.to_string());
    list
}

#[tokio::test]
async fn a_trusted_country_header_reaches_summaries_and_filters_the_aggregates() {
    let s = TestServer::start_with(|i| i.with_country_header(Some(HEADER.into()))).await;
    let (alice, bob, carol) = (s.token("alice").await, s.token("bob").await, s.token("carol").await);
    s.join_with(&alice, "one", "alice", &[(HEADER, "fi")]).await;
    // Cloudflare's "unknown" code, and a value that is no country code at all.
    s.join_with(&bob, "one", "bob", &[(HEADER, "XX")]).await;
    s.join_with(&carol, "two", "carol", &[(HEADER, "SE")]).await;
    s.join_with(&carol, "three", "carol", &[(HEADER, "Sweden")]).await;
    close_all(&s).await;

    let one = s.api(&format!("/api/v1/apps/{}/conferences/one", s.app_id)).await;
    assert_eq!(countries(&one["summary"]), [Value::String("FI".into()), Value::Null]);

    let range = format!("from={}&to={}", START_MS - 1000, START_MS + 3_600_000);
    let all = s.api(&format!("/api/v1/apps/{}/aggregates?{range}", s.app_id)).await;
    assert_eq!(all["total"], 3);
    assert_eq!(all["countries"], serde_json::json!({"FI": 1, "SE": 1}));
    for (filter, total) in [("fi", 1), ("SE", 1), ("NO", 0)] {
        let r = s.api(&format!("/api/v1/apps/{}/aggregates?{range}&country={filter}", s.app_id)).await;
        assert_eq!(r["total"], total, "country={filter}");
    }
    let both = s.api(&format!("/api/v1/apps/{}/aggregates?{range}&country=FI&browser=Chrome", s.app_id)).await;
    assert_eq!(both["total"], 1);
}

#[tokio::test]
async fn without_a_configured_header_no_country_is_taken_from_the_client() {
    let s = TestServer::start().await;
    let alice = s.token("alice").await;
    s.join_with(&alice, "one", "alice", &[(HEADER, "FI")]).await;
    close_all(&s).await;
    let one = s.api(&format!("/api/v1/apps/{}/conferences/one", s.app_id)).await;
    assert_eq!(countries(&one["summary"]), [Value::Null]);
    let range = format!("from={}&to={}", START_MS - 1000, START_MS + 3_600_000);
    let all = s.api(&format!("/api/v1/apps/{}/aggregates?{range}", s.app_id)).await;
    assert_eq!((all["total"].clone(), all["countries"].clone()), (1.into(), serde_json::json!({})));
}
