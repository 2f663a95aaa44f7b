//! The verdict on one interval of one stream: a 0–5 score of what the listener heard or the
//! viewer saw, and the label the dashboard colours it with.
//!
//! The model judges experience, not traffic. Throughput is not an input: a quiet talker's Opus
//! stream and a thumbnail-sized video layer carry few bits and nothing is wrong with them. What
//! is judged:
//!
//! * **Audio**: the ITU-T G.107 E-model MOS (see [`crate::emodel`]) with what the listener
//!   actually got: the loss is the larger of the packets lost or discarded late and the share of
//!   played samples that were concealed (synthesised) without being silence, so a jitter buffer
//!   that starves or a burst that FEC could not repair counts even when few packets were "lost";
//!   the delay is half the RTT plus the jitter-buffer delay. An inbound stream that had been
//!   flowing and then received no packet at all for a whole interval is dead audio: score 0.
//!   The score maps MOS 1–4.5 linearly onto 0–5.
//! * **Video**: starts at 5 and loses points for time frozen (the whole 5 for a fully frozen
//!   interval, including an interval with no frame at all), a frame rate below 80 % of the
//!   stream's best so far (up to 2.5), a resolution below the stream's best so far (0.75 per
//!   halving of the height, up to 2), packet loss (0.15 per percent, up to 2), RTT over
//!   300 ms (up to 2) and jitter over 30 ms (up to 1.5). "Best so far" makes the judgement
//!   relative to what this stream showed it can do, so a layout that always shows a thumbnail
//!   is not a fault, and a collapse from VGA to 160×90 is.
//!
//! Labels come from the score, with the same cut-offs for both kinds, chosen on the E-model's
//! user-satisfaction categories (G.107 Annex B): **excellent** from 4.3 (MOS ≥ 4.0, R ≥ 80,
//! "satisfied"), **fair** from 3.0 (MOS ≥ 3.1, R ≥ 60, "many users dissatisfied" below it),
//! **bad** under 3.0. A clean call scores about 4.9 (audio, MOS 4.4) and 5 (video).
//!
//! What is deliberately not a fault: an interval the app declared muted or paused, or on hold
//! (the caller leaves those out), and a sender that sends nothing (an outbound interval with
//! no packet has no verdict; if the far end missed media it says so in its inbound streams).
//!
//! The SDK's `csStatsCallback` keeps callstats.js 3.73.16's own labels (throughput, loss and
//! RTT thresholds of the original), because apps tuned their reactions on those; only the
//! dashboard, the API and the summaries use this model.

use serde::{Deserialize, Serialize};

/// A stream's quality in one interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum QualityLabel {
    /// Nothing to judge (no data, muted, on hold, nothing sent).
    Unknown,
    /// Score under 3.
    Bad,
    /// Score 3 to 4.3.
    Fair,
    /// Score 4.3 or more.
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

/// Score from which an interval is excellent.
pub const EXCELLENT_FROM: f64 = 4.3;
/// Score from which an interval is fair.
pub const FAIR_FROM: f64 = 3.0;
/// RTT above which video interactivity suffers, ms.
pub const VIDEO_RTT_MS: f64 = 300.0;
/// Jitter above which video suffers, ms.
pub const VIDEO_JITTER_MS: f64 = 30.0;
/// Share of the best frame rate under which the frame rate costs points.
pub const FPS_KEPT: f64 = 0.8;
/// Points a halving of the frame height (against the stream's best) costs.
pub const RESOLUTION_PER_HALVING: f64 = 0.75;
/// Frame rates above this are all "smooth": a best of 60 fps does not make 30 fps a fault.
pub const SMOOTH_FPS: f64 = 30.0;

/// What the verdict looks at in one interval, already measured.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct IntervalFacts {
    /// Interval length, ms.
    pub duration_ms: f64,
    /// Audio: the E-model MOS with the effective loss.
    pub mos: Option<f64>,
    /// Audio without a known RTT: the E-model MOS with the network delay taken as zero; used
    /// only for the score (no MOS is reported without the RTT).
    pub mos_without_rtt: Option<f64>,
    /// Packets lost in the interval, 0–1.
    pub fraction_lost: Option<f64>,
    /// RTT, ms.
    pub rtt_ms: Option<f64>,
    /// Jitter, ms.
    pub jitter_ms: Option<f64>,
    /// Frames per second (video).
    pub fps: Option<f64>,
    /// Best frame rate of the stream so far (video).
    pub best_fps: Option<f64>,
    /// Frame height (video).
    pub height: Option<f64>,
    /// Best frame height of the stream so far (video).
    pub best_height: Option<f64>,
    /// Time frozen in the interval, ms (video, already clamped to the interval).
    pub frozen_ms: Option<f64>,
    /// The stream had flowed before and nothing arrived (inbound) or left (outbound) in this
    /// interval.
    pub no_media: bool,
}

/// The score (0–5) and its label.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Verdict {
    /// 0 (unusable) to 5 (perfect).
    pub score: f64,
    /// The score's label.
    pub label: QualityLabel,
}

/// The label of a score.
pub fn label_of(score: f64) -> QualityLabel {
    if score >= EXCELLENT_FROM {
        QualityLabel::Excellent
    } else if score >= FAIR_FROM {
        QualityLabel::Fair
    } else {
        QualityLabel::Bad
    }
}

/// MOS 1–4.5 onto 0–5.
pub fn score_of_mos(mos: f64) -> f64 {
    ((mos - 1.0) / 3.5 * 5.0).clamp(0.0, 5.0)
}

fn penalty(excess: Option<f64>, per_unit: f64, cap: f64) -> f64 {
    excess.filter(|e| e.is_finite() && *e > 0.0).map_or(0.0, |e| (e * per_unit).min(cap))
}

/// Judges one interval; `None` when there is nothing to judge.
pub fn judge(kind: MediaKind, direction: Direction, f: &IntervalFacts) -> Option<Verdict> {
    if f.no_media {
        // Nothing sent is the sender's business (or the far end's inbound verdict's); nothing
        // received after media had flowed is the worst a listener or viewer can get.
        return match direction {
            Direction::Outbound => None,
            Direction::Inbound => Some(Verdict { score: 0.0, label: QualityLabel::Bad }),
        };
    }
    let score = match kind {
        MediaKind::Audio => score_of_mos(f.mos.or(f.mos_without_rtt)?),
        MediaKind::Video => video_score(f)?,
    };
    Some(Verdict { score, label: label_of(score) })
}

fn video_score(f: &IntervalFacts) -> Option<f64> {
    let measured = f.fps.is_some() || f.fraction_lost.is_some() || f.frozen_ms.is_some() || f.height.is_some();
    if !measured {
        return None;
    }
    let dur = f.duration_ms.max(1.0);
    let frozen_share = f.frozen_ms.map(|ms| (ms / dur).clamp(0.0, 1.0));
    let mut s = 5.0 - penalty(frozen_share, 5.0, 5.0);
    if let (Some(fps), Some(best)) = (f.fps, f.best_fps.filter(|b| *b > 0.0)) {
        // Frames missing because the picture froze are charged as freeze time, not twice:
        // the frame rate is judged over the time the picture moved.
        let unfrozen = 1.0 - frozen_share.unwrap_or(0.0);
        if unfrozen > 0.0 {
            let deficit = 1.0 - fps / unfrozen / best.min(SMOOTH_FPS);
            // Nothing down to 80 % of the best, then linear to 2.5 points at 0 fps.
            s -= penalty(Some(deficit - (1.0 - FPS_KEPT)), 2.5 / FPS_KEPT, 2.5) * unfrozen;
        }
    }
    if let (Some(h), Some(best)) = (f.height.filter(|h| *h > 0.0), f.best_height) {
        s -= penalty(Some((best / h).log2()), RESOLUTION_PER_HALVING, 2.0);
    }
    s -= penalty(f.fraction_lost.map(|l| l * 100.0), 0.15, 2.0);
    s -= penalty(f.rtt_ms.map(|r| r - VIDEO_RTT_MS), 1.0 / 250.0, 2.0);
    s -= penalty(f.jitter_ms.map(|j| j - VIDEO_JITTER_MS), 1.0 / 60.0, 1.5);
    Some(s.clamp(0.0, 5.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Direction::*;
    use MediaKind::*;

    fn clean_video() -> IntervalFacts {
        IntervalFacts {
            duration_ms: 2_000.0,
            fraction_lost: Some(0.0),
            rtt_ms: Some(2.0),
            jitter_ms: Some(3.0),
            fps: Some(30.0),
            best_fps: Some(30.0),
            height: Some(480.0),
            best_height: Some(480.0),
            frozen_ms: Some(0.0),
            ..Default::default()
        }
    }

    fn score(kind: MediaKind, f: &IntervalFacts) -> f64 {
        judge(kind, Inbound, f).expect("judged").score
    }

    #[test]
    fn a_clean_interval_is_excellent() {
        let v = judge(Video, Inbound, &clean_video()).unwrap();
        assert_eq!(v, Verdict { score: 5.0, label: QualityLabel::Excellent });
        let audio = IntervalFacts { mos: Some(4.41), ..Default::default() };
        let v = judge(Audio, Inbound, &audio).unwrap();
        assert!(v.score > 4.8 && v.label == QualityLabel::Excellent, "{v:?}");
    }

    #[test]
    fn labels_follow_the_e_model_satisfaction_categories() {
        // R 80 → MOS 4.02: satisfied; R 60 → MOS 3.10: the edge of "many dissatisfied".
        let at = |mos: f64| judge(Audio, Inbound, &IntervalFacts { mos: Some(mos), ..Default::default() }).unwrap();
        assert_eq!(at(4.03).label, QualityLabel::Excellent);
        assert_eq!(at(3.95).label, QualityLabel::Fair);
        assert_eq!(at(3.11).label, QualityLabel::Fair);
        assert_eq!(at(3.05).label, QualityLabel::Bad);
        assert_eq!(at(1.0).score, 0.0);
    }

    #[test]
    fn dead_media_is_bad_and_silence_sent_is_no_fault() {
        let dead = IntervalFacts { no_media: true, mos: Some(4.4), ..Default::default() };
        assert_eq!(judge(Audio, Inbound, &dead), Some(Verdict { score: 0.0, label: QualityLabel::Bad }));
        assert_eq!(judge(Video, Inbound, &dead), Some(Verdict { score: 0.0, label: QualityLabel::Bad }));
        assert_eq!(judge(Audio, Outbound, &dead), None);
        assert_eq!(judge(Audio, Inbound, &IntervalFacts::default()), None, "nothing measured");
    }

    #[test]
    fn audio_without_rtt_is_still_scored() {
        let f = IntervalFacts { mos_without_rtt: Some(4.4), ..Default::default() };
        assert!(score(Audio, &f) > 4.8);
    }

    /// Sets one fact of an interval.
    type Setter = fn(&mut IntervalFacts, f64);

    /// Each video impairment lowers the score, and more of it lowers it more.
    #[test]
    fn video_impairments_lower_the_score_monotonically() {
        let steps: [(&str, Setter, [f64; 4]); 6] = [
            ("frozen ms", |f, v| f.frozen_ms = Some(v), [0.0, 300.0, 1_000.0, 2_000.0]),
            ("fps", |f, v| f.fps = Some(v), [30.0, 20.0, 10.0, 2.0]),
            ("height", |f, v| f.height = Some(v), [480.0, 240.0, 180.0, 90.0]),
            ("loss", |f, v| f.fraction_lost = Some(v), [0.0, 0.03, 0.08, 0.2]),
            ("rtt", |f, v| f.rtt_ms = Some(v), [2.0, 400.0, 600.0, 900.0]),
            ("jitter", |f, v| f.jitter_ms = Some(v), [3.0, 50.0, 90.0, 150.0]),
        ];
        for (name, set, values) in steps {
            let scores: Vec<f64> = values
                .iter()
                .map(|v| {
                    let mut f = clean_video();
                    set(&mut f, *v);
                    score(Video, &f)
                })
                .collect();
            assert_eq!(scores[0], 5.0, "{name}: {scores:?}");
            assert!(scores.windows(2).all(|w| w[1] < w[0]), "{name}: {scores:?}");
        }
    }

    #[test]
    fn a_collapse_to_thumbnail_size_at_a_few_fps_is_bad() {
        let f = IntervalFacts { height: Some(90.0), fps: Some(4.0), ..clean_video() };
        let v = judge(Video, Inbound, &f).unwrap();
        assert_eq!(v.label, QualityLabel::Bad, "{v:?}");
        // A stream that never was larger than a thumbnail is not a fault.
        let small = IntervalFacts { height: Some(90.0), best_height: Some(90.0), ..clean_video() };
        assert_eq!(score(Video, &small), 5.0);
        // 60 fps at best: 30 fps is still smooth.
        let fast = IntervalFacts { best_fps: Some(60.0), ..clean_video() };
        assert_eq!(score(Video, &fast), 5.0);
    }

    #[test]
    fn a_frozen_interval_is_not_charged_twice_for_its_missing_frames() {
        let f = IntervalFacts { frozen_ms: Some(2_000.0), fps: Some(0.0), ..clean_video() };
        assert_eq!(score(Video, &f), 0.0);
        let half = IntervalFacts { frozen_ms: Some(1_000.0), fps: Some(15.0), ..clean_video() };
        assert!((score(Video, &half) - 2.5).abs() < 1e-9, "{}", score(Video, &half));
    }
}
