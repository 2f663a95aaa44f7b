//! The conference lifecycle and the summary written when a conference closes.
//!
//! A conference closes when every participant has left or terminated all of its fabrics, or
//! `IDLE_CLOSE_MS` after its last measurement (a crashed browser or closed tab sends nothing
//! more). The decision is a pure function of what was observed and `now`, so the server can
//! re-derive it from storage after a restart and never leave a conference "ongoing" forever.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::alerts::Alert;

use crate::fabric::{FabricState, FabricView};
use crate::quality::{Direction, MediaKind, QualityLabel};
use crate::score::{Score, combine, failed_setup, group_by_pair, mostly_on_hold, stream_score, worst_blend};
use crate::streams::StreamInterval;

/// How long after its last measurement a conference is closed.
pub const IDLE_CLOSE_MS: i64 = 30_000;

/// Why a conference closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum CloseReason {
    /// Every participant left or terminated its fabrics.
    AllLeft,
    /// Nothing arrived for `IDLE_CLOSE_MS`.
    Idle,
}

#[derive(Debug, Default, Clone)]
struct Presence {
    left: bool,
    fabrics: BTreeMap<String, bool>,
}

/// What the closing decision needs to know.
#[derive(Debug, Default, Clone)]
pub struct Lifecycle {
    participants: BTreeMap<String, Presence>,
    last_measurement_ms: Option<i64>,
}

impl Lifecycle {
    /// A participant joined.
    pub fn joined(&mut self, uc: &str) {
        self.participants.entry(uc.to_owned()).or_default();
    }

    /// A participant left (user left).
    pub fn left(&mut self, uc: &str) {
        self.participants.entry(uc.to_owned()).or_default().left = true;
    }

    /// A fabric of a participant was seen (any fabric event or stats).
    pub fn fabric_seen(&mut self, uc: &str, conn: &str) {
        self.participants.entry(uc.to_owned()).or_default().fabrics.entry(conn.to_owned()).or_insert(false);
    }

    /// A fabric was terminated.
    pub fn fabric_terminated(&mut self, uc: &str, conn: &str) {
        self.participants.entry(uc.to_owned()).or_default().fabrics.insert(conn.to_owned(), true);
    }

    /// Something arrived for the conference at `at_ms` (server receive time).
    pub fn measured(&mut self, at_ms: i64) {
        self.last_measurement_ms = Some(self.last_measurement_ms.map_or(at_ms, |l| l.max(at_ms)));
    }

    /// Whether the conference should close at `now_ms`, and why.
    pub fn close_reason(&self, now_ms: i64) -> Option<CloseReason> {
        let done = |p: &Presence| p.left || (!p.fabrics.is_empty() && p.fabrics.values().all(|t| *t));
        if !self.participants.is_empty() && self.participants.values().all(done) {
            return Some(CloseReason::AllLeft);
        }
        match self.last_measurement_ms {
            Some(last) if now_ms - last >= IDLE_CLOSE_MS => Some(CloseReason::Idle),
            _ => None,
        }
    }
}

/// How the conference's connections fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum SetupStatus {
    /// Every fabric was set up.
    Ok,
    /// Some fabrics failed to set up.
    PartiallyFailed,
    /// No fabric was set up and at least one failed.
    Failed,
    /// No fabric was ever reported.
    NoFabrics,
}

/// One stream's measurements, input to the summary.
#[derive(Debug, Clone)]
pub struct StreamInput {
    /// SSRC.
    pub ssrc: u64,
    /// Audio or video.
    pub kind: MediaKind,
    /// Inbound or outbound.
    pub direction: Direction,
    /// Codec.
    pub codec: Option<String>,
    /// Intervals in time order.
    pub intervals: Vec<StreamInterval>,
}

/// One fabric, input to the summary.
#[derive(Debug, Clone)]
pub struct FabricInput {
    /// Participant.
    pub uc_id: String,
    /// Local user.
    pub user_id: Option<String>,
    /// Fabric ID.
    pub connection_id: String,
    /// Remote user.
    pub remote_user_id: Option<String>,
    /// Lifecycle.
    pub view: FabricView,
    /// Streams.
    pub streams: Vec<StreamInput>,
    /// Hold periods (start, end), epoch ms, excluded from quality.
    pub hold: Vec<(f64, f64)>,
    /// Whether the selected candidate pair went through a TURN relay, when known.
    pub relayed: Option<bool>,
}

/// One participant, input to the summary.
#[derive(Debug, Clone)]
pub struct ParticipantInput {
    /// ucID.
    pub uc_id: String,
    /// User.
    pub user_id: String,
    /// Browser name.
    pub browser: Option<String>,
    /// Browser version.
    pub browser_version: Option<String>,
    /// Operating system.
    pub os: Option<String>,
    /// Country (ISO 3166-1 alpha-2), when known.
    pub country: Option<String>,
}

/// Summary of one stream.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamSummary {
    /// SSRC.
    pub ssrc: u64,
    /// Audio or video.
    pub kind: MediaKind,
    /// Inbound or outbound.
    pub direction: Direction,
    /// Codec.
    pub codec: Option<String>,
    /// Measured time, ms.
    pub duration_ms: f64,
    /// Mean throughput, kbit/s.
    pub avg_bitrate_kbps: Option<f64>,
    /// Mean loss, percent.
    pub avg_loss_pct: Option<f64>,
    /// Mean RTT, ms.
    pub avg_rtt_ms: Option<f64>,
    /// Mean jitter, ms.
    pub avg_jitter_ms: Option<f64>,
    /// Mean MOS (audio).
    pub avg_mos: Option<f64>,
    /// Lowest interval MOS (audio).
    pub min_mos: Option<f64>,
    /// Mean frame rate (video).
    pub avg_fps: Option<f64>,
    /// Time frozen, ms (inbound video).
    pub frozen_ms: f64,
    /// Share of measured time labelled excellent / fair / bad.
    pub label_shares: LabelShares,
    /// Score and reasons.
    #[serde(flatten)]
    pub score: Score,
}

/// Share of time per label.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct LabelShares {
    /// Excellent.
    pub excellent: f64,
    /// Fair.
    pub fair: f64,
    /// Bad.
    pub bad: f64,
}

/// Summary of one fabric.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FabricSummary {
    /// Fabric ID.
    #[serde(rename = "connectionID")]
    pub connection_id: String,
    /// Participant.
    #[serde(rename = "ucID")]
    pub uc_id: String,
    /// Local user.
    #[serde(rename = "userID")]
    pub user_id: Option<String>,
    /// Remote user.
    #[serde(rename = "remoteUserID")]
    pub remote_user_id: Option<String>,
    /// Final state (the termination status).
    pub state: FabricState,
    /// Setup delay, ms.
    pub setup_delay_ms: Option<f64>,
    /// Failure reason.
    pub failure_reason: Option<String>,
    /// Relayed through TURN.
    pub relayed: Option<bool>,
    /// Time on hold, ms.
    pub hold_ms: f64,
    /// Connectivity losses after setup.
    pub disruptions: usize,
    /// Their total length, ms (those that ended).
    pub disrupted_ms: f64,
    /// Selected candidate pair changes.
    pub transport_switches: u32,
    /// Streams.
    pub streams: Vec<StreamSummary>,
    /// Score and reasons.
    #[serde(flatten)]
    pub score: Score,
}

/// Summary of one participant.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ParticipantSummary {
    /// ucID.
    #[serde(rename = "ucID")]
    pub uc_id: String,
    /// User.
    #[serde(rename = "userID")]
    pub user_id: String,
    /// Browser.
    pub browser: Option<String>,
    /// Browser version.
    pub browser_version: Option<String>,
    /// OS.
    pub os: Option<String>,
    /// Country (ISO 3166-1 alpha-2), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Score and reasons.
    #[serde(flatten)]
    pub score: Score,
}

/// min / max / mean / median of setup delays.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Distribution {
    /// Values.
    pub count: usize,
    /// Smallest.
    pub min: Option<f64>,
    /// Largest.
    pub max: Option<f64>,
    /// Mean.
    pub mean: Option<f64>,
    /// Median.
    pub median: Option<f64>,
}

impl Distribution {
    /// Of a set of values.
    pub fn of(values: &[f64]) -> Self {
        if values.is_empty() {
            return Distribution::default();
        }
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        let n = v.len();
        Distribution {
            count: n,
            min: v.first().copied(),
            max: v.last().copied(),
            mean: Some(v.iter().sum::<f64>() / n as f64),
            median: crate::streams::median(&v),
        }
    }
}

/// A failed fabric setup.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SetupError {
    /// Fabric.
    #[serde(rename = "connectionID")]
    pub connection_id: String,
    /// Participant.
    #[serde(rename = "ucID")]
    pub uc_id: String,
    /// Reason.
    pub reason: Option<String>,
    /// Failed function.
    pub function: Option<String>,
    /// Failure delay, ms.
    pub delay_ms: Option<f64>,
}

/// What is stored when a conference closes: the fields of callstats' conference summary and
/// our scores.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConferenceSummary {
    /// Start, epoch ms.
    pub start_ms: i64,
    /// End, epoch ms.
    pub end_ms: i64,
    /// Why it closed; `None` for a provisional summary of an ongoing conference.
    pub close_reason: Option<CloseReason>,
    /// Setup status.
    pub setup_status: SetupStatus,
    /// Whether any fabric dropped after being set up.
    pub dropped: bool,
    /// Distinct users.
    pub user_count: usize,
    /// Users.
    pub users: Vec<String>,
    /// Setup delays.
    pub fabric_setup_times: Distribution,
    /// Failed setups.
    pub fabric_setup_errors: Vec<SetupError>,
    /// Mean audio MOS over all audio streams.
    pub avg_mos: Option<f64>,
    /// Whether any fabric was relayed.
    pub relayed: bool,
    /// Overall ratings (1–5) users gave.
    pub feedback: Vec<f64>,
    /// Participants.
    pub participants: Vec<ParticipantSummary>,
    /// Fabrics with their stream summaries.
    pub fabrics: Vec<FabricSummary>,
    /// Conference score and reasons.
    #[serde(flatten)]
    pub score: Score,
    /// The app's alert thresholds this conference crossed (set when it closes).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alerts: Vec<Alert>,
}

fn mean_of(intervals: &[&StreamInterval], f: impl Fn(&StreamInterval) -> Option<f64>) -> Option<f64> {
    let mut sum = 0.0;
    let mut weight = 0.0;
    for i in intervals {
        if let Some(v) = f(i) {
            let d = (i.end_ms - i.start_ms).max(0.0);
            sum += v * d;
            weight += d;
        }
    }
    (weight > 0.0).then(|| sum / weight)
}

/// A sum that is +0.0 when empty (`Iterator::sum` of no `f64` gives -0.0, which JSON shows).
fn total(values: impl Iterator<Item = f64>) -> f64 {
    values.fold(0.0, |a, b| a + b)
}

fn summarize_stream(s: &StreamInput, hold: &[(f64, f64)]) -> StreamSummary {
    let kept: Vec<&StreamInterval> = s.intervals.iter().filter(|i| !i.paused && !mostly_on_hold(i, hold)).collect();
    let duration_ms = total(kept.iter().map(|i| (i.end_ms - i.start_ms).max(0.0)));
    let mut shares = LabelShares::default();
    for i in &kept {
        let d = (i.end_ms - i.start_ms).max(0.0) / duration_ms.max(1.0);
        match i.label {
            QualityLabel::Excellent => shares.excellent += d,
            QualityLabel::Fair => shares.fair += d,
            QualityLabel::Bad => shares.bad += d,
            QualityLabel::Unknown => {}
        }
    }
    StreamSummary {
        ssrc: s.ssrc,
        kind: s.kind,
        direction: s.direction,
        codec: s.codec.clone(),
        duration_ms,
        avg_bitrate_kbps: mean_of(&kept, |i| i.bitrate_kbps),
        avg_loss_pct: mean_of(&kept, |i| i.fraction_lost.map(|f| f * 100.0)),
        avg_rtt_ms: mean_of(&kept, |i| i.rtt_ms),
        avg_jitter_ms: mean_of(&kept, |i| i.jitter_ms),
        avg_mos: mean_of(&kept, |i| i.mos),
        min_mos: kept.iter().filter_map(|i| i.mos).min_by(f64::total_cmp),
        avg_fps: mean_of(&kept, |i| i.fps),
        frozen_ms: total(kept.iter().filter_map(|i| i.frozen_ms)),
        label_shares: shares,
        score: stream_score(s.kind, s.direction, &s.intervals, hold),
    }
}

/// Builds the summary of a closed conference.
pub fn summarize(
    participants: &[ParticipantInput],
    fabrics: &[FabricInput],
    start_ms: i64,
    end_ms: i64,
    close_reason: Option<CloseReason>,
    feedback: &[f64],
) -> ConferenceSummary {
    let fabric_summaries: Vec<FabricSummary> = fabrics
        .iter()
        .map(|f| {
            let streams: Vec<StreamSummary> = f.streams.iter().map(|s| summarize_stream(s, &f.hold)).collect();
            let never_set_up = !f.view.set_up && f.view.failure_reason.is_some();
            let disrupted_ms = total(f.view.disruptions.iter().filter_map(|d| d.duration_ms()));
            let score = if never_set_up {
                failed_setup(f.view.failure_reason.as_deref())
            } else {
                let labels: Vec<String> =
                    streams.iter().map(|s| format!("{} {}", dir_word(s.direction), kind_word(s.kind))).collect();
                let mut score = combine(labels.iter().map(String::as_str).zip(streams.iter().map(|s| &s.score)), 5);
                if !f.view.disruptions.is_empty() {
                    // A lost connection hurts more than any stream metric shows: up to 2 points,
                    // one per 15 s without connectivity.
                    score.score = score.score.map(|v| (v - (disrupted_ms / 15_000.0).min(2.0)).max(0.0));
                    score.reasons.insert(
                        0,
                        crate::score::Reason {
                            metric: "disruption".into(),
                            text: format!(
                                "connection lost {}× for {} s",
                                f.view.disruptions.len(),
                                (disrupted_ms / 1000.0).round()
                            ),
                            value: disrupted_ms / 1000.0,
                            duration_ms: disrupted_ms,
                        },
                    );
                }
                score
            };
            FabricSummary {
                connection_id: f.connection_id.clone(),
                uc_id: f.uc_id.clone(),
                user_id: f.user_id.clone(),
                remote_user_id: f.remote_user_id.clone(),
                state: f.view.state,
                setup_delay_ms: f.view.setup_delay_ms,
                failure_reason: f.view.failure_reason.clone(),
                relayed: f.relayed,
                hold_ms: total(f.hold.iter().map(|(a, b)| (b - a).max(0.0))),
                disruptions: f.view.disruptions.len(),
                disrupted_ms,
                transport_switches: f.view.transport_switches,
                streams,
                score,
            }
        })
        .collect();

    let participant_summaries: Vec<ParticipantSummary> = participants
        .iter()
        .map(|p| {
            let mine: Vec<&FabricSummary> = fabric_summaries.iter().filter(|f| f.uc_id == p.uc_id).collect();
            let labels: Vec<String> =
                mine.iter().map(|f| format!("to {}", f.remote_user_id.as_deref().unwrap_or("?"))).collect();
            ParticipantSummary {
                uc_id: p.uc_id.clone(),
                user_id: p.user_id.clone(),
                browser: p.browser.clone(),
                browser_version: p.browser_version.clone(),
                os: p.os.clone(),
                country: p.country.clone(),
                score: combine(labels.iter().map(String::as_str).zip(mine.iter().map(|f| &f.score)), 5),
            }
        })
        .collect();

    let set_up = fabrics.iter().filter(|f| f.view.set_up).count();
    let failed = fabrics.iter().filter(|f| !f.view.set_up && f.view.failure_reason.is_some()).count();
    let setup_status = match (fabrics.is_empty(), set_up, failed) {
        (true, _, _) => SetupStatus::NoFabrics,
        (false, 0, f) if f > 0 => SetupStatus::Failed,
        (false, _, f) if f > 0 => SetupStatus::PartiallyFailed,
        _ => SetupStatus::Ok,
    };
    let delays: Vec<f64> = fabrics.iter().filter_map(|f| f.view.setup_delay_ms).collect();
    let mut users: Vec<String> = participants.iter().map(|p| p.user_id.clone()).collect();
    users.sort();
    users.dedup();
    let audio_mos: Vec<f64> =
        fabric_summaries.iter().flat_map(|f| f.streams.iter()).filter_map(|s| s.avg_mos).collect();
    let participant_scores: Vec<f64> = participant_summaries.iter().filter_map(|p| p.score.score).collect();
    // The conference's reasons, one line per pair of users and problem (both ends' streams and
    // connections between them folded together).
    let user_of = |uc: &str| participants.iter().find(|p| p.uc_id == uc).map(|p| p.user_id.as_str());
    let mut items: Vec<(&str, &str, &crate::score::Reason)> = Vec::new();
    for f in &fabric_summaries {
        let me = f.user_id.as_deref().or_else(|| user_of(&f.uc_id)).unwrap_or(f.uc_id.as_str());
        let them = f.remote_user_id.as_deref().unwrap_or("?");
        for st in &f.streams {
            items.extend(st.score.reasons.iter().map(|r| (me, them, r)));
        }
        items.extend(
            f.score
                .reasons
                .iter()
                .filter(|r| matches!(r.metric.as_str(), "setupFailed" | "disruption"))
                .map(|r| (me, them, r)),
        );
    }
    let conference_score = Score { score: worst_blend(&participant_scores), reasons: group_by_pair(items, 8) };
    ConferenceSummary {
        start_ms,
        end_ms,
        close_reason,
        setup_status,
        dropped: fabrics.iter().any(|f| f.view.state == FabricState::Dropped),
        user_count: users.len(),
        users,
        fabric_setup_times: Distribution::of(&delays),
        fabric_setup_errors: fabrics
            .iter()
            .filter(|f| f.view.failure_reason.is_some())
            .map(|f| SetupError {
                connection_id: f.connection_id.clone(),
                uc_id: f.uc_id.clone(),
                reason: f.view.failure_reason.clone(),
                function: f.view.failure_function.clone(),
                delay_ms: f.view.failure_delay_ms,
            })
            .collect(),
        avg_mos: (!audio_mos.is_empty()).then(|| audio_mos.iter().sum::<f64>() / audio_mos.len() as f64),
        relayed: fabrics.iter().any(|f| f.relayed == Some(true)),
        feedback: feedback.to_vec(),
        score: conference_score,
        alerts: Vec::new(),
        participants: participant_summaries,
        fabrics: fabric_summaries,
    }
}

fn dir_word(d: Direction) -> &'static str {
    match d {
        Direction::Inbound => "received",
        Direction::Outbound => "sent",
    }
}

fn kind_word(k: MediaKind) -> &'static str {
    match k {
        MediaKind::Audio => "audio",
        MediaKind::Video => "video",
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::fabric::FabricSignal;

    #[test]
    fn closes_when_everyone_left_or_after_thirty_idle_seconds() {
        let mut l = Lifecycle::default();
        assert_eq!(l.close_reason(1_000_000), None, "nothing observed");
        l.joined("a");
        l.joined("b");
        l.fabric_seen("a", "c1");
        l.measured(10_000);
        assert_eq!(l.close_reason(39_999), None);
        assert_eq!(l.close_reason(40_000), Some(CloseReason::Idle));
        l.fabric_terminated("a", "c1");
        assert_eq!(l.close_reason(20_000), None, "b is still there");
        l.left("b");
        assert_eq!(l.close_reason(20_000), Some(CloseReason::AllLeft));
        l.measured(50_000);
        assert_eq!(l.close_reason(60_000), Some(CloseReason::AllLeft));
    }

    /// Alice and Bob: two connections set up in 200 and 400 ms, one of Bob's failed (ICE).
    pub(crate) fn sample_summary() -> ConferenceSummary {
        let ok = FabricView::fold(&[FabricSignal::Setup {
            delay_ms: Some(200.0),
            at_ms: 200.0,
            usage: None,
            direction: None,
            remote_endpoint_type: None,
        }]);
        let ok2 = FabricView::fold(&[FabricSignal::Setup {
            delay_ms: Some(400.0),
            at_ms: 400.0,
            usage: None,
            direction: None,
            remote_endpoint_type: None,
        }]);
        let failed = FabricView::fold(&[FabricSignal::SetupFailed {
            delay_ms: Some(5000.0),
            reason: Some("IceConnectionFailure".into()),
            function: None,
        }]);
        let fabric = |uc: &str, conn: &str, view: FabricView| FabricInput {
            uc_id: uc.into(),
            user_id: Some(uc.into()),
            connection_id: conn.into(),
            remote_user_id: Some("x".into()),
            view,
            streams: vec![],
            hold: vec![],
            relayed: Some(false),
        };
        let participants = vec![
            ParticipantInput {
                uc_id: "a".into(),
                user_id: "alice".into(),
                browser: Some("Chrome".into()),
                browser_version: None,
                os: None,
                country: Some("FI".into()),
            },
            ParticipantInput {
                uc_id: "b".into(),
                user_id: "bob".into(),
                browser: None,
                browser_version: None,
                os: None,
                country: None,
            },
        ];
        summarize(
            &participants,
            &[fabric("a", "1", ok), fabric("b", "2", ok2), fabric("b", "3", failed)],
            0,
            60_000,
            Some(CloseReason::AllLeft),
            &[4.0],
        )
    }

    #[test]
    fn summary_counts_setups_and_failures() {
        let s = sample_summary();
        assert_eq!(s.feedback, vec![4.0]);
        assert_eq!(s.setup_status, SetupStatus::PartiallyFailed);
        assert_eq!(s.user_count, 2);
        assert_eq!(s.fabric_setup_times.count, 2);
        assert_eq!(s.fabric_setup_times.median, Some(300.0));
        assert_eq!(s.fabric_setup_errors.len(), 1);
        assert_eq!(s.fabric_setup_errors[0].reason.as_deref(), Some("IceConnectionFailure"));
        // bob's failed fabric scores 0 and says why; alice's unmeasured fabric has no score.
        assert_eq!(s.participants[1].score.score, Some(0.0));
        assert!(s.score.reasons[0].text.contains("IceConnectionFailure"), "{:?}", s.score.reasons);
    }

    #[test]
    fn distribution() {
        let d = Distribution::of(&[3.0, 1.0, 2.0]);
        assert_eq!((d.min, d.max, d.mean, d.median), (Some(1.0), Some(3.0), Some(2.0), Some(2.0)));
        assert_eq!(Distribution::of(&[]).count, 0);
    }
}
