//! The one place where errors become HTTP answers, and are logged.
//!
//! Two shapes: the collector answers `{"status":"error","msg":…}` because callstats-js parses
//! every reply and reads only `status`/`msg` (and re-authenticates on the exact message
//! `Token has expired`); the JSON API answers `{"error":{"status":…,"message":…}}`. Both carry
//! the right HTTP status code. Rejections are logged once here, at `info` for the caller's
//! mistakes (an integration being debugged wants to see them) and `error` for our own.

use axum::Json;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use callstats_ingest::IngestError;
use callstats_protocol::reply::{StatusReply, TOKEN_EXPIRED};

fn status_of(e: &IngestError) -> StatusCode {
    match e {
        IngestError::Protocol(_) | IngestError::BadRequest(_) => StatusCode::BAD_REQUEST,
        IngestError::Unauthorized(_) | IngestError::TokenExpired => StatusCode::UNAUTHORIZED,
        IngestError::Forbidden(_) => StatusCode::FORBIDDEN,
        IngestError::NotFound(_) => StatusCode::NOT_FOUND,
        IngestError::KeyframeRequired(_) => StatusCode::CONFLICT,
        IngestError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        IngestError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        IngestError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
        IngestError::Config(_) | IngestError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// What a refusal is counted as in `callstats_refusals_total`.
fn reason_of(e: &IngestError) -> &'static str {
    match e {
        IngestError::Protocol(_) | IngestError::BadRequest(_) => "invalid",
        IngestError::Unauthorized(_) | IngestError::TokenExpired => "auth",
        IngestError::Forbidden(_) => "forbidden",
        IngestError::NotFound(_) => "not_found",
        IngestError::KeyframeRequired(_) => "keyframe_required",
        IngestError::TooLarge { .. } => "size",
        IngestError::TooManyRequests { .. } => "rate",
        IngestError::Unavailable(_) => "unavailable",
        IngestError::Config(_) | IngestError::Store(_) => "error",
    }
}

fn log(status: StatusCode, e: &IngestError, path: &str) {
    metrics::counter!("callstats_refusals_total", "reason" => reason_of(e)).increment(1);
    if status.is_server_error() {
        tracing::error!(http.status = status.as_u16(), http.path = path, error = %e, "request failed");
    } else {
        tracing::info!(http.status = status.as_u16(), http.path = path, error = %e, "request rejected");
    }
}

/// `Retry-After` on what the caller may retry: an overloaded server in a second, a rate limit
/// when it says.
fn with_retry_after(e: &IngestError, resp: Response) -> Response {
    match e {
        IngestError::Unavailable(_) => retry_after(1, resp),
        IngestError::TooManyRequests { retry_after_secs, .. } => retry_after(*retry_after_secs, resp),
        _ => resp,
    }
}

pub(crate) fn retry_after(secs: u64, mut resp: Response) -> Response {
    resp.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
    resp
}

/// An error on a collector route.
#[derive(Debug)]
pub struct CollectorError {
    /// What went wrong.
    pub error: IngestError,
    /// The request path, for the log.
    pub path: String,
}

impl IntoResponse for CollectorError {
    fn into_response(self) -> Response {
        let status = status_of(&self.error);
        log(status, &self.error, &self.path);
        let msg = match &self.error {
            IngestError::TokenExpired => TOKEN_EXPIRED.to_owned(),
            // Internal details stay in our log.
            e if status.is_server_error() && !matches!(e, IngestError::Unavailable(_)) => "internal error".to_owned(),
            e => e.to_string(),
        };
        let field = match &self.error {
            IngestError::Protocol(p) => p.field(),
            _ => None,
        };
        let body = StatusReply { status: "error", msg: Some(&msg), field };
        with_retry_after(&self.error, (status, Json(body)).into_response())
    }
}

/// An error on a JSON API route.
#[derive(Debug)]
pub struct ApiError {
    /// What went wrong.
    pub error: IngestError,
    /// The request path, for the log.
    pub path: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = status_of(&self.error);
        log(status, &self.error, &self.path);
        let message = if status.is_server_error() && !matches!(self.error, IngestError::Unavailable(_)) {
            "internal error".to_owned()
        } else {
            self.error.to_string()
        };
        let body = serde_json::json!({"error": {"status": status.as_u16(), "message": message}});
        with_retry_after(&self.error, (status, Json(body)).into_response())
    }
}

/// Unknown paths: a JSON 404 in the collector's shape, which every client can parse.
pub(crate) async fn not_found(uri: Uri) -> Response {
    CollectorError {
        error: IngestError::NotFound(format!("no such endpoint: {}", uri.path())),
        path: uri.path().to_owned(),
    }
    .into_response()
}
