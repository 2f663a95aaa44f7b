//! Alert thresholds of an app, checked against each conference when it closes. A support team
//! sets them once (score below 3, setup slower than 2 s, any failed setup…) and then only looks
//! at conferences that crossed one; each alert says which threshold and by how much, so the
//! webhook receiver or the dashboard can show it without re-deriving anything.

use serde::{Deserialize, Serialize};

use crate::conference::{ConferenceSummary, SetupStatus};

/// What makes a closed conference alert. Every threshold is optional; none set means no alerts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Thresholds {
    /// Conference score (0–5) below this.
    pub min_score: Option<f64>,
    /// Mean audio MOS (1–5) below this.
    pub min_mos: Option<f64>,
    /// Slowest connection setup above this, ms.
    pub max_setup_delay_ms: Option<f64>,
    /// Any connection failed to set up.
    pub on_setup_failure: bool,
    /// Any connection dropped after it was set up.
    pub on_drop: bool,
}

/// Which threshold a conference crossed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AlertKind {
    /// Score below `minScore`.
    LowScore,
    /// Mean MOS below `minMos`.
    LowMos,
    /// Setup slower than `maxSetupDelayMs`.
    SlowSetup,
    /// A connection failed to set up.
    SetupFailure,
    /// A connection dropped.
    Drop,
}

/// One crossed threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Which.
    pub kind: AlertKind,
    /// For people, e.g. "score 1.6 below 3.0".
    pub text: String,
}

impl Thresholds {
    /// Why the settings cannot be used, naming the field.
    pub fn problem(&self) -> Option<String> {
        let outside = |v: Option<f64>, lo: f64, hi: f64| v.is_some_and(|v| !(lo..=hi).contains(&v));
        if outside(self.min_score, 0.0, 5.0) {
            return Some("alerts.minScore must be between 0 and 5".into());
        }
        if outside(self.min_mos, 1.0, 5.0) {
            return Some("alerts.minMos must be between 1 and 5".into());
        }
        if outside(self.max_setup_delay_ms, 1.0, 600_000.0) {
            return Some("alerts.maxSetupDelayMs must be between 1 and 600000".into());
        }
        None
    }

    /// The thresholds a closed conference crossed, in the order of the fields.
    pub fn check(&self, s: &ConferenceSummary) -> Vec<Alert> {
        let mut out = Vec::new();
        let mut alert = |kind, text| out.push(Alert { kind, text });
        if let (Some(min), Some(score)) = (self.min_score, s.score.score)
            && score < min
        {
            alert(AlertKind::LowScore, format!("score {score:.1} below {min:.1}"));
        }
        if let (Some(min), Some(mos)) = (self.min_mos, s.avg_mos)
            && mos < min
        {
            alert(AlertKind::LowMos, format!("audio MOS {mos:.2} below {min:.2}"));
        }
        if let (Some(max), Some(slowest)) = (self.max_setup_delay_ms, s.fabric_setup_times.max)
            && slowest > max
        {
            alert(AlertKind::SlowSetup, format!("setup took {slowest:.0} ms, over {max:.0} ms"));
        }
        if self.on_setup_failure && matches!(s.setup_status, SetupStatus::Failed | SetupStatus::PartiallyFailed) {
            let n = s.fabric_setup_errors.len();
            alert(AlertKind::SetupFailure, format!("{n} connection{} failed to set up", if n == 1 { "" } else { "s" }));
        }
        if self.on_drop && s.dropped {
            alert(AlertKind::Drop, "a connection dropped".into());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conference::tests::sample_summary;

    #[test]
    fn each_threshold_alerts_only_when_crossed() {
        let s = sample_summary();
        assert!(Thresholds::default().check(&s).is_empty(), "no thresholds, no alerts");
        let slowest = s.fabric_setup_times.max.expect("two setups");
        let score = s.score.score.expect("scored");
        let t = Thresholds {
            min_score: Some(score + 0.1),
            max_setup_delay_ms: Some(slowest - 1.0),
            on_setup_failure: true,
            on_drop: true,
            min_mos: Some(4.0),
        };
        let kinds: Vec<AlertKind> = t.check(&s).iter().map(|a| a.kind).collect();
        // No audio was measured (no MOS) and nothing dropped: those stay quiet.
        assert_eq!(kinds, vec![AlertKind::LowScore, AlertKind::SlowSetup, AlertKind::SetupFailure]);
        assert_eq!(t.check(&s)[1].text, "setup took 400 ms, over 399 ms");
        assert_eq!(t.check(&s)[2].text, "1 connection failed to set up");
        let relaxed = Thresholds { min_score: Some(score), max_setup_delay_ms: Some(slowest), ..t };
        assert_eq!(relaxed.check(&s).len(), 1, "at the threshold is not over it");
    }

    #[test]
    fn out_of_range_thresholds_are_named() {
        assert_eq!(
            Thresholds { min_score: Some(6.0), ..Default::default() }.problem().as_deref(),
            Some("alerts.minScore must be between 0 and 5")
        );
        assert!(Thresholds { min_mos: Some(0.5), ..Default::default() }.problem().is_some());
        assert!(Thresholds { max_setup_delay_ms: Some(0.0), ..Default::default() }.problem().is_some());
        assert_eq!(Thresholds { min_score: Some(3.0), min_mos: Some(3.5), ..Default::default() }.problem(), None);
    }
}
