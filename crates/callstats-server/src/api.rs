//! The JSON read API (`/api/v1/…`), documented in `openapi.json`. Every route needs an admin
//! token (`callstats admin token`) as `Authorization: Bearer …`; the dashboard builds on the same
//! routes.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use callstats_ingest::IngestError;
use callstats_store::{AppId, SubmissionKind};
use serde::Deserialize;
use serde_json::json;

use crate::error::ApiError;
use crate::{AppState, OPENAPI, bearer};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/openapi.json", get(openapi))
        .route("/api/v1/apps", get(list_apps))
        .route("/api/v1/apps/{app}/conferences", get(list_conferences))
        .route("/api/v1/apps/{app}/conferences/{conf}", get(get_conference))
        .route("/api/v1/apps/{app}/conferences/{conf}/stats", get(list_stats))
        .route("/api/v1/apps/{app}/submissions", get(list_app_submissions))
        .route("/api/v1/apps/{app}/aggregates", get(get_aggregates))
        .route("/api/v1/apps/{app}/settings", get(get_settings).patch(patch_settings))
        .route("/api/v1/apps/{app}/webhook", put(put_webhook))
        .route("/api/v1/apps/{app}/webhook/deliveries", get(list_deliveries))
}

async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

fn fail(uri: &Uri) -> impl FnOnce(IngestError) -> ApiError + '_ {
    move |error| ApiError { error, path: uri.path().to_owned() }
}

fn app_id(segment: &str) -> Result<AppId, IngestError> {
    segment.parse().map_err(|_| IngestError::NotFound(format!("AppID `{segment}` is not a number")))
}

async fn list_apps(State(ingest): State<AppState>, uri: Uri, headers: HeaderMap) -> Result<Response, ApiError> {
    ingest.check_admin(bearer(&headers)).await.map_err(fail(&uri))?;
    let apps = ingest.store().apps().await.map_err(|e| fail(&uri)(e.into()))?;
    let apps: Vec<_> = apps
        .into_iter()
        .map(|a| json!({"appID": a.id, "name": a.name, "origins": a.origins, "settings": a.settings, "createdAt": a.created_at_ms}))
        .collect();
    Ok(Json(json!({ "apps": apps })).into_response())
}

#[derive(Deserialize)]
struct Page {
    limit: Option<u32>,
}

async fn list_conferences(
    State(ingest): State<AppState>,
    Path(app): Path<String>,
    Query(page): Query<Page>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    ingest.check_admin(bearer(&headers)).await.map_err(fail(&uri))?;
    let app = app_id(&app).map_err(fail(&uri))?;
    let conferences = ingest.list_conferences(app, page.limit.unwrap_or(100)).await.map_err(fail(&uri))?;
    Ok(Json(json!({ "conferences": conferences })).into_response())
}

async fn get_conference(
    State(ingest): State<AppState>,
    Path((app, conf)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    ingest.check_admin(bearer(&headers)).await.map_err(fail(&uri))?;
    let app = app_id(&app).map_err(fail(&uri))?;
    let detail = ingest.conference_detail(app, &conf).await.map_err(fail(&uri))?;
    Ok(Json(detail).into_response())
}

#[derive(Deserialize)]
struct StatsQuery {
    #[serde(rename = "connectionID")]
    connection_id: Option<String>,
    limit: Option<u32>,
}

async fn list_stats(
    State(ingest): State<AppState>,
    Path((app, conf)): Path<(String, String)>,
    Query(q): Query<StatsQuery>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    ingest.check_admin(bearer(&headers)).await.map_err(fail(&uri))?;
    let app = app_id(&app).map_err(fail(&uri))?;
    let samples = ingest
        .stats_samples(app, &conf, q.connection_id.as_deref(), q.limit.unwrap_or(1000))
        .await
        .map_err(fail(&uri))?;
    Ok(Json(json!({ "samples": samples })).into_response())
}

#[derive(Deserialize)]
struct SubmissionsQuery {
    kind: Option<String>,
    limit: Option<u32>,
}

async fn list_app_submissions(
    State(ingest): State<AppState>,
    Path(app): Path<String>,
    Query(q): Query<SubmissionsQuery>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    ingest.check_admin(bearer(&headers)).await.map_err(fail(&uri))?;
    let app = app_id(&app).map_err(fail(&uri))?;
    let kind = match q.kind.as_deref() {
        None => None,
        Some(k) => Some(
            SubmissionKind::parse(k)
                .ok_or_else(|| IngestError::BadRequest(format!("unknown kind `{k}`")))
                .map_err(fail(&uri))?,
        ),
    };
    let submissions = ingest.app_submissions(app, kind, q.limit.unwrap_or(1000)).await.map_err(fail(&uri))?;
    Ok(Json(json!({ "submissions": submissions })).into_response())
}

async fn get_aggregates(
    State(ingest): State<AppState>,
    Path(app): Path<String>,
    Query(filter): Query<callstats_ingest::analysis::AggregateFilter>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    ingest.check_admin(bearer(&headers)).await.map_err(fail(&uri))?;
    let app = app_id(&app).map_err(fail(&uri))?;
    let report = ingest.aggregates(app, &filter).await.map_err(fail(&uri))?;
    Ok(Json(report).into_response())
}

async fn get_settings(
    State(ingest): State<AppState>,
    Path(app): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    ingest.check_admin(bearer(&headers)).await.map_err(fail(&uri))?;
    let app = app_id(&app).map_err(fail(&uri))?;
    let record = ingest.app(app).await.map_err(fail(&uri))?;
    Ok(Json(&record.settings).into_response())
}

/// Reads a JSON request body, refusing anything else with a clear message.
fn json_body(bytes: &[u8]) -> Result<serde_json::Value, IngestError> {
    serde_json::from_slice(bytes).map_err(|e| IngestError::BadRequest(format!("body is not JSON: {e}")))
}

async fn patch_settings(
    State(ingest): State<AppState>,
    Path(app): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    ingest.check_admin(bearer(&headers)).await.map_err(fail(&uri))?;
    let app = app_id(&app).map_err(fail(&uri))?;
    let patch = json_body(&body).map_err(fail(&uri))?;
    let settings = ingest.patch_settings(app, &patch).await.map_err(fail(&uri))?;
    Ok(Json(settings).into_response())
}

async fn put_webhook(
    State(ingest): State<AppState>,
    Path(app): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    ingest.check_admin(bearer(&headers)).await.map_err(fail(&uri))?;
    let app = app_id(&app).map_err(fail(&uri))?;
    let doc = json_body(&body).map_err(fail(&uri))?;
    let url = match doc.get("url") {
        Some(serde_json::Value::String(u)) => Some(u.clone()),
        Some(serde_json::Value::Null) | None => None,
        Some(_) => return Err(fail(&uri)(IngestError::BadRequest("url must be a string or null".into()))),
    };
    let secret = ingest.set_webhook(app, url.clone()).await.map_err(fail(&uri))?;
    Ok(Json(json!({"url": url, "secret": secret})).into_response())
}

async fn list_deliveries(
    State(ingest): State<AppState>,
    Path(app): Path<String>,
    Query(page): Query<Page>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    ingest.check_admin(bearer(&headers)).await.map_err(fail(&uri))?;
    let app = app_id(&app).map_err(fail(&uri))?;
    let deliveries = ingest.webhook_deliveries(app, page.limit.unwrap_or(100)).await.map_err(fail(&uri))?;
    Ok(Json(json!({ "deliveries": deliveries })).into_response())
}
