//! Real rtcstats dumps (Chrome P2P, Firefox 97 behind an SFU, Safari; MIT test data of
//! jitsi/rtcstats-server in the shared reference material beside the repo) imported into a
//! conference and compared with that project's own feature extraction (`*.jitsi-result.json`)
//! wherever both compute the same quantity. Each check says why its tolerance is what it is.

mod common;

use std::path::PathBuf;

use callstats_ingest::dumps::DumpError;
use common::TestServer;
use serde_json::Value;

fn dumps() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/quality/dumps")
}

fn jitsi(name: &str) -> Value {
    let path = dumps().join(format!("{name}.jitsi-result.json"));
    let v: Value = serde_json::from_slice(&std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .expect("JSON");
    match v {
        Value::Array(mut a) => a.remove(0),
        v => v,
    }
}

/// Received packets and lost packets of one stream, summed over its intervals, and the most
/// packets one interval had.
fn packets(stream: &Value) -> (f64, f64, f64) {
    let (mut received, mut lost, mut most) = (0.0, 0.0, 0.0f64);
    for i in stream["intervals"].as_array().expect("intervals") {
        let dt = (i["endMs"].as_f64().expect("times") - i["startMs"].as_f64().expect("times")) / 1000.0;
        let got = i["packetRate"].as_f64().unwrap_or(0.0) * dt;
        let f = i["fractionLost"].as_f64().unwrap_or(0.0);
        received += got;
        most = most.max(got);
        lost += if f < 1.0 { got * f / (1.0 - f) } else { 0.0 };
    }
    (received, lost, most)
}

/// Share of audio concealed over the stream, %, weighted by time (samples come at a fixed rate).
fn concealed_pct(stream: &Value) -> Option<f64> {
    let (mut w, mut sum) = (0.0, 0.0);
    for i in stream["intervals"].as_array().expect("intervals") {
        if let Some(c) = i["concealment"].as_f64() {
            let dt = i["endMs"].as_f64().expect("times") - i["startMs"].as_f64().expect("times");
            w += dt;
            sum += c * dt;
        }
    }
    (w > 0.0).then(|| sum / w * 100.0)
}

#[tokio::test]
async fn real_dumps_import_and_agree_with_jitsis_feature_extraction() {
    let s = TestServer::start().await;
    let mut table = vec![format!("{:<36} {:<28} {:>12} {:>12}", "dump", "quantity", "ours", "jitsi")];
    for name in ["google-standard-stats-p2p", "firefox97-standard-stats-sfu", "safari-standard-stats"] {
        let path = dumps().join(format!("{name}.rtcstats.jsonl"));
        let done = s.ingest.import_rtcstats(s.app_id, &path).await.expect("imports");
        assert!(done.records > 50, "{name}: {done:?}");
        // Importing the same file again finds it and writes nothing.
        let again = s.ingest.import_rtcstats(s.app_id, &path).await.expect("imports again");
        assert_eq!((again.records, &again.conference), (0, &done.conference));
        while !s.ingest.close_due().await.expect("closes").is_empty() {}
        let conf = common::urlencode(&done.conference);
        let d = s.api(&format!("/api/v1/apps/{}/conferences/{conf}", s.app_id)).await;
        assert_eq!(d["status"], "closed", "{name}");
        let summary = &d["summary"];
        let their = jitsi(name);
        let f = &their["features"];
        let mut row =
            |q: &str, ours: String, theirs: String| table.push(format!("{name:<36} {q:<28} {ours:>12} {theirs:>12}"));

        // Browser: both read the user agent.
        let p = &summary["participants"][0];
        let ours = format!("{}/{}", p["browser"].as_str().unwrap(), p["browserVersion"].as_str().unwrap());
        assert_eq!(ours, f["browserInfo"]["nameVersion"].as_str().unwrap(), "{name}");
        row("browser", ours, f["browserInfo"]["nameVersion"].as_str().unwrap().into());

        for (pc, agg) in f["aggregates"].as_object().unwrap() {
            let fabric = summary["fabrics"].as_array().unwrap().iter().find(|x| x["connectionID"] == pc.as_str());
            let fabric = fabric.unwrap_or_else(|| panic!("{name}: no fabric {pc}"));
            // ICE failure and relay use: the same events and the same selected pair.
            let failed = agg["connectionFailed"].as_bool().unwrap();
            assert_eq!(fabric["setupDelayMs"].is_null(), failed, "{name} {pc}");
            let relay = agg["candidatePairData"]["isUsingRelay"].as_bool();
            if relay.is_some() {
                assert_eq!(fabric["relayed"].as_bool(), relay, "{name} {pc}");
            }
            row(&format!("{pc} relayed"), format!("{}", fabric["relayed"]), format!("{relay:?}"));
            // Transport RTT: jitsi averages the candidate pair's RTT per poll; we take it the
            // same way (per stream, each interval's last report). Within 10 ms: polls where the
            // pair had no RTT yet are held at the last value by us and skipped by them.
            if let Some(mean_rtt) = agg["transportAggregates"]["meanRtt"].as_f64().filter(|r| *r > 0.0) {
                let rtts: Vec<f64> =
                    fabric["streams"].as_array().unwrap().iter().filter_map(|x| x["avgRttMs"].as_f64()).collect();
                let ours = rtts.iter().sum::<f64>() / rtts.len() as f64;
                assert!((ours - mean_rtt * 1000.0).abs() <= 10.0, "{name} {pc}: RTT {ours} vs {}", mean_rtt * 1000.0);
                row(&format!("{pc} mean RTT ms"), format!("{ours:.1}"), format!("{:.1}", mean_rtt * 1000.0));
            }
            for track in agg["tracks"]["receiverTracks"].as_array().unwrap() {
                let ssrc = track["ssrc"].as_u64().unwrap();
                let their_packets = track["packets"].as_f64().unwrap();
                // Firefox's wrapped 32-bit counters (4,294,9xx,xxx) are not packet counts.
                if their_packets > 1e9 {
                    continue;
                }
                let stream = d["streams"].as_array().unwrap().iter().find(|x| {
                    x["connectionID"] == pc.as_str() && x["ssrc"].as_u64() == Some(ssrc) && x["direction"] == "inbound"
                });
                let Some(stream) = stream else {
                    // jitsi lists Firefox's remote-inbound-rtp reports (the far end's reception of
                    // what this browser sends) among the received tracks; for us that SSRC is an
                    // outbound stream, whose far-end packet count is not a received count.
                    let outbound = d["streams"].as_array().unwrap().iter().any(|x| {
                        x["connectionID"] == pc.as_str()
                            && x["ssrc"].as_u64() == Some(ssrc)
                            && x["direction"] == "outbound"
                    });
                    assert!(outbound, "{name} {pc}: no stream {ssrc}");
                    row(
                        &format!("{pc} {ssrc} packets/lost"),
                        "(sent)".into(),
                        format!("{their_packets:.0}/{}", track["packetsLost"]),
                    );
                    continue;
                };
                let (received, lost, most) = packets(stream);
                // Packets: jitsi counts from zero, we from the stream's first report (an interval
                // needs two), so theirs includes what arrived before the first poll that showed
                // the stream: at most about one poll's worth more, never fewer (1 for rounding).
                let before_first_poll = their_packets - received;
                assert!(
                    (-1.0..=most * 1.5 + 1.0).contains(&before_first_poll),
                    "{name} {pc} {ssrc}: packets {received} vs {their_packets} (one poll at most {most})"
                );
                let their_lost = track["packetsLost"].as_f64().unwrap();
                assert!(
                    (lost - their_lost).abs() <= 2.0 + their_lost * 0.05,
                    "{name} {pc} {ssrc}: lost {lost} vs {their_lost}"
                );
                row(
                    &format!("{pc} {ssrc} packets/lost"),
                    format!("{received:.0}/{lost:.0}"),
                    format!("{their_packets:.0}/{their_lost:.0}"),
                );
                if track["mediaType"] == "audio" && their_packets > 300.0 {
                    let theirs = track["concealedPercentage"].as_f64().unwrap();
                    let Some(ours) = concealed_pct(stream) else {
                        // The browser reported no concealment counters; jitsi says 0 then.
                        assert_eq!(theirs, 0.0, "{name} {pc} {ssrc}");
                        row(&format!("{pc} {ssrc} concealed %"), "(none sent)".into(), format!("{theirs:.2}"));
                        continue;
                    };
                    // Concealment: the same counters, jitsi over the track's life, we over the
                    // intervals we hold; within 3 points.
                    assert!((ours - theirs).abs() <= 3.0, "{name} {pc} {ssrc}: concealed {ours} vs {theirs}");
                    row(&format!("{pc} {ssrc} concealed %"), format!("{ours:.2}"), format!("{theirs:.2}"));
                }
            }
        }
    }
    println!("{}", table.join("\n"));
}

#[tokio::test]
async fn a_truncated_or_foreign_dump_is_refused_whole_and_leaves_the_database_unchanged() {
    let s = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let real = std::fs::read_to_string(dumps().join("safari-standard-stats.rtcstats.jsonl")).unwrap();
    let lines: Vec<&str> = real.lines().collect();
    // The first 40 lines, then half of the 41st: a download cut short.
    let cut = format!("{}\n{}", lines[..40].join("\n"), &lines[40][..lines[40].len() / 2]);
    let truncated = dir.path().join("truncated.jsonl");
    std::fs::write(&truncated, cut).unwrap();
    let foreign = dir.path().join("foreign.json");
    std::fs::write(&foreign, "{\"PeerConnections\": {}, \"UserAgent\": \"x\"}\n").unwrap();
    for (path, expect) in [(&truncated, "line 41: not JSON"), (&foreign, "not an rtcstats dump")] {
        let err = s.ingest.import_rtcstats(s.app_id, path).await.expect_err("refused");
        assert!(err.to_string().contains(expect), "{err}");
    }
    let list = s.api(&format!("/api/v1/apps/{}/conferences", s.app_id)).await;
    assert_eq!(list["conferences"].as_array().unwrap().len(), 0, "nothing half-imported: {list}");
    // The error type a caller can match on.
    let _: fn(DumpError) -> String = |e| e.to_string();
}
