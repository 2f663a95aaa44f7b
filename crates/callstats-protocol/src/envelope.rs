//! The fields every event and stats body shares, parsed and checked.
//!
//! Stats bodies are large (about 16 KB from callstats-js) and arrive at the highest rate, so they
//! are checked without building a JSON tree: the envelope is deserialised with the getStats
//! report list kept as a borrowed raw slice. Event bodies are small and get a full tree, which the
//! per-kind checks and the application-log truncation need.

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::ProtocolError;
use crate::catalogue::{Category, JsonType, KindSpec};

/// The common fields, owned.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    /// The local user ID (decoded).
    pub local_id: String,
    /// Per-browser-profile device ID.
    pub device_id: String,
    /// Client clock-synced epoch milliseconds when the event was created.
    pub timestamp: f64,
    /// The event type (filled in from the route when the route has a single one).
    pub event_type: String,
    /// Remote user of the PeerConnection.
    pub remote_id: Option<String>,
    /// Client-side ID of the PeerConnection (the fabric).
    pub connection_id: Option<String>,
    /// `callstatsVersion` of the sending SDK.
    pub sdk_version: Option<String>,
}

impl Envelope {
    /// The IDs and names it carries, by wire name, for length checks.
    pub fn ids(&self) -> [(&'static str, Option<&str>); 6] {
        [
            ("localID", Some(self.local_id.as_str())),
            ("deviceID", Some(self.device_id.as_str())),
            ("eventType", Some(self.event_type.as_str())),
            ("remoteID", self.remote_id.as_deref()),
            ("connectionID", self.connection_id.as_deref()),
            ("callstatsVersion", self.sdk_version.as_deref()),
        ]
    }
}

/// A checked body: the envelope, and for non-stats bodies the whole JSON tree.
#[derive(Debug)]
pub struct ParsedBody {
    /// The common fields.
    pub envelope: Envelope,
    /// The JSON tree (events only; `None` for stats, which are stored as received).
    pub value: Option<Value>,
}

#[derive(Deserialize)]
#[serde(bound(deserialize = "S: Deserialize<'de>"))]
struct Wire<S> {
    #[serde(rename = "localID")]
    local_id: Option<String>,
    #[serde(rename = "deviceID")]
    device_id: Option<String>,
    timestamp: Option<f64>,
    #[serde(rename = "eventType")]
    event_type: Option<String>,
    #[serde(rename = "remoteID")]
    remote_id: Option<String>,
    #[serde(rename = "connectionID")]
    connection_id: Option<String>,
    #[serde(rename = "callstatsVersion")]
    callstats_version: Option<String>,
    #[serde(default = "none")]
    stats: Option<S>,
}

fn none<S>() -> Option<S> {
    None
}

/// What a stats body's `stats` member was read as.
trait StatsMember {
    /// Whether it is an array or an object.
    fn is_list(&self) -> bool;
}

impl StatsMember for &RawValue {
    fn is_list(&self) -> bool {
        matches!(self.get().trim_start().as_bytes().first(), Some(b'[' | b'{'))
    }
}

impl StatsMember for crate::stats::Reports<'_> {
    fn is_list(&self) -> bool {
        // Its parser accepts nothing but arrays and objects.
        true
    }
}

fn expected_type(field: &str) -> &'static str {
    match field {
        "timestamp" => JsonType::Number.describe(),
        "stats" => JsonType::ArrayOrObject.describe(),
        _ => JsonType::String.describe(),
    }
}

/// Parses and checks a body that arrived on a route accepting `kinds` (`route_name` is for
/// messages). `category` decides whether a JSON tree is built.
pub fn parse(
    body: &[u8],
    kinds: &'static [KindSpec],
    category: Category,
    route_name: &str,
) -> Result<ParsedBody, ProtocolError> {
    parse_as::<&RawValue>(body, kinds, category, route_name).map(|(p, _)| p)
}

/// Parses and checks a stats body like `parse`, reading its getStats reports in the same pass
/// (one scan of the 16 KB body instead of three).
pub fn parse_stats_with_reports<'a>(
    body: &'a [u8],
    kinds: &'static [KindSpec],
    route_name: &str,
) -> Result<(ParsedBody, Vec<crate::stats::Report<'a>>), ProtocolError> {
    parse_as::<crate::stats::Reports<'a>>(body, kinds, Category::Stats, route_name)
        .map(|(p, r)| (p, r.map(|r| r.0).unwrap_or_default()))
}

fn parse_as<'a, S: Deserialize<'a> + StatsMember>(
    body: &'a [u8],
    kinds: &'static [KindSpec],
    category: Category,
    route_name: &str,
) -> Result<(ParsedBody, Option<S>), ProtocolError> {
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ProtocolError::Malformed("expected a JSON object".into()));
    }
    // One UTF-8 check of the whole body, then a parse from text: parsing bytes checks every
    // string on its own, which is most of the cost of reading a report's member names.
    let text = std::str::from_utf8(body)
        .map_err(|e| ProtocolError::Malformed(format!("the body is not UTF-8 (at byte {})", e.valid_up_to())))?;
    // The common case, a valid body, is parsed without tracking paths; only a body that fails
    // is parsed again with them, to name the offending field.
    let wire: Wire<S> = match serde_json::from_str(text) {
        Ok(w) => w,
        Err(_) => match serde_path_to_error::deserialize::<_, Wire<S>>(&mut serde_json::Deserializer::from_str(text)) {
            Ok(w) => w,
            Err(e) => {
                let path = e.path().to_string();
                let on_field = matches!(e.path().iter().next(), Some(serde_path_to_error::Segment::Map { .. }));
                let inner = e.into_inner();
                return Err(if inner.is_data() && on_field {
                    let expected = expected_type(&path);
                    ProtocolError::WrongType { field: path, expected }
                } else {
                    ProtocolError::Malformed(inner.to_string())
                });
            }
        },
    };
    let local_id = wire.local_id.clone().ok_or_else(|| missing("localID"))?;
    let device_id = wire.device_id.clone().ok_or_else(|| missing("deviceID"))?;
    let timestamp = wire.timestamp.ok_or_else(|| missing("timestamp"))?;
    let kind = match (&wire.event_type, kinds) {
        (None, [only]) => only,
        (None, _) => return Err(missing("eventType")),
        (Some(t), _) => kinds
            .iter()
            .find(|k| k.event_type == t)
            .ok_or_else(|| ProtocolError::WrongEventType { event_type: t.clone(), route: route_name.to_owned() })?,
    };
    let value = if category == Category::Stats {
        check_stats(&wire, kind)?;
        None
    } else {
        let v: Value = serde_json::from_str(text).map_err(|e| ProtocolError::Malformed(e.to_string()))?;
        check_required(&v, kind)?;
        Some(v)
    };
    let parsed = ParsedBody {
        envelope: Envelope {
            local_id,
            device_id,
            timestamp,
            event_type: kind.event_type.to_owned(),
            remote_id: wire.remote_id,
            connection_id: wire.connection_id,
            sdk_version: wire.callstats_version,
        },
        value,
    };
    Ok((parsed, wire.stats))
}

fn missing(field: &str) -> ProtocolError {
    ProtocolError::MissingField(field.to_owned())
}

fn check_stats<S: StatsMember>(wire: &Wire<S>, kind: &KindSpec) -> Result<(), ProtocolError> {
    for (field, ty) in kind.required {
        match *field {
            "connectionID" if wire.connection_id.is_none() => return Err(missing(field)),
            "stats" => {
                let stats = wire.stats.as_ref().ok_or_else(|| missing(field))?;
                if !stats.is_list() {
                    return Err(ProtocolError::WrongType { field: "stats".into(), expected: ty.describe() });
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Checks that `value` has every field `kind` requires, with the right type.
pub fn check_required(value: &Value, kind: &KindSpec) -> Result<(), ProtocolError> {
    let obj = value.as_object().ok_or_else(|| ProtocolError::Malformed("expected a JSON object".into()))?;
    for (field, ty) in kind.required {
        match obj.get(*field) {
            None | Some(Value::Null) => return Err(missing(field)),
            Some(v) if !ty.accepts(v) => {
                return Err(ProtocolError::WrongType { field: (*field).to_owned(), expected: ty.describe() });
            }
            Some(_) => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::{USER_JOINED, route};

    fn parse_on(path: &str, body: &str) -> Result<ParsedBody, ProtocolError> {
        let r = route(path).unwrap();
        parse(body.as_bytes(), r.kinds, r.category, r.path)
    }

    const COMMON: &str = r#""localID":"a","deviceID":"d","timestamp":1.5"#;

    #[test]
    fn names_the_missing_or_ill_typed_field() {
        let e = parse_on("events/user/alive", r#"{"deviceID":"d","timestamp":1}"#).unwrap_err();
        assert_eq!(e, ProtocolError::MissingField("localID".into()));
        let e = parse_on("events/user/alive", r#"{"localID":"a","deviceID":"d","timestamp":"x"}"#).unwrap_err();
        assert_eq!(e.field(), Some("timestamp"));
        let e = parse_on(
            "events/fabric/statechange",
            &format!(r#"{{{COMMON},"prevState":"a","newState":1,"changedState":"x"}}"#),
        )
        .unwrap_err();
        assert_eq!(e.field(), Some("newState"));
        let e = parse_on("stats", &format!(r#"{{{COMMON},"connectionID":"c","stats":"nope"}}"#)).unwrap_err();
        assert_eq!(e.field(), Some("stats"));
        let e = parse_on("stats", &format!(r#"{{{COMMON},"stats":[]}}"#)).unwrap_err();
        assert_eq!(e.field(), Some("connectionID"));
    }

    #[test]
    fn malformed_json_is_malformed() {
        assert!(matches!(parse_on("stats", "{\"localID\":"), Err(ProtocolError::Malformed(_))));
        assert!(matches!(parse_on("events/user/alive", "[1,2]"), Err(ProtocolError::Malformed(_))));
    }

    #[test]
    fn event_type_is_implied_or_checked() {
        let p = parse_on("events/dominantspeaker", &format!("{{{COMMON}}}")).unwrap();
        assert_eq!(p.envelope.event_type, "dominantSpeaker");
        let e = parse_on("events/media/actions", &format!("{{{COMMON}}}")).unwrap_err();
        assert_eq!(e, ProtocolError::MissingField("eventType".into()));
        let e = parse_on("events/media/actions", &format!(r#"{{{COMMON},"eventType":"fabricHold"}}"#)).unwrap_err();
        assert!(matches!(e, ProtocolError::WrongEventType { .. }));
        let p = parse_on("stats", &format!(r#"{{{COMMON},"connectionID":"c","stats":{{"x":1}}}}"#)).unwrap();
        assert!(p.value.is_none());
    }

    #[test]
    fn user_joined_needs_endpoint_info() {
        let e = parse(format!("{{{COMMON}}}").as_bytes(), std::slice::from_ref(&USER_JOINED), Category::Event, "join")
            .unwrap_err();
        assert_eq!(e, ProtocolError::MissingField("endpointInfo".into()));
    }
}
