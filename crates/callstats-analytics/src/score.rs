//! A 0–5 quality score per stream, fabric, participant and conference, and the reasons it went
//! down, in words a support engineer can act on ("no audio received for 15 s").
//!
//! Intervals carry their verdict (see [`crate::quality`]). A stream's score blends, half and
//! half, the time-weighted mean of its intervals and the mean of its worst fifth of time: people
//! judge a call by its worst stretch, so 25 s of dead audio in a three-minute call makes it a
//! poor call (about 2.8), not a slightly imperfect one (4.2 by the plain mean), while a clean
//! call keeps its 4.9. Time muted, paused or on hold is left out. Each level above (fabric over
//! its streams, participant over fabrics, conference over participants) blends the mean of its
//! parts with its worst part the same way, so one person who could not hear makes the call
//! poor. A fabric that never connected scores 0. Every step is monotone: a larger impairment
//! never raises a score.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::quality::{Direction, MediaKind, SMOOTH_FPS};
use crate::streams::StreamInterval;

/// Why a score went down.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reason {
    /// Stable key: `noAudio`, `noVideo`, `rtt`, `loss`, `jitter`, `freeze`, `frameRate`, `resolution`,
    /// `concealment`, `mos`, `limitation`, `disruption`, `setupFailed`.
    pub metric: String,
    /// Human-readable sentence.
    pub text: String,
    /// The representative value (ms, %, s, fps, lines or MOS).
    pub value: f64,
    /// How long the condition lasted, ms.
    pub duration_ms: f64,
}

/// A score with its reasons, worst first.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Score {
    /// 0 (unusable) to 5 (perfect); `None` when there was nothing to score.
    pub score: Option<f64>,
    /// Reasons, longest-lasting first.
    pub reasons: Vec<Reason>,
}

// Thresholds at which a condition becomes a reason.
const RTT_MS: f64 = 300.0;
const LOSS: f64 = 0.02;
const JITTER_MS: f64 = 30.0;
const CONCEALMENT: f64 = 0.05;
const LOW_MOS: f64 = 3.5;
const FREEZE_MS: f64 = 500.0;
/// A frame rate under this share of the stream's best (at most 30 fps) is named.
const LOW_FPS_SHARE: f64 = 0.5;
/// A height at or under this share of the stream's best is named.
const LOW_HEIGHT_SHARE: f64 = 0.5;
/// The worst share of time that weighs as much as the whole.
const WORST_SHARE: f64 = 0.2;

/// Half the mean, half the mean of the worst `WORST_SHARE` of the weight; `None` when nothing
/// weighs anything. `parts` are (score, weight).
fn blend(parts: &mut [(f64, f64)]) -> Option<f64> {
    let total: f64 = parts.iter().map(|p| p.1).sum();
    if total <= 0.0 {
        return None;
    }
    let mean = parts.iter().map(|(s, w)| s * w).sum::<f64>() / total;
    parts.sort_by(|a, b| a.0.total_cmp(&b.0));
    let budget = total * WORST_SHARE;
    let (mut taken, mut sum) = (0.0, 0.0);
    for (s, w) in parts.iter().filter(|p| p.1 > 0.0) {
        let w = w.min(budget - taken);
        if w <= 0.0 {
            break;
        }
        taken += w;
        sum += s * w;
    }
    Some(0.5 * mean + 0.5 * sum / taken)
}

/// Whether an interval was mostly on hold: more than half of it inside `hold` periods (hold, or
/// the sender's declared mute or pause, which `ingest::analysis` passes the same way). Such an
/// interval says nothing about quality; a hold of a few milliseconds does not spoil the rest.
pub fn mostly_on_hold(i: &StreamInterval, hold: &[(f64, f64)]) -> bool {
    let held: f64 = hold.iter().map(|(a, b)| (b.min(i.end_ms) - a.max(i.start_ms)).max(0.0)).sum();
    held * 2.0 > (i.end_ms - i.start_ms).max(0.0)
}

/// A duration-weighted mean of the values given.
#[derive(Default)]
struct Acc {
    duration_ms: f64,
    weighted: f64,
}

impl Acc {
    fn add(&mut self, value: f64, dur: f64) {
        self.duration_ms += dur;
        self.weighted += value * dur;
    }
    fn mean(&self) -> Option<f64> {
        (self.duration_ms > 0.0).then(|| self.weighted / self.duration_ms)
    }
}

fn kind_word(kind: MediaKind) -> &'static str {
    match kind {
        MediaKind::Audio => "audio",
        MediaKind::Video => "video",
    }
}

/// Scores a stream from its intervals; intervals set aside (muted, paused) or mostly within
/// `excluded` (hold) are left out.
pub fn stream_score(
    kind: MediaKind,
    direction: Direction,
    intervals: &[StreamInterval],
    excluded: &[(f64, f64)],
) -> Score {
    let mut scored: Vec<(f64, f64)> = Vec::new();
    let (mut rtt, mut loss, mut jitter, mut conceal, mut fps, mut mos, mut dead) = (
        Acc::default(),
        Acc::default(),
        Acc::default(),
        Acc::default(),
        Acc::default(),
        Acc::default(),
        Acc::default(),
    );
    let mut frozen_ms = 0.0;
    let mut limited: Vec<(String, f64)> = Vec::new();
    let (mut best_fps, mut best_size): (f64, (f64, f64)) = (0.0, (0.0, 0.0));
    let mut small = Acc::default();
    let mut smallest: Option<(f64, f64)> = None;
    let mut small_from = (0.0, 0.0);
    for i in intervals.iter().filter(|i| !i.paused && !mostly_on_hold(i, excluded)) {
        let d = (i.end_ms - i.start_ms).max(0.0);
        if let Some(s) = i.score {
            scored.push((s, d));
        }
        if i.no_media {
            if direction == Direction::Inbound && i.score.is_some() {
                dead.add(0.0, d);
            }
            continue;
        }
        if let Some(v) = i.rtt_ms.filter(|v| *v > RTT_MS) {
            rtt.add(v, d);
        }
        if let Some(v) = i.fraction_lost.filter(|v| *v > LOSS) {
            loss.add(v * 100.0, d);
        }
        if let Some(v) = i.jitter_ms.filter(|v| *v > JITTER_MS) {
            jitter.add(v, d);
        }
        if let Some(v) = i.effective_loss.or(i.concealment).filter(|v| *v > CONCEALMENT) {
            conceal.add(v * 100.0, d);
        }
        if let Some(v) = i.mos.filter(|v| *v < LOW_MOS) {
            mos.add(v, d);
        }
        if kind == MediaKind::Video {
            frozen_ms += i.frozen_ms.unwrap_or(0.0);
            if let Some(v) = i.fps {
                best_fps = best_fps.max(v);
                if v < best_fps.min(SMOOTH_FPS) * LOW_FPS_SHARE {
                    fps.add(v, d);
                }
            }
            if let (Some(w), Some(h)) = (i.width, i.height.filter(|h| *h > 0.0)) {
                if h > best_size.1 {
                    best_size = (w, h);
                }
                if h <= best_size.1 * LOW_HEIGHT_SHARE {
                    small.add(h, d);
                    if smallest.is_none_or(|s| h < s.1) {
                        smallest = Some((w, h));
                        small_from = best_size;
                    }
                }
            }
        }
        if let Some(l) = i.quality_limitation.as_deref().filter(|l| matches!(*l, "bandwidth" | "cpu")) {
            match limited.iter_mut().find(|(k, _)| k == l) {
                Some(e) => e.1 += d,
                None => limited.push((l.to_owned(), d)),
            }
        }
    }
    let secs = |ms: f64| (ms / 1000.0).round();
    let mut reasons = Vec::new();
    let mut push = |metric: &str, acc: &Acc, text: &dyn Fn(f64, f64) -> String| {
        if let Some(v) = acc.mean() {
            reasons.push(Reason {
                metric: metric.into(),
                text: text(v, secs(acc.duration_ms)),
                value: v,
                duration_ms: acc.duration_ms,
            });
        }
    };
    let what = kind_word(kind);
    // One key per kind, so the audio and the video that stopped are both said.
    let no_media = if kind == MediaKind::Audio { "noAudio" } else { "noVideo" };
    push(no_media, &dead, &|_, s| format!("no {what} received for {s} s"));
    push("rtt", &rtt, &|v, s| format!("RTT {v:.0} ms for {s} s"));
    push("loss", &loss, &|v, s| format!("loss {v:.1} % for {s} s"));
    push("jitter", &jitter, &|v, s| format!("jitter {v:.0} ms for {s} s"));
    push("concealment", &conceal, &|v, s| format!("audio lost or concealed {v:.0} % for {s} s"));
    push("frameRate", &fps, &|v, s| format!("frame rate {v:.0} fps for {s} s"));
    if let Some((w, h)) = smallest {
        push("resolution", &small, &|_, s| {
            format!("video down to {w:.0}×{h:.0} (from {:.0}×{:.0}) for {s} s", small_from.0, small_from.1)
        });
    }
    push("mos", &mos, &|v, s| format!("MOS {v:.2} for {s} s"));
    if frozen_ms >= FREEZE_MS {
        reasons.push(Reason {
            metric: "freeze".into(),
            text: format!("video frozen {} s", (frozen_ms / 100.0).round() / 10.0),
            value: frozen_ms / 1000.0,
            duration_ms: frozen_ms,
        });
    }
    for (why, d) in limited {
        reasons.push(Reason {
            metric: "limitation".into(),
            text: format!("sending limited by {why} for {} s", secs(d)),
            value: d / 1000.0,
            duration_ms: d,
        });
    }
    sort(&mut reasons);
    Score { score: blend(&mut scored), reasons }
}

/// How grave a kind of problem is, whatever its length: a connection that never set up, then
/// media that did not arrive at all, then a lost connection, then everything that degraded
/// media that did arrive.
fn gravity(metric: &str) -> u8 {
    match metric {
        "setupFailed" => 0,
        "noAudio" | "noVideo" => 1,
        "disruption" => 2,
        _ => 3,
    }
}

/// Most severe first: by [`gravity`], then by how long the problem lasted.
pub(crate) fn sort(reasons: &mut [Reason]) {
    reasons.sort_by(|a, b| {
        gravity(&a.metric)
            .cmp(&gravity(&b.metric))
            .then(b.duration_ms.total_cmp(&a.duration_ms))
            .then_with(|| a.metric.cmp(&b.metric))
    });
}

/// Combines the scores of the parts of one thing (streams of a fabric, fabrics of a
/// participant, participants of a conference): the blend of the scored parts' mean and their
/// worst, and their reasons, each prefixed with `label` of its part, at most `keep`.
pub fn combine<'a>(parts: impl IntoIterator<Item = (&'a str, &'a Score)>, keep: usize) -> Score {
    let mut scores = Vec::new();
    let mut reasons = Vec::new();
    for (label, s) in parts {
        scores.extend(s.score);
        for r in &s.reasons {
            let text = if label.is_empty() { r.text.clone() } else { format!("{label}: {}", r.text) };
            reasons.push(Reason { text, ..r.clone() });
        }
    }
    sort(&mut reasons);
    reasons.truncate(keep);
    Score { score: worst_blend(&scores), reasons }
}

/// Half the mean of `scores`, half their minimum.
pub fn worst_blend(scores: &[f64]) -> Option<f64> {
    let min = scores.iter().copied().min_by(f64::total_cmp)?;
    Some(0.5 * scores.iter().sum::<f64>() / scores.len() as f64 + 0.5 * min)
}

/// One line per pair of users and problem, for a conference: the reasons of every stream and
/// connection between the same two users (both ends' reports, both directions) folded into one
/// line with the longest duration among them; then a problem that one user shares with three
/// or more others in the same way is said once for that user. `items` are (user, remote user,
/// reason).
pub fn group_by_pair<'a>(items: impl IntoIterator<Item = (&'a str, &'a str, &'a Reason)>, keep: usize) -> Vec<Reason> {
    // (metric, pair) → the longest-lasting reason of that kind between them.
    let mut by_pair: BTreeMap<(String, String, String), &Reason> = BTreeMap::new();
    for (a, b, r) in items {
        let (x, y) = if a <= b { (a, b) } else { (b, a) };
        let e = by_pair.entry((r.metric.clone(), x.to_owned(), y.to_owned())).or_insert(r);
        if r.duration_ms > e.duration_ms {
            *e = r;
        }
    }
    // A user in three or more pairs with the same problem: one line for them.
    let mut counts: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for (metric, x, y) in by_pair.keys() {
        *counts.entry((metric.as_str(), x.as_str())).or_default() += 1;
        *counts.entry((metric.as_str(), y.as_str())).or_default() += 1;
    }
    let mut hub_counts: Vec<(&str, &str, usize)> =
        counts.into_iter().filter(|(_, n)| *n >= 3).map(|((m, u), n)| (m, u, n)).collect();
    hub_counts.sort_by(|a, b| b.2.cmp(&a.2).then(a.1.cmp(b.1)));
    let mut out = Vec::new();
    let mut said: std::collections::BTreeSet<(&str, &str, &str)> = std::collections::BTreeSet::new();
    for (metric, user, _) in hub_counts {
        let mut worst: Option<&Reason> = None;
        let mut others = Vec::new();
        for ((m, x, y), r) in &by_pair {
            if m != metric || (x != user && y != user) || said.contains(&(m.as_str(), x.as_str(), y.as_str())) {
                continue;
            }
            others.push(if x == user { y.as_str() } else { x.as_str() });
            if worst.is_none_or(|w| r.duration_ms > w.duration_ms) {
                worst = Some(r);
            }
        }
        if others.len() < 3 {
            continue;
        }
        for (m, x, y) in by_pair.keys() {
            if m == metric && (x == user || y == user) {
                said.insert((m.as_str(), x.as_str(), y.as_str()));
            }
        }
        let r = worst.expect("three pairs at least");
        out.push(Reason {
            text: format!("{user} ↔ {} others ({}): {}", others.len(), others.join(", "), r.text),
            ..r.clone()
        });
    }
    for ((m, x, y), r) in &by_pair {
        if said.contains(&(m.as_str(), x.as_str(), y.as_str())) {
            continue;
        }
        let text = if x == y { format!("{x}: {}", r.text) } else { format!("{x} ↔ {y}: {}", r.text) };
        out.push(Reason { text, ..(*r).clone() });
    }
    sort(&mut out);
    out.truncate(keep);
    out
}

/// The score of a fabric that never connected.
pub fn failed_setup(reason: Option<&str>) -> Score {
    let why = reason.unwrap_or("unknown reason");
    Score {
        score: Some(0.0),
        reasons: vec![Reason {
            metric: "setupFailed".into(),
            text: format!("connection never set up ({why})"),
            value: 0.0,
            duration_ms: 0.0,
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quality::QualityLabel;

    fn interval(start: f64, end: f64) -> StreamInterval {
        StreamInterval {
            start_ms: start,
            end_ms: end,
            bitrate_kbps: Some(1500.0),
            packet_rate: Some(100.0),
            fraction_lost: Some(0.0),
            jitter_ms: Some(5.0),
            rtt_ms: Some(40.0),
            fps: Some(30.0),
            width: Some(1280.0),
            height: Some(720.0),
            freezes: Some(0.0),
            frozen_ms: Some(0.0),
            concealment: None,
            effective_loss: None,
            jitter_buffer_ms: None,
            quality_limitation: None,
            mos: None,
            no_media: false,
            paused: false,
            score: Some(5.0),
            label: QualityLabel::Excellent,
        }
    }

    fn video(intervals: &[StreamInterval], hold: &[(f64, f64)]) -> Score {
        stream_score(MediaKind::Video, Direction::Inbound, intervals, hold)
    }

    #[test]
    fn clean_video_scores_five_with_no_reasons() {
        let s = video(&[interval(0.0, 10_000.0), interval(10_000.0, 20_000.0)], &[]);
        assert_eq!(s.score, Some(5.0));
        assert!(s.reasons.is_empty());
    }

    #[test]
    fn reasons_say_what_and_for_how_long() {
        let mut far = interval(10_000.0, 50_000.0);
        far.rtt_ms = Some(420.0);
        far.score = Some(4.5);
        let mut frozen = interval(50_000.0, 60_000.0);
        frozen.frozen_ms = Some(6_000.0);
        frozen.score = Some(2.0);
        let mut lossy = interval(60_000.0, 70_000.0);
        lossy.fraction_lost = Some(0.08);
        lossy.score = Some(3.8);
        let mut small = interval(70_000.0, 90_000.0);
        (small.width, small.height, small.fps) = (Some(160.0), Some(90.0), Some(4.0));
        small.score = Some(1.5);
        let s = video(&[interval(0.0, 10_000.0), far, frozen, lossy, small], &[]);
        let texts: Vec<&str> = s.reasons.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(texts[0], "RTT 420 ms for 40 s", "{texts:?}");
        assert!(texts.contains(&"video frozen 6 s"), "{texts:?}");
        assert!(texts.contains(&"loss 8.0 % for 10 s"), "{texts:?}");
        assert!(texts.contains(&"video down to 160×90 (from 1280×720) for 20 s"), "{texts:?}");
        assert!(texts.contains(&"frame rate 4 fps for 20 s"), "{texts:?}");
        let score = s.score.unwrap();
        assert!(score < 3.5 && score > 1.5, "{score}");
    }

    #[test]
    fn hold_and_muted_time_are_left_out() {
        let mut held = interval(10_000.0, 20_000.0);
        held.fps = Some(0.5);
        held.score = Some(0.5);
        let with_hold = video(&[interval(0.0, 10_000.0), held.clone()], &[(10_000.0, 20_000.0)]);
        assert_eq!(with_hold.score, Some(5.0));
        let without = video(&[interval(0.0, 10_000.0), held.clone()], &[]);
        assert!(without.score.unwrap() < 4.0);
        held.set_aside();
        let muted = video(&[interval(0.0, 10_000.0), held], &[]);
        assert_eq!(muted.score, Some(5.0));
        assert!(muted.reasons.is_empty(), "{:?}", muted.reasons);
    }

    #[test]
    fn a_brief_hold_does_not_hide_an_interval() {
        let i = interval(0.0, 10_000.0);
        assert!(!mostly_on_hold(&i, &[(4_000.0, 4_010.0)]));
        assert!(mostly_on_hold(&i, &[(2_000.0, 20_000.0)]));
        assert!(!mostly_on_hold(&i, &[(20_000.0, 30_000.0)]));
    }

    /// Three minutes of clean audio at MOS 4.41, with 0, 10 or 25 s of it dead.
    fn audio_call(dead_s: usize) -> Score {
        let intervals: Vec<StreamInterval> = (0..90)
            .map(|k| {
                let mut i = interval(k as f64 * 2_000.0, (k + 1) as f64 * 2_000.0);
                (i.fps, i.width, i.height) = (None, None, None);
                i.mos = Some(4.41);
                i.score = Some(crate::quality::score_of_mos(4.41));
                if (30..30 + dead_s / 2).contains(&k) {
                    i.no_media = true;
                    i.mos = Some(1.0);
                    i.score = Some(0.0);
                }
                i
            })
            .collect();
        stream_score(MediaKind::Audio, Direction::Inbound, &intervals, &[])
    }

    #[test]
    fn dead_audio_ranks_a_call_below_a_clean_one_and_says_so() {
        let clean = audio_call(0);
        let short = audio_call(10);
        let long = audio_call(25);
        let (c, sh, l) = (clean.score.unwrap(), short.score.unwrap(), long.score.unwrap());
        assert!(c >= 4.8, "{c}");
        assert!(sh < c && l < sh, "{c} {sh} {l}");
        assert!(l < 3.0, "25 s of dead audio in 3 min is a poor call: {l}");
        assert_eq!(long.reasons[0].text, "no audio received for 24 s", "{:?}", long.reasons);
        assert!(clean.reasons.is_empty());
        // Dead time is not also reported as a low MOS.
        assert!(long.reasons.iter().all(|r| r.metric != "mos"), "{:?}", long.reasons);
    }

    #[test]
    fn media_that_did_not_arrive_is_named_before_longer_degradations() {
        let mut reasons = vec![
            reason("frameRate", "frame rate 8 fps for 30 s", 30_000.0),
            reason("noAudio", "no audio received for 14 s", 14_000.0),
            reason("setupFailed", "connection never set up", 0.0),
            reason("disruption", "connection lost 1× for 6 s", 6_000.0),
        ];
        sort(&mut reasons);
        let metrics: Vec<&str> = reasons.iter().map(|r| r.metric.as_str()).collect();
        assert_eq!(metrics, ["setupFailed", "noAudio", "disruption", "frameRate"]);
    }

    #[test]
    fn the_blend_weighs_the_worst_fifth_as_much_as_the_whole() {
        assert_eq!(blend(&mut []), None);
        assert_eq!(blend(&mut [(4.0, 10.0)]), Some(4.0));
        // 80 s at 5 and 20 s at 0: mean 4, worst fifth 0 → 2.
        assert_eq!(blend(&mut [(5.0, 80.0), (0.0, 20.0)]), Some(2.0));
        // More bad time never scores higher.
        let mut last = 5.0;
        for bad in [0.0, 5.0, 10.0, 20.0, 40.0, 80.0] {
            let s = blend(&mut [(5.0, 100.0 - bad), (1.0, bad)]).unwrap();
            assert!(s <= last, "{bad}: {s} > {last}");
            last = s;
        }
    }

    #[test]
    fn combining_blends_mean_and_worst_and_labels_reasons() {
        let good = Score { score: Some(5.0), reasons: vec![] };
        let bad = failed_setup(Some("IceConnectionFailure"));
        let c = combine([("alice→bob", &good), ("bob→alice", &bad)], 5);
        assert_eq!(c.score, Some(1.25));
        assert_eq!(c.reasons[0].text, "bob→alice: connection never set up (IceConnectionFailure)");
        assert_eq!(combine(std::iter::empty(), 5).score, None);
    }

    fn reason(metric: &str, text: &str, duration_ms: f64) -> Reason {
        Reason { metric: metric.into(), text: text.into(), value: 1.0, duration_ms }
    }

    /// A six-party mesh where carol's network loses packets: every one of her 10 connections'
    /// streams, both ends, reports it (40 stream reasons); plus one pair with high RTT.
    #[test]
    fn a_six_party_call_lists_each_problem_once_per_pair_or_user() {
        let users = ["alice", "bob", "carol", "dan", "eve", "fay"];
        let loss = reason("loss", "loss 8.0 % for 40 s", 40_000.0);
        let loss_short = reason("loss", "loss 6.0 % for 20 s", 20_000.0);
        let rtt = reason("rtt", "RTT 420 ms for 30 s", 30_000.0);
        let mut items = Vec::new();
        for other in users.iter().filter(|u| **u != "carol") {
            for _ in 0..2 {
                items.push(("carol", *other, &loss));
                items.push((*other, "carol", &loss_short));
            }
        }
        items.push(("alice", "bob", &rtt));
        items.push(("bob", "alice", &rtt));
        let lines = group_by_pair(items, 8);
        let texts: Vec<&str> = lines.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(
            texts,
            ["carol ↔ 5 others (alice, bob, dan, eve, fay): loss 8.0 % for 40 s", "alice ↔ bob: RTT 420 ms for 30 s"]
        );
        // Two pairs only: said per pair.
        let few = group_by_pair([("a", "b", &loss), ("c", "a", &loss_short)], 8);
        let texts: Vec<&str> = few.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(texts, ["a ↔ b: loss 8.0 % for 40 s", "a ↔ c: loss 6.0 % for 20 s"]);
    }
}
