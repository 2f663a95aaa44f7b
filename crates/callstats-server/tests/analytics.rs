//! A scripted conference fed through the HTTP API with known network conditions: the stored
//! analysis must show the labels, the MOS of the E-model formula, the failure reason, and a
//! summary exactly when the conference has been idle for 30 s (the clock is the test's).

mod common;

use axum::http::StatusCode;
use callstats_analytics::emodel::{AudioConditions, CodecImpairment, audio_mos};
use common::{START_MS, TestServer};
use serde_json::{Value, json};

const CONF: &str = "scripted";

/// One stats body of alice's fabric at second `t`: audio both ways, with 40 kbit/s received,
/// 5 % of received packets lost, 20 ms jitter, 40 ms jitter-buffer delay per sample, and a
/// 200 ms RTT on the transport and in RTCP.
fn stats_body(t: f64) -> Value {
    let ts = START_MS as f64 + t * 1000.0;
    let received = 47.5 * t; // 50 packets/s of which 5 % lost
    let lost = 2.5 * t;
    let samples = 48_000.0 * t;
    json!({
        "localID": "alice", "deviceID": "dev-a", "timestamp": ts, "eventType": "stats",
        "connectionID": "c-ab", "remoteID": "bob",
        "stats": [
            {"id": "T01", "type": "transport", "timestamp": ts, "selectedCandidatePairId": "CP1"},
            {"id": "CP1", "type": "candidate-pair", "timestamp": ts, "state": "succeeded", "nominated": true, "currentRoundTripTime": 0.2},
            {"id": "C111", "type": "codec", "timestamp": ts, "mimeType": "audio/opus", "sdpFmtpLine": "minptime=10;useinbandfec=1"},
            {"id": "IA1", "type": "inbound-rtp", "kind": "audio", "ssrc": 1111, "timestamp": ts, "codecId": "C111",
             "bytesReceived": 5000.0 * t, "packetsReceived": received, "packetsLost": lost, "jitter": 0.02,
             "jitterBufferDelay": samples * 0.04, "jitterBufferEmittedCount": samples,
             "concealedSamples": 0, "totalSamplesReceived": samples},
            {"id": "OA1", "type": "outbound-rtp", "kind": "audio", "ssrc": 2222, "timestamp": ts, "codecId": "C111",
             "bytesSent": 5000.0 * t, "packetsSent": 50.0 * t},
            {"id": "RIA1", "type": "remote-inbound-rtp", "kind": "audio", "ssrc": 2222, "localId": "OA1", "timestamp": ts,
             "roundTripTime": 0.2, "fractionLost": 0.0, "packetsLost": 0, "jitter": 0.005}
        ]
    })
}

fn event(user: &str, event_type: &str, conn: &str, remote: &str, t: f64, extra: Value) -> String {
    let mut body = json!({"localID": user, "deviceID": format!("dev-{user}"), "timestamp": START_MS as f64 + t * 1000.0,
        "eventType": event_type, "connectionID": conn, "remoteID": remote});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    body.to_string()
}

#[tokio::test]
async fn scripted_conference_gets_labels_mos_failure_reason_and_a_timely_summary() {
    let s = TestServer::start().await;
    let alerts = json!({"alerts": {"minScore": 4.9, "maxSetupDelayMs": 200, "onSetupFailure": true, "onDrop": true}});
    s.ingest.patch_settings(s.app_id, &alerts).await.expect("alert thresholds");
    let alice = s.token("alice").await;
    let bob = s.token("bob").await;
    let uc_a = s.join(&alice, CONF, "alice").await;
    let uc_b = s.join(&bob, CONF, "bob").await;
    let base = |uc: &str| format!("/v1/apps/{}/conferences/{CONF}/{uc}", s.app_id);

    let ok = |r: common::Reply| assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    ok(s.post(
        &format!("{}/events/fabric/setup", base(&uc_a)),
        Some(&alice),
        None,
        event(
            "alice",
            "fabricSetup",
            "c-ab",
            "bob",
            0.25,
            json!({"delay": 250.0, "fabricTransmissionDirection": "sendrecv"}),
        ),
    )
    .await);
    ok(s.post(
        &format!("{}/events/fabric/setupfailed", base(&uc_b)),
        Some(&bob),
        None,
        event(
            "bob",
            "fabricSetupFailed",
            "c-ba",
            "alice",
            5.0,
            json!({"delay": 5000.0, "reason": "IceConnectionFailure", "function": "iceConnectionFailure"}),
        ),
    )
    .await);
    // Connectivity lost for 6 s mid-call.
    for (t, ev) in [(22.0, "iceDisruptionStart"), (28.0, "iceDisruptionEnd")] {
        ok(s.post(
            &format!("{}/events/ice/status", base(&uc_a)),
            Some(&alice),
            None,
            event("alice", ev, "c-ab", "bob", t, json!({})),
        )
        .await);
    }
    for t in [0.0, 10.0, 20.0, 30.0, 40.0] {
        ok(s.post(&format!("{}/stats", base(&uc_a)), Some(&alice), None, stats_body(t).to_string()).await);
        s.clock.advance(1_000);
    }

    // Live view: the conference is ongoing, with four inbound-audio intervals.
    let detail = s.api(&format!("/api/v1/apps/{}/conferences/{CONF}", s.app_id)).await;
    assert_eq!(detail["status"], "ongoing");
    let inbound = detail["streams"].as_array().unwrap().iter().find(|st| st["ssrc"] == 1111).expect("inbound audio");
    let intervals = inbound["intervals"].as_array().unwrap();
    assert_eq!(intervals.len(), 4);
    // The formula with the scripted conditions: Ta = 200/2 + 40 + 40 ms allowance, 5 % random
    // loss, Opus at 40 kbit/s with FEC (Ie 0, Bpl 32).
    let expected = audio_mos(&AudioConditions {
        rtt_ms: 200.0,
        jitter_buffer_ms: 40.0,
        loss_pct: 5.0,
        burst_ratio: 1.0,
        codec: CodecImpairment::for_codec("opus", Some(40.0), true),
    })
    .1;
    assert!(expected > 3.0 && expected < 4.2, "sanity: {expected}");
    for i in intervals {
        let mos = i["mos"].as_f64().expect("mos");
        assert!((mos - expected).abs() <= 0.1, "MOS {mos} vs formula {expected}");
        assert!((i["bitrateKbps"].as_f64().unwrap() - 40.0).abs() < 1e-6);
        assert!((i["fractionLost"].as_f64().unwrap() - 0.05).abs() < 1e-9);
        assert!((i["jitterMs"].as_f64().unwrap() - 20.0).abs() < 1e-9);
        assert!((i["rttMs"].as_f64().unwrap() - 200.0).abs() < 1e-9);
        // throughput excellent (5), loss 5 % excellent (5), delay proxy 200 + 40 = 240 fair (3):
        // floor(13 / 3) = 4 → fair.
        assert_eq!(i["label"], "fair");
    }
    let failed = detail["fabrics"].as_array().unwrap().iter().find(|f| f["connectionID"] == "c-ba").unwrap();
    assert_eq!(failed["state"], "failed");
    assert_eq!(failed["failureReason"], "IceConnectionFailure");
    assert_eq!(failed["failureDelayMs"], 5000.0);

    // Idle closing, on the test's clock: not at 29.999 s after the last measurement, at 30 s.
    let last_seen = detail["lastSeen"].as_i64().unwrap();
    let now = s.ingest.now_ms();
    s.clock.advance(last_seen + 29_999 - now);
    assert!(s.ingest.close_due().await.unwrap().is_empty());
    s.clock.advance(1);
    assert_eq!(s.ingest.close_due().await.unwrap(), vec![(s.app_id, CONF.to_owned())]);
    assert!(s.ingest.close_due().await.unwrap().is_empty(), "closed once");

    let detail = s.api(&format!("/api/v1/apps/{}/conferences/{CONF}", s.app_id)).await;
    assert_eq!(detail["status"], "closed");
    let summary = &detail["summary"];
    assert_eq!(summary["closeReason"], "idle");
    assert_eq!(summary["setupStatus"], "partiallyFailed");
    assert_eq!(summary["userCount"], 2);
    assert_eq!(summary["fabricSetupErrors"][0]["reason"], "IceConnectionFailure");
    assert_eq!(summary["fabricSetupTimes"]["median"], 250.0);
    let reasons: Vec<&str> =
        summary["reasons"].as_array().unwrap().iter().map(|r| r["text"].as_str().unwrap()).collect();
    assert!(reasons.iter().any(|r| r.contains("IceConnectionFailure")), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("loss 5.0 %")), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("connection lost 1× for 6 s")), "{reasons:?}");
    let fabric = summary["fabrics"].as_array().unwrap().iter().find(|f| f["connectionID"] == "c-ab").unwrap();
    assert_eq!(fabric["disruptions"], 1);
    assert_eq!(fabric["disruptedMs"], 6000.0);
    let score = summary["score"].as_f64().unwrap();
    assert!(score > 0.0 && score < 4.0, "{score}");
    let list = s.api(&format!("/api/v1/apps/{}/conferences", s.app_id)).await;
    assert_eq!(list["conferences"][0]["setupStatus"], "partiallyFailed");
    assert!(list["conferences"][0]["closedAt"].is_i64());

    // New data reopens it; everyone leaving closes it again at once, without waiting.
    ok(s.post(
        &format!("{}/events/fabric/terminated", base(&uc_a)),
        Some(&alice),
        None,
        event("alice", "fabricTerminated", "c-ab", "bob", 60.0, json!({})),
    )
    .await);
    ok(s.post(
        &format!("{}/events/user/left", base(&uc_b)),
        Some(&bob),
        None,
        event("bob", "userLeft", "c-ba", "alice", 60.0, json!({})),
    )
    .await);
    let reopened = s.api(&format!("/api/v1/apps/{}/conferences/{CONF}", s.app_id)).await;
    assert_eq!(reopened["status"], "ongoing");
    assert_eq!(s.ingest.close_due().await.unwrap().len(), 1);
    let closed = s.api(&format!("/api/v1/apps/{}/conferences/{CONF}", s.app_id)).await;
    assert_eq!(closed["summary"]["closeReason"], "allLeft");
    // The app's thresholds it crossed: a 250 ms setup over 200 ms, a failed setup, and its
    // score (lowered by the loss) under 4.9; nothing dropped.
    let score = closed["summary"]["score"].as_f64().expect("scored");
    assert!(score < 4.9, "{score}");
    let kinds: Vec<&str> = closed["summary"]["alerts"]
        .as_array()
        .expect("alerts listed")
        .iter()
        .map(|a| a["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, ["lowScore", "slowSetup", "setupFailure"]);
    assert_eq!(closed["summary"]["alerts"][1]["text"], "setup took 250 ms, over 200 ms");
    // A request that was in flight at the close reopens the conference, and the closer looks
    // again at once rather than 30 s later.
    ok(s.post(
        &format!("{}/events/media/actions", base(&uc_a)),
        Some(&alice),
        None,
        event("alice", "audioUnmute", "c-ab", "bob", 59.0, json!({})),
    )
    .await);
    assert_eq!(s.api(&format!("/api/v1/apps/{}/conferences/{CONF}", s.app_id)).await["status"], "ongoing");
    assert_eq!(s.ingest.close_due().await.unwrap().len(), 1);

    // The aggregates count it once, with its failure reason and setup delay.
    let agg = s.api(&format!("/api/v1/apps/{}/aggregates", s.app_id)).await;
    assert_eq!(agg["total"], 1);
    assert_eq!(agg["partiallyFailed"], 1);
    assert_eq!(agg["failureReasons"]["IceConnectionFailure"], 1);
    assert_eq!(agg["setupDelayMs"]["p50"], 250.0);
    assert_eq!(agg["browsers"]["Chrome"], 1);
    let none = s.api(&format!("/api/v1/apps/{}/aggregates?browser=Firefox", s.app_id)).await;
    assert_eq!(none["total"], 0);
    let r = s.get(&format!("/api/v1/apps/{}/aggregates?from=10&to=5", s.app_id), Some(&s.admin)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

/// alice's received audio from bob over 60 s in 2 s polls: nothing arrives from 10 to 30 s
/// (bob muted, as his app said) and again from 40 to 50 s (bob said nothing: an outage).
fn flowing(t: f64) -> f64 {
    let stopped = |a: f64, b: f64| (t.min(b) - a).max(0.0);
    t - stopped(10.0, 30.0) - stopped(40.0, 50.0)
}

fn audio_body(t: f64) -> Value {
    let ts = START_MS as f64 + t * 1000.0;
    let packets = 50.0 * flowing(t);
    let samples = 48_000.0 * t;
    let concealed = 48_000.0 * (t - flowing(t));
    json!({
        "localID": "alice", "deviceID": "dev-a", "timestamp": ts, "eventType": "stats",
        "connectionID": "c-ab", "remoteID": "bob",
        "stats": [
            {"id": "T01", "type": "transport", "timestamp": ts, "selectedCandidatePairId": "CP1"},
            {"id": "CP1", "type": "candidate-pair", "timestamp": ts, "state": "succeeded", "nominated": true, "currentRoundTripTime": 0.02},
            {"id": "C111", "type": "codec", "timestamp": ts, "mimeType": "audio/opus", "sdpFmtpLine": "useinbandfec=1"},
            {"id": "IA1", "type": "inbound-rtp", "kind": "audio", "ssrc": 1111, "timestamp": ts, "codecId": "C111",
             "bytesReceived": packets * 100.0, "packetsReceived": packets, "packetsLost": 0, "jitter": 0.002,
             "jitterBufferDelay": samples * 0.03, "jitterBufferEmittedCount": samples,
             "concealedSamples": concealed, "silentConcealedSamples": concealed, "totalSamplesReceived": samples}
        ]
    })
}

/// What the small defects were: a `fabricSetup` without its optional delay left the
/// connection uncounted; every summary said `"holdMs": -0.0`; a sender the app muted counted as
/// dead audio. Dead audio nobody declared is named, with its duration.
#[tokio::test]
async fn muted_time_is_not_a_fault_an_outage_is_named_and_setups_without_delay_count() {
    const C: &str = "muted";
    let s = TestServer::start().await;
    let alice = s.token("alice").await;
    let bob = s.token("bob").await;
    let uc_a = s.join(&alice, C, "alice").await;
    let uc_b = s.join(&bob, C, "bob").await;
    let base = |uc: &str| format!("/v1/apps/{}/conferences/{C}/{uc}", s.app_id);
    let ok = |r: common::Reply| assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    let state = json!({"prevState": "stable", "newState": "have-local-offer", "changedState": "signalingState"});
    let events = [
        (&uc_a, &alice, "fabric/statechange", event("alice", "fabricStateChange", "c-ab", "bob", 0.2, state)),
        // No `delay`: set up 500 ms after the fabric's first event.
        (&uc_a, &alice, "fabric/setup", event("alice", "fabricSetup", "c-ab", "bob", 0.7, json!({}))),
        (&uc_b, &bob, "fabric/setup", event("bob", "fabricSetup", "c-ba", "alice", 0.5, json!({"delay": 300.0}))),
        (&uc_b, &bob, "media/actions", event("bob", "audioMute", "c-ba", "alice", 10.0, json!({}))),
        (&uc_b, &bob, "media/actions", event("bob", "audioUnmute", "c-ba", "alice", 30.0, json!({}))),
    ];
    for (uc, token, route, body) in events {
        ok(s.post(&format!("{}/events/{route}", base(uc)), Some(token), None, body).await);
    }
    for k in 0..=30 {
        ok(s.post(&format!("{}/stats", base(&uc_a)), Some(&alice), None, audio_body(k as f64 * 2.0).to_string()).await);
    }
    for (uc, tok, user) in [(&uc_a, &alice, "alice"), (&uc_b, &bob, "bob")] {
        ok(s.post(
            &format!("{}/events/user/left", base(uc)),
            Some(tok),
            None,
            event(user, "userLeft", "", "", 61.0, json!({})),
        )
        .await);
    }
    assert_eq!(s.ingest.close_due().await.unwrap().len(), 1);
    let detail = s.api(&format!("/api/v1/apps/{}/conferences/{C}", s.app_id)).await;
    let summary = &detail["summary"];
    assert!(!summary.to_string().contains("-0.0"), "no negative zero: {summary}");
    assert_eq!(summary["setupStatus"], "ok");
    assert_eq!(summary["fabricSetupTimes"]["count"], 2, "{}", summary["fabricSetupTimes"]);
    assert_eq!(summary["fabricSetupTimes"]["max"], 500.0);

    let stream = detail["streams"].as_array().unwrap().iter().find(|st| st["ssrc"] == 1111).expect("inbound audio");
    let intervals = stream["intervals"].as_array().unwrap();
    let at = |t: f64| {
        intervals.iter().find(|i| i["endMs"].as_f64() == Some(START_MS as f64 + t * 1000.0)).expect("interval")
    };
    assert_eq!(at(4.0)["label"], "excellent");
    assert_eq!(at(20.0)["paused"], true, "muted by bob: set aside");
    assert_eq!(at(20.0)["label"], "unknown");
    assert_eq!(at(46.0)["noMedia"], true);
    assert_eq!(at(46.0)["label"], "bad");
    assert_eq!(at(46.0)["mos"], 1.0);

    let reasons: Vec<&str> =
        summary["reasons"].as_array().unwrap().iter().map(|r| r["text"].as_str().unwrap()).collect();
    assert_eq!(reasons, ["alice ↔ bob: no audio received for 10 s"], "the outage, not the mute");
    let score = summary["score"].as_f64().unwrap();
    assert!(score < 4.0, "10 s of dead audio in 40 s judged: {score}");
}
