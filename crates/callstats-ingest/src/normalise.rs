//! getStats reports (as callstats-js sends them, as our SDK sends them, and Chrome's legacy
//! `ssrc` reports that old callstats-js builds merge in) → per-stream snapshots for
//! `callstats-analytics`.
//!
//! The two current clients send standard webrtc-stats objects, so one extractor serves both:
//! RTP reports give the stream and its counters, `codec` the codec and FEC, `remote-inbound-rtp`
//! (matched through `localId`) the far end's view of what we send. Legacy reports carry
//! numbers as strings and `goog*` names; they are read when no standard RTP report exists.
//!
//! The RTT of every stream comes from the first source the browser offers, in this order:
//!
//! 1. the selected candidate pair's `currentRoundTripTime` (ICE consent checks on the path every
//!    stream of the transport shares; Chrome and Safari report it);
//! 2. `remote-inbound-rtp.roundTripTime` (RTCP receiver reports): the stream's own for an
//!    outbound stream, else any of the same kind, else any (Firefox reports RTT only here, so
//!    its received audio takes the RTT of what it sends on the same transport);
//! 3. `remote-outbound-rtp.roundTripTime` (RTCP sender reports with DLRR, rarely present): the
//!    stream's own for an inbound stream, else any.
//!
//! The SDK's compact extraction (`sdk/src/stats/compact.ts`) follows the same order; a test
//! holds the two equal on recorded Chromium series.

use std::collections::HashMap;

use callstats_analytics::quality::{Direction, MediaKind};
use callstats_analytics::streams::StreamSnapshot;
use callstats_protocol::compact::CompactStream;
use callstats_protocol::stats::{Report, parse_reports};
use callstats_store::codec;
use serde_json::Value;

fn media(r: &Report<'_>) -> Option<MediaKind> {
    match r.media()? {
        "audio" => Some(MediaKind::Audio),
        "video" => Some(MediaKind::Video),
        _ => None,
    }
}

/// Snapshots as stored beside their body (see `Submission::derived` and `crate::packed`).
pub fn pack(snaps: &[StreamSnapshot]) -> Vec<u8> {
    crate::packed::encode(snaps)
}

/// Snapshots stored by [`pack`], or by earlier versions as JSON text or zstd-packed JSON;
/// `None` when unreadable.
pub fn unpack(stored: &[u8]) -> Option<Vec<StreamSnapshot>> {
    crate::packed::decode(stored).or_else(|| serde_json::from_str(&codec::unpack_text(stored).ok()?).ok())
}

/// Extracts every RTP stream from the JSON text of a `stats` member.
pub fn snapshots_from_json(stats: &str) -> Vec<StreamSnapshot> {
    extract(&parse_reports(stats))
}

/// Extracts every RTP stream of a stats body already parsed to a tree.
pub fn snapshots(stats: &Value) -> Vec<StreamSnapshot> {
    snapshots_from_json(&stats.to_string())
}

/// Extracts every RTP stream from parsed reports.
pub fn extract(list: &[Report<'_>]) -> Vec<StreamSnapshot> {
    let by_id: HashMap<&str, &Report<'_>> = list.iter().filter_map(|r| Some((r.id.as_deref()?, r))).collect();
    // Transport RTT: the selected pair, else a nominated succeeded pair.
    let selected = list
        .iter()
        .filter(|r| r.is("transport"))
        .find_map(|t| t.selected_candidate_pair_id.as_deref())
        .and_then(|id| by_id.get(id).copied())
        .or_else(|| {
            list.iter().find(|p| {
                p.is("candidate-pair") && p.nominated == Some(true) && p.state.as_deref() == Some("succeeded")
            })
        });
    let transport_rtt = selected.and_then(|p| p.current_round_trip_time);
    let remote_of = |local_id: &str, t: &str| list.iter().find(|r| r.is(t) && r.local_id.as_deref() == Some(local_id));
    // Any RTT of reports of type `t`: of the same kind first.
    let any_rtt = |t: &str, kind: MediaKind| {
        let rtts = || list.iter().filter(|r| r.is(t)).filter_map(|r| Some((media(r), r.round_trip_time?)));
        rtts().find(|(k, _)| *k == Some(kind)).or_else(|| rtts().next()).map(|(_, rtt)| rtt)
    };

    let mut out = Vec::new();
    for r in list {
        let direction = match r.kind_of_report.as_deref() {
            Some("inbound-rtp" | "inboundrtp") => Direction::Inbound,
            Some("outbound-rtp" | "outboundrtp") => Direction::Outbound,
            _ => continue,
        };
        let (Some(kind), Some(ssrc)) = (media(r), r.ssrc) else { continue };
        let id = r.id.as_deref().unwrap_or_default();
        let codec = r.codec_id.as_deref().and_then(|c| by_id.get(c).copied());
        let mime = codec.and_then(|c| c.mime_type.as_deref()).or(r.mime_type.as_deref());
        let fmtp = codec.and_then(|c| c.sdp_fmtp_line.as_deref()).or(r.sdp_fmtp_line.as_deref());
        let mut snap = StreamSnapshot {
            ssrc: ssrc as u64,
            kind,
            direction,
            timestamp_ms: r.timestamp.unwrap_or(0.0),
            codec: mime.map(|m| m.rsplit('/').next().unwrap_or(m).to_owned()),
            fec: fmtp.is_some_and(|f| f.contains("useinbandfec=1")),
            bytes: None,
            packets: None,
            packets_lost: None,
            remote_fraction_lost: None,
            jitter_s: None,
            rtt_s: None,
            frames: None,
            width: r.frame_width,
            height: r.frame_height,
            freeze_count: None,
            freeze_duration_s: None,
            concealed_samples: None,
            silent_concealed_samples: None,
            packets_discarded: None,
            total_samples: None,
            jitter_buffer_delay_s: None,
            jitter_buffer_emitted: None,
            quality_limitation: None,
        };
        match direction {
            Direction::Inbound => {
                snap.bytes = r.bytes_received;
                snap.packets = r.packets_received;
                snap.packets_lost = r.packets_lost;
                snap.jitter_s = r.jitter;
                snap.frames = r.frames_decoded;
                snap.freeze_count = r.freeze_count;
                snap.freeze_duration_s = r.total_freezes_duration;
                snap.concealed_samples = r.concealed_samples;
                snap.silent_concealed_samples = r.silent_concealed_samples;
                snap.packets_discarded = r.packets_discarded;
                snap.total_samples = r.total_samples_received;
                snap.jitter_buffer_delay_s = r.jitter_buffer_delay;
                snap.jitter_buffer_emitted = r.jitter_buffer_emitted_count;
                snap.rtt_s = transport_rtt
                    .or_else(|| any_rtt("remote-inbound-rtp", kind))
                    .or_else(|| remote_of(id, "remote-outbound-rtp").and_then(|ro| ro.round_trip_time))
                    .or_else(|| any_rtt("remote-outbound-rtp", kind));
            }
            Direction::Outbound => {
                snap.bytes = r.bytes_sent;
                snap.packets = r.packets_sent;
                snap.frames = r.frames_encoded;
                snap.quality_limitation = r.quality_limitation_reason.as_deref().map(str::to_owned);
                let remote = remote_of(id, "remote-inbound-rtp");
                snap.packets_lost = remote.and_then(|ri| ri.packets_lost);
                snap.remote_fraction_lost = remote.and_then(|ri| ri.fraction_lost);
                snap.jitter_s = remote.and_then(|ri| ri.jitter);
                snap.rtt_s = transport_rtt
                    .or_else(|| remote.and_then(|ri| ri.round_trip_time))
                    .or_else(|| any_rtt("remote-inbound-rtp", kind))
                    .or_else(|| any_rtt("remote-outbound-rtp", kind));
            }
        }
        out.push(snap);
    }
    if out.is_empty() {
        out.extend(list.iter().filter(|r| r.is("ssrc")).filter_map(legacy));
    }
    out
}

/// The streams of a resolved compact body (see `callstats_protocol::compact`): the same
/// snapshots `extract` gives for the report list the SDK extracted them from.
pub fn from_compact(streams: &[CompactStream]) -> Vec<StreamSnapshot> {
    streams
        .iter()
        .filter_map(|s| {
            let kind = match s.k.as_deref()? {
                "a" => MediaKind::Audio,
                "v" => MediaKind::Video,
                _ => return None,
            };
            let direction = match s.d.as_deref()? {
                "i" => Direction::Inbound,
                "o" => Direction::Outbound,
                _ => return None,
            };
            Some(StreamSnapshot {
                ssrc: s.ssrc?,
                kind,
                direction,
                timestamp_ms: s.t.unwrap_or(0.0),
                codec: s.c.clone(),
                fec: s.fec.unwrap_or(false),
                bytes: s.b,
                packets: s.p,
                packets_lost: s.l,
                remote_fraction_lost: s.fl,
                jitter_s: s.j,
                rtt_s: s.r,
                frames: s.f,
                width: s.w,
                height: s.h,
                freeze_count: s.fc,
                freeze_duration_s: s.fd,
                concealed_samples: s.cs,
                silent_concealed_samples: s.sc,
                packets_discarded: s.pd,
                total_samples: s.ts,
                jitter_buffer_delay_s: s.bd,
                jitter_buffer_emitted: s.be,
                quality_limitation: s.q.clone(),
            })
        })
        .collect()
}

/// Chrome's legacy `ssrc` report (string values, `goog*` names, RTT and jitter in ms).
fn legacy(r: &Report<'_>) -> Option<StreamSnapshot> {
    let kind = media(r)?;
    let ssrc = r.ssrc?;
    let inbound = r.bytes_sent.is_none();
    let direction = if inbound { Direction::Inbound } else { Direction::Outbound };
    let ms = |v: Option<f64>| v.map(|v| v / 1000.0);
    Some(StreamSnapshot {
        ssrc: ssrc as u64,
        kind,
        direction,
        timestamp_ms: r.timestamp.or(r.legacy_time_stamp).unwrap_or(0.0),
        codec: r.goog_codec_name.as_deref().map(str::to_owned),
        fec: false,
        bytes: if inbound { r.bytes_received } else { r.bytes_sent },
        packets: if inbound { r.packets_received } else { r.packets_sent },
        packets_lost: r.packets_lost,
        remote_fraction_lost: None,
        jitter_s: if inbound { ms(r.goog_jitter_received) } else { None },
        rtt_s: ms(r.goog_rtt),
        frames: if inbound { r.frames_decoded } else { r.frames_encoded },
        width: if inbound { r.goog_frame_width_received } else { r.goog_frame_width_sent },
        height: if inbound { r.goog_frame_height_received } else { r.goog_frame_height_sent },
        freeze_count: None,
        freeze_duration_s: None,
        concealed_samples: None,
        silent_concealed_samples: None,
        packets_discarded: None,
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
        assert_eq!(ia.rtt_s, Some(0.001), "the selected candidate pair's RTT comes first");
        assert_eq!(ia.silent_concealed_samples, Some(0.0));
        assert_eq!(ia.packets_discarded, Some(0.0));
        assert_eq!(ia.jitter_buffer_emitted, Some(3059520.0));
        assert_eq!(ia.total_samples, Some(3060480.0));
        let ov = find(MediaKind::Video, Direction::Outbound);
        assert_eq!(ov.codec.as_deref(), Some("VP8"));
        assert_eq!(ov.frames, Some(1276.0));
        assert_eq!(ov.rtt_s, Some(0.001));
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

    /// The stored form of a real submission's snapshots reads back as they were, and is smaller
    /// than the zstd-packed JSON that earlier versions stored (which still reads).
    #[test]
    fn stored_snapshots_of_a_real_submission_round_trip_smaller_than_packed_json() {
        let snaps = snapshots(&fixture("POST_stats_v1_apps_appID_conferences_confID_ucID_stats__stats__largest.json"));
        let stored = pack(&snaps);
        assert_eq!(unpack(&stored).as_deref(), Some(&snaps[..]));
        let json = serde_json::to_string(&snaps).expect("json");
        let old = codec::pack_text(&json);
        assert_eq!(unpack(&old).as_deref(), Some(&snaps[..]));
        assert_eq!(unpack(json.as_bytes()).as_deref(), Some(&snaps[..]));
        assert!(stored.len() < old.len(), "{} bytes stored, {} as zstd-packed JSON", stored.len(), old.len());
    }

    /// Reports shaped like Firefox's (no RTT on the candidate pair; RTT only in the
    /// remote-inbound reports of what it sends) and like Safari's (candidate pair RTT only).
    #[test]
    fn rtt_comes_from_every_source_in_order() {
        let firefox = serde_json::json!([
            {"id": "pair", "type": "candidate-pair", "nominated": true, "state": "succeeded", "selected": true},
            {"id": "in-a", "type": "inbound-rtp", "kind": "audio", "ssrc": 1, "timestamp": 1.0, "packetsReceived": 10},
            {"id": "in-v", "type": "inbound-rtp", "kind": "video", "ssrc": 2, "timestamp": 1.0, "packetsReceived": 10},
            {"id": "out-a", "type": "outbound-rtp", "kind": "audio", "ssrc": 3, "timestamp": 1.0, "packetsSent": 10},
            {"id": "ri-a", "type": "remote-inbound-rtp", "kind": "audio", "localId": "out-a", "roundTripTime": 0.081},
            {"id": "ri-v", "type": "remote-inbound-rtp", "kind": "video", "localId": "out-v", "roundTripTime": 0.092},
            {"id": "ro-a", "type": "remote-outbound-rtp", "kind": "audio", "localId": "in-a"}
        ]);
        let s = snapshots(&firefox);
        let rtt = |ssrc: u64| s.iter().find(|x| x.ssrc == ssrc).and_then(|x| x.rtt_s);
        assert_eq!(rtt(1), Some(0.081), "received audio: the RTT of the audio it sends");
        assert_eq!(rtt(2), Some(0.092), "received video: of the video it sends");
        assert_eq!(rtt(3), Some(0.081));
        let safari = serde_json::json!([
            {"id": "t", "type": "transport", "selectedCandidatePairId": "pair"},
            {"id": "pair", "type": "candidate-pair", "currentRoundTripTime": 0.04},
            {"id": "in-a", "type": "inbound-rtp", "kind": "audio", "ssrc": 1, "timestamp": 1.0, "packetsReceived": 10},
            {"id": "ro-a", "type": "remote-outbound-rtp", "kind": "audio", "localId": "in-a", "roundTripTime": 0.3}
        ]);
        assert_eq!(snapshots(&safari)[0].rtt_s, Some(0.04), "the candidate pair comes first");
        let only_sender_reports = serde_json::json!([
            {"id": "in-a", "type": "inbound-rtp", "kind": "audio", "ssrc": 1, "timestamp": 1.0, "packetsReceived": 10},
            {"id": "ro-a", "type": "remote-outbound-rtp", "kind": "audio", "localId": "in-a", "roundTripTime": 0.3}
        ]);
        assert_eq!(snapshots(&only_sender_reports)[0].rtt_s, Some(0.3));
    }

    /// The getstats polls of each PeerConnection of a real rtcstats dump (MIT test data of
    /// jitsi/rtcstats-server, in the shared reference material beside the repo), rebuilt into
    /// whole report lists: each poll sends only what changed since the previous one, per report
    /// ID; the poll's own time stands in for the report timestamps.
    fn rtcstats_polls(name: &str) -> Vec<(String, Value)> {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/quality/dumps").join(name);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut state: HashMap<String, serde_json::Map<String, Value>> = HashMap::new();
        let mut polls = Vec::new();
        for line in text.lines() {
            let Ok(Value::Array(v)) = serde_json::from_str::<Value>(line) else { continue };
            let (Some("getstats"), Some(pc), Some(Value::Object(reports)), Some(at)) =
                (v[0].as_str(), v[1].as_str(), v.get(2), v.get(3).and_then(Value::as_f64))
            else {
                continue;
            };
            let mut list = Vec::new();
            for (id, changed) in reports {
                let full = state.entry(format!("{pc}/{id}")).or_default();
                full.extend(changed.as_object().cloned().unwrap_or_default());
                full.insert("id".into(), Value::from(id.as_str()));
                full.insert("timestamp".into(), Value::from(at));
                list.push(Value::Object(full.clone()));
            }
            polls.push((pc.to_owned(), Value::Array(list)));
        }
        polls
    }

    /// Real Chrome, Firefox and Safari series: every browser's received audio gets an RTT, a
    /// MOS and a verdict (Firefox reports RTT only in its remote-inbound reports).
    #[test]
    fn real_chrome_firefox_and_safari_series_give_received_audio_an_rtt_and_a_mos() {
        use callstats_analytics::streams::StreamTracker;
        for name in [
            "google-standard-stats-p2p.rtcstats.jsonl",
            "chrome-relay.rtcstats.jsonl",
            "firefox97-standard-stats-sfu.rtcstats.jsonl",
            "safari-standard-stats.rtcstats.jsonl",
        ] {
            let mut trackers: HashMap<(String, u64), StreamTracker> = HashMap::new();
            let (mut audio, mut with_mos) = (0, 0);
            for (pc, list) in rtcstats_polls(name) {
                for snap in snapshots(&list) {
                    let inbound_audio = snap.kind == MediaKind::Audio && snap.direction == Direction::Inbound;
                    let interval = trackers.entry((pc.clone(), snap.ssrc)).or_default().push(snap);
                    if let (true, Some(i)) = (inbound_audio, interval) {
                        audio += 1;
                        if i.mos.is_some() && i.rtt_ms.is_some() && i.score.is_some() {
                            with_mos += 1;
                        }
                    }
                }
            }
            assert!(audio >= 3, "{name}: {audio} received-audio intervals");
            assert!(with_mos * 10 >= audio * 9, "{name}: {with_mos} of {audio} intervals with RTT and MOS");
        }
    }

    #[test]
    fn text_and_tree_parsing_agree() {
        let stats = fixture("POST_stats_v1_apps_appID_conferences_confID_ucID_stats__stats__largest.json");
        assert_eq!(snapshots_from_json(&stats.to_string()), snapshots(&stats));
        assert!(snapshots_from_json("not json").is_empty());
        assert!(snapshots_from_json("[1, \"x\", {\"type\": \"inbound-rtp\"}]").is_empty());
    }

    /// The SDK's two formats of the same recorded Chromium getStats() sequences
    /// (`sdk/scripts/compact-fixture.mjs`), with one lost submission and one forgotten base:
    /// resolving the compact chain as the collector does gives the very snapshots, hence the
    /// same intervals, as the report lists.
    #[test]
    fn compact_bodies_give_the_same_streams_and_intervals_as_report_lists() {
        use callstats_analytics::streams::StreamTracker;
        use callstats_protocol::compact;
        for name in ["chromium-steady.json", "chromium-downscale.json"] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/wire/compact").join(name);
            let v: Value = serde_json::from_slice(&std::fs::read(path).expect("fixture")).expect("fixture JSON");
            let subs = v["submissions"].as_array().expect("submissions");
            let mut held: HashMap<u64, Vec<CompactStream>> = HashMap::new();
            let (mut full_tracks, mut compact_tracks) = (HashMap::new(), HashMap::new());
            let (mut deltas, mut intervals) = (0, 0);
            for sub in subs.iter().filter(|s| s["delivered"] == true) {
                let full = snapshots(&sub["stats"]);
                let body = compact::parse(sub["compact"].to_string().as_bytes()).expect("compact body");
                deltas += usize::from(!body.is_keyframe());
                let base = body.base.and_then(|b| held.get(&b)).map(Vec::as_slice);
                let streams = body.resolve(base).expect("every base of a delivered delta was delivered");
                let compacted = from_compact(&streams);
                held.insert(body.seq, streams);
                assert!(!full.is_empty());
                assert_eq!(compacted, full, "{name} seq {}", body.seq);
                for (f, c) in full.into_iter().zip(compacted) {
                    let fi = full_tracks.entry(f.ssrc).or_insert_with(StreamTracker::default).push(f);
                    let ci = compact_tracks.entry(c.ssrc).or_insert_with(StreamTracker::default).push(c);
                    assert_eq!(fi, ci, "{name}");
                    intervals += usize::from(fi.is_some());
                }
            }
            assert!(deltas >= subs.len() - 4, "{name}: mostly deltas, got {deltas} of {}", subs.len());
            assert!(intervals > 20, "{name}: {intervals} intervals");
        }
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
