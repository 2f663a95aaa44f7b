//! A 0–5 quality score per stream, fabric, participant and conference, and the reasons it went
//! down, in words a support engineer can act on ("RTT 420 ms for 40 s").
//!
//! Each interval starts from 5 (audio: from its E-model MOS mapped linearly from 1–4.5 onto
//! 0–5, which already accounts for delay and loss) and loses points for what the listener or
//! viewer notices: loss, delay, jitter, concealment, freezes, a collapsing frame rate. The
//! interval's callstats.js label caps it (bad ≤ 2.5, fair ≤ 4) so the score never contradicts
//! the label. A stream's score is the duration-weighted mean of its intervals, with time on hold
//! left out. Higher levels average the level below; a fabric that never connected scores 0.

use serde::Serialize;

use crate::quality::{MediaKind, QualityLabel};
use crate::streams::StreamInterval;

/// Why a score went down.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reason {
    /// Stable key: `rtt`, `loss`, `jitter`, `freeze`, `frameRate`, `concealment`, `mos`,
    /// `limitation`, `setupFailed`.
    pub metric: String,
    /// Human-readable sentence.
    pub text: String,
    /// The representative value (ms, %, s, fps or MOS).
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

// Thresholds at which a condition becomes a reason (and starts costing points).
const RTT_MS: f64 = 300.0;
const LOSS: f64 = 0.02;
const JITTER_MS: f64 = 30.0;
const CONCEALMENT: f64 = 0.05;
const LOW_FPS: f64 = 10.0;
const LOW_MOS: f64 = 3.5;
const FREEZE_MS: f64 = 500.0;

/// Scores one interval.
pub fn interval_score(kind: MediaKind, i: &StreamInterval) -> f64 {
    let dur_ms = (i.end_ms - i.start_ms).max(1.0);
    let mut s = match (kind, i.mos) {
        (MediaKind::Audio, Some(mos)) => ((mos - 1.0) / 3.5 * 5.0).clamp(0.0, 5.0),
        _ => 5.0,
    };
    let has_mos = i.mos.is_some();
    if let Some(f) = i.fraction_lost.filter(|_| !has_mos) {
        let per_pct = if kind == MediaKind::Audio { 0.3 } else { 0.2 };
        s -= (f * 100.0 * per_pct).min(3.0);
    }
    if let Some(rtt) = i.rtt_ms.filter(|r| *r > RTT_MS && !has_mos) {
        s -= ((rtt - RTT_MS) / 200.0).min(2.0);
    }
    if let Some(j) = i.jitter_ms.filter(|j| *j > JITTER_MS) {
        s -= ((j - JITTER_MS) / 60.0).min(1.5);
    }
    if let Some(c) = i.concealment {
        s -= (c * 10.0).min(3.0);
    }
    if let Some(f) = i.frozen_ms {
        s -= (f / dur_ms * 5.0).min(4.0);
    }
    if kind == MediaKind::Video
        && let Some(fps) = i.fps.filter(|f| *f < LOW_FPS)
    {
        s -= ((LOW_FPS - fps) / LOW_FPS * 2.0).min(2.0);
    }
    let cap = match i.label {
        QualityLabel::Bad => 2.5,
        QualityLabel::Fair => 4.0,
        _ => 5.0,
    };
    s.min(cap).clamp(0.0, 5.0)
}

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

/// Whether an interval was mostly on hold: more than half of it inside `hold` periods. Such an
/// interval says nothing about quality; a hold of a few milliseconds does not spoil the rest.
pub fn mostly_on_hold(i: &StreamInterval, hold: &[(f64, f64)]) -> bool {
    let held: f64 = hold.iter().map(|(a, b)| (b.min(i.end_ms) - a.max(i.start_ms)).max(0.0)).sum();
    held * 2.0 > (i.end_ms - i.start_ms).max(0.0)
}

/// Scores a stream from its intervals; intervals mostly on hold (`excluded`) are left out.
pub fn stream_score(kind: MediaKind, intervals: &[StreamInterval], excluded: &[(f64, f64)]) -> Score {
    let mut total = Acc::default();
    let (mut rtt, mut loss, mut jitter, mut conceal, mut fps, mut mos) =
        (Acc::default(), Acc::default(), Acc::default(), Acc::default(), Acc::default(), Acc::default());
    let mut frozen_ms = 0.0;
    let mut limited: Vec<(String, f64)> = Vec::new();
    for i in intervals.iter().filter(|i| !mostly_on_hold(i, excluded)) {
        let d = (i.end_ms - i.start_ms).max(0.0);
        total.add(interval_score(kind, i), d);
        if let Some(v) = i.rtt_ms.filter(|v| *v > RTT_MS) {
            rtt.add(v, d);
        }
        if let Some(v) = i.fraction_lost.filter(|v| *v > LOSS) {
            loss.add(v * 100.0, d);
        }
        if let Some(v) = i.jitter_ms.filter(|v| *v > JITTER_MS) {
            jitter.add(v, d);
        }
        if let Some(v) = i.concealment.filter(|v| *v > CONCEALMENT) {
            conceal.add(v * 100.0, d);
        }
        if kind == MediaKind::Video
            && let Some(v) = i.fps.filter(|v| *v < LOW_FPS)
        {
            fps.add(v, d);
        }
        if let Some(v) = i.mos.filter(|v| *v < LOW_MOS) {
            mos.add(v, d);
        }
        frozen_ms += i.frozen_ms.unwrap_or(0.0);
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
    push("rtt", &rtt, &|v, s| format!("RTT {v:.0} ms for {s} s"));
    push("loss", &loss, &|v, s| format!("loss {v:.1} % for {s} s"));
    push("jitter", &jitter, &|v, s| format!("jitter {v:.0} ms for {s} s"));
    push("concealment", &conceal, &|v, s| format!("audio concealed {v:.0} % for {s} s"));
    push("frameRate", &fps, &|v, s| format!("frame rate {v:.0} fps for {s} s"));
    push("mos", &mos, &|v, s| format!("MOS {v:.2} for {s} s"));
    if frozen_ms >= FREEZE_MS {
        reasons.push(Reason {
            metric: "freeze".into(),
            text: format!("video frozen {} s", (frozen_ms / 100.0).round() / 10.0),
            value: frozen_ms / 1000.0,
            duration_ms: frozen_ms,
        });
    }
    for (what, d) in limited {
        reasons.push(Reason {
            metric: "limitation".into(),
            text: format!("sending limited by {what} for {} s", secs(d)),
            value: d / 1000.0,
            duration_ms: d,
        });
    }
    sort(&mut reasons);
    Score { score: total.mean(), reasons }
}

fn sort(reasons: &mut [Reason]) {
    reasons.sort_by(|a, b| b.duration_ms.total_cmp(&a.duration_ms).then_with(|| a.metric.cmp(&b.metric)));
}

/// Combines the scores of the parts of one thing (streams of a fabric, fabrics of a
/// participant, participants of a conference): the mean of the scored parts, and their reasons,
/// each prefixed with `label` of its part, longest first, at most `keep`.
pub fn combine<'a>(parts: impl IntoIterator<Item = (&'a str, &'a Score)>, keep: usize) -> Score {
    let mut sum = 0.0;
    let mut n = 0;
    let mut reasons = Vec::new();
    for (label, s) in parts {
        if let Some(v) = s.score {
            sum += v;
            n += 1;
        }
        for r in &s.reasons {
            let text = if label.is_empty() { r.text.clone() } else { format!("{label}: {}", r.text) };
            reasons.push(Reason { text, ..r.clone() });
        }
    }
    sort(&mut reasons);
    reasons.truncate(keep);
    Score { score: (n > 0).then(|| sum / n as f64), reasons }
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
            jitter_buffer_ms: None,
            quality_limitation: None,
            mos: None,
            label: QualityLabel::Excellent,
        }
    }

    #[test]
    fn clean_video_scores_five_with_no_reasons() {
        let s = stream_score(MediaKind::Video, &[interval(0.0, 10_000.0), interval(10_000.0, 20_000.0)], &[]);
        assert_eq!(s.score, Some(5.0));
        assert!(s.reasons.is_empty());
    }

    #[test]
    fn reasons_say_what_and_for_how_long() {
        let mut bad = interval(10_000.0, 50_000.0);
        bad.rtt_ms = Some(420.0);
        bad.label = QualityLabel::Fair;
        let mut frozen = interval(50_000.0, 60_000.0);
        frozen.frozen_ms = Some(12_000.0 / 2.0);
        let mut lossy = interval(60_000.0, 70_000.0);
        lossy.fraction_lost = Some(0.08);
        let s = stream_score(MediaKind::Video, &[interval(0.0, 10_000.0), bad, frozen, lossy], &[]);
        let texts: Vec<&str> = s.reasons.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(texts[0], "RTT 420 ms for 40 s", "{texts:?}");
        assert!(texts.contains(&"video frozen 6 s"), "{texts:?}");
        assert!(texts.contains(&"loss 8.0 % for 10 s"), "{texts:?}");
        let score = s.score.unwrap();
        assert!(score < 4.5 && score > 2.0, "{score}");
    }

    #[test]
    fn hold_time_is_left_out() {
        let mut held = interval(10_000.0, 20_000.0);
        held.fps = Some(0.5);
        held.label = QualityLabel::Bad;
        let with_hold =
            stream_score(MediaKind::Video, &[interval(0.0, 10_000.0), held.clone()], &[(10_000.0, 20_000.0)]);
        assert_eq!(with_hold.score, Some(5.0));
        let without = stream_score(MediaKind::Video, &[interval(0.0, 10_000.0), held], &[]);
        assert!(without.score.unwrap() < 4.0);
    }

    #[test]
    fn a_brief_hold_does_not_hide_an_interval() {
        let i = interval(0.0, 10_000.0);
        assert!(!mostly_on_hold(&i, &[(4_000.0, 4_010.0)]));
        assert!(mostly_on_hold(&i, &[(2_000.0, 20_000.0)]));
        assert!(!mostly_on_hold(&i, &[(20_000.0, 30_000.0)]));
    }

    #[test]
    fn audio_uses_mos() {
        let mut i = interval(0.0, 10_000.0);
        i.mos = Some(4.41);
        assert!((interval_score(MediaKind::Audio, &i) - 4.871).abs() < 0.01);
        i.mos = Some(2.0);
        i.label = QualityLabel::Fair;
        assert!((interval_score(MediaKind::Audio, &i) - 1.4286).abs() < 0.01);
    }

    #[test]
    fn combining_averages_and_labels_reasons() {
        let good = Score { score: Some(5.0), reasons: vec![] };
        let bad = failed_setup(Some("IceConnectionFailure"));
        let c = combine([("alice→bob", &good), ("bob→alice", &bad)], 5);
        assert_eq!(c.score, Some(2.5));
        assert_eq!(c.reasons[0].text, "bob→alice: connection never set up (IceConnectionFailure)");
        assert_eq!(combine(std::iter::empty(), 5).score, None);
    }
}
