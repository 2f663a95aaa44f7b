//! The compact stats body: an extension of REST API v1 for our SDK (callstats-js never sends it).
//!
//! Instead of getStats reports, the body carries per stream only what the analytics read, under
//! short names, keyed by a short stream number `i` the SDK assigns within a fabric. A body is
//! either a keyframe (no `base`: every stream complete) or a delta against the submission `base`
//! of the same fabric, one the server has acknowledged. In a delta, a stream holds only what
//! changed: cumulative counters as the increase since the base, other values absolutely, and an
//! absent member means "as in the base". The SDK sends a keyframe whenever the base could be
//! unknown to the server (first submission, after a refusal) and whenever a value disappears or a
//! stream changes identity, which a delta cannot express. A lost or reordered request therefore
//! never corrupts data: a delta names its base, and a base the server does not hold is refused
//! rather than guessed.
//!
//! Counters are integers in webrtc-stats, so `base + delta` is exact in `f64`; values that are
//! not integers (durations, jitter, RTT) are always sent absolutely. The body-level `t` is the
//! report timestamp of every stream that has no `t` of its own.

use serde::{Deserialize, Serialize};

use crate::ProtocolError;

/// The `route` (below a participant) of the compact stats extension.
pub const ROUTE: &str = "stats/compact";

/// One stream of a compact body; in a keyframe (or as resolved by [`CompactBody::resolve`])
/// every member the SDK had is present.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompactStream {
    /// Stream number within the fabric.
    pub i: u32,
    /// SSRC (keyframe, or a stream new since the base).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssrc: Option<u64>,
    /// `a` (audio) or `v` (video).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k: Option<String>,
    /// `i` (inbound) or `o` (outbound).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub d: Option<String>,
    /// Report timestamp, epoch ms, when it differs from the body's `t`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub t: Option<f64>,
    /// Codec MIME subtype.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub c: Option<String>,
    /// Opus in-band FEC negotiated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fec: Option<bool>,
    /// Counter: bytes received or sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub b: Option<f64>,
    /// Counter: packets received or sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p: Option<f64>,
    /// Counter: packets lost (inbound local, outbound as the far end reports). May decrease.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub l: Option<f64>,
    /// Counter: frames decoded or encoded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub f: Option<f64>,
    /// Counter: freeze count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fc: Option<f64>,
    /// Counter: concealed samples.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cs: Option<f64>,
    /// Counter: silent concealed samples.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sc: Option<f64>,
    /// Counter: packets discarded by the jitter buffer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pd: Option<f64>,
    /// Counter: total samples received.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts: Option<f64>,
    /// Counter: jitter buffer emitted count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub be: Option<f64>,
    /// Far end's fraction lost, 0–1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fl: Option<f64>,
    /// Jitter, s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub j: Option<f64>,
    /// Round-trip time, s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r: Option<f64>,
    /// Frame width.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub w: Option<f64>,
    /// Frame height.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub h: Option<f64>,
    /// Total freezes duration, s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fd: Option<f64>,
    /// Jitter buffer delay, s (cumulative, but not an integer: sent absolutely).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bd: Option<f64>,
    /// Quality limitation reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
}

/// A compact stats body: the envelope members of a stats body, then the streams.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompactBody {
    /// Local user ID.
    #[serde(rename = "localID")]
    pub local_id: String,
    /// Device ID.
    #[serde(rename = "deviceID", default)]
    pub device_id: String,
    /// Remote user of the fabric.
    #[serde(rename = "remoteID", default, skip_serializing_if = "Option::is_none")]
    pub remote_id: Option<String>,
    /// The fabric.
    #[serde(rename = "connectionID")]
    pub connection_id: String,
    /// Client clock-synced epoch ms of the submission.
    pub timestamp: f64,
    /// Sending SDK version.
    #[serde(rename = "callstatsVersion", default, skip_serializing_if = "Option::is_none")]
    pub sdk_version: Option<String>,
    /// Submission number within the fabric, increasing.
    pub seq: u64,
    /// The submission this one is a delta against; absent in a keyframe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<u64>,
    /// Report timestamp of streams without their own `t`, epoch ms.
    pub t: f64,
    /// The streams present in this submission.
    pub s: Vec<CompactStream>,
}

/// The memory a list of streams takes, near enough: the streams and their strings.
pub fn memory_size(streams: &[CompactStream]) -> usize {
    let text = |s: &Option<String>| s.as_ref().map_or(0, String::capacity);
    streams
        .iter()
        .map(|s| std::mem::size_of::<CompactStream>() + text(&s.k) + text(&s.d) + text(&s.c) + text(&s.q))
        .sum()
}

/// Why a compact body cannot be resolved.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CompactError {
    /// Not a compact body.
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    /// A delta whose base the server does not hold: the client must send a keyframe.
    #[error("keyframe required: submission {base} of connection {connection} is not known")]
    KeyframeRequired {
        /// The base the delta named.
        base: u64,
        /// The fabric.
        connection: String,
    },
}

/// Parses a compact body.
pub fn parse(body: &[u8]) -> Result<CompactBody, ProtocolError> {
    let b: CompactBody = serde_json::from_slice(body).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => ProtocolError::Malformed(format!("compact stats body: {e}")),
        _ => ProtocolError::Malformed(e.to_string()),
    })?;
    if let Some(base) = b.base
        && base >= b.seq
    {
        return Err(ProtocolError::WrongType { field: "base".into(), expected: "a seq below this body's seq" });
    }
    Ok(b)
}

fn add(base: Option<f64>, delta: Option<f64>) -> Option<f64> {
    match (base, delta) {
        (Some(b), Some(d)) => Some(b + d),
        (b, None) => b,
        // A counter the base lacked is sent absolutely.
        (None, d) => d,
    }
}

impl CompactBody {
    /// Whether this body is a keyframe.
    pub fn is_keyframe(&self) -> bool {
        self.base.is_none()
    }

    /// The absolute streams of this body. `base` is the resolved streams of submission
    /// `self.base` (ignored for a keyframe); `None` when the caller does not hold it.
    pub fn resolve(&self, base: Option<&[CompactStream]>) -> Result<Vec<CompactStream>, CompactError> {
        let base = match (self.base, base) {
            (None, _) => None,
            (Some(_), Some(b)) => Some(b),
            (Some(n), None) => {
                return Err(CompactError::KeyframeRequired { base: n, connection: self.connection_id.clone() });
            }
        };
        let mut out = Vec::with_capacity(self.s.len());
        for s in &self.s {
            let prev = base.and_then(|b| b.iter().find(|p| p.i == s.i));
            let r = match prev {
                None => {
                    let mut r = s.clone();
                    r.t = r.t.or(Some(self.t));
                    r
                }
                Some(p) => CompactStream {
                    i: s.i,
                    ssrc: s.ssrc.or(p.ssrc),
                    k: s.k.clone().or_else(|| p.k.clone()),
                    d: s.d.clone().or_else(|| p.d.clone()),
                    t: s.t.or(Some(self.t)),
                    c: s.c.clone().or_else(|| p.c.clone()),
                    fec: s.fec.or(p.fec),
                    b: add(p.b, s.b),
                    p: add(p.p, s.p),
                    l: add(p.l, s.l),
                    f: add(p.f, s.f),
                    fc: add(p.fc, s.fc),
                    cs: add(p.cs, s.cs),
                    sc: add(p.sc, s.sc),
                    pd: add(p.pd, s.pd),
                    ts: add(p.ts, s.ts),
                    be: add(p.be, s.be),
                    fl: s.fl.or(p.fl),
                    j: s.j.or(p.j),
                    r: s.r.or(p.r),
                    w: s.w.or(p.w),
                    h: s.h.or(p.h),
                    fd: s.fd.or(p.fd),
                    bd: s.bd.or(p.bd),
                    q: s.q.clone().or_else(|| p.q.clone()),
                },
            };
            let missing = if r.ssrc.is_none() {
                Some("ssrc")
            } else if r.k.is_none() {
                Some("k")
            } else if r.d.is_none() {
                Some("d")
            } else {
                None
            };
            if let Some(field) = missing {
                return Err(ProtocolError::MissingField(format!("s[i={}].{field}", s.i)).into());
            }
            out.push(r);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(json: serde_json::Value) -> CompactBody {
        parse(json.to_string().as_bytes()).expect("a valid compact body")
    }

    #[test]
    fn a_keyframe_resolves_to_itself_with_timestamps() {
        let k = body(serde_json::json!({"localID": "u", "connectionID": "c", "timestamp": 5.0, "seq": 1, "t": 1000.5,
            "s": [{"i": 0, "ssrc": 7, "k": "a", "d": "i", "c": "opus", "fec": true, "b": 100, "p": 10, "j": 0.002}]}));
        assert!(k.is_keyframe());
        let r = k.resolve(None).expect("keyframes need no base");
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].t, Some(1000.5));
        assert_eq!(r[0].b, Some(100.0));
        assert_eq!(r[0].c.as_deref(), Some("opus"));
    }

    #[test]
    fn a_delta_adds_counters_and_replaces_gauges() {
        let k = body(serde_json::json!({"localID": "u", "connectionID": "c", "timestamp": 5.0, "seq": 1, "t": 1000.0,
            "s": [{"i": 0, "ssrc": 7, "k": "v", "d": "o", "b": 100, "p": 10, "l": 3, "w": 640, "h": 360, "r": 0.01}]}));
        let base = k.resolve(None).expect("keyframe");
        let d = body(serde_json::json!({"localID": "u", "connectionID": "c", "timestamp": 6.0, "seq": 2, "base": 1,
            "t": 2000.0, "s": [{"i": 0, "b": 50, "p": 5, "l": -1, "r": 0.02}]}));
        let r = d.resolve(Some(&base)).expect("base held");
        assert_eq!((r[0].b, r[0].p, r[0].l), (Some(150.0), Some(15.0), Some(2.0)));
        assert_eq!((r[0].w, r[0].h, r[0].r), (Some(640.0), Some(360.0), Some(0.02)));
        assert_eq!((r[0].ssrc, r[0].t), (Some(7), Some(2000.0)));
    }

    #[test]
    fn a_delta_without_its_base_asks_for_a_keyframe() {
        let d = body(serde_json::json!({"localID": "u", "connectionID": "c", "timestamp": 6.0, "seq": 2, "base": 1,
            "t": 2000.0, "s": [{"i": 0, "b": 50}]}));
        assert_eq!(d.resolve(None), Err(CompactError::KeyframeRequired { base: 1, connection: "c".into() }));
    }

    #[test]
    fn a_stream_new_in_a_delta_must_name_itself() {
        let k = body(serde_json::json!({"localID": "u", "connectionID": "c", "timestamp": 5.0, "seq": 1, "t": 1.0,
            "s": [{"i": 0, "ssrc": 7, "k": "a", "d": "i"}]}));
        let base = k.resolve(None).expect("keyframe");
        let d = body(serde_json::json!({"localID": "u", "connectionID": "c", "timestamp": 6.0, "seq": 2, "base": 1,
            "t": 2.0, "s": [{"i": 1, "b": 50}]}));
        assert_eq!(d.resolve(Some(&base)), Err(ProtocolError::MissingField("s[i=1].ssrc".into()).into()));
    }

    #[test]
    fn malformed_bodies_are_refused() {
        assert!(parse(b"[]").is_err());
        assert!(parse(br#"{"localID": "u", "connectionID": "c", "timestamp": 1, "seq": 1, "t": 1}"#).is_err(), "no s");
        assert!(
            parse(
                br#"{"localID": "u", "connectionID": "c", "timestamp": 1, "seq": 1, "t": 1, "s": [{"i": 0, "zz": 1}]}"#
            )
            .is_err(),
            "unknown stream member"
        );
        assert_eq!(
            parse(br#"{"localID": "u", "connectionID": "c", "timestamp": 1, "seq": 2, "base": 2, "t": 1, "s": []}"#),
            Err(ProtocolError::WrongType { field: "base".into(), expected: "a seq below this body's seq" })
        );
    }
}
