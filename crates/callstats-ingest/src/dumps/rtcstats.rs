//! rtcstats dumps: one JSON array per line, `[method, pcId, value, timestamp]`.
//!
//! What is read:
//!
//! * `connectionInfo` (first line): the user agent (browser, version, OS) and the page URL.
//! * `identity`: the conference name (`confName`, `roomName`), user (`displayName`, `userId`)
//!   and device, when the app put them there; otherwise the URL's path names the conference.
//! * `create` opens a connection (the fabric, named by `pcId`); `close` ends it.
//! * `oniceconnectionstatechange`, `onsignalingstatechange`, `onicegatheringstatechange`,
//!   `onconnectionstatechange`: state changes; the first ICE `connected`/`completed` is the
//!   fabric's setup (delay from `create`), `failed` before it a setup failure
//!   (`IceConnectionFailure`), `disconnected` after it a disruption until it reconnects, and
//!   `failed` after it a drop.
//! * `getstats`: the poll's reports, each sent with only the members that changed since the
//!   previous poll of the same connection (jitsi's delta compression); they are folded back into
//!   whole reports, stamped with the line's time.
//! * `setLocalDescription` / `setRemoteDescription`: the SDP, as an SDP submission.
//! * Every other call and callback (`createOffer`, `addIceCandidate`, `onicecandidate`,
//!   `getUserMedia` and their `OnSuccess`/`OnFailure`, …): the API trace, one custom event each
//!   (`eventList: [{type: method, value}]`), so the timeline shows the call's signalling.
//!
//! Ignored: lines with no time, and app-specific lines (`faceLandmarks`, `dominantSpeaker`, …)
//! beyond being traced. A line that is not a JSON array of that shape fails the import, naming
//! the line.

use std::collections::{HashMap, HashSet, VecDeque};
use std::io::BufRead;

use serde_json::{Map, Value, json};

use super::{DumpError, endpoint_of};
use crate::import::ImportRecord;

/// Reads an rtcstats dump into the records a callstats.js client would have sent.
pub struct Records<R> {
    lines: std::io::Lines<R>,
    line_no: usize,
    app: u64,
    /// Stands in for the conference when the dump names none, and keeps each file its own
    /// conference.
    digest: String,
    conf: Option<String>,
    user: String,
    device: String,
    endpoint: Option<Value>,
    joined: bool,
    last_at: f64,
    pending: VecDeque<ImportRecord>,
    pcs: HashMap<String, Pc>,
    done: bool,
    started: bool,
}

#[derive(Default)]
struct Pc {
    created_at: Option<f64>,
    connected: bool,
    disrupted: bool,
    failed: bool,
    states: HashMap<&'static str, String>,
    /// Every report of the connection as last polled.
    reports: HashMap<String, Map<String, Value>>,
    remote: Option<String>,
    closed: bool,
    /// ICE connected at (time, setup delay): the setup is written with the first poll after
    /// it, which says which candidates the connection uses.
    setup_pending: Option<(f64, f64)>,
}

/// The selected candidate pair of a poll and its two candidates, as `fabricSetup` carries
/// them (callstats-js sends the same members, which the analysis reads for `relayed`).
fn candidates(list: &[Value]) -> Value {
    let by_id = |id: Option<&str>| list.iter().find(|r| id.is_some() && r.get("id").and_then(Value::as_str) == id);
    let selected_id = list
        .iter()
        .filter(|r| r.get("type").and_then(Value::as_str) == Some("transport"))
        .find_map(|t| t.get("selectedCandidatePairId").and_then(Value::as_str));
    let pair = by_id(selected_id).or_else(|| {
        list.iter().find(|r| {
            r.get("type").and_then(Value::as_str) == Some("candidate-pair")
                && (r.get("selected") == Some(&Value::Bool(true))
                    || (r.get("nominated") == Some(&Value::Bool(true))
                        && r.get("state").and_then(Value::as_str) == Some("succeeded")))
        })
    });
    let Some(pair) = pair else { return json!({}) };
    let local = by_id(pair.get("localCandidateId").and_then(Value::as_str));
    let remote = by_id(pair.get("remoteCandidateId").and_then(Value::as_str));
    json!({
        "selectedCandidatePairID": pair.get("id"),
        "iceCandidatePairs": [pair],
        "localIceCandidates": local.into_iter().collect::<Vec<_>>(),
        "remoteIceCandidates": remote.into_iter().collect::<Vec<_>>(),
    })
}

/// Which state machine a callback reports on, as `fabricStateChange.changedState` names it.
fn state_kind(method: &str) -> Option<&'static str> {
    Some(match method {
        "oniceconnectionstatechange" => "iceConnectionState",
        "onsignalingstatechange" => "signalingState",
        "onicegatheringstatechange" => "iceGatheringState",
        "onconnectionstatechange" => "connectionState",
        _ => return None,
    })
}

impl<R: BufRead> Records<R> {
    /// Records of the dump read from `reader`, for `app`; `digest` identifies the file.
    pub fn new(reader: R, app: u64, digest: &str) -> Self {
        Records {
            lines: reader.lines(),
            line_no: 0,
            app,
            digest: digest.to_owned(),
            conf: None,
            user: String::from("dump-user"),
            device: format!("dump-{digest}"),
            endpoint: None,
            joined: false,
            last_at: 0.0,
            pending: VecDeque::new(),
            pcs: HashMap::new(),
            done: false,
            started: false,
        }
    }

    /// The conference the records go to (known once the first record is out).
    pub fn conference(&self) -> String {
        let name = self.conf.clone().unwrap_or_else(|| "dump".to_owned());
        format!("{name}-{}", self.digest)
    }

    fn err(&self, what: impl Into<String>) -> DumpError {
        DumpError::Line { line: self.line_no, what: what.into() }
    }

    fn path(&self, route: &str) -> String {
        let conf =
            percent_encoding::utf8_percent_encode(&self.conference(), percent_encoding::NON_ALPHANUMERIC).to_string();
        if route.is_empty() {
            format!("/v1/apps/{}/conferences/{conf}", self.app)
        } else {
            // The importer maps this recorded ucID to the one the join gave.
            format!("/v1/apps/{}/conferences/{conf}/dump/{route}", self.app)
        }
    }

    fn push(&mut self, route: &str, event_type: &str, pc: Option<&str>, at: f64, extra: Value) {
        let mut body = json!({
            "localID": self.user, "deviceID": self.device, "timestamp": at, "eventType": event_type,
        });
        let obj = body.as_object_mut().expect("an object");
        if let Some(pc) = pc {
            obj.insert("connectionID".into(), Value::from(pc));
            let remote = self.pcs.get(pc).and_then(|p| p.remote.clone()).unwrap_or_else(|| format!("{pc}-remote"));
            obj.insert("remoteID".into(), Value::from(remote));
        }
        if let Value::Object(extra) = extra {
            obj.extend(extra);
        }
        self.pending.push_back(ImportRecord {
            path: self.path(route),
            body,
            received_at: Some(at as i64),
            country: None,
        });
    }

    fn join(&mut self, at: f64) {
        if self.joined {
            return;
        }
        self.joined = true;
        let endpoint = self.endpoint.clone().unwrap_or_else(|| endpoint_of(""));
        self.push("", "userJoined", None, at, json!({ "endpointInfo": endpoint }));
    }

    /// Reads one line into records.
    fn line(&mut self, text: &str) -> Result<(), DumpError> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(());
        }
        let v: Value = serde_json::from_str(text).map_err(|e| self.err(format!("not JSON ({e})")))?;
        let Value::Array(parts) = v else {
            return Err(if self.line_no == 1 {
                DumpError::Foreign("the first line is not a JSON array `[method, pcId, value, timestamp]`".into())
            } else {
                self.err("not an array `[method, pcId, value, timestamp]`")
            });
        };
        let method = parts.first().and_then(Value::as_str).ok_or_else(|| self.err("no method name first"))?.to_owned();
        if !self.started {
            self.started = true;
            if method != "connectionInfo" && method != "create" && method != "identity" {
                return Err(DumpError::Foreign(format!("line 1 is `{method}`, not `connectionInfo`")));
            }
        }
        let pc = parts.get(1).and_then(Value::as_str).map(str::to_owned);
        let value = parts.get(2).cloned().unwrap_or(Value::Null);
        let Some(at) = parts.get(3).and_then(Value::as_f64) else {
            return Ok(());
        };
        if !(at.is_finite() && at > 0.0) {
            return Err(self.err(format!("time {at} is not an epoch in ms")));
        }
        self.last_at = self.last_at.max(at);
        match method.as_str() {
            "connectionInfo" => {
                let ua = value.get("userAgent").and_then(Value::as_str).unwrap_or_default();
                self.endpoint = Some(endpoint_of(ua));
                if self.conf.is_none() {
                    let url =
                        value.get("path").or_else(|| value.get("url")).and_then(Value::as_str).unwrap_or_default();
                    let name = url.trim_matches('/').rsplit('/').next().unwrap_or_default();
                    if !name.is_empty() {
                        self.conf = Some(name.to_owned());
                    }
                }
                return Ok(());
            }
            "identity" => {
                if self.joined {
                    // The conference and user are fixed by the join already written.
                    return Ok(());
                }
                let text = |k: &str| value.get(k).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned);
                if let Some(conf) = text("confName").or_else(|| text("roomName")) {
                    self.conf = Some(conf);
                }
                if let Some(user) = text("displayName").or_else(|| text("userId")) {
                    self.user = user;
                }
                if let Some(device) = text("deviceId") {
                    self.device = device;
                }
                return Ok(());
            }
            _ => {}
        }
        self.join(at);
        let Some(pc) = pc else {
            // Page-level calls (getUserMedia, …): traced on the participant.
            self.push(
                "events/customevent",
                "customEvent",
                None,
                at,
                json!({"eventList": [{"type": method, "value": value}]}),
            );
            return Ok(());
        };
        self.pcs.entry(pc.clone()).or_default();
        if let Some(kind) = state_kind(&method) {
            return self.state_change(&pc, kind, &value, at);
        }
        match method.as_str() {
            "create" => {
                self.pcs.get_mut(&pc).expect("entered").created_at = Some(at);
                self.push(
                    "events/customevent",
                    "customEvent",
                    Some(&pc),
                    at,
                    json!({"eventList": [{"type": "create", "value": value}]}),
                );
            }
            "getstats" => self.stats(&pc, &value, at)?,
            "close" => self.close(&pc, at),
            "setLocalDescription" | "setRemoteDescription" => {
                let key = if method == "setLocalDescription" { "localSDP" } else { "remoteSDP" };
                if let Some(sdp) = value.get("sdp").and_then(Value::as_str) {
                    self.push("events/sdp", "sdpSubmissionEvent", Some(&pc), at, json!({ key: sdp }));
                }
                self.push(
                    "events/customevent",
                    "customEvent",
                    Some(&pc),
                    at,
                    json!({"eventList": [{"type": method, "value": value.get("type")}]}),
                );
            }
            _ => {
                self.push(
                    "events/customevent",
                    "customEvent",
                    Some(&pc),
                    at,
                    json!({"eventList": [{"type": method, "value": value}]}),
                );
            }
        }
        Ok(())
    }

    fn state_change(&mut self, pc: &str, kind: &'static str, value: &Value, at: f64) -> Result<(), DumpError> {
        let new = value.as_str().ok_or_else(|| self.err(format!("{kind}: the new state is not a string")))?.to_owned();
        let p = self.pcs.get_mut(pc).expect("entered");
        let prev = p.states.insert(kind, new.clone()).unwrap_or_else(|| "new".to_owned());
        let created = p.created_at.unwrap_or(at);
        let (was_connected, was_disrupted, was_failed) = (p.connected, p.disrupted, p.failed);
        self.push(
            "events/fabric/statechange",
            "fabricStateChange",
            Some(pc),
            at,
            json!({"changedState": kind, "prevState": prev, "newState": new}),
        );
        if kind != "iceConnectionState" {
            return Ok(());
        }
        let p = self.pcs.get_mut(pc).expect("entered");
        match new.as_str() {
            "connected" | "completed" if !was_connected => {
                p.connected = true;
                p.setup_pending = Some((at, at - created));
            }
            "connected" | "completed" if was_disrupted => {
                p.disrupted = false;
                self.push("events/ice/status", "iceDisruptionEnd", Some(pc), at, json!({}));
            }
            "disconnected" if was_connected && !was_disrupted => {
                p.disrupted = true;
                self.push("events/ice/status", "iceDisruptionStart", Some(pc), at, json!({}));
            }
            "failed" if !was_connected && !was_failed => {
                p.failed = true;
                self.push(
                    "events/fabric/setupfailed",
                    "fabricSetupFailed",
                    Some(pc),
                    at,
                    json!({"reason": "IceConnectionFailure", "function": "iceConnectionFailure", "delay": at - created}),
                );
            }
            "failed" if was_connected && !was_failed => {
                p.failed = true;
                self.push("events/fabric/status", "fabricDropped", Some(pc), at, json!({}));
            }
            _ => {}
        }
        Ok(())
    }

    fn stats(&mut self, pc: &str, value: &Value, at: f64) -> Result<(), DumpError> {
        let changed =
            value.as_object().ok_or_else(|| self.err("getstats: the reports are not an object keyed by ID"))?;
        let p = self.pcs.get_mut(pc).expect("entered");
        let mut list = Vec::with_capacity(changed.len());
        let mut seen = HashSet::with_capacity(changed.len());
        for (id, members) in changed {
            let Value::Object(members) = members else { continue };
            let full = p.reports.entry(id.clone()).or_default();
            full.extend(members.iter().map(|(k, v)| (k.clone(), v.clone())));
            full.insert("id".into(), Value::from(id.as_str()));
            // jitsi sends `timestamp: 0` for "unchanged"; the line's time is the poll's.
            full.insert("timestamp".into(), Value::from(at));
            seen.insert(id.as_str());
            list.push(Value::Object(full.clone()));
        }
        // A report missing from a poll has gone (a stopped transceiver); forget it.
        p.reports.retain(|id, _| seen.contains(id.as_str()));
        if let Some((set_up_at, delay)) = p.setup_pending.take() {
            let mut body = candidates(&list);
            body["delay"] = Value::from(delay);
            self.push("events/fabric/setup", "fabricSetup", Some(pc), set_up_at, body);
        }
        self.push("stats", "stats", Some(pc), at, json!({ "stats": list }));
        Ok(())
    }

    fn close(&mut self, pc: &str, at: f64) {
        let p = self.pcs.get_mut(pc).expect("entered");
        if let Some((set_up_at, delay)) = p.setup_pending.take() {
            self.push("events/fabric/setup", "fabricSetup", Some(pc), set_up_at, json!({ "delay": delay }));
        }
        let p = self.pcs.get_mut(pc).expect("entered");
        if !p.closed {
            p.closed = true;
            self.push("events/fabric/terminated", "fabricTerminated", Some(pc), at, json!({}));
        }
    }

    /// The end of the file: open connections end, and the user leaves, at the last time seen.
    fn finish(&mut self) {
        let at = self.last_at;
        let mut open: Vec<String> = self.pcs.iter().filter(|(_, p)| !p.closed).map(|(k, _)| k.clone()).collect();
        open.sort();
        for pc in open {
            self.close(&pc, at);
        }
        if self.joined {
            self.push("events/user/left", "userLeft", None, at, json!({}));
        }
    }
}

impl<R: BufRead> Iterator for Records<R> {
    type Item = Result<ImportRecord, DumpError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(r) = self.pending.pop_front() {
                return Some(Ok(r));
            }
            if self.done {
                return None;
            }
            match self.lines.next() {
                Some(Ok(text)) => {
                    self.line_no += 1;
                    if let Err(e) = self.line(&text) {
                        self.done = true;
                        self.pending.clear();
                        return Some(Err(e));
                    }
                }
                Some(Err(e)) => {
                    self.done = true;
                    return Some(Err(e.into()));
                }
                None => {
                    self.done = true;
                    if !self.joined {
                        return Some(Err(DumpError::Foreign("no call in the file (no line with a time)".into())));
                    }
                    self.finish();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(text: &str) -> Result<Vec<ImportRecord>, DumpError> {
        Records::new(std::io::Cursor::new(text.to_owned()), 7, "abc").collect()
    }

    #[test]
    fn a_small_dump_becomes_the_requests_of_a_call() {
        let dump = r#"["connectionInfo",null,{"path":"/room-1","userAgent":"Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0.0.0 Safari/537.36"},1000]
["create","PC_0",{"iceServers":[]},1100]
["oniceconnectionstatechange","PC_0","checking",1200]
["oniceconnectionstatechange","PC_0","connected",1450]
["getstats","PC_0",{"a":{"type":"inbound-rtp","kind":"audio","ssrc":1,"packetsReceived":10},"t":{"type":"transport","selectedCandidatePairId":"p"},"p":{"type":"candidate-pair","localCandidateId":"l","remoteCandidateId":"r"},"l":{"type":"local-candidate","candidateType":"relay"},"r":{"type":"remote-candidate","candidateType":"host"}},2000]
["getstats","PC_0",{"a":{"timestamp":0,"packetsReceived":60}},3000]
["oniceconnectionstatechange","PC_0","disconnected",4000]
["oniceconnectionstatechange","PC_0","connected",6000]
["close","PC_0",null,7000]"#;
        let recs = records(dump).expect("imports");
        let types: Vec<&str> = recs.iter().map(|r| r.body["eventType"].as_str().unwrap()).collect();
        assert_eq!(
            types,
            [
                "userJoined",
                "customEvent",
                "fabricStateChange",
                "fabricStateChange",
                "fabricSetup",
                "stats",
                "stats",
                "fabricStateChange",
                "iceDisruptionStart",
                "fabricStateChange",
                "iceDisruptionEnd",
                "fabricTerminated",
                "userLeft"
            ]
        );
        assert_eq!(recs[0].path, "/v1/apps/7/conferences/room%2D1%2Dabc");
        assert_eq!(recs[0].body["endpointInfo"]["buildName"], "Chrome");
        assert_eq!(recs[4].body["delay"], 350.0);
        assert_eq!(recs[4].received_at, Some(1450), "written with the poll after it, at its own time");
        assert_eq!(recs[4].body["localIceCandidates"][0]["candidateType"], "relay");
        assert_eq!(recs[4].body["selectedCandidatePairID"], "p");
        // The second poll's report is whole again, with the line's time.
        let report = &recs[6].body["stats"][0];
        assert_eq!((report["packetsReceived"].as_f64(), report["kind"].as_str()), (Some(60.0), Some("audio")));
        assert_eq!(report["timestamp"], 3000.0);
        assert_eq!(recs[12].received_at, Some(7000));
    }

    #[test]
    fn a_failure_before_connecting_is_a_setup_failure() {
        let dump = r#"["connectionInfo",null,{"userAgent":"x"},1000]
["create","PC_0",{},1000]
["oniceconnectionstatechange","PC_0","failed",16000]"#;
        let recs = records(dump).unwrap();
        let failed = recs.iter().find(|r| r.body["eventType"] == "fabricSetupFailed").expect("failed");
        assert_eq!(failed.body["reason"], "IceConnectionFailure");
        assert_eq!(failed.body["delay"], 15000.0);
    }

    #[test]
    fn garbled_truncated_and_foreign_files_name_what_failed() {
        let garbled =
            "[\"connectionInfo\",null,{},1000]\n[\"create\",\"PC_0\",{},1100]\n[\"getstats\",\"PC_0\",{\"a\":";
        match records(garbled) {
            Err(DumpError::Line { line: 3, what }) => assert!(what.starts_with("not JSON"), "{what}"),
            other => panic!("{other:?}"),
        }
        let foreign = "{\"PeerConnections\": {}}";
        assert!(matches!(records(foreign), Err(DumpError::Foreign(_))), "{:?}", records(foreign));
        assert!(matches!(records(""), Err(DumpError::Foreign(_))));
        let bad_stats = "[\"connectionInfo\",null,{},1000]\n[\"getstats\",\"PC_0\",[1,2],1100]";
        assert!(matches!(records(bad_stats), Err(DumpError::Line { line: 2, .. })));
    }
}
