//! Which `eventType`s arrive on which route, and what each needs.
//!
//! Built from two sources that disagree in places: the REST API v1 description (which, for
//! instance, requires `mediaDeviceID` on media actions) and what callstats-js 3.73.16 really sends
//! (which never includes it). A field is required here only when both agree or when the
//! analytics cannot work without it; everything else is accepted and kept verbatim.

/// The JSON type a field must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonType {
    /// A string.
    String,
    /// A number.
    Number,
    /// An array.
    Array,
    /// An object.
    Object,
    /// An array or an object (`stats` is an array in callstats-js, an object in the REST docs).
    ArrayOrObject,
    /// A string or a number (SSRCs).
    StringOrNumber,
    /// Anything but `null`.
    Any,
}

impl JsonType {
    /// Whether `v` is of this type.
    pub fn accepts(self, v: &serde_json::Value) -> bool {
        use serde_json::Value as V;
        match self {
            JsonType::String => v.is_string(),
            JsonType::Number => v.is_number(),
            JsonType::Array => v.is_array(),
            JsonType::Object => v.is_object(),
            JsonType::ArrayOrObject => v.is_array() || v.is_object(),
            JsonType::StringOrNumber => matches!(v, V::String(_) | V::Number(_)),
            JsonType::Any => !v.is_null(),
        }
    }

    /// Phrase for error messages.
    pub fn describe(self) -> &'static str {
        match self {
            JsonType::String => "a string",
            JsonType::Number => "a number",
            JsonType::Array => "an array",
            JsonType::Object => "an object",
            JsonType::ArrayOrObject => "an array or an object",
            JsonType::StringOrNumber => "a string or a number",
            JsonType::Any => "present and not null",
        }
    }
}

/// One event type and the fields it needs beyond the common ones.
#[derive(Debug)]
pub struct KindSpec {
    /// The `eventType` value.
    pub event_type: &'static str,
    /// Fields that must be present with the given type.
    pub required: &'static [(&'static str, JsonType)],
}

/// What a route stores its bodies as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// A conference event.
    Event,
    /// A getStats submission.
    Stats,
    /// `sendCustomStats`.
    CustomStats,
    /// System status (REST API only).
    SystemStatus,
}

/// A route under `…/conferences/{confID}/{ucID}/`.
#[derive(Debug)]
pub struct EventRoute {
    /// Path after `{ucID}/`.
    pub path: &'static str,
    /// How bodies on it are stored.
    pub category: Category,
    /// Event types accepted; when there is one, a body may leave `eventType` out.
    pub kinds: &'static [KindSpec],
}

macro_rules! kind {
    ($t:literal) => { KindSpec { event_type: $t, required: &[] } };
    ($t:literal, $($f:literal : $ty:ident),+) => {
        KindSpec { event_type: $t, required: &[$(($f, JsonType::$ty)),+] }
    };
}

const FABRIC_KINDS: &[KindSpec] = &[
    kind!("fabricSetup"),
    kind!("fabricSetupFailed"),
    kind!("fabricTerminated"),
    kind!("fabricDropped"),
    kind!("fabricHold"),
    kind!("fabricResume"),
    kind!("callUnAnswered"),
];

/// Every route of the REST API v1 and of callstats-js 3.73.16 below the participant.
pub const ROUTES: &[EventRoute] = &[
    EventRoute { path: "events/user/alive", category: Category::Event, kinds: &[kind!("userAlive")] },
    EventRoute { path: "events/user/left", category: Category::Event, kinds: &[kind!("userLeft")] },
    EventRoute { path: "events/userdetails", category: Category::Event, kinds: &[kind!("userDetails")] },
    EventRoute {
        path: "events/devices/list",
        category: Category::Event,
        kinds: &[
            kind!("connectedDeviceList", "mediaDeviceList": Array),
            kind!("activeDeviceList", "mediaDeviceList": Array),
        ],
    },
    EventRoute {
        path: "events/fabric/statechange",
        category: Category::Event,
        kinds: &[kind!("fabricStateChange", "prevState": String, "newState": String, "changedState": String)],
    },
    EventRoute { path: "events/fabric/setup", category: Category::Event, kinds: &[kind!("fabricSetup")] },
    EventRoute {
        path: "events/fabric/setupfailed",
        category: Category::Event,
        kinds: &[kind!("fabricSetupFailed", "reason": String)],
    },
    EventRoute { path: "events/fabric", category: Category::Event, kinds: FABRIC_KINDS },
    EventRoute {
        path: "events/app/logs",
        category: Category::Event,
        kinds: &[kind!("applicationErrorLog", "message": Any)],
    },
    EventRoute { path: "events/sdp", category: Category::Event, kinds: &[kind!("sdpSubmissionEvent")] },
    EventRoute { path: "events/ssrcmap", category: Category::Event, kinds: &[kind!("ssrcMap", "ssrcData": Array)] },
    EventRoute {
        path: "events/media/actions",
        category: Category::Event,
        kinds: &[
            kind!("audioMute"),
            kind!("audioUnmute"),
            kind!("videoPause"),
            kind!("videoResume"),
            kind!("screenShareStart"),
            kind!("screenShareStop"),
        ],
    },
    EventRoute {
        path: "events/fabric/actions",
        category: Category::Event,
        kinds: &[kind!("fabricHold"), kind!("fabricResume"), kind!("callUnAnswered")],
    },
    EventRoute { path: "events/fabric/terminated", category: Category::Event, kinds: &[kind!("fabricTerminated")] },
    EventRoute { path: "events/dominantspeaker", category: Category::Event, kinds: &[kind!("dominantSpeaker")] },
    EventRoute {
        path: "events/media/pipeline",
        category: Category::Event,
        kinds: &[
            kind!("mediaPlaybackStart", "ssrc": StringOrNumber),
            kind!("mediaPlaybackSuspended", "ssrc": StringOrNumber),
            kind!("mediaPlaybackStalled", "ssrc": StringOrNumber),
        ],
    },
    EventRoute {
        path: "events/fabric/disruptions",
        category: Category::Event,
        kinds: &[kind!("oneWayMediaStart"), kind!("oneWayMediaStop"), kind!("circuitBreaker")],
    },
    EventRoute {
        path: "events/ice/status",
        category: Category::Event,
        kinds: &[
            kind!("iceDisruptionStart"),
            kind!("iceDisruptionEnd"),
            kind!("iceConnectionDisruptionStart"),
            kind!("iceConnectionDisruptionEnd"),
            kind!("iceAborted"),
            kind!("iceTerminated"),
            kind!("iceFailed"),
            kind!("iceRestarted"),
        ],
    },
    EventRoute { path: "events/fabric/status", category: Category::Event, kinds: &[kind!("fabricDropped")] },
    EventRoute {
        path: "events/fabric/transportchange",
        category: Category::Event,
        kinds: &[kind!("fabricTransportSwitch")],
    },
    EventRoute { path: "events/fabric/details", category: Category::Event, kinds: &[kind!("callDetails")] },
    EventRoute {
        path: "events/customevent",
        category: Category::Event,
        kinds: &[kind!("customEvent", "eventList": Array)],
    },
    EventRoute { path: "events/conferencesummary", category: Category::Event, kinds: &[kind!("conferenceSummary")] },
    EventRoute {
        path: "events/feedback",
        category: Category::Event,
        kinds: &[kind!("userFeedbackEvent", "feedback": Object)],
    },
    EventRoute {
        path: "events/precall",
        category: Category::Event,
        kinds: &[kind!("preCallTestAssociate", "ids": Array)],
    },
    EventRoute {
        path: "stats",
        category: Category::Stats,
        kinds: &[kind!("stats", "connectionID": String, "stats": ArrayOrObject)],
    },
    EventRoute { path: "customstats", category: Category::CustomStats, kinds: &[kind!("customStats", "stats": Any)] },
    EventRoute { path: "system/status", category: Category::SystemStatus, kinds: &[kind!("systemStatus")] },
];

/// User joined, on the conference URL itself.
pub const USER_JOINED: KindSpec = kind!("userJoined", "endpointInfo": Object);

/// Pre-call test results, on `{appID}/events/precall`.
pub const PRECALL_RESULTS: KindSpec = kind!("preCallTestResults", "results": Object);

/// Pre-call ML notifications, on `{appID}/events/precallnotification`.
pub const PRECALL_NOTIFICATION: KindSpec = kind!("preCallTestNotification");

/// The gated event types of callstats-js (`ingestedEvents` claim).
pub const ALL_INGESTED_EVENTS: &[&str] = &[
    "circuitBreaker",
    "oneWayMediaStart",
    "oneWayMediaStop",
    "applicationErrorLog",
    "sdpSubmissionEvent",
    "userFeedback",
    "activeDeviceList",
    "connectedDeviceList",
    "dominantSpeaker",
    "mediaPlaybackStart",
    "mediaPlaybackSuspended",
    "precallTestResultsAutomatic",
    "precallTestResultsManual",
];

/// Looks a route up by its path below the participant (no leading or trailing slash).
pub fn route(path: &str) -> Option<&'static EventRoute> {
    let path = path.trim_matches('/');
    ROUTES.iter().find(|r| r.path == path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_unique_and_has_kinds() {
        for (i, r) in ROUTES.iter().enumerate() {
            assert!(!r.kinds.is_empty(), "{}", r.path);
            assert!(ROUTES[i + 1..].iter().all(|o| o.path != r.path), "duplicate {}", r.path);
        }
        assert!(route("/events/fabric/setup/").is_some());
        assert!(route("events/nope").is_none());
    }
}
