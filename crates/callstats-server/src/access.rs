//! Who may use the JSON API: an admin token (`Authorization: Bearer csa_…`, for scripts and the
//! CLI) or a dashboard session cookie. A request authenticated by the cookie that changes
//! anything must also carry the session's CSRF token in `X-CSRF-Token`; the cookie is
//! `SameSite=Strict` as well, so a forged cross-site request fails twice over.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use callstats_ingest::IngestError;

use crate::error::ApiError;
use crate::{AppState, bearer};

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "callstats_session";

/// The session cookie's value, if the request has one.
pub(crate) fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == SESSION_COOKIE)
        .map(|c| c.value().to_owned())
}

/// Proof that the request may use the API.
#[derive(Debug, Clone)]
pub struct Admin {
    /// The dashboard user, when signed in with a session.
    #[allow(dead_code)]
    pub username: Option<String>,
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, ingest: &AppState) -> Result<Self, Self::Rejection> {
        let fail = |error| ApiError { error, path: parts.uri.path().to_owned() };
        if let Some(token) = bearer(&parts.headers) {
            ingest.check_admin(Some(token)).await.map_err(fail)?;
            return Ok(Admin { username: None });
        }
        let Some(cookie) = session_cookie(&parts.headers) else {
            return Err(fail(IngestError::Unauthorized("sign in, or send an admin token".into())));
        };
        let session = ingest.session(&cookie).await.map_err(fail)?;
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        let echoed = parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok());
        if !safe && echoed != Some(session.csrf_token.as_str()) {
            return Err(fail(IngestError::Forbidden("missing or wrong X-CSRF-Token".into())));
        }
        Ok(Admin { username: Some(session.username) })
    }
}
