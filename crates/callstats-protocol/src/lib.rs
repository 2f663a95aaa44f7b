#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod auth;
pub mod catalogue;
pub mod compact;
pub mod depth;
pub mod envelope;
pub mod reply;
pub mod stats;
pub mod uri;

pub use catalogue::{ALL_INGESTED_EVENTS, EventRoute, KindSpec};
pub use envelope::{Envelope, ParsedBody};

/// Why a request body was refused. Each variant names the offending field, so the client's
/// developer can fix the integration from the error alone.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProtocolError {
    /// The body is not JSON at all (or not an object).
    #[error("body is not a JSON object: {0}")]
    Malformed(String),
    /// A field the route needs is absent.
    #[error("missing field `{0}`")]
    MissingField(String),
    /// A field is present but of the wrong JSON type.
    #[error("field `{field}` must be {expected}")]
    WrongType {
        /// Dotted path of the field.
        field: String,
        /// What the field must be.
        expected: &'static str,
    },
    /// The `eventType` is not one this route carries.
    #[error("eventType `{event_type}` is not accepted on {route}")]
    WrongEventType {
        /// The eventType the body named.
        event_type: String,
        /// The route it arrived on.
        route: String,
    },
    /// An ID or name is longer than the configured limit.
    #[error("field `{field}` is longer than {max} bytes")]
    TooLong {
        /// The field.
        field: String,
        /// The limit, bytes.
        max: usize,
    },
    /// Arrays and objects nest deeper than the configured limit.
    #[error("body nests arrays and objects deeper than {max} levels")]
    TooDeep {
        /// The limit.
        max: usize,
    },
}

impl ProtocolError {
    /// The field the error is about, if any (for the JSON error's `field` member).
    pub fn field(&self) -> Option<&str> {
        match self {
            ProtocolError::Malformed(_) | ProtocolError::TooDeep { .. } => None,
            ProtocolError::MissingField(f) => Some(f),
            ProtocolError::WrongType { field, .. } | ProtocolError::TooLong { field, .. } => Some(field),
            ProtocolError::WrongEventType { .. } => Some("eventType"),
        }
    }
}
