//! The overview's aggregates over a time range of closed conferences.
//!
//! A 30-day range of a busy app covers ~100,000 summaries; reading them all for each page view
//! costs half a second. Whole UTC days are instead read from stored per-day partials (built on
//! first use, merged in memory), and only the partial days at the ends of the range are read
//! summary by summary. A rollup is trusted only at the version its day had when it was built (a
//! close moves it on, see the store), so the figures are the same as a full scan, on every node.
//! A day's rollup holds one partial for everything, one per browser, per OS, per browser and OS
//! pair, per country and per user count, so the overview's filters are served from it too, alone
//! and browser with OS; other combinations read the summaries.

use callstats_analytics::aggregate::{Aggregates, ConferenceFacts, Partial};
use callstats_store::{AppId, DAY_MS, RollupKeys, RollupPart, SummaryRecord, utc_day};
use serde::Serialize;

use crate::{Ingest, IngestError};

/// Which closed conferences an aggregate covers.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AggregateFilter {
    /// Conferences that started at or after this, epoch ms (default: 7 days before `to`; at
    /// most `Limits::max_aggregate_days` before it).
    pub from: Option<i64>,
    /// … and before this, epoch ms (default: now; at most a day from now).
    pub to: Option<i64>,
    /// Only conferences with a participant on this browser.
    pub browser: Option<String>,
    /// Only conferences with a participant on this OS.
    pub os: Option<String>,
    /// Only conferences with a participant from this country (ISO 3166-1 alpha-2; known only
    /// when `serve --country-header` names a header a proxy in front sets).
    pub country: Option<String>,
    /// Only conferences with at least this many users.
    pub min_users: Option<u32>,
    /// Only conferences with at most this many users.
    pub max_users: Option<u32>,
    /// Read every summary even where day rollups could answer (for checks and benchmarks; not
    /// settable over HTTP).
    #[serde(skip)]
    pub force_scan: bool,
}

/// Which partials of a day rollup answer a filter.
enum Parts {
    /// One key.
    Key(String),
    /// Every `users:N` key with N in the range.
    Users(u32, u32),
}

impl Parts {
    /// What to ask the store for.
    fn keys(&self) -> RollupKeys<'_> {
        match self {
            Parts::Key(k) => RollupKeys::Exact(k),
            Parts::Users(..) => RollupKeys::Prefix("users:"),
        }
    }

    fn admits(&self, key: &str) -> bool {
        match self {
            Parts::Key(k) => k == key,
            Parts::Users(lo, hi) => {
                key.strip_prefix("users:").and_then(|n| n.parse::<u32>().ok()).is_some_and(|n| (*lo..=*hi).contains(&n))
            }
        }
    }
}

/// The partials a conference is counted in, from its user count and facts.
fn rollup_keys(user_count: u32, f: &ConferenceFacts) -> Vec<String> {
    let mut keys = vec!["all".to_owned(), format!("users:{user_count}")];
    keys.extend(f.browsers.iter().map(|b| browser_key(b)));
    keys.extend(f.oses.iter().map(|o| os_key(o)));
    // "A participant on browser B and one on OS O", the pair filter's meaning (see `admits`):
    // every pair of the conference's browsers and OSes.
    for b in &f.browsers {
        keys.extend(f.oses.iter().map(|o| pair_key(b, o)));
    }
    keys.extend(f.countries.iter().map(|c| country_key(c)));
    keys.sort();
    keys.dedup();
    keys
}

fn browser_key(browser: &str) -> String {
    format!("browser:{}", browser.to_ascii_lowercase())
}

fn os_key(os: &str) -> String {
    format!("os:{}", os.to_ascii_lowercase())
}

fn pair_key(browser: &str, os: &str) -> String {
    format!("{}|{}", browser_key(browser), os_key(os))
}

fn country_key(country: &str) -> String {
    format!("country:{}", country.to_ascii_lowercase())
}

/// A day's partials by key.
type DayParts = std::collections::BTreeMap<String, Partial>;

/// What the keys of a stored day rollup mean; a rollup of another layout is rebuilt. 1: all,
/// browser, OS, user count; 2: browser and OS pairs; 3: countries; 4: parts stored as rows.
const ROLLUP_LAYOUT: i64 = 4;

/// How many whole days before today the rollup keeper keeps current: the overview's longest
/// preset range.
const ROLLUP_DAYS: i64 = 31;

impl AggregateFilter {
    /// The rollup partials that answer this filter, or `None` when only a scan can.
    fn parts(&self) -> Option<Parts> {
        let users = self.min_users.is_some() || self.max_users.is_some();
        if let Some(c) = &self.country {
            let alone = self.browser.is_none() && self.os.is_none() && !users;
            return alone.then(|| Parts::Key(country_key(c)));
        }
        match (&self.browser, &self.os, users) {
            (None, None, false) => Some(Parts::Key("all".into())),
            (Some(b), None, false) => Some(Parts::Key(browser_key(b))),
            (None, Some(o), false) => Some(Parts::Key(os_key(o))),
            (Some(b), Some(o), false) => Some(Parts::Key(pair_key(b, o))),
            (None, None, true) => Some(Parts::Users(self.min_users.unwrap_or(0), self.max_users.unwrap_or(u32::MAX))),
            _ => None,
        }
    }

    /// The part of the filter that needs the summary's facts.
    fn admits_facts(&self, f: &ConferenceFacts) -> bool {
        self.country.as_ref().is_none_or(|c| f.countries.iter().any(|x| x.eq_ignore_ascii_case(c)))
    }

    fn admits(&self, r: &SummaryRecord) -> bool {
        self.browser.as_ref().is_none_or(|b| r.browsers.iter().any(|x| x.eq_ignore_ascii_case(b)))
            && self.os.as_ref().is_none_or(|o| r.oses.iter().any(|x| x.eq_ignore_ascii_case(o)))
            && self.min_users.is_none_or(|m| r.user_count >= m)
            && self.max_users.is_none_or(|m| r.user_count <= m)
    }
}

/// Aggregates with the range they cover.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AggregateReport {
    /// Start of the range, epoch ms.
    pub from: i64,
    /// End of the range, epoch ms.
    pub to: i64,
    /// How many whole days came from stored rollups (the rest was read summary by summary).
    pub days_from_rollups: u32,
    /// The figures.
    #[serde(flatten)]
    pub aggregates: Aggregates,
}

/// What a stored summary contributes to an aggregate.
fn facts(r: SummaryRecord) -> ConferenceFacts {
    #[derive(serde::Deserialize, Default)]
    #[serde(default, rename_all = "camelCase")]
    struct Facts {
        setup_delays: Vec<f64>,
        failure_reasons: Vec<String>,
        feedback: Vec<f64>,
        countries: Vec<String>,
    }
    let facts: Facts = serde_json::from_str(&r.facts_json).unwrap_or_default();
    ConferenceFacts {
        setup_delays: facts.setup_delays,
        failure_reasons: facts.failure_reasons,
        feedback: facts.feedback,
        countries: facts.countries,
        setup_status: r.setup_status,
        dropped: r.dropped,
        relayed: r.relayed,
        score: r.score,
        avg_mos: r.avg_mos,
        browsers: r.browsers,
        oses: r.oses,
    }
}

fn partial_of(records: Vec<SummaryRecord>, filter: &AggregateFilter) -> Partial {
    let mut p = Partial::default();
    for r in records.into_iter().filter(|r| filter.admits(r)) {
        let f = facts(r);
        if filter.admits_facts(&f) {
            p.add(&f);
        }
    }
    p
}

/// A day's rollup: every partial of its summaries.
fn day_parts(records: Vec<SummaryRecord>) -> DayParts {
    let mut parts = DayParts::new();
    parts.entry("all".into()).or_default();
    for r in records {
        let users = r.user_count;
        let f = facts(r);
        for k in rollup_keys(users, &f) {
            parts.entry(k).or_default().add(&f);
        }
    }
    parts
}

/// A day's partials as the store keeps them.
fn stored_parts(parts: &DayParts) -> Vec<RollupPart> {
    parts
        .iter()
        .map(|(k, p)| RollupPart { key: k.clone(), partial: serde_json::to_string(p).expect("a partial serialises") })
        .collect()
}

/// The partial that `parts` selects from the stored parts a query returned; `None` when one
/// cannot be read.
fn select(stored: &[RollupPart], parts: &Parts) -> Option<Partial> {
    let mut out = Partial::default();
    for p in stored.iter().filter(|p| parts.admits(&p.key)) {
        out.merge(serde_json::from_str(&p.partial).ok()?);
    }
    Some(out)
}

impl Ingest {
    /// Aggregates of an app's closed conferences.
    pub async fn aggregates(&self, app: AppId, f: &AggregateFilter) -> Result<AggregateReport, IngestError> {
        self.app(app).await?;
        // Clamped, so that a range at the ends of i64 neither overflows nor walks billions of
        // days: `to` at most a day ahead, the range at most `Limits::max_aggregate_days` long.
        let now = self.now_ms();
        let to = f.to.unwrap_or(now + 1).clamp(0, now + DAY_MS);
        let longest = i64::from(self.limits.max_aggregate_days) * DAY_MS;
        let from = f.from.unwrap_or(to - 7 * DAY_MS).max(to - longest);
        if from >= to {
            return Err(IngestError::BadRequest("`from` must be before `to`".into()));
        }
        // Whole days inside the range; none when it is shorter than a day or the filter combines.
        let (first_day, end_day) = (utc_day(from + DAY_MS - 1), utc_day(to));
        let parts = f.parts().filter(|_| first_day < end_day && !f.force_scan);
        let Some(parts) = parts else {
            let p = partial_of(self.store.summaries(app, from, to).await?, f);
            return Ok(AggregateReport { from, to, days_from_rollups: 0, aggregates: p.finish() });
        };
        let mut total = partial_of(self.store.summaries(app, from, first_day * DAY_MS).await?, f);
        total.merge(partial_of(self.store.summaries(app, end_day * DAY_MS, to).await?, f));
        let mut stored = self.store.rollups(app, first_day, end_day, parts.keys()).await?.into_iter().peekable();
        let mut days_from_rollups = 0;
        for day in first_day..end_day {
            // A rollup of another layout (or unreadable) is rebuilt.
            let current = stored.next_if(|r| r.day == day).filter(|r| r.layout == ROLLUP_LAYOUT);
            if let Some(p) = current.and_then(|r| select(&r.parts, &parts)) {
                days_from_rollups += 1;
                total.merge(p);
                continue;
            }
            // The page need not wait for the cache write; a failed one only costs a rebuild.
            let (version, day_parts) = self.build_day(app, day).await?;
            let rows = stored_parts(&day_parts);
            let store = std::sync::Arc::clone(&self.store);
            tokio::spawn(async move {
                if let Err(e) = store.put_rollup(app, day, version, ROLLUP_LAYOUT, rows).await {
                    tracing::warn!(error = %e, app, day, "storing a day rollup failed");
                }
            });
            for (_, p) in day_parts.into_iter().filter(|(k, _)| parts.admits(k)) {
                total.merge(p);
            }
        }
        Ok(AggregateReport { from, to, days_from_rollups, aggregates: total.finish() })
    }

    /// A day's rollup from its summaries, with the version they were read at.
    async fn build_day(&self, app: AppId, day: i64) -> Result<(i64, DayParts), IngestError> {
        let (version, records) = self.store.day_summaries(app, day).await?;
        Ok((version, day_parts(records)))
    }

    /// Rebuilds the stale day rollups of the last `ROLLUP_DAYS` whole days of every app, so the
    /// overview rarely has to; returns how many were stored. Safe on several nodes at once: a
    /// rollup is stored with the version it was read at and counts only while that is current.
    pub async fn refresh_rollups(&self) -> Result<usize, IngestError> {
        let today = utc_day(self.now_ms());
        let mut stored = 0;
        for app in self.store.apps().await? {
            for day in self.store.stale_rollup_days(app.id, today - ROLLUP_DAYS, today).await? {
                let (version, day_parts) = self.build_day(app.id, day).await?;
                self.store.put_rollup(app.id, day, version, ROLLUP_LAYOUT, stored_parts(&day_parts)).await?;
                stored += 1;
            }
        }
        Ok(stored)
    }

    /// Runs `refresh_rollups` every `every` until the process ends, one node at a time (see
    /// `my_turn`); failures are logged and retried on the next turn (the overview builds
    /// what is missing meanwhile).
    pub async fn run_rollup_keeper(self: std::sync::Arc<Self>, every: std::time::Duration) {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if !self.my_turn("rollups", every).await {
                continue;
            }
            match self.refresh_rollups().await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(days = n, "day rollups refreshed"),
                Err(e) => tracing::error!(error = %e, "refreshing day rollups failed"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(i: usize, browser: &str, os: &str, countries: &[&str]) -> SummaryRecord {
        SummaryRecord {
            app_id: 1,
            conf_id: format!("c{i}"),
            closed_at: 0,
            start_ms: 0,
            end_ms: 0,
            close_reason: "allLeft".into(),
            setup_status: "ok".into(),
            dropped: false,
            relayed: i.is_multiple_of(2),
            user_count: 2,
            score: Some(4.0),
            avg_mos: Some(4.2),
            browsers: vec![browser.into()],
            oses: vec![os.into()],
            summary_json: String::new(),
            facts_json: serde_json::json!({"setupDelays": [100.0 + i as f64], "countries": countries}).to_string(),
        }
    }

    /// Every filter a day rollup answers gives what reading the summaries gives.
    #[test]
    fn rollup_parts_match_a_scan() {
        let records = vec![
            record(0, "Chrome", "Linux", &["FI"]),
            record(1, "Firefox", "Linux", &["FI", "SE"]),
            record(2, "Chrome", "Windows", &[]),
            record(3, "Chrome", "Linux", &["SE"]),
        ];
        let stored = stored_parts(&day_parts(records.clone()));
        let filters = [
            AggregateFilter::default(),
            AggregateFilter { country: Some("fi".into()), ..Default::default() },
            AggregateFilter { country: Some("SE".into()), ..Default::default() },
            AggregateFilter { browser: Some("chrome".into()), os: Some("LINUX".into()), ..Default::default() },
            AggregateFilter { min_users: Some(2), ..Default::default() },
        ];
        let expected_totals = [4, 2, 2, 2, 4];
        for (f, total) in filters.iter().zip(expected_totals) {
            let parts = f.parts().expect("answered by rollups");
            let rolled = select(&stored, &parts).expect("readable").finish();
            let scanned = partial_of(records.clone(), f).finish();
            assert_eq!(rolled, scanned, "{f:?}");
            assert_eq!(rolled.total, total, "{f:?}");
        }
        let combined =
            AggregateFilter { country: Some("FI".into()), browser: Some("Chrome".into()), ..Default::default() };
        assert!(combined.parts().is_none(), "a country with another filter scans");
        assert_eq!(partial_of(records, &combined).finish().total, 1);
    }
}
