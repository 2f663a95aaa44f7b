//! getStats reports (as callstats-js sends them, as our SDK sends them, and Chrome's legacy
//! `ssrc` reports that old callstats-js builds merge in) → per-stream snapshots for
//! `callstats-analytics`.
//!
//! The two current clients send standard webrtc-stats objects, so one extractor serves both:
//! RTP reports give the stream and its counters, `codec` the codec and FEC, `remote-inbound-rtp`
//! (matched through `localId`) the far end's view of what we send, and the selected
//! candidate pair the transport RTT when a stream has no RTCP RTT of its own. Legacy reports
//! carry numbers as strings and `goog*` names; they are read when no standard RTP report exists.

use std::collections::HashMap;

use callstats_analytics::quality::{Direction, MediaKind};
use callstats_analytics::streams::StreamSnapshot;
use serde_json::{Map, Value};

type Report = Map<String, Value>;

fn num(r: &Report, k: &str) -> Option<f64> {
    match r.get(k)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn text<'a>(r: &'a Report, k: &str) -> Option<&'a str> {
    r.get(k).and_then(Value::as_str)
}

fn kind_of(r: &Report) -> Option<MediaKind> {
    match text(r, "kind").or_else(|| text(r, "mediaType"))? {
        "audio" => Some(MediaKind::Audio),
        "video" => Some(MediaKind::Video),
        _ => None,
    }
}

/// The report list of a stats body: an array (callstats-js, our SDK) or an object keyed by id
/// (REST API v1 documentation).
fn reports(stats: &Value) -> Vec<&Report> {
    match stats {
        Value::Array(a) => a.iter().filter_map(Value::as_object).collect(),
        Value::Object(o) => o.values().filter_map(Value::as_object).collect(),
        _ => Vec::new(),
    }
}

/// Extracts every RTP stream of one stats body.
pub fn snapshots(stats: &Value) -> Vec<StreamSnapshot> {
    let list = reports(stats);
    let by_id: HashMap<&str, &Report> = list.iter().filter_map(|r| Some((text(r, "id")?, *r))).collect();
    let of_type = |t: &'static str| list.iter().copied().filter(move |r| text(r, "type") == Some(t));

    // Transport RTT: the selected pair, else a nominated succeeded pair.
    let selected = of_type("transport")
        .find_map(|t| text(t, "selectedCandidatePairId"))
        .and_then(|id| by_id.get(id).copied())
        .or_else(|| {
            of_type("candidate-pair").find(|p| {
                p.get("nominated").and_then(Value::as_bool) == Some(true) && text(p, "state") == Some("succeeded")
            })
        });
    let transport_rtt = selected.and_then(|p| num(p, "currentRoundTripTime"));
    let remote_of = |local_id: &str, t: &str| {
        list.iter().copied().find(|r| text(r, "type") == Some(t) && text(r, "localId") == Some(local_id))
    };

    let mut out = Vec::new();
    for r in list.iter().copied() {
        let direction = match text(r, "type") {
            Some("inbound-rtp" | "inboundrtp") => Direction::Inbound,
            Some("outbound-rtp" | "outboundrtp") => Direction::Outbound,
            _ => continue,
        };
        let (Some(kind), Some(ssrc)) = (kind_of(r), num(r, "ssrc")) else { continue };
        let id = text(r, "id").unwrap_or_default();
        let codec = text(r, "codecId").and_then(|c| by_id.get(c).copied());
        let mime = codec.and_then(|c| text(c, "mimeType")).or_else(|| text(r, "mimeType"));
        let fmtp = codec.and_then(|c| text(c, "sdpFmtpLine")).or_else(|| text(r, "sdpFmtpLine"));
        let mut snap = StreamSnapshot {
            ssrc: ssrc as u64,
            kind,
            direction,
            timestamp_ms: num(r, "timestamp").unwrap_or(0.0),
            codec: mime.map(|m| m.rsplit('/').next().unwrap_or(m).to_owned()),
            fec: fmtp.is_some_and(|f| f.contains("useinbandfec=1")),
            bytes: None,
            packets: None,
            packets_lost: None,
            remote_fraction_lost: None,
            jitter_s: None,
            rtt_s: None,
            frames: None,
            width: num(r, "frameWidth"),
            height: num(r, "frameHeight"),
            freeze_count: None,
            freeze_duration_s: None,
            concealed_samples: None,
            total_samples: None,
            jitter_buffer_delay_s: None,
            jitter_buffer_emitted: None,
            quality_limitation: None,
        };
        match direction {
            Direction::Inbound => {
                snap.bytes = num(r, "bytesReceived");
                snap.packets = num(r, "packetsReceived");
                snap.packets_lost = num(r, "packetsLost");
                snap.jitter_s = num(r, "jitter");
                snap.frames = num(r, "framesDecoded");
                snap.freeze_count = num(r, "freezeCount");
                snap.freeze_duration_s = num(r, "totalFreezesDuration");
                snap.concealed_samples = num(r, "concealedSamples");
                snap.total_samples = num(r, "totalSamplesReceived");
                snap.jitter_buffer_delay_s = num(r, "jitterBufferDelay");
                snap.jitter_buffer_emitted = num(r, "jitterBufferEmittedCount");
                snap.rtt_s =
                    remote_of(id, "remote-outbound-rtp").and_then(|ro| num(ro, "roundTripTime")).or(transport_rtt);
            }
            Direction::Outbound => {
                snap.bytes = num(r, "bytesSent");
                snap.packets = num(r, "packetsSent");
                snap.frames = num(r, "framesEncoded");
                snap.quality_limitation = text(r, "qualityLimitationReason").map(str::to_owned);
                let remote = remote_of(id, "remote-inbound-rtp");
                snap.packets_lost = remote.and_then(|ri| num(ri, "packetsLost"));
                snap.remote_fraction_lost = remote.and_then(|ri| num(ri, "fractionLost"));
                snap.jitter_s = remote.and_then(|ri| num(ri, "jitter"));
                snap.rtt_s = remote.and_then(|ri| num(ri, "roundTripTime")).or(transport_rtt);
            }
        }
        out.push(snap);
    }
    if out.is_empty() {
        out.extend(list.iter().filter(|r| text(r, "type") == Some("ssrc")).filter_map(|r| legacy(r)));
    }
    out
}

/// Chrome's legacy `ssrc` report (string values, `goog*` names, RTT in ms, jitter in ms).
fn legacy(r: &Report) -> Option<StreamSnapshot> {
    let kind = kind_of(r)?;
    let ssrc = num(r, "ssrc")?;
    let direction = if r.contains_key("bytesSent") { Direction::Outbound } else { Direction::Inbound };
    let inbound = direction == Direction::Inbound;
    let ms = |k: &str| num(r, k).map(|v| v / 1000.0);
    Some(StreamSnapshot {
        ssrc: ssrc as u64,
        kind,
        direction,
        timestamp_ms: num(r, "timestamp").or_else(|| num(r, "legacyTimeStamp")).unwrap_or(0.0),
        codec: text(r, "googCodecName").map(str::to_owned),
        fec: false,
        bytes: num(r, if inbound { "bytesReceived" } else { "bytesSent" }),
        packets: num(r, if inbound { "packetsReceived" } else { "packetsSent" }),
        packets_lost: num(r, "packetsLost"),
        remote_fraction_lost: None,
        jitter_s: if inbound { ms("googJitterReceived") } else { None },
        rtt_s: ms("googRtt"),
        frames: num(r, if inbound { "framesDecoded" } else { "framesEncoded" }),
        width: num(r, if inbound { "googFrameWidthReceived" } else { "googFrameWidthSent" }),
        height: num(r, if inbound { "googFrameHeightReceived" } else { "googFrameHeightSent" }),
        freeze_count: None,
        freeze_duration_s: None,
        concealed_samples: None,
        total_samples: None,
        jitter_buffer_delay_s: None,
        jitter_buffer_emitted: None,
        quality_limitation: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Value {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/wire/secret-flow").join(name);
        let v: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        v["body_json"]["stats"].clone()
    }

    #[test]
    fn extracts_the_four_streams_of_a_real_callstats_js_submission() {
        let snaps = snapshots(&fixture("POST_stats_v1_apps_appID_conferences_confID_ucID_stats__stats__largest.json"));
        assert_eq!(snaps.len(), 4);
        let find = |k, d| snaps.iter().find(|s| s.kind == k && s.direction == d).unwrap();
        let ia = find(MediaKind::Audio, Direction::Inbound);
        assert_eq!(ia.ssrc, 3706741364);
        assert_eq!(ia.codec.as_deref(), Some("opus"));
        assert!(ia.fec);
        assert_eq!(ia.bytes, Some(196630.0));
        assert_eq!(ia.rtt_s, Some(0.001175), "RTCP RTT of the remote-outbound report");
        assert_eq!(ia.jitter_buffer_emitted, Some(3059520.0));
        assert_eq!(ia.total_samples, Some(3060480.0));
        let ov = find(MediaKind::Video, Direction::Outbound);
        assert_eq!(ov.codec.as_deref(), Some("VP8"));
        assert_eq!(ov.frames, Some(1276.0));
        assert_eq!(ov.rtt_s, Some(0.001846));
        assert_eq!(ov.remote_fraction_lost, Some(0.0));
        assert_eq!(ov.quality_limitation.as_deref(), Some("none"));
        let iv = find(MediaKind::Video, Direction::Inbound);
        assert_eq!((iv.width, iv.height), (Some(640.0), Some(360.0)));
        assert_eq!(iv.freeze_count, Some(0.0));
    }

    #[test]
    fn consecutive_real_submissions_give_intervals() {
        use callstats_analytics::streams::StreamTracker;
        let first = snapshots(&fixture("POST_stats_v1_apps_appID_conferences_confID_ucID_stats__stats.json"));
        let last = snapshots(&fixture("POST_stats_v1_apps_appID_conferences_confID_ucID_stats__stats__largest.json"));
        let mut trackers: HashMap<u64, StreamTracker> = HashMap::new();
        for s in first {
            trackers.entry(s.ssrc).or_default().push(s);
        }
        let mut intervals = 0;
        for s in last {
            let ssrc = s.ssrc;
            if let Some(i) = trackers.entry(ssrc).or_default().push(s) {
                intervals += 1;
                assert!(i.bitrate_kbps.unwrap() > 0.0, "ssrc {ssrc}");
            }
        }
        assert_eq!(intervals, 4);
    }

    #[test]
    fn object_form_and_legacy_reports() {
        let obj = serde_json::json!({"a": {"id": "a", "type": "inbound-rtp", "kind": "audio", "ssrc": 5, "timestamp": 1.0, "bytesReceived": 10}});
        assert_eq!(snapshots(&obj).len(), 1);
        let legacy = serde_json::json!([{"type": "ssrc", "ssrc": "77", "mediaType": "audio", "timestamp": 5.0,
            "bytesReceived": "1200", "packetsReceived": "30", "packetsLost": "2", "googRtt": "120", "googJitterReceived": "15"}]);
        let s = snapshots(&legacy);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].direction, Direction::Inbound);
        assert_eq!(s[0].bytes, Some(1200.0));
        assert_eq!(s[0].rtt_s, Some(0.12));
        assert_eq!(s[0].jitter_s, Some(0.015));
    }
}
