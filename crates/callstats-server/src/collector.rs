//! The routes callstats.js talks to. One origin serves them all, so a page points
//! `authServiceURL` and `collectorURL` at `http://HOST/` and `restEventURL`, `restStatsURL` and
//! `appSettingsURL` at `http://HOST/v1/apps/`. Conference IDs arrive percent-encoded (`/` as
//! `%2F`); routing happens on the raw path and each segment is decoded after matching.
//!
//! Three extensions of REST API v1 serve our SDK; callstats-js never uses them and the original
//! routes are unchanged: `Content-Encoding: gzip` on any body, `…/{ucID}/batch` (several
//! submissions in one request), and `…/{ucID}/stats/compact`, the delta-encoded stats body of
//! `callstats_protocol::compact` (answered 409 when a delta's base is not held here).

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use callstats_ingest::{Caller, Ingest, IngestError};
use callstats_protocol::auth::AuthForm;
use callstats_protocol::reply::{ClockSyncReply, StatusReply, UserJoinedReply};

use crate::error::CollectorError;
use crate::{AppState, ClientIp, bearer, origin};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/authenticate", post(authenticate))
        .route("/clockSync", get(clock_sync))
        .route("/generics", post(generics))
        .route("/v1/apps/{app}/conferences/{conf}", post(user_joined))
        .route("/v1/apps/{app}/conferences/{conf}/{uc}/{*route}", post(submit))
        .route("/v1/apps/{app}/events/precall", post(precall_results))
        .route("/v1/apps/{app}/events/precallnotification", post(precall_notification))
        .route("/v1/apps/{app}/configurations", get(configurations).post(sender_configuration))
        .route("/v1/apps/{app}/configurations/internal", get(internal_configurations))
}

/// Reads a body within the size limit; the `Content-Length` is checked first so an oversize
/// upload is refused before it is read.
async fn read_body(ingest: &Ingest, headers: &HeaderMap, body: Body) -> Result<Bytes, IngestError> {
    let limit = ingest.limits().max_body_bytes;
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(IngestError::TooLarge { limit });
    }
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|e| {
        let too_large = std::error::Error::source(&e)
            .is_some_and(|s| s.downcast_ref::<http_body_util::LengthLimitError>().is_some());
        if too_large {
            IngestError::TooLarge { limit }
        } else {
            IngestError::BadRequest(format!("could not read the request body: {e}"))
        }
    })?;
    match headers.get(header::CONTENT_ENCODING).and_then(|v| v.to_str().ok()).map(str::trim) {
        None | Some("identity") => Ok(bytes),
        // Our SDK gzips large bodies (an extension of REST API v1; callstats-js never does).
        // The limit applies to the decompressed body, so a small bomb cannot grow past it.
        Some("gzip") => {
            use std::io::Read;
            let mut out = Vec::with_capacity(bytes.len() * 6);
            flate2::read::GzDecoder::new(&bytes[..])
                .take(limit as u64 + 1)
                .read_to_end(&mut out)
                .map_err(|e| IngestError::BadRequest(format!("body is not valid gzip: {e}")))?;
            if out.len() > limit {
                return Err(IngestError::TooLarge { limit });
            }
            Ok(Bytes::from(out))
        }
        Some(other) => Err(IngestError::BadRequest(format!("Content-Encoding `{other}` is not supported (use gzip)"))),
    }
}

fn fail(uri: &Uri) -> impl FnOnce(IngestError) -> CollectorError + '_ {
    move |error| CollectorError { error, path: uri.path().to_owned() }
}

fn accepted() -> Response {
    Json(StatusReply { status: "success", msg: Some("accepted"), field: None }).into_response()
}

/// Who is calling; the country only from the header the operator said a proxy in front sets.
fn caller<'a>(ingest: &Ingest, headers: &'a HeaderMap) -> Caller<'a> {
    let country = ingest.country_header().and_then(|name| headers.get(name)).and_then(|v| v.to_str().ok());
    Caller { token: bearer(headers), origin: origin(headers), country }
}

async fn authenticate(
    State(ingest): State<AppState>,
    ClientIp(ip): ClientIp,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let bytes = match read_body(&ingest, &headers, body).await {
        Ok(b) => b,
        Err(e) => return fail(&uri)(e).into_response(),
    };
    let form: AuthForm = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
    match ingest.authenticate(&form, origin(&headers), ip).await {
        Ok(reply) => Json(reply).into_response(),
        Err((refusal, body)) => {
            tracing::info!(http.status = refusal.status, http.path = uri.path(), reason = %refusal.reason, "authentication rejected");
            let reason = if refusal.status == 429 { "rate" } else { "auth" };
            metrics::counter!("callstats_refusals_total", "reason" => reason).increment(1);
            let status = StatusCode::from_u16(refusal.status).unwrap_or(StatusCode::UNAUTHORIZED);
            let resp = (status, Json(body)).into_response();
            match refusal.retry_after_secs {
                Some(secs) => crate::error::retry_after(secs, resp),
                None => resp,
            }
        }
    }
}

async fn clock_sync(State(ingest): State<AppState>) -> Json<ClockSyncReply> {
    Json(ClockSyncReply { now: ingest.now_ms() })
}

async fn generics(
    State(ingest): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, CollectorError> {
    let bytes = read_body(&ingest, &headers, body).await.map_err(fail(&uri))?;
    ingest.generic(origin(&headers), &bytes).await.map_err(fail(&uri))?;
    Ok(accepted())
}

async fn user_joined(
    State(ingest): State<AppState>,
    Path((app, conf)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, CollectorError> {
    let bytes = read_body(&ingest, &headers, body).await.map_err(fail(&uri))?;
    let uc_id = ingest.user_joined(caller(&ingest, &headers), &app, &conf, &bytes).await.map_err(fail(&uri))?;
    Ok(Json(UserJoinedReply { status: "success", uc_id: &uc_id }).into_response())
}

async fn submit(
    State(ingest): State<AppState>,
    Path((app, conf, uc, route)): Path<(String, String, String, String)>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, CollectorError> {
    let bytes = read_body(&ingest, &headers, body).await.map_err(fail(&uri))?;
    if route == "batch" {
        let outcomes =
            ingest.submit_batch(caller(&ingest, &headers), &app, &conf, &uc, &bytes).await.map_err(fail(&uri))?;
        let results: Vec<serde_json::Value> = outcomes
            .iter()
            .map(|o| match o {
                Ok(()) => serde_json::json!({"status": "success"}),
                Err(e) => {
                    let field = match e {
                        IngestError::Protocol(p) => p.field(),
                        _ => None,
                    };
                    serde_json::json!({"status": "error", "msg": e.to_string(), "field": field})
                }
            })
            .collect();
        return Ok(Json(serde_json::json!({"status": "success", "results": results})).into_response());
    }
    ingest.submit(caller(&ingest, &headers), &app, &conf, &uc, &route, &bytes).await.map_err(fail(&uri))?;
    Ok(accepted())
}

async fn precall_results(
    state: State<AppState>,
    app: Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, CollectorError> {
    precall(state, app, uri, headers, body, false).await
}

async fn precall_notification(
    state: State<AppState>,
    app: Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, CollectorError> {
    precall(state, app, uri, headers, body, true).await
}

async fn precall(
    State(ingest): State<AppState>,
    Path(app): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
    notification: bool,
) -> Result<Response, CollectorError> {
    let bytes = read_body(&ingest, &headers, body).await.map_err(fail(&uri))?;
    ingest.precall(caller(&ingest, &headers), &app, notification, &bytes).await.map_err(fail(&uri))?;
    Ok(accepted())
}

async fn configurations(
    State(ingest): State<AppState>,
    Path(app): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, CollectorError> {
    let config = ingest.app_configuration(caller(&ingest, &headers), &app).await.map_err(fail(&uri))?;
    Ok(Json(config).into_response())
}

/// callstats-js only logs this answer; an authorised empty object is all it needs.
async fn internal_configurations(
    State(ingest): State<AppState>,
    Path(app): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, CollectorError> {
    ingest.authorize(caller(&ingest, &headers), &app).await.map_err(fail(&uri))?;
    Ok(Json(serde_json::json!({})).into_response())
}

async fn sender_configuration(
    State(ingest): State<AppState>,
    Path(app): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, CollectorError> {
    let bytes = read_body(&ingest, &headers, body).await.map_err(fail(&uri))?;
    ingest.sender_config(caller(&ingest, &headers), &app, &bytes).await.map_err(fail(&uri))?;
    Ok(Json(serde_json::json!({})).into_response())
}
