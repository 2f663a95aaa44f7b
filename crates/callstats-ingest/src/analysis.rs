//! Running the analytics over what is stored: the live view of a conference, and closing
//! conferences with their summary.
//!
//! Everything here is recomputed from stored submissions (stream snapshots derived at ingest,
//! raw bodies as a fallback), so the result is the same on any node and after any restart: the
//! closer needs no memory of its own, only the database and the clock.

use std::collections::BTreeMap;

use callstats_analytics::conference::{
    CloseReason, ConferenceSummary, FabricInput, IDLE_CLOSE_MS, Lifecycle, ParticipantInput, ParticipantSummary,
    StreamInput, summarize,
};
use callstats_analytics::fabric::{FabricSignal, FabricView};
use callstats_analytics::quality::{Direction, MediaKind};
use callstats_analytics::score::mostly_on_hold;
use callstats_analytics::streams::{StreamInterval, StreamSnapshot, StreamTracker};
use callstats_store::codec;
use callstats_store::{
    AppId, ConferenceRow, DueConference, Participant, StoredSubmission, SubmissionKind, SubmissionQuery, SummaryRecord,
};
use serde::Serialize;
use serde_json::Value;

use crate::{Ingest, IngestError};

fn field_str(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_owned)
}

/// What a stored event says about its fabric, if anything.
pub(crate) fn signal(event_type: &str, body: &Value, at_ms: f64) -> Option<FabricSignal> {
    let delay = body.get("delay").and_then(Value::as_f64);
    Some(match event_type {
        "fabricSetup" => FabricSignal::Setup {
            delay_ms: delay,
            at_ms,
            usage: field_str(body, "fabricUsage"),
            direction: field_str(body, "fabricTransmissionDirection"),
            remote_endpoint_type: field_str(body, "remoteEndpointType"),
        },
        "fabricSetupFailed" => FabricSignal::SetupFailed {
            delay_ms: delay,
            reason: field_str(body, "reason"),
            function: field_str(body, "function"),
        },
        "fabricStateChange" => FabricSignal::StateChange {
            changed: field_str(body, "changedState")?,
            new_state: field_str(body, "newState")?,
            at_ms,
        },
        "iceDisruptionStart" | "iceConnectionDisruptionStart" => FabricSignal::DisruptionStart { at_ms },
        "iceDisruptionEnd" | "iceConnectionDisruptionEnd" => FabricSignal::DisruptionEnd { at_ms },
        "fabricTransportSwitch" => FabricSignal::TransportSwitch {
            relayed: body.get("relayType").and_then(Value::as_str).map(|r| !r.is_empty() && r != "none"),
        },
        "fabricHold" => FabricSignal::Hold,
        "fabricResume" => FabricSignal::Resume,
        "fabricDropped" => FabricSignal::Dropped,
        "fabricTerminated" => FabricSignal::Terminated,
        _ => return None,
    })
}

/// Whether the fabric's selected candidate pair used a TURN relay, from its fabricSetup body.
fn relayed(setup: &Value) -> Option<bool> {
    let locals = setup.get("localIceCandidates")?.as_array()?;
    let pairs = setup.get("iceCandidatePairs").and_then(Value::as_array);
    let selected_id = field_str(setup, "selectedCandidatePairID");
    let pair = pairs.and_then(|ps| {
        ps.iter()
            .find(|p| selected_id.is_some() && p.get("id").and_then(Value::as_str) == selected_id.as_deref())
            .or_else(|| ps.iter().find(|p| p.get("nominated").and_then(Value::as_bool) == Some(true)))
    });
    let local_id = pair.and_then(|p| p.get("localCandidateId")).and_then(Value::as_str);
    let local = match local_id {
        Some(id) => locals.iter().find(|c| c.get("id").and_then(Value::as_str) == Some(id))?,
        None => locals.first()?,
    };
    let t = local.get("candidateType").and_then(Value::as_str)?;
    Some(t == "relay" || t == "relayed")
}

fn body_json(s: &StoredSubmission) -> Option<Value> {
    let raw = codec::decompress(&s.submission.body, s.submission.body_len as usize).ok()?;
    serde_json::from_slice(&raw).ok()
}

fn snapshots_of(s: &StoredSubmission) -> Vec<StreamSnapshot> {
    if let Some(snaps) = s.submission.derived.as_deref().and_then(crate::normalise::unpack) {
        return snaps;
    }
    body_json(s).map(|b| crate::normalise::snapshots(&b["stats"])).unwrap_or_default()
}

/// A stream's intervals as the API shows them.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamSeries {
    /// Fabric.
    #[serde(rename = "connectionID")]
    pub connection_id: String,
    /// Participant.
    #[serde(rename = "ucID")]
    pub uc_id: Option<String>,
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

/// Everything derived from one conference's stored data.
pub(crate) struct Analysis {
    pub row: ConferenceRow,
    pub feedback: Vec<f64>,
    pub lifecycle: Lifecycle,
    pub participants: Vec<Participant>,
    pub fabrics: Vec<FabricInput>,
    pub series: Vec<StreamSeries>,
    /// Every non-stats submission read for the analysis (events, custom stats, system status),
    /// in time order, so a view built from it agrees with the analysis.
    pub submissions: Vec<StoredSubmission>,
    /// The stats submissions read for the analysis.
    pub stats: Vec<StoredSubmission>,
}

impl Analysis {
    pub(crate) fn summary(&self, close_reason: Option<CloseReason>) -> ConferenceSummary {
        let participants: Vec<ParticipantInput> = self
            .participants
            .iter()
            .map(|p| ParticipantInput {
                uc_id: p.uc_id.clone(),
                user_id: p.user_id.clone(),
                browser: field_str(&p.endpoint, "buildName").or_else(|| field_str(&p.endpoint, "name")),
                browser_version: field_str(&p.endpoint, "buildVersion").or_else(|| field_str(&p.endpoint, "version")),
                os: field_str(&p.endpoint, "os"),
                country: p.country.clone(),
            })
            .collect();
        summarize(&participants, &self.fabrics, self.row.first_seen, self.row.last_seen, close_reason, &self.feedback)
    }
}

/// What a `media/actions` event says: the user's audio or video muted (`true`) or back.
fn media_action(event_type: &str) -> Option<(MediaKind, bool)> {
    Some(match event_type {
        "audioMute" => (MediaKind::Audio, true),
        "audioUnmute" => (MediaKind::Audio, false),
        "videoPause" => (MediaKind::Video, true),
        "videoResume" => (MediaKind::Video, false),
        _ => return None,
    })
}

/// The periods an on/off state lasted (a fabric on hold, a user's audio muted), from the events
/// that start and end it; one still on at the end of the data lasts until then.
#[derive(Default)]
struct Periods {
    closed: Vec<(f64, f64)>,
    open: Option<f64>,
}

impl Periods {
    fn start(&mut self, at: f64) {
        self.open.get_or_insert(at);
    }

    fn stop(&mut self, at: f64) {
        if let Some(start) = self.open.take() {
            self.closed.push((start, at.max(start)));
        }
    }

    fn finish(mut self, end: f64) -> Vec<(f64, f64)> {
        self.stop(end);
        self.closed
    }
}

#[derive(Default)]
struct FabricAcc {
    uc_id: String,
    user_id: Option<String>,
    remote: Option<String>,
    signals: Vec<FabricSignal>,
    hold: Periods,
    relayed: Option<bool>,
    /// Time of its first event (the client reports from `addNewFabric` on).
    first_event_ms: Option<f64>,
}

impl Ingest {
    /// Loads and analyses one conference.
    pub(crate) async fn analyse(&self, app: AppId, conf: &str) -> Result<Analysis, IngestError> {
        let row = self
            .store
            .conference(app, conf)
            .await?
            .ok_or_else(|| IngestError::NotFound(format!("no conference `{conf}` in app {app}")))?;
        let participants = self.store.participants(app, conf).await?;
        let query = |kinds: Vec<SubmissionKind>| SubmissionQuery {
            app_id: app,
            conf_id: Some(conf.to_owned()),
            kinds,
            with_body: true,
            ..Default::default()
        };
        let mut events = self
            .store
            .submissions(&query(vec![SubmissionKind::Event, SubmissionKind::CustomStats, SubmissionKind::SystemStatus]))
            .await?;
        let mut stats = self.store.submissions(&query(vec![SubmissionKind::Stats])).await?;
        let by_time = |a: &StoredSubmission, b: &StoredSubmission| {
            a.submission.timestamp_ms.total_cmp(&b.submission.timestamp_ms).then(a.id.cmp(&b.id))
        };
        events.sort_by(by_time);
        stats.sort_by(by_time);

        let mut lifecycle = Lifecycle::default();
        lifecycle.measured(row.last_seen);
        for p in &participants {
            lifecycle.joined(&p.uc_id);
        }
        let mut fabrics: BTreeMap<String, FabricAcc> = BTreeMap::new();
        let mut feedback = Vec::new();
        // (user, kind) → when the app said that user's audio or video was muted or paused.
        let mut mutes: BTreeMap<(String, MediaKind), Periods> = BTreeMap::new();
        for e in events.iter().filter(|e| e.submission.kind == SubmissionKind::Event) {
            let s = &e.submission;
            let uc = s.uc_id.clone().unwrap_or_default();
            if s.event_type == "userLeft" {
                lifecycle.left(&uc);
                continue;
            }
            if s.event_type == "userFeedbackEvent" {
                let rating = body_json(e).and_then(|b| {
                    let f = b.get("feedback")?;
                    f.get("overallRating").or_else(|| f.get("overall"))?.as_f64()
                });
                feedback.extend(rating);
                continue;
            }
            if let (Some((kind, muted)), Some(user)) = (media_action(&s.event_type), s.user_id.as_deref()) {
                let periods = mutes.entry((user.to_owned(), kind)).or_default();
                if muted {
                    periods.start(s.timestamp_ms);
                } else {
                    periods.stop(s.timestamp_ms);
                }
                continue;
            }
            let Some(conn) = &s.connection_id else { continue };
            let Some(body) = body_json(e) else { continue };
            let Some(sig) = signal(&s.event_type, &body, s.timestamp_ms) else { continue };
            lifecycle.fabric_seen(&uc, conn);
            let f = fabrics.entry(conn.clone()).or_default();
            f.uc_id = uc.clone();
            f.user_id = f.user_id.take().or_else(|| s.user_id.clone());
            f.remote = f.remote.take().or_else(|| s.remote_id.clone());
            f.first_event_ms = Some(f.first_event_ms.map_or(s.timestamp_ms, |t| t.min(s.timestamp_ms)));
            match &sig {
                FabricSignal::Terminated => lifecycle.fabric_terminated(&uc, conn),
                FabricSignal::Hold => f.hold.start(s.timestamp_ms),
                FabricSignal::Resume => f.hold.stop(s.timestamp_ms),
                FabricSignal::Setup { .. } if f.relayed.is_none() => f.relayed = relayed(&body),
                _ => {}
            }
            f.signals.push(sig);
        }

        let mut trackers: BTreeMap<(String, u64, Direction), (StreamTracker, StreamSeries)> = BTreeMap::new();
        for st in &stats {
            let s = &st.submission;
            let Some(conn) = &s.connection_id else { continue };
            let uc = s.uc_id.clone().unwrap_or_default();
            lifecycle.fabric_seen(&uc, conn);
            let f = fabrics.entry(conn.clone()).or_default();
            f.uc_id = uc.clone();
            f.user_id = f.user_id.take().or_else(|| s.user_id.clone());
            f.remote = f.remote.take().or_else(|| s.remote_id.clone());
            for snap in snapshots_of(st) {
                let key = (conn.clone(), snap.ssrc, snap.direction);
                let (tracker, series) = trackers.entry(key).or_insert_with(|| {
                    (
                        StreamTracker::default(),
                        StreamSeries {
                            connection_id: conn.clone(),
                            uc_id: s.uc_id.clone(),
                            ssrc: snap.ssrc,
                            kind: snap.kind,
                            direction: snap.direction,
                            codec: snap.codec.clone(),
                            intervals: Vec::new(),
                        },
                    )
                });
                if series.codec.is_none() {
                    series.codec = snap.codec.clone();
                }
                if let Some(i) = tracker.push(snap) {
                    series.intervals.push(i);
                }
            }
        }
        let end = row.last_seen as f64;
        let mutes: BTreeMap<(String, MediaKind), Vec<(f64, f64)>> =
            mutes.into_iter().map(|(key, periods)| (key, periods.finish(end))).collect();
        let series: Vec<StreamSeries> = trackers
            .into_values()
            .map(|(_, mut s)| {
                // Muted or paused by the app: the sender's own outbound stream and what the far
                // end receives of it are set aside, not judged.
                let f = fabrics.get(&s.connection_id);
                let sender = match s.direction {
                    Direction::Outbound => f.and_then(|f| f.user_id.as_deref()),
                    Direction::Inbound => f.and_then(|f| f.remote.as_deref()),
                };
                callstats_analytics::streams::settle(&mut s.intervals);
                let muted = sender.and_then(|u| mutes.get(&(u.to_owned(), s.kind))).map_or(&[][..], Vec::as_slice);
                for i in s.intervals.iter_mut().filter(|i| mostly_on_hold(i, muted)) {
                    i.set_aside();
                }
                s
            })
            .collect();
        let fabrics = fabrics
            .into_iter()
            .map(|(conn, f)| {
                let hold = f.hold.finish(end);
                FabricInput {
                    streams: series
                        .iter()
                        .filter(|s| s.connection_id == conn)
                        .map(|s| StreamInput {
                            ssrc: s.ssrc,
                            kind: s.kind,
                            direction: s.direction,
                            codec: s.codec.clone(),
                            intervals: s.intervals.clone(),
                        })
                        .collect(),
                    uc_id: f.uc_id,
                    user_id: f.user_id,
                    connection_id: conn,
                    remote_user_id: f.remote,
                    view: {
                        let mut view = FabricView::fold(&f.signals);
                        if let Some(first) = f.first_event_ms {
                            view.infer_setup_delay(first);
                        }
                        view
                    },
                    hold,
                    relayed: f.relayed,
                }
            })
            .collect();
        Ok(Analysis { row, feedback, lifecycle, participants, fabrics, series, submissions: events, stats })
    }

    /// Closes every conference that is due at the service clock's now: everyone left, or
    /// nothing arrived for 30 s. Returns the conferences closed. Safe to run on several nodes:
    /// each conference is claimed through the database first (see
    /// `Store::claim_due_conferences`), and a conference that received data while being
    /// summarised is left open. One conference that cannot be summarised is logged and
    /// handed back; it does not hold up the others.
    pub async fn close_due(&self) -> Result<Vec<(AppId, String)>, IngestError> {
        let now = self.now_ms();
        let due = self.store.claim_due_conferences(now - IDLE_CLOSE_MS, now, CLOSE_LEASE_MS, 200).await?;
        let mut closed = Vec::new();
        for d in due {
            match self.close_one(&d, now).await {
                Ok(true) => closed.push((d.app_id, d.conf_id)),
                outcome => {
                    if let Err(e) = outcome {
                        tracing::error!(app.id = d.app_id, conf.id = %d.conf_id, error = %e, "summarising a conference failed");
                    }
                    self.store.release_conference(d.app_id, &d.conf_id).await?;
                }
            }
        }
        Ok(closed)
    }

    /// Summarises a claimed conference and closes it if it is over; whether it closed.
    async fn close_one(&self, d: &DueConference, now: i64) -> Result<bool, IngestError> {
        let analysis = self.analyse(d.app_id, &d.conf_id).await?;
        let Some(reason) = analysis.lifecycle.close_reason(now) else { return Ok(false) };
        let app = self.app(d.app_id).await?;
        let settings = &app.settings;
        let mut summary = analysis.summary(Some(reason));
        summary.alerts = settings.alerts.check(&summary);
        let record = summary_record(d.app_id, &d.conf_id, now, &summary);
        let webhook = settings.webhook_url.clone().map(|url| {
            let payload = serde_json::json!({
                "event": "conferenceSummary",
                "appID": d.app_id,
                "confID": d.conf_id,
                "closedAt": now,
                "alerts": summary.alerts,
                "summary": summary,
            });
            (url, payload.to_string())
        });
        let closed = self.store.close_conference(&record, d.last_seen, webhook).await?;
        if closed {
            tracing::debug!(app.id = d.app_id, conf.id = %d.conf_id, reason = ?reason, "conference closed");
        }
        Ok(closed)
    }
}

/// How long a node holds a due conference while it summarises it: far longer than a summary
/// takes, and short enough that a node dying mid-close delays that conference by a minute at
/// most.
pub(crate) const CLOSE_LEASE_MS: i64 = 60_000;

impl Ingest {
    /// Runs `close_due` every `every` until the process ends. Failures are logged and retried
    /// on the next tick; nothing is lost because the conferences stay open in the database.
    pub async fn run_closer(self: std::sync::Arc<Self>, every: std::time::Duration) {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = self.close_due().await {
                tracing::error!(error = %e, "closing conferences failed");
            }
        }
    }
}

/// The participants' distinct values of one field, sorted.
fn distinct(s: &ConferenceSummary, field: impl Fn(&ParticipantSummary) -> Option<&String>) -> Vec<String> {
    let set: std::collections::BTreeSet<&String> = s.participants.iter().filter_map(field).collect();
    set.into_iter().cloned().collect()
}

fn summary_record(app: AppId, conf: &str, now: i64, s: &ConferenceSummary) -> SummaryRecord {
    let browsers = distinct(s, |p| p.browser.as_ref());
    let oses = distinct(s, |p| p.os.as_ref());
    let countries = distinct(s, |p| p.country.as_ref());
    SummaryRecord {
        app_id: app,
        conf_id: conf.to_owned(),
        closed_at: now,
        start_ms: s.start_ms,
        end_ms: s.end_ms,
        close_reason: name(&s.close_reason),
        setup_status: name(&s.setup_status),
        dropped: s.dropped,
        relayed: s.relayed,
        user_count: s.user_count as u32,
        score: s.score.score,
        avg_mos: s.avg_mos,
        browsers,
        oses,
        summary_json: serde_json::to_string(s).expect("summary serialises"),
        facts_json: serde_json::json!({
            "setupDelays": s.fabrics.iter().filter_map(|f| f.setup_delay_ms).collect::<Vec<_>>(),
            "failureReasons": s.fabric_setup_errors.iter().map(|e| e.reason.clone().unwrap_or_else(|| "unknown".into())).collect::<Vec<_>>(),
            "feedback": s.feedback,
            "countries": countries,
        })
        .to_string(),
    }
}

/// An enum's serde name, without quotes.
fn name<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use callstats_store::{Submission, SubmissionKind};

    use super::*;

    fn stored(body: &str, derived: Option<Vec<u8>>) -> StoredSubmission {
        StoredSubmission {
            id: 1,
            submission: Submission {
                app_id: 1,
                conf_id: Some("c".into()),
                uc_id: Some("u".into()),
                kind: SubmissionKind::Stats,
                event_type: "stats".into(),
                user_id: None,
                remote_id: None,
                connection_id: Some("pc".into()),
                timestamp_ms: 0.0,
                received_at_ms: 0,
                body: codec::compress(body.as_bytes()),
                body_len: body.len() as u32,
                truncated: false,
                derived,
            },
        }
    }

    #[test]
    fn snapshots_come_from_the_packed_derived_column_then_legacy_text_then_the_body() {
        // Three different streams, so the test sees which source was read.
        let body = r#"{"stats":[{"id":"a","type":"inbound-rtp","kind":"audio","ssrc":1,"bytesReceived":10}]}"#;
        let json =
            |ssrc: u64| format!(r#"[{{"ssrc":{ssrc},"kind":"video","direction":"outbound","timestampMs":5.0}}]"#);
        let ssrcs = |s: &StoredSubmission| snapshots_of(s).iter().map(|s| s.ssrc).collect::<Vec<_>>();
        assert_eq!(ssrcs(&stored(body, Some(codec::pack_text(&json(2))))), [2]);
        assert_eq!(ssrcs(&stored(body, Some(json(3).into_bytes()))), [3]);
        assert_eq!(ssrcs(&stored(body, None)), [1]);
    }
}
