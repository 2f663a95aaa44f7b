//! Integration progress: which steps of the callstats.js integration guide an app has been seen
//! doing, when first and last, and what to do about the steps not seen yet.
//!
//! Recording must not cost the hot path a write per request: a step is written at most once a
//! minute per app and node, with the count of what happened since.

use std::collections::HashMap;
use std::sync::Mutex;

use callstats_store::{AppId, Write};
use serde::Serialize;

use crate::{Ingest, IngestError};

/// How often one step of one app is written, at most.
const RECORD_EVERY_MS: i64 = 60_000;

/// The steps, in the guide's order: (name, title, what to do when it has not been seen).
pub const STEPS: &[(&str, &str, &str)] = &[
    (
        "initialized",
        "SDK initialised",
        "Call callstats.initialize(AppID, AppSecret or tokenGenerator, userID, …) after the page loads; check csInitCallback for authError.",
    ),
    (
        "fabricAdded",
        "Fabric added",
        "Call addNewFabric(pc, remoteUserID, fabricUsage, conferenceID) right after creating each RTCPeerConnection.",
    ),
    (
        "errorReported",
        "Error reported",
        "Pass failures of createOffer, createAnswer, setLocalDescription, setRemoteDescription, addIceCandidate and getUserMedia to reportError(pc, conferenceID, webRTCFunction, error).",
    ),
    (
        "fabricEvent",
        "Fabric event sent",
        "Call sendFabricEvent on mute/unmute, video pause/resume, screen share, hold/resume, dominant speaker and device changes, and fabricTerminated on hang-up.",
    ),
    (
        "mstAssociated",
        "Media track associated",
        "Call associateMstWithUserID(pc, userID, conferenceID, ssrc, usageLabel, videoTag) so streams are attributed to the right participant (the original callstats-js 3.73.16 does not report it in current Chrome).",
    ),
    (
        "userFeedback",
        "User feedback",
        "Ask users to rate the call and send it with sendUserFeedback(conferenceID, {userID, overall}, callback).",
    ),
    (
        "statsReceived",
        "Stats received",
        "Stats flow once a fabric connects; with the original callstats-js pass configParams.collectLegacyStats = false, or today's Chrome sends none.",
    ),
    (
        "applicationLog",
        "Application log",
        "Send your own errors with reportError(pc, conferenceID, callstats.webRTCFunctions.applicationLog, error).",
    ),
    (
        "defaultConfig",
        "Default configuration fetched",
        "Register callstats.on('defaultConfig', cb) and set the default RTCPeerConnection configuration in the app settings.",
    ),
];

/// The step an accepted event counts towards, if any.
pub fn step_of(event_type: &str) -> Option<&'static str> {
    Some(match event_type {
        "userJoined" | "fabricSetup" => "fabricAdded",
        "fabricSetupFailed" => "errorReported",
        "audioMute" | "audioUnmute" | "videoPause" | "videoResume" | "screenShareStart" | "screenShareStop"
        | "fabricHold" | "fabricResume" | "dominantSpeaker" | "activeDeviceList" | "fabricTerminated" => "fabricEvent",
        "userFeedbackEvent" => "userFeedback",
        "stats" => "statsReceived",
        "applicationErrorLog" => "applicationLog",
        _ => return None,
    })
}

/// One step of the progress report.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StepProgress {
    /// Step name.
    pub step: &'static str,
    /// Title.
    pub title: &'static str,
    /// Whether it has been seen.
    pub done: bool,
    /// First seen, epoch ms.
    pub first_seen: Option<i64>,
    /// Last seen, epoch ms.
    pub last_seen: Option<i64>,
    /// Times seen.
    pub count: u64,
    /// What to do next, for a step not seen yet.
    pub next: Option<&'static str>,
}

/// When a step was last written, and how often it happened since.
type Pending = (Option<i64>, u32);

#[derive(Default)]
pub(crate) struct Recorder {
    pending: Mutex<HashMap<(AppId, &'static str), Pending>>,
}

impl Recorder {
    /// Counts one occurrence; returns the write to make when the step is due for recording.
    pub(crate) fn note(&self, app: AppId, step: &'static str, now: i64) -> Option<Write> {
        let mut map = self.pending.lock().expect("progress lock");
        let entry = map.entry((app, step)).or_insert((None, 0));
        entry.1 += 1;
        if entry.0.is_some_and(|last| now - last < RECORD_EVERY_MS) {
            return None;
        }
        let count = std::mem::take(&mut entry.1);
        entry.0 = Some(now);
        Some(Write::Activity { app_id: app, step: step.to_owned(), at_ms: now, count })
    }
}

impl Ingest {
    pub(crate) fn note_step(&self, app: AppId, step: &'static str) -> Option<Write> {
        self.progress.note(app, step, self.now_ms())
    }

    /// Records a step outside a submission's write (authentication, configuration fetch).
    pub(crate) async fn record_step(&self, app: AppId, step: &'static str) {
        if let Some(w) = self.note_step(app, step)
            && let Err(e) = self.store.write(vec![w]).await
        {
            tracing::warn!(app.id = app, step, error = %e, "could not record integration progress");
        }
    }

    /// The app's integration progress, step by step.
    pub async fn integration_progress(&self, app: AppId) -> Result<Vec<StepProgress>, IngestError> {
        self.app(app).await?;
        let rows = self.store.activity(app).await?;
        Ok(STEPS
            .iter()
            .map(|(step, title, next)| {
                let row = rows.iter().find(|r| r.step == *step);
                StepProgress {
                    step,
                    title,
                    done: row.is_some(),
                    first_seen: row.map(|r| r.first_seen),
                    last_seen: row.map(|r| r.last_seen),
                    count: row.map_or(0, |r| r.count),
                    next: row.is_none().then_some(*next),
                }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_at_most_once_a_minute_with_the_count() {
        let r = Recorder::default();
        assert!(matches!(r.note(1, "statsReceived", 0), Some(Write::Activity { count: 1, .. })));
        assert!(r.note(1, "statsReceived", 1_000).is_none());
        assert!(r.note(1, "statsReceived", 59_999).is_none());
        assert!(matches!(r.note(1, "statsReceived", 60_000), Some(Write::Activity { count: 3, .. })));
        assert!(r.note(2, "statsReceived", 60_001).is_some(), "per app");
    }

    #[test]
    fn every_step_has_guidance_and_every_mapped_event_a_step() {
        for e in ["userJoined", "fabricSetupFailed", "audioMute", "userFeedbackEvent", "stats", "applicationErrorLog"] {
            let step = step_of(e).unwrap();
            assert!(STEPS.iter().any(|(s, _, _)| *s == step), "{e}");
        }
        assert_eq!(STEPS.len(), 9);
    }
}
