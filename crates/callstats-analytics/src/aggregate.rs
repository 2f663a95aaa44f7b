//! Aggregates of an app's closed conferences over a time range: outcome counts, setup-delay
//! percentiles, failure reasons, MOS, score and feedback distributions, relay use, browsers and
//! operating systems. Pure: callers pass the facts of each conference.

use std::collections::BTreeMap;

use serde::Serialize;

/// What one closed conference contributes.
#[derive(Debug, Clone, Default)]
pub struct ConferenceFacts {
    /// `ok`, `partiallyFailed`, `failed` or `noFabrics`.
    pub setup_status: String,
    /// A fabric dropped after setup.
    pub dropped: bool,
    /// A fabric was relayed.
    pub relayed: bool,
    /// Score, 0–5.
    pub score: Option<f64>,
    /// Mean audio MOS.
    pub avg_mos: Option<f64>,
    /// Setup delays of its fabrics, ms.
    pub setup_delays: Vec<f64>,
    /// Failure reasons of its failed fabrics.
    pub failure_reasons: Vec<String>,
    /// Overall ratings (1–5) users gave.
    pub feedback: Vec<f64>,
    /// Browsers.
    pub browsers: Vec<String>,
    /// Operating systems.
    pub oses: Vec<String>,
}

/// Counts per bucket of a histogram: `buckets[i]` counts values in `[edges[i], edges[i+1])`,
/// the last bucket being closed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Histogram {
    /// Bucket edges.
    pub edges: Vec<f64>,
    /// Counts.
    pub counts: Vec<u64>,
}

impl Histogram {
    fn new(edges: &[f64], values: impl Iterator<Item = f64>) -> Self {
        let mut counts = vec![0u64; edges.len().saturating_sub(1)];
        for v in values {
            let last = counts.len().saturating_sub(1);
            if let Some(i) =
                (0..counts.len()).find(|&i| v >= edges[i] && (v < edges[i + 1] || (i == last && v <= edges[i + 1])))
            {
                counts[i] += 1;
            }
        }
        Histogram { edges: edges.to_vec(), counts }
    }
}

/// Setup-delay percentiles, ms.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Percentiles {
    /// Median.
    pub p50: Option<f64>,
    /// 90th.
    pub p90: Option<f64>,
    /// 99th.
    pub p99: Option<f64>,
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted.get(rank.min(sorted.len()) - 1).copied()
}

/// The aggregates the dashboard's overview shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Aggregates {
    /// Conferences.
    pub total: u64,
    /// Every fabric set up.
    pub ok: u64,
    /// Some fabrics failed.
    pub partially_failed: u64,
    /// All fabrics failed.
    pub failed: u64,
    /// No fabric reported.
    pub no_fabrics: u64,
    /// A fabric dropped after setup.
    pub dropped: u64,
    /// A fabric was relayed.
    pub relayed: u64,
    /// Fabric setup delays.
    pub setup_delay_ms: Percentiles,
    /// Failed setups by reason.
    pub failure_reasons: BTreeMap<String, u64>,
    /// Conference scores.
    pub score_histogram: Histogram,
    /// Conference mean MOS.
    pub mos_histogram: Histogram,
    /// User feedback ratings 1–5.
    pub feedback: BTreeMap<String, u64>,
    /// Conferences by browser.
    pub browsers: BTreeMap<String, u64>,
    /// Conferences by operating system.
    pub oses: BTreeMap<String, u64>,
}

/// Aggregates a set of conferences.
pub fn aggregate(items: &[ConferenceFacts]) -> Aggregates {
    let count = |f: &dyn Fn(&ConferenceFacts) -> bool| items.iter().filter(|c| f(c)).count() as u64;
    let mut delays: Vec<f64> = items.iter().flat_map(|c| c.setup_delays.iter().copied()).collect();
    delays.sort_by(f64::total_cmp);
    let tally = |values: &mut dyn Iterator<Item = String>| {
        let mut m = BTreeMap::new();
        for v in values {
            *m.entry(v).or_insert(0) += 1;
        }
        m
    };
    Aggregates {
        total: items.len() as u64,
        ok: count(&|c| c.setup_status == "ok"),
        partially_failed: count(&|c| c.setup_status == "partiallyFailed"),
        failed: count(&|c| c.setup_status == "failed"),
        no_fabrics: count(&|c| c.setup_status == "noFabrics"),
        dropped: count(&|c| c.dropped),
        relayed: count(&|c| c.relayed),
        setup_delay_ms: Percentiles {
            p50: percentile(&delays, 50.0),
            p90: percentile(&delays, 90.0),
            p99: percentile(&delays, 99.0),
        },
        failure_reasons: tally(&mut items.iter().flat_map(|c| c.failure_reasons.iter().cloned())),
        score_histogram: Histogram::new(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.0], items.iter().filter_map(|c| c.score)),
        mos_histogram: Histogram::new(&[1.0, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5], items.iter().filter_map(|c| c.avg_mos)),
        feedback: tally(&mut items.iter().flat_map(|c| c.feedback.iter().map(|f| format!("{}", f.round() as i64)))),
        browsers: tally(&mut items.iter().flat_map(|c| c.browsers.iter().cloned())),
        oses: tally(&mut items.iter().flat_map(|c| c.oses.iter().cloned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(status: &str, score: f64, delays: &[f64]) -> ConferenceFacts {
        ConferenceFacts {
            setup_status: status.into(),
            score: Some(score),
            avg_mos: Some(4.2),
            setup_delays: delays.to_vec(),
            browsers: vec!["Chrome".into()],
            ..Default::default()
        }
    }

    #[test]
    fn counts_percentiles_and_histograms() {
        let mut items: Vec<ConferenceFacts> = (1..=10).map(|i| facts("ok", 4.5, &[f64::from(i) * 100.0])).collect();
        let mut failed = facts("failed", 0.0, &[]);
        failed.failure_reasons = vec!["IceConnectionFailure".into()];
        failed.feedback = vec![1.0];
        items.push(failed);
        let a = aggregate(&items);
        assert_eq!((a.total, a.ok, a.failed), (11, 10, 1));
        assert_eq!(a.setup_delay_ms.p50, Some(500.0));
        assert_eq!(a.setup_delay_ms.p90, Some(900.0));
        assert_eq!(a.setup_delay_ms.p99, Some(1000.0));
        assert_eq!(a.failure_reasons.get("IceConnectionFailure"), Some(&1));
        assert_eq!(a.score_histogram.counts, vec![1, 0, 0, 0, 10]);
        assert_eq!(a.mos_histogram.counts.iter().sum::<u64>(), 11);
        assert_eq!(a.feedback.get("1"), Some(&1));
        assert_eq!(a.browsers.get("Chrome"), Some(&11));
        assert_eq!(aggregate(&[]).setup_delay_ms, Percentiles::default());
    }
}
