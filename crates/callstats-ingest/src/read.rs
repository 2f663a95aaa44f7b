//! The read side: what the JSON API shows of a conference, assembled from stored submissions.
//!
//! Fabrics are not stored as rows: they are folded from their events by `callstats-analytics`
//! each time, so a better fold (or a fix) applies to conferences already stored.

use std::collections::BTreeMap;

use callstats_analytics::fabric::FabricView;
use callstats_store::codec;
use callstats_store::{
    AppId, ConferenceFilter, ConferenceRow, Participant, StoredSubmission, SubmissionKind, SubmissionQuery,
};
use serde::Serialize;
use serde_json::Value;

use crate::{Ingest, IngestError};

/// A participant as the API shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ParticipantView {
    /// ucID.
    #[serde(rename = "ucID")]
    pub uc_id: String,
    /// Local user ID.
    #[serde(rename = "userID")]
    pub user_id: String,
    /// Device ID.
    #[serde(rename = "deviceID")]
    pub device_id: String,
    /// Browser name and version.
    pub browser: NameVersion,
    /// Operating system name and version.
    pub os: NameVersion,
    /// SDK version.
    pub sdk_version: Option<String>,
    /// Application version (`endpointInfo.appVersion`).
    pub app_version: Option<String>,
    /// Client timestamp of the join.
    pub joined_at: f64,
    /// Country (ISO 3166-1 alpha-2) from the trusted proxy header, when configured and sent.
    pub country: Option<String>,
    /// `endpointInfo` as sent.
    pub endpoint: Value,
}

/// A name and a version.
#[derive(Debug, Serialize)]
pub struct NameVersion {
    /// Name.
    pub name: Option<String>,
    /// Version.
    pub version: Option<String>,
}

fn text(v: &Value, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| v.get(*k).and_then(Value::as_str).map(str::to_owned))
}

impl From<Participant> for ParticipantView {
    fn from(p: Participant) -> Self {
        let e = &p.endpoint;
        ParticipantView {
            browser: NameVersion {
                name: text(e, &["buildName", "name"]),
                version: text(e, &["buildVersion", "version"]),
            },
            os: NameVersion { name: text(e, &["os"]), version: text(e, &["osVersion"]) },
            app_version: text(e, &["appVersion"]),
            uc_id: p.uc_id,
            user_id: p.user_id,
            device_id: p.device_id,
            sdk_version: p.sdk_version,
            joined_at: p.joined_at,
            country: p.country,
            endpoint: p.endpoint,
        }
    }
}

/// One stored body.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubmissionView {
    /// Arrival sequence number.
    pub id: i64,
    /// Request kind.
    pub kind: SubmissionKind,
    /// `eventType`.
    pub event_type: String,
    /// Client timestamp, epoch ms.
    pub timestamp: f64,
    /// Server receive time, epoch ms.
    pub received_at: i64,
    /// Participant.
    #[serde(rename = "ucID")]
    pub uc_id: Option<String>,
    /// Local user.
    #[serde(rename = "userID")]
    pub user_id: Option<String>,
    /// Fabric.
    #[serde(rename = "connectionID")]
    pub connection_id: Option<String>,
    /// Remote user.
    #[serde(rename = "remoteID")]
    pub remote_id: Option<String>,
    /// Whether the body was cut to the size limit.
    pub truncated: bool,
    /// Body size as received (or as stored after truncation), bytes.
    pub size_bytes: u32,
    /// The body as received.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// Why the stored body could not be read (it is then absent); the rest of the page is shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_error: Option<String>,
}

/// A stored body as JSON. Bodies are checked at ingest, but one stored before a limit existed
/// (or damaged on disk) must cost only itself, not the page it is on.
fn stored_body(id: i64, sub: &callstats_store::Submission) -> Result<Value, String> {
    let raw = codec::decompress(&sub.body, sub.body_len as usize).map_err(|e| e.to_string())?;
    serde_json::from_slice(&raw).map_err(|e| {
        tracing::warn!(submission.id = id, error = %e, "a stored body is not readable JSON");
        format!("stored body is not readable JSON: {e}")
    })
}

fn view(s: StoredSubmission) -> SubmissionView {
    let sub = s.submission;
    let (body, body_error) = match stored_body(s.id, &sub) {
        Ok(v) => (Some(v), None),
        Err(e) => (None, Some(e)),
    };
    SubmissionView {
        id: s.id,
        kind: sub.kind,
        event_type: sub.event_type,
        timestamp: sub.timestamp_ms,
        received_at: sub.received_at_ms,
        uc_id: sub.uc_id,
        user_id: sub.user_id,
        connection_id: sub.connection_id,
        remote_id: sub.remote_id,
        truncated: sub.truncated,
        size_bytes: sub.body_len,
        body,
        body_error,
    }
}

/// A fabric as the API shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FabricEntry {
    /// The fabric's `connectionID`.
    #[serde(rename = "connectionID")]
    pub connection_id: String,
    /// Participant owning it.
    #[serde(rename = "ucID")]
    pub uc_id: Option<String>,
    /// Local user.
    #[serde(rename = "localUserID")]
    pub local_user_id: Option<String>,
    /// Remote user.
    #[serde(rename = "remoteUserID")]
    pub remote_user_id: Option<String>,
    /// Lifecycle.
    #[serde(flatten)]
    pub view: FabricView,
    /// Whether the selected candidate pair is relayed (TURN), when known.
    pub relayed: Option<bool>,
    /// Stats submissions received for it.
    pub stats_count: usize,
}

/// The stats samples of one fabric (metadata; bodies via the stats endpoint).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatsSeries {
    /// Fabric.
    #[serde(rename = "connectionID")]
    pub connection_id: String,
    /// Participant.
    #[serde(rename = "ucID")]
    pub uc_id: Option<String>,
    /// Remote user.
    #[serde(rename = "remoteID")]
    pub remote_id: Option<String>,
    /// Local user.
    #[serde(rename = "userID")]
    pub user_id: Option<String>,
    /// Samples in arrival order.
    pub samples: Vec<SampleView>,
}

/// One stats sample's metadata.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SampleView {
    /// Arrival sequence number.
    pub id: i64,
    /// Client timestamp.
    pub timestamp: f64,
    /// Server receive time.
    pub received_at: i64,
    /// Body size, bytes.
    pub size_bytes: u32,
}

/// Everything the API shows of one conference.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConferenceDetail {
    /// Conference ID.
    #[serde(rename = "confID")]
    pub conf_id: String,
    /// First receive time.
    pub first_seen: i64,
    /// Last receive time.
    pub last_seen: i64,
    /// `ongoing` or `closed`.
    pub status: &'static str,
    /// When it closed.
    pub closed_at: Option<i64>,
    /// Participants by join time.
    pub participants: Vec<ParticipantView>,
    /// Fabrics.
    pub fabrics: Vec<FabricEntry>,
    /// Every non-stats submission in client-time order, with bodies.
    pub events: Vec<SubmissionView>,
    /// Failures reported with `reportError` and application logs.
    pub errors: Vec<SubmissionView>,
    /// User feedback.
    pub feedback: Vec<SubmissionView>,
    /// Stats samples per fabric.
    pub stats: Vec<StatsSeries>,
    /// Per-stream intervals (rates, loss, delay, MOS, label).
    pub streams: Vec<crate::analysis::StreamSeries>,
    /// The summary with scores and reasons.
    pub summary: Value,
}

impl Ingest {
    /// An app's conferences matching `filter`, most recent first.
    pub async fn list_conferences(
        &self,
        app: AppId,
        filter: &ConferenceFilter,
    ) -> Result<Vec<ConferenceRow>, IngestError> {
        self.app(app).await?;
        Ok(self.store.conferences(app, filter).await?)
    }

    /// One conference with everything stored about it: participants, fabrics, events, stats
    /// samples, per-stream intervals, and its summary (the stored one once closed, a provisional
    /// one while ongoing).
    pub async fn conference_detail(&self, app: AppId, conf: &str) -> Result<ConferenceDetail, IngestError> {
        // One read of the conference serves both the analysis and the lists below, so the
        // fabrics' states and the events shown always agree.
        let mut analysis = self.analyse(app, conf).await?;
        let events = std::mem::take(&mut analysis.submissions);
        let stats = std::mem::take(&mut analysis.stats);
        let mut events: Vec<SubmissionView> = events.into_iter().map(view).collect();
        events.sort_by(|a, b| a.timestamp.total_cmp(&b.timestamp).then(a.id.cmp(&b.id)));

        let mut series: BTreeMap<String, StatsSeries> = BTreeMap::new();
        for s in stats {
            let sub = s.submission;
            let Some(conn) = sub.connection_id.clone() else { continue };
            series
                .entry(conn.clone())
                .or_insert_with(|| StatsSeries {
                    connection_id: conn,
                    uc_id: sub.uc_id.clone(),
                    remote_id: sub.remote_id.clone(),
                    user_id: sub.user_id.clone(),
                    samples: Vec::new(),
                })
                .samples
                .push(SampleView {
                    id: s.id,
                    timestamp: sub.timestamp_ms,
                    received_at: sub.received_at_ms,
                    size_bytes: sub.body_len,
                });
        }
        let fabrics = analysis
            .fabrics
            .iter()
            .map(|f| FabricEntry {
                connection_id: f.connection_id.clone(),
                uc_id: Some(f.uc_id.clone()),
                local_user_id: f.user_id.clone(),
                remote_user_id: f.remote_user_id.clone(),
                view: f.view.clone(),
                relayed: f.relayed,
                stats_count: series.get(&f.connection_id).map_or(0, |s| s.samples.len()),
            })
            .collect();
        // An unreadable stored summary gives way to a provisional one, like an open conference's.
        let stored = match self.store.summary(app, conf).await? {
            Some(stored) if analysis.row.closed_at.is_some() => serde_json::from_str(&stored.summary_json)
                .map_err(|e| {
                    tracing::warn!(app.id = app, conf.id = conf, error = %e, "a stored summary is not readable JSON");
                })
                .ok(),
            _ => None,
        };
        let summary =
            stored.unwrap_or_else(|| serde_json::to_value(analysis.summary(None)).expect("summary serialises"));
        let pick = |types: &[&str]| -> Vec<SubmissionView> {
            events.iter().filter(|e| types.contains(&e.event_type.as_str())).cloned().collect()
        };
        Ok(ConferenceDetail {
            errors: pick(&["fabricSetupFailed", "applicationErrorLog"]),
            feedback: pick(&["userFeedbackEvent"]),
            conf_id: analysis.row.conf_id.clone(),
            first_seen: analysis.row.first_seen,
            last_seen: analysis.row.last_seen,
            status: if analysis.row.closed_at.is_some() { "closed" } else { "ongoing" },
            closed_at: analysis.row.closed_at,
            participants: analysis.participants.into_iter().map(ParticipantView::from).collect(),
            fabrics,
            events,
            stats: series.into_values().collect(),
            streams: analysis.series,
            summary,
        })
    }

    /// Stats submissions of a conference with their bodies, optionally for one fabric.
    pub async fn stats_samples(
        &self,
        app: AppId,
        conf: &str,
        connection: Option<&str>,
        limit: u32,
    ) -> Result<Vec<SubmissionView>, IngestError> {
        self.store
            .conference(app, conf)
            .await?
            .ok_or_else(|| IngestError::NotFound(format!("no conference `{conf}` in app {app}")))?;
        let rows = self
            .store
            .submissions(&SubmissionQuery {
                app_id: app,
                conf_id: Some(conf.to_owned()),
                kinds: vec![SubmissionKind::Stats],
                connection_id: connection.map(str::to_owned),
                with_body: true,
                limit,
            })
            .await?;
        Ok(rows.into_iter().map(view).collect())
    }

    /// App-level submissions (no conference): generics, pre-call results, sender configurations.
    pub async fn app_submissions(
        &self,
        app: AppId,
        kind: Option<SubmissionKind>,
        limit: u32,
    ) -> Result<Vec<SubmissionView>, IngestError> {
        self.app(app).await?;
        let rows = self
            .store
            .submissions(&SubmissionQuery {
                app_id: app,
                conf_id: None,
                kinds: kind.into_iter().collect(),
                with_body: true,
                limit,
                ..Default::default()
            })
            .await?;
        Ok(rows.into_iter().map(view).collect())
    }
}
