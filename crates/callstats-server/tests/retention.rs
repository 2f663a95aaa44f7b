//! Retention is per app, while PostgreSQL keeps raw samples in day partitions shared by every
//! app: one app's short retention must never take another app's samples with it (the partition
//! goes only once every app's retention has passed it). Runs on both backends.

mod common;

use callstats_store::{Participant, Submission, SubmissionKind, SubmissionQuery, SummaryRecord, Write, codec};
use common::TestServer;
use serde_json::json;

const DAY_MS: i64 = 86_400_000;

/// One participant's conference in `app` with one stats sample, closed.
async fn closed_conference_with_a_sample(s: &TestServer, app: i64, conf: &str) {
    let at = s.ingest.now_ms();
    let body = codec::compress(b"{}");
    let store = s.ingest.store();
    store
        .write(vec![
            Write::Join(Participant {
                uc_id: format!("uc-{app}-{conf}"),
                app_id: app,
                conf_id: conf.into(),
                user_id: "u".into(),
                device_id: "d".into(),
                endpoint: json!({}),
                sdk_version: None,
                joined_at: at as f64,
                received_at: at,
                country: None,
            }),
            Write::Submission(Submission {
                app_id: app,
                conf_id: Some(conf.into()),
                uc_id: Some(format!("uc-{app}-{conf}")),
                kind: SubmissionKind::Stats,
                event_type: "stats".into(),
                user_id: Some("u".into()),
                remote_id: None,
                connection_id: Some("c".into()),
                timestamp_ms: at as f64,
                received_at_ms: at,
                body,
                body_len: 2,
                truncated: false,
                derived: None,
            }),
        ])
        .await
        .expect("write");
    let summary = SummaryRecord {
        app_id: app,
        conf_id: conf.into(),
        closed_at: at,
        start_ms: at,
        end_ms: at,
        close_reason: "idle".into(),
        setup_status: "noFabrics".into(),
        dropped: false,
        relayed: false,
        user_count: 1,
        score: None,
        avg_mos: None,
        browsers: vec![],
        oses: vec![],
        summary_json: "{}".into(),
        facts_json: "{}".into(),
    };
    assert!(store.close_conference(&summary, at, None).await.expect("close"));
}

async fn samples(s: &TestServer, app: i64, conf: &str) -> usize {
    let q = SubmissionQuery {
        app_id: app,
        conf_id: Some(conf.into()),
        kinds: vec![SubmissionKind::Stats],
        ..Default::default()
    };
    s.ingest.store().submissions(&q).await.expect("submissions").len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_apps_retention_never_takes_another_apps_samples() {
    let s = TestServer::start().await;
    let (keeper, _) = s.ingest.create_app("keeps everything").await.expect("second app");
    s.ingest.patch_settings(s.app_id, &json!({"retentionDays": 1})).await.expect("short retention");
    closed_conference_with_a_sample(&s, s.app_id, "short").await;
    closed_conference_with_a_sample(&s, keeper.id, "kept").await;

    s.clock.advance(3 * DAY_MS);
    s.ingest.apply_retention().await.expect("retention");
    assert_eq!(samples(&s, s.app_id, "short").await, 0, "past its app's retention");
    assert_eq!(samples(&s, keeper.id, "kept").await, 1, "its app keeps everything");

    // Once every app's retention has passed the day, it goes (whole, where partitioned).
    s.ingest.patch_settings(keeper.id, &json!({"retentionDays": 2})).await.expect("retention for the other");
    s.ingest.apply_retention().await.expect("retention");
    assert_eq!(samples(&s, keeper.id, "kept").await, 0);
    // Writing today still works after the old day went.
    closed_conference_with_a_sample(&s, keeper.id, "today").await;
    assert_eq!(samples(&s, keeper.id, "today").await, 1);
}
