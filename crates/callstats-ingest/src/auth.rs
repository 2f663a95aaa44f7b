//! Both authentication flows of callstats.js, and the access tokens we issue.
//!
//! * AppSecret flow: the browser signs `{userID, appID}` with HS256 keyed by the AppSecret.
//! * Third-party flow: the app's own server signs `{userID, appID, keyID, exp, nbf, …}` with ES256
//!   (public key registered with `callstats app add-key`) or HS256 with the AppSecret.
//!
//! Either way the answer is an access token signed by this server (HS256 with a key derived from
//! the server key, so any node sharing the key can verify it without a database read), carrying
//! the claims callstats-js configures itself from.

use callstats_protocol::ALL_INGESTED_EVENTS;
use callstats_protocol::auth::{
    AccessClaims, AuthForm, CodeClaims, TokenReply, access_payload_is_atob_safe, split_client_id,
};
use callstats_protocol::uri::encode_uri_component;
use callstats_store::{App, AppKey};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, decode_header, encode};

use crate::secrets::ServerKey;

/// Clock skew tolerated on `exp`/`nbf` of client tokens, seconds.
const LEEWAY_SECS: u64 = 5;

/// Why an authentication was refused: an HTTP status and the reason reported to the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthRefusal {
    /// 400 for a malformed request, 401 for bad credentials, 403 for a refused origin, 500 when
    /// the server itself is at fault.
    pub status: u16,
    /// Short error code (`invalid_request`, `invalid_grant`, `unauthorized_client`, `server_error`).
    pub error: &'static str,
    /// What the developer should read in the init callback.
    pub reason: String,
    /// Seconds after which trying again may succeed (`Retry-After`), for a rate limit.
    pub retry_after_secs: Option<u64>,
}

impl AuthRefusal {
    pub(crate) fn bad_request(reason: impl Into<String>) -> Self {
        AuthRefusal { status: 400, error: "invalid_request", reason: reason.into(), retry_after_secs: None }
    }
    pub(crate) fn bad_grant(reason: impl Into<String>) -> Self {
        AuthRefusal { status: 401, error: "invalid_grant", reason: reason.into(), retry_after_secs: None }
    }
    pub(crate) fn forbidden(reason: impl Into<String>) -> Self {
        AuthRefusal { status: 403, error: "unauthorized_client", reason: reason.into(), retry_after_secs: None }
    }
    pub(crate) fn server(reason: impl Into<String>) -> Self {
        AuthRefusal { status: 500, error: "server_error", reason: reason.into(), retry_after_secs: None }
    }
    pub(crate) fn slow_down(reason: impl Into<String>, retry_after_secs: u64) -> Self {
        AuthRefusal { status: 429, error: "slow_down", reason: reason.into(), retry_after_secs: Some(retry_after_secs) }
    }
}

/// The parts of a checked `/authenticate` form.
#[derive(Debug)]
pub(crate) struct AuthRequest<'a> {
    pub user_id: &'a str,
    pub app_id: i64,
    pub code: &'a str,
}

pub(crate) fn parse_form(form: &AuthForm) -> Result<AuthRequest<'_>, AuthRefusal> {
    let grant = form.grant_type.as_deref().ok_or_else(|| AuthRefusal::bad_request("missing field `grant_type`"))?;
    if grant != "authorization_code" {
        return Err(AuthRefusal::bad_request(format!("grant_type must be authorization_code, not `{grant}`")));
    }
    let code = form.code.as_deref().ok_or_else(|| AuthRefusal::bad_request("missing field `code`"))?;
    let client_id = form.client_id.as_deref().ok_or_else(|| AuthRefusal::bad_request("missing field `client_id`"))?;
    let (user_id, app) =
        split_client_id(client_id).ok_or_else(|| AuthRefusal::bad_request("client_id must be <userID>@<appID>"))?;
    let app_id = app.parse::<i64>().map_err(|_| AuthRefusal::bad_request(format!("AppID `{app}` is not a number")))?;
    Ok(AuthRequest { user_id, app_id, code })
}

fn validation(alg: Algorithm) -> Validation {
    let mut v = Validation::new(alg);
    // The AppSecret flow's tokens carry no time claims at all; `exp` and `nbf` are honoured
    // whenever they are present; `check_times` does that against the service's clock.
    v.required_spec_claims.clear();
    v.validate_exp = false;
    v.validate_nbf = false;
    v
}

fn check_times(c: &CodeClaims, now_secs: i64) -> Result<(), AuthRefusal> {
    let now = now_secs as f64;
    let leeway = LEEWAY_SECS as f64;
    if c.exp.is_some_and(|exp| exp + leeway <= now) {
        return Err(AuthRefusal::bad_grant("the token has expired (exp)"));
    }
    if c.nbf.is_some_and(|nbf| nbf - leeway > now) {
        return Err(AuthRefusal::bad_grant("the token is not valid yet (nbf)"));
    }
    Ok(())
}

fn explain(e: &jsonwebtoken::errors::Error) -> String {
    use jsonwebtoken::errors::ErrorKind as K;
    match e.kind() {
        K::ExpiredSignature => "the token has expired (exp)".into(),
        K::ImmatureSignature => "the token is not valid yet (nbf)".into(),
        K::InvalidSignature => "the token signature does not verify".into(),
        other => format!("the token is invalid: {other:?}"),
    }
}

/// A verified `code`.
pub(crate) struct VerifiedCode {
    /// Whether the app's server minted it (third-party flow): signed ES256 with a registered
    /// key, or carrying `exp`, which callstats-js never sets when it signs in the browser.
    pub third_party: bool,
}

/// Verifies the `code` JWT of either flow against the app's secret and keys.
pub(crate) fn verify_code(
    req: &AuthRequest<'_>,
    app: &App,
    secret: &str,
    keys: &[AppKey],
    now_secs: i64,
) -> Result<VerifiedCode, AuthRefusal> {
    let header = decode_header(req.code).map_err(|e| AuthRefusal::bad_grant(format!("code is not a JWT: {e}")))?;
    let claims = match header.alg {
        Algorithm::HS256 => {
            decode::<CodeClaims>(req.code, &DecodingKey::from_secret(secret.as_bytes()), &validation(Algorithm::HS256))
                .map_err(|e| AuthRefusal::bad_grant(explain(&e)))?
                .claims
        }
        Algorithm::ES256 => {
            let candidates: Vec<&AppKey> = keys
                .iter()
                .filter(|k| k.algorithm == "ES256")
                .filter(|k| header.kid.as_deref().is_none_or(|kid| kid == k.key_id))
                .collect();
            if candidates.is_empty() {
                return Err(AuthRefusal::bad_grant(format!(
                    "app {} has no ES256 key registered for this token",
                    app.id
                )));
            }
            let mut last = None;
            let mut found = None;
            for k in candidates {
                let key = DecodingKey::from_ec_pem(k.public_key_pem.as_bytes())
                    .map_err(|e| AuthRefusal::server(format!("stored key {} is unusable: {e}", k.key_id)))?;
                match decode::<CodeClaims>(req.code, &key, &validation(Algorithm::ES256)) {
                    Ok(data) => {
                        if data.claims.key_id.as_deref().is_some_and(|kid| kid != k.key_id) {
                            last = Some(format!(
                                "keyID `{}` does not name the key that signed the token",
                                kid_of(&data.claims)
                            ));
                            continue;
                        }
                        found = Some(data.claims);
                        break;
                    }
                    Err(e) => last = Some(explain(&e)),
                }
            }
            found.ok_or_else(|| AuthRefusal::bad_grant(last.unwrap_or_default()))?
        }
        other => {
            return Err(AuthRefusal::bad_grant(format!(
                "token algorithm {other:?} is not accepted (use HS256 or ES256)"
            )));
        }
    };
    check_times(&claims, now_secs)?;
    if claims.app_id.trim() != req.app_id.to_string() {
        return Err(AuthRefusal::bad_grant(format!("token appID `{}` does not match client_id", claims.app_id)));
    }
    if claims.user_id != req.user_id {
        return Err(AuthRefusal::bad_grant(format!("token userID `{}` does not match client_id", claims.user_id)));
    }
    Ok(VerifiedCode { third_party: header.alg == Algorithm::ES256 || claims.exp.is_some() })
}

fn kid_of(c: &CodeClaims) -> &str {
    c.key_id.as_deref().unwrap_or("")
}

/// Issues and verifies access tokens.
#[derive(Clone)]
pub struct TokenIssuer {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

/// Why an access token was not accepted.
#[derive(Debug, PartialEq, Eq)]
pub enum AccessRefusal {
    /// Past its `exp`: the client must re-authenticate.
    Expired,
    /// Not ours, or damaged.
    Invalid(String),
}

impl TokenIssuer {
    /// Keys derived from the server key.
    pub fn new(key: &ServerKey) -> Self {
        let k = key.derive("callstats access-token signing v1");
        TokenIssuer { encoding: EncodingKey::from_secret(&k), decoding: DecodingKey::from_secret(&k) }
    }

    /// Issues an access token for `user_id` of `app` at `now_secs`; a `third_party` one speaks
    /// for that user alone (see `AccessClaims::third_party`).
    pub fn issue(&self, app: &App, user_id: &str, third_party: bool, now_secs: i64) -> Result<TokenReply, AuthRefusal> {
        let s = &app.settings;
        let ttl = i64::from(s.token_ttl_secs.max(60));
        let exp = now_secs + ttl;
        let expiry = time::OffsetDateTime::from_unix_timestamp(exp)
            .ok()
            .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
            .ok_or_else(|| AuthRefusal::server("clock out of range"))?;
        let ingested = if s.ingested_events.is_empty() {
            ALL_INGESTED_EVENTS.iter().map(|e| (*e).to_owned()).collect()
        } else {
            s.ingested_events.clone()
        };
        let mut claims = AccessClaims {
            app_id: app.id,
            user_id: encode_uri_component(user_id),
            submission_interval: s.submission_interval_ms,
            collect_sdp: s.collect_sdp,
            taas_enabled: false,
            ml_pipeline_enabled: false,
            ingested_events: ingested,
            expiry,
            iat: now_secs,
            exp,
            jti: String::new(),
            third_party,
        };
        // callstats-js decodes the payload with atob(), which rejects `-` and `_`. In ASCII JSON
        // only the bytes `>`, `?`, `~` and DEL can produce them (as the last character of a
        // 3-byte group). encodeURIComponent escapes `>` and `?`, and `~` can be written as the
        // JSON escape `\u007e`, which JSON.parse turns back into `~`; so the payload is made of
        // bytes that never encode to `-` or `_`. The check below keeps that promise honest.
        claims.jti = nonce(12);
        let json = serde_json::to_string(&claims).map_err(|e| AuthRefusal::server(format!("token claims: {e}")))?;
        let json = json.replace('~', "\\u007e");
        let raw = serde_json::value::RawValue::from_string(json)
            .map_err(|e| AuthRefusal::server(format!("token claims: {e}")))?;
        let token = encode(&Header::new(Algorithm::HS256), &raw, &self.encoding)
            .map_err(|e| AuthRefusal::server(format!("token signing failed: {e}")))?;
        if !access_payload_is_atob_safe(&token) {
            return Err(AuthRefusal::server("could not produce a token the client can decode"));
        }
        Ok(TokenReply { access_token: token, token_type: "bearer".into(), expires_in: ttl as u64 })
    }

    /// Verifies an access token we issued, at `now_secs` (expiry is checked against the
    /// service's clock rather than the library's, so tests can move time).
    pub fn verify(&self, token: &str, now_secs: i64) -> Result<AccessClaims, AccessRefusal> {
        let mut v = Validation::new(Algorithm::HS256);
        v.validate_exp = false;
        v.set_required_spec_claims(&["exp"]);
        let claims = decode::<AccessClaims>(token, &self.decoding, &v)
            .map(|d| d.claims)
            .map_err(|e| AccessRefusal::Invalid(explain(&e)))?;
        if claims.exp <= now_secs {
            return Err(AccessRefusal::Expired);
        }
        Ok(claims)
    }
}

fn nonce(len: usize) -> String {
    use rand::Rng;
    const HEX: &[u8] = b"0123456789abcdef";
    let mut rng = rand::rng();
    (0..len).map(|_| HEX[rng.random_range(0..16)] as char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use callstats_store::AppSettings;

    fn app() -> App {
        App {
            id: 123456789,
            name: "t".into(),
            secret_sealed: vec![],
            origins: vec![],
            settings: AppSettings::default(),
            created_at_ms: 0,
            webhook_secret_sealed: None,
        }
    }

    #[test]
    fn issued_tokens_verify_until_expiry_and_are_atob_safe() {
        let issuer = TokenIssuer::new(&ServerKey::generate());
        for user in ["alice@example.com", "a~b~c~~d", "bob"] {
            let t = issuer.issue(&app(), user, false, 1_000_000).unwrap();
            assert_eq!(t.token_type, "bearer");
            assert!(access_payload_is_atob_safe(&t.access_token));
            let c = issuer.verify(&t.access_token, 1_000_000 + 3599).unwrap();
            assert_eq!(c.user_id, encode_uri_component(user));
            assert_eq!(c.app_id, 123456789);
            assert_eq!(c.ingested_events.len(), ALL_INGESTED_EVENTS.len());
            assert!(c.submission_interval <= 15_000);
            assert_eq!(issuer.verify(&t.access_token, 1_000_000 + 3600), Err(AccessRefusal::Expired));
        }
        let other = TokenIssuer::new(&ServerKey::generate());
        let t = other.issue(&app(), "x", false, 1_000_000).unwrap();
        assert!(matches!(issuer.verify(&t.access_token, 1_000_000), Err(AccessRefusal::Invalid(_))));
    }
}
