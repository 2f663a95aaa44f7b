//! `POST /authenticate`: the form the clients send, the claims of the `code` JWT they present,
//! and the access token we hand back.
//!
//! The real callstats-js never verifies the access token's signature but it *decodes* the payload
//! with `atob()`, which rejects the base64url characters `-` and `_`; the issuer must therefore
//! produce payload segments free of them (see `access_payload_is_atob_safe`).

use serde::{Deserialize, Deserializer, Serialize};

/// The form body of `POST /authenticate`. Fields are optional here so that a missing one can be
/// named in the error rather than failing the whole form parse.
#[derive(Debug, Default, Deserialize)]
pub struct AuthForm {
    /// Must be `authorization_code`.
    pub grant_type: Option<String>,
    /// The JWT: HS256 with the app secret (AppSecret flow) or the app server's key (third party).
    pub code: Option<String>,
    /// `<userID>@<appID>`.
    pub client_id: Option<String>,
}

/// `client_id` split at its **last** `@`: user IDs may contain `@` themselves.
pub fn split_client_id(client_id: &str) -> Option<(&str, &str)> {
    let at = client_id.rfind('@')?;
    let (user, app) = (&client_id[..at], &client_id[at + 1..]);
    (!user.is_empty() && !app.is_empty()).then_some((user, app))
}

/// Claims of the `code` JWT. Both flows use the same names; the AppSecret flow sends only
/// `userID`, `appID` and `generateTurnCredentials`, the third-party flow adds `keyID` and the
/// registered time claims.
#[derive(Debug, Clone, Deserialize)]
pub struct CodeClaims {
    /// The local user ID, not encoded.
    #[serde(rename = "userID", deserialize_with = "string_or_number")]
    pub user_id: String,
    /// The app ID as the app passed it to `initialize` (usually a string).
    #[serde(rename = "appID", deserialize_with = "string_or_number")]
    pub app_id: String,
    /// Which registered key signed a third-party token (`keyId` is the AppSecret key-ID form).
    #[serde(rename = "keyID", alias = "keyId", default)]
    pub key_id: Option<String>,
    /// Optional conference restriction of third-party tokens.
    #[serde(rename = "confID", default)]
    pub conf_id: Option<String>,
    /// Expiry (seconds since the epoch); checked by the verifier when present.
    #[serde(default)]
    pub exp: Option<f64>,
    /// Not-before (seconds since the epoch); checked by the verifier when present.
    #[serde(default)]
    pub nbf: Option<f64>,
    /// Token ID, kept for audit logging.
    #[serde(default)]
    pub jti: Option<serde_json::Value>,
}

fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => Ok(s),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!("expected a string or number, got {other}"))),
    }
}

/// Every event type the `ingestedEvents` claim can switch on; a token listing all of them makes
/// the real client drop nothing.
pub const ALL_INGESTED: &[&str] = crate::catalogue::ALL_INGESTED_EVENTS;

/// The payload of the access token we issue. Field names are the ones callstats-js reads.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AccessClaims {
    /// Numeric app ID; the client compares it with `parseInt` of its own app ID.
    #[serde(rename = "appID")]
    pub app_id: i64,
    /// `encodeURIComponent(localUserID)`, compared by the client.
    #[serde(rename = "userID")]
    pub user_id: String,
    /// Stats submission interval in milliseconds (required by the client).
    #[serde(rename = "submissionInterval")]
    pub submission_interval: u32,
    /// Whether the client may send SDPs.
    #[serde(rename = "collectSDP")]
    pub collect_sdp: bool,
    /// TURN-as-a-service switch; we offer none.
    #[serde(rename = "taasEnabled")]
    pub taas_enabled: bool,
    /// ML pre-call pipeline switch; we offer none.
    #[serde(rename = "mlPipelineEnabled")]
    pub ml_pipeline_enabled: bool,
    /// Event types the client may send among those it gates.
    #[serde(rename = "ingestedEvents")]
    pub ingested_events: Vec<String>,
    /// ISO-8601 expiry, which the client parses with `new Date()`.
    pub expiry: String,
    /// Issued at (seconds).
    pub iat: i64,
    /// Expiry (seconds); what the server checks.
    pub exp: i64,
    /// Nonce.
    pub jti: String,
    /// Issued for a code the app's own server minted (the third-party flow): the token then
    /// speaks for `user_id` alone, which is the only localID it may join as or submit for.
    /// Absent from AppSecret-flow tokens, whose holder could mint a code for any user anyway.
    #[serde(rename = "thirdParty", default, skip_serializing_if = "std::ops::Not::not")]
    pub third_party: bool,
}

/// Whether a JWT's payload segment survives the client's `atob()` (no `-` or `_`).
pub fn access_payload_is_atob_safe(jwt: &str) -> bool {
    jwt.split('.').nth(1).is_some_and(|p| !p.contains(['-', '_']))
}

/// The success reply of `/authenticate`.
#[derive(Debug, Serialize, Deserialize)]
pub struct TokenReply {
    /// The access token (a JWT).
    pub access_token: String,
    /// Always `bearer`; anything else makes the client loop.
    pub token_type: String,
    /// Seconds; the client re-authenticates at 90 % of it.
    pub expires_in: u64,
}

/// The error actions callstats-js understands; we only ever send REPORT_ERROR, the one action
/// that does not make the client retry in a tight loop.
pub const ACTION_REPORT_ERROR: u8 = 2;

/// Builds the body of a refused authentication: the client reports `errorReason` to the app's
/// init callback as `authError` and stops trying.
pub fn auth_error_body(error: &str, reason: &str) -> serde_json::Value {
    serde_json::json!({
        "error": error,
        "errorReason": reason,
        "urn:x-callstats:auth:errorActions": [
            {"action": ACTION_REPORT_ERROR, "params": {"errorReason": reason}}
        ]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_id_splits_at_last_at() {
        assert_eq!(split_client_id("alice@example.com@7654321"), Some(("alice@example.com", "7654321")));
        assert_eq!(split_client_id("bob@1"), Some(("bob", "1")));
        assert_eq!(split_client_id("nobody"), None);
        assert_eq!(split_client_id("@1"), None);
    }

    #[test]
    fn code_claims_accept_numeric_and_string_ids() {
        let c: CodeClaims =
            serde_json::from_str(r#"{"userID":"a","appID":"7654321","generateTurnCredentials":false}"#).unwrap();
        assert_eq!(c.app_id, "7654321");
        let c: CodeClaims = serde_json::from_str(r#"{"userID":300,"appID":12345678,"keyID":"k"}"#).unwrap();
        assert_eq!((c.user_id.as_str(), c.app_id.as_str(), c.key_id.as_deref()), ("300", "12345678", Some("k")));
    }

    #[test]
    fn atob_safety_looks_at_payload_only() {
        assert!(access_payload_is_atob_safe("a-_.eyJhIjoxfQ.x-_"));
        assert!(!access_payload_is_atob_safe("a.ey-J.x"));
    }
}
