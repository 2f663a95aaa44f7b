//! Reply bodies of the collector endpoints. The real client `JSON.parse`s every reply and looks
//! only at `status` (and `ucID` for user joined), so every answer, good or bad, is a JSON object
//! with a `status`; the HTTP status code is set correctly as well for other clients.

use serde::Serialize;

/// `{"status":"success"}` or `{"status":"error","msg":…}`.
#[derive(Debug, Serialize)]
pub struct StatusReply<'a> {
    /// `success` or `error`.
    pub status: &'a str,
    /// Human-readable reason for an error. `Token has expired` is the exact phrase that makes
    /// callstats-js re-authenticate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub msg: Option<&'a str>,
    /// The body field an error is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'a str>,
}

/// The message callstats-js matches to trigger re-authentication.
pub const TOKEN_EXPIRED: &str = "Token has expired";

/// The reply to user joined.
#[derive(Debug, Serialize)]
pub struct UserJoinedReply<'a> {
    /// Always `success` (a refused join is a `StatusReply`).
    pub status: &'a str,
    /// The participant ID the client puts into every later URL.
    #[serde(rename = "ucID")]
    pub uc_id: &'a str,
}

/// The reply to `GET /clockSync`.
#[derive(Debug, Serialize)]
pub struct ClockSyncReply {
    /// Server time in epoch milliseconds.
    pub now: i64,
}
