//! Per-interval stream quality labels, `excellent` / `fair` / `bad`, with the thresholds
//! callstats.js 3.73.16 applies in its quality evaluator (read from the npm build's constants),
//! so that a stream labelled by us reads the same as it did on callstats.io.
//!
//! Each available metric gives a rating (excellent = 5, fair = 3, bad = 1); the interval's label
//! is the floor of their mean: 5 → excellent, 2–4 → fair, 1 → bad. A metric that is absent or
//! zero is not rated, as in the original (a zero bitrate is "no data", not "bad").
//!
//! | metric | applies to | excellent | fair | bad |
//! |---|---|---|---|---|
//! | throughput, kbit/s | audio | ≥ 30 | > 8 | ≤ 8 |
//! | throughput, kbit/s | video | ≥ 1024 | > 256 | ≤ 256 |
//! | fraction lost (0–1) | inbound audio | < 0.15 | ≥ 0.15 | > 0.3 |
//! | fraction lost (0–1) | inbound video | < 0.1 | ≥ 0.1 | > 0.5 |
//! | delay proxy: median RTT + 40 ms | audio | < 240 | ≥ 240 | > 400 |
//! | median RTT, ms | video | < 400 | ≥ 400 | > 1000 |
//! | frame rate / previous frame rate | video | ≥ 0.8 | > 0.3 | ≤ 0.3 |
//!
//! One deliberate difference: the original defines video loss thresholds but its inbound-video
//! path never applies them (only inbound audio is rated on loss). We apply them, because a video
//! stream losing half its packets is not "excellent".

use serde::{Deserialize, Serialize};

/// A stream's quality in one interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum QualityLabel {
    /// Nothing to rate.
    Unknown,
    /// At least one metric was bad enough to pull the mean to 1.
    Bad,
    /// In between.
    Fair,
    /// Every rated metric was excellent.
    Excellent,
}

/// Audio or video.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum MediaKind {
    /// Audio.
    Audio,
    /// Video.
    Video,
}

/// Which way a stream flows, seen from the reporting endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Direction {
    /// Received.
    Inbound,
    /// Sent.
    Outbound,
}

struct Thresholds {
    green: f64,
    red: f64,
}

const THROUGHPUT_AUDIO: Thresholds = Thresholds { green: 30.0, red: 8.0 };
const THROUGHPUT_VIDEO: Thresholds = Thresholds { green: 1024.0, red: 256.0 };
const LOSS_AUDIO: Thresholds = Thresholds { green: 0.15, red: 0.3 };
const LOSS_VIDEO: Thresholds = Thresholds { green: 0.1, red: 0.5 };
const DELAY_AUDIO: Thresholds = Thresholds { green: 240.0, red: 400.0 };
const RTT_VIDEO: Thresholds = Thresholds { green: 400.0, red: 1000.0 };
const FRAME_RATE_RATIO: Thresholds = Thresholds { green: 0.8, red: 0.3 };
/// Added to the median RTT to form the original's audio delay proxy, ms.
pub const AUDIO_DELAY_OFFSET_MS: f64 = 40.0;

/// Higher is better (throughput, frame-rate ratio).
fn descending(v: f64, t: &Thresholds) -> u8 {
    if t.green <= v {
        5
    } else if t.red < v {
        3
    } else {
        1
    }
}

/// Lower is better (loss, delay).
fn ascending(v: f64, t: &Thresholds) -> u8 {
    if t.red < v {
        1
    } else if t.green <= v {
        3
    } else {
        5
    }
}

/// What the labeller looks at in one interval.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LabelInputs {
    /// Interval throughput, kbit/s.
    pub throughput_kbps: Option<f64>,
    /// Interval fraction lost, 0–1 (inbound only).
    pub fraction_lost: Option<f64>,
    /// Median RTT over the stream so far, ms.
    pub median_rtt_ms: Option<f64>,
    /// Frame rate now over frame rate in the previous interval (video).
    pub frame_rate_ratio: Option<f64>,
}

/// Labels one interval of one stream.
pub fn label(kind: MediaKind, direction: Direction, m: &LabelInputs) -> QualityLabel {
    let positive = |v: Option<f64>| v.filter(|x| x.is_finite() && *x > 0.0);
    let mut ratings: Vec<u8> = Vec::with_capacity(4);
    if let Some(t) = positive(m.throughput_kbps) {
        ratings.push(descending(t, if kind == MediaKind::Audio { &THROUGHPUT_AUDIO } else { &THROUGHPUT_VIDEO }));
    }
    if direction == Direction::Inbound
        && let Some(l) = positive(m.fraction_lost)
    {
        ratings.push(ascending(l, if kind == MediaKind::Audio { &LOSS_AUDIO } else { &LOSS_VIDEO }));
    }
    if let Some(rtt) = positive(m.median_rtt_ms) {
        ratings.push(match kind {
            MediaKind::Audio => ascending(rtt + AUDIO_DELAY_OFFSET_MS, &DELAY_AUDIO),
            MediaKind::Video => ascending(rtt, &RTT_VIDEO),
        });
    }
    if kind == MediaKind::Video
        && let Some(r) = positive(m.frame_rate_ratio)
    {
        ratings.push(descending(r, &FRAME_RATE_RATIO));
    }
    if ratings.is_empty() {
        return QualityLabel::Unknown;
    }
    let mean = ratings.iter().map(|r| f64::from(*r)).sum::<f64>() / ratings.len() as f64;
    match mean.floor() as u8 {
        5 => QualityLabel::Excellent,
        2..=4 => QualityLabel::Fair,
        1 => QualityLabel::Bad,
        _ => QualityLabel::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Direction::*;
    use MediaKind::*;

    fn inputs(t: Option<f64>, l: Option<f64>, rtt: Option<f64>, fr: Option<f64>) -> LabelInputs {
        LabelInputs { throughput_kbps: t, fraction_lost: l, median_rtt_ms: rtt, frame_rate_ratio: fr }
    }

    #[test]
    fn thresholds_at_their_edges() {
        // Audio throughput: 30 is excellent, just above 8 fair, 8 bad.
        assert_eq!(label(Audio, Outbound, &inputs(Some(30.0), None, None, None)), QualityLabel::Excellent);
        assert_eq!(label(Audio, Outbound, &inputs(Some(8.1), None, None, None)), QualityLabel::Fair);
        assert_eq!(label(Audio, Outbound, &inputs(Some(8.0), None, None, None)), QualityLabel::Bad);
        // Video RTT: 399 excellent, 400 fair, 1001 bad.
        assert_eq!(label(Video, Outbound, &inputs(None, None, Some(399.0), None)), QualityLabel::Excellent);
        assert_eq!(label(Video, Outbound, &inputs(None, None, Some(400.0), None)), QualityLabel::Fair);
        assert_eq!(label(Video, Outbound, &inputs(None, None, Some(1001.0), None)), QualityLabel::Bad);
        // Audio delay proxy: RTT 199 + 40 < 240 excellent; 200 + 40 fair; 361 + 40 > 400 bad.
        assert_eq!(label(Audio, Inbound, &inputs(None, None, Some(199.0), None)), QualityLabel::Excellent);
        assert_eq!(label(Audio, Inbound, &inputs(None, None, Some(200.0), None)), QualityLabel::Fair);
        assert_eq!(label(Audio, Inbound, &inputs(None, None, Some(361.0), None)), QualityLabel::Bad);
        // Loss is rated on inbound only.
        assert_eq!(label(Audio, Inbound, &inputs(None, Some(0.31), None, None)), QualityLabel::Bad);
        assert_eq!(label(Audio, Outbound, &inputs(None, Some(0.31), None, None)), QualityLabel::Unknown);
        assert_eq!(label(Video, Inbound, &inputs(None, Some(0.09), None, None)), QualityLabel::Excellent);
        // Frame-rate ratio.
        assert_eq!(label(Video, Inbound, &inputs(None, None, None, Some(0.3))), QualityLabel::Bad);
    }

    #[test]
    fn mean_is_floored() {
        // excellent + bad = 3 → fair; excellent + excellent + fair = 4.33 → fair.
        assert_eq!(label(Video, Inbound, &inputs(Some(2000.0), Some(0.6), None, None)), QualityLabel::Fair);
        assert_eq!(label(Video, Inbound, &inputs(Some(2000.0), Some(0.01), Some(500.0), None)), QualityLabel::Fair);
        // bad + bad + fair = 1.67 → bad.
        assert_eq!(label(Video, Inbound, &inputs(Some(100.0), Some(0.6), Some(500.0), None)), QualityLabel::Bad);
        // Zeros are "no data".
        assert_eq!(label(Audio, Inbound, &inputs(Some(0.0), Some(0.0), None, None)), QualityLabel::Unknown);
    }
}
