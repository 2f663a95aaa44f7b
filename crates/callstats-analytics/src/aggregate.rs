//! Aggregates of an app's closed conferences over a time range: outcome counts, setup-delay
//! percentiles, failure reasons, MOS, score and feedback distributions, relay use, browsers and
//! operating systems. Pure: callers pass the facts of each conference.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

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
    /// Countries (ISO 3166-1 alpha-2) of the participants whose country is known.
    pub countries: Vec<String>,
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

/// Edges of the conference-score histogram.
const SCORE_EDGES: [f64; 6] = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0];
/// Edges of the mean-MOS histogram.
const MOS_EDGES: [f64; 7] = [1.0, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5];

/// The bucket of `v` among `edges` (the last bucket closed), if inside.
fn bucket(edges: &[f64], v: f64) -> Option<usize> {
    let n = edges.len().saturating_sub(1);
    (0..n).find(|&i| v >= edges[i] && (v < edges[i + 1] || (i + 1 == n && v <= edges[i + 1])))
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
    /// Conferences by participant country, where known.
    pub countries: BTreeMap<String, u64>,
}

/// Aggregates a set of conferences.
pub fn aggregate(items: &[ConferenceFacts]) -> Aggregates {
    let mut p = Partial::default();
    for c in items {
        p.add(c);
    }
    p.finish()
}

/// The state of an aggregate before percentiles are taken: it merges, so a range's aggregate can
/// be assembled from stored per-day partials plus the partial days at its ends, and gives the
/// same figures as aggregating every conference at once (setup delays are kept exactly).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Partial {
    total: u64,
    ok: u64,
    partially_failed: u64,
    failed: u64,
    no_fabrics: u64,
    dropped: u64,
    relayed: u64,
    setup_delays: Vec<f64>,
    failure_reasons: BTreeMap<String, u64>,
    score_counts: Vec<u64>,
    mos_counts: Vec<u64>,
    feedback: BTreeMap<String, u64>,
    browsers: BTreeMap<String, u64>,
    oses: BTreeMap<String, u64>,
    countries: BTreeMap<String, u64>,
}

fn add_counts(into: &mut Vec<u64>, from: &[u64]) {
    if into.len() < from.len() {
        into.resize(from.len(), 0);
    }
    for (a, b) in into.iter_mut().zip(from) {
        *a += b;
    }
}

fn add_tally(into: &mut BTreeMap<String, u64>, from: BTreeMap<String, u64>) {
    for (k, v) in from {
        *into.entry(k).or_insert(0) += v;
    }
}

fn count_in(counts: &mut Vec<u64>, edges: &[f64], v: f64) {
    if let Some(i) = bucket(edges, v) {
        counts.resize(edges.len() - 1, 0);
        counts[i] += 1;
    }
}

impl Partial {
    /// Counts one conference.
    pub fn add(&mut self, c: &ConferenceFacts) {
        self.total += 1;
        match c.setup_status.as_str() {
            "ok" => self.ok += 1,
            "partiallyFailed" => self.partially_failed += 1,
            "failed" => self.failed += 1,
            "noFabrics" => self.no_fabrics += 1,
            _ => {}
        }
        self.dropped += u64::from(c.dropped);
        self.relayed += u64::from(c.relayed);
        self.setup_delays.extend_from_slice(&c.setup_delays);
        let tally = |m: &mut BTreeMap<String, u64>, k: String| *m.entry(k).or_insert(0) += 1;
        for r in &c.failure_reasons {
            tally(&mut self.failure_reasons, r.clone());
        }
        for f in &c.feedback {
            tally(&mut self.feedback, format!("{}", f.round() as i64));
        }
        for b in &c.browsers {
            tally(&mut self.browsers, b.clone());
        }
        for o in &c.oses {
            tally(&mut self.oses, o.clone());
        }
        for o in &c.countries {
            tally(&mut self.countries, o.clone());
        }
        if let Some(v) = c.score {
            count_in(&mut self.score_counts, &SCORE_EDGES, v);
        }
        if let Some(v) = c.avg_mos {
            count_in(&mut self.mos_counts, &MOS_EDGES, v);
        }
    }

    /// Adds another partial (of conferences not counted here).
    pub fn merge(&mut self, o: Partial) {
        self.total += o.total;
        self.ok += o.ok;
        self.partially_failed += o.partially_failed;
        self.failed += o.failed;
        self.no_fabrics += o.no_fabrics;
        self.dropped += o.dropped;
        self.relayed += o.relayed;
        self.setup_delays.extend(o.setup_delays);
        add_tally(&mut self.failure_reasons, o.failure_reasons);
        add_counts(&mut self.score_counts, &o.score_counts);
        add_counts(&mut self.mos_counts, &o.mos_counts);
        add_tally(&mut self.feedback, o.feedback);
        add_tally(&mut self.browsers, o.browsers);
        add_tally(&mut self.oses, o.oses);
        add_tally(&mut self.countries, o.countries);
    }

    /// The figures.
    pub fn finish(mut self) -> Aggregates {
        self.setup_delays.sort_by(f64::total_cmp);
        let delays = &self.setup_delays;
        let histogram = |edges: &[f64], mut counts: Vec<u64>| {
            counts.resize(edges.len() - 1, 0);
            Histogram { edges: edges.to_vec(), counts }
        };
        Aggregates {
            total: self.total,
            ok: self.ok,
            partially_failed: self.partially_failed,
            failed: self.failed,
            no_fabrics: self.no_fabrics,
            dropped: self.dropped,
            relayed: self.relayed,
            setup_delay_ms: Percentiles {
                p50: percentile(delays, 50.0),
                p90: percentile(delays, 90.0),
                p99: percentile(delays, 99.0),
            },
            failure_reasons: self.failure_reasons,
            score_histogram: histogram(&SCORE_EDGES, self.score_counts),
            mos_histogram: histogram(&MOS_EDGES, self.mos_counts),
            feedback: self.feedback,
            browsers: self.browsers,
            oses: self.oses,
            countries: self.countries,
        }
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
        assert_eq!(aggregate(&[]).score_histogram.counts, vec![0; 5]);
    }

    #[test]
    fn partials_merged_through_json_equal_one_pass() {
        let items: Vec<ConferenceFacts> = (0..40)
            .map(|i| {
                let mut c = facts(["ok", "partiallyFailed", "failed"][i % 3], (i % 6) as f64 * 0.9, &[i as f64 * 37.5]);
                c.avg_mos = Some(1.0 + (i % 8) as f64 * 0.5);
                c.feedback = vec![(i % 5 + 1) as f64];
                c.failure_reasons = if i % 3 == 2 { vec![format!("Reason{}", i % 2)] } else { vec![] };
                c.oses = vec![["Linux", "macOS"][i % 2].into()];
                c.dropped = i % 7 == 0;
                c
            })
            .collect();
        let mut merged = Partial::default();
        for chunk in items.chunks(9) {
            let mut p = Partial::default();
            chunk.iter().for_each(|c| p.add(c));
            let stored = serde_json::to_string(&p).expect("serialise");
            merged.merge(serde_json::from_str(&stored).expect("parse"));
        }
        assert_eq!(merged.finish(), aggregate(&items));
        assert_eq!(aggregate(&items).score_histogram.counts.iter().sum::<u64>(), 40);
    }
}
