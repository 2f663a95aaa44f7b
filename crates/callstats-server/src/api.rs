//! The JSON read API (`/api/v1/…`), documented in `openapi.json`. Every route needs an admin
//! token (`callstats admin token`) as `Authorization: Bearer …`; the dashboard builds on the same
//! routes.

use axum::extract::{Path, Query, State};
use axum::http::{Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use callstats_ingest::IngestError;
use callstats_store::{AppId, SubmissionKind};
use serde::Deserialize;
use serde_json::json;

use crate::access::Admin;
use crate::error::ApiError;
use crate::{AppState, ClientIp, OPENAPI};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/openapi.json", get(openapi))
        .route("/api/v1/session", get(get_session).post(sign_in).delete(sign_out))
        .route("/api/v1/apps", get(list_apps).post(create_app))
        .route("/api/v1/apps/{app}/secret", post(rotate_secret))
        .route("/api/v1/apps/{app}/keys", get(list_keys).post(add_key))
        .route("/api/v1/apps/{app}/origins", put(put_origins))
        .route("/api/v1/apps/{app}/integration", get(get_integration))
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

async fn list_apps(State(ingest): State<AppState>, _admin: Admin, uri: Uri) -> Result<Response, ApiError> {
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
    _admin: Admin,
    Path(app): Path<String>,
    Query(filter): Query<callstats_store::ConferenceFilter>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let app = app_id(&app).map_err(fail(&uri))?;
    let conferences = ingest.list_conferences(app, &filter).await.map_err(fail(&uri))?;
    Ok(Json(json!({ "conferences": conferences })).into_response())
}

async fn get_conference(
    State(ingest): State<AppState>,
    _admin: Admin,
    Path((app, conf)): Path<(String, String)>,
    uri: Uri,
) -> Result<Response, ApiError> {
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
    _admin: Admin,
    Path((app, conf)): Path<(String, String)>,
    Query(q): Query<StatsQuery>,
    uri: Uri,
) -> Result<Response, ApiError> {
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
    _admin: Admin,
    Path(app): Path<String>,
    Query(q): Query<SubmissionsQuery>,
    uri: Uri,
) -> Result<Response, ApiError> {
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
    _admin: Admin,
    Path(app): Path<String>,
    Query(filter): Query<callstats_ingest::aggregates::AggregateFilter>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let app = app_id(&app).map_err(fail(&uri))?;
    let report = ingest.aggregates(app, &filter).await.map_err(fail(&uri))?;
    Ok(Json(report).into_response())
}

async fn get_settings(
    State(ingest): State<AppState>,
    _admin: Admin,
    Path(app): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let app = app_id(&app).map_err(fail(&uri))?;
    let record = ingest.app(app).await.map_err(fail(&uri))?;
    Ok(Json(&record.settings).into_response())
}

/// Reads a JSON request body, refusing anything else (or anything nested too deeply to be
/// stored and read back) with a clear message.
fn json_body(ingest: &AppState, bytes: &[u8]) -> Result<serde_json::Value, IngestError> {
    callstats_protocol::depth::check_depth(bytes, ingest.limits().max_json_depth)?;
    serde_json::from_slice(bytes).map_err(|e| IngestError::BadRequest(format!("body is not JSON: {e}")))
}

async fn patch_settings(
    State(ingest): State<AppState>,
    _admin: Admin,
    Path(app): Path<String>,
    uri: Uri,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let app = app_id(&app).map_err(fail(&uri))?;
    let patch = json_body(&ingest, &body).map_err(fail(&uri))?;
    let settings = ingest.patch_settings(app, &patch).await.map_err(fail(&uri))?;
    Ok(Json(settings).into_response())
}

async fn put_webhook(
    State(ingest): State<AppState>,
    _admin: Admin,
    Path(app): Path<String>,
    uri: Uri,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let app = app_id(&app).map_err(fail(&uri))?;
    let doc = json_body(&ingest, &body).map_err(fail(&uri))?;
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
    _admin: Admin,
    Path(app): Path<String>,
    Query(page): Query<Page>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let app = app_id(&app).map_err(fail(&uri))?;
    let deliveries = ingest.webhook_deliveries(app, page.limit.unwrap_or(100)).await.map_err(fail(&uri))?;
    Ok(Json(json!({ "deliveries": deliveries })).into_response())
}

#[derive(Deserialize)]
struct Credentials {
    username: String,
    password: String,
}

fn session_cookie_header(token: &str, max_age_secs: i64) -> String {
    cookie::Cookie::build((crate::access::SESSION_COOKIE, token.to_owned()))
        .http_only(true)
        .same_site(cookie::SameSite::Strict)
        .path("/")
        .max_age(cookie::time::Duration::seconds(max_age_secs))
        .build()
        .to_string()
}

async fn sign_in(
    State(ingest): State<AppState>,
    ClientIp(ip): ClientIp,
    uri: Uri,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let creds: Credentials = serde_json::from_slice(&body)
        .map_err(|e| fail(&uri)(IngestError::BadRequest(format!("expected {{username, password}}: {e}"))))?;
    let signed = ingest.sign_in(&creds.username, &creds.password, ip).await.map_err(fail(&uri))?;
    let cookie = session_cookie_header(&signed.token, callstats_ingest::accounts::SESSION_TTL_MS / 1000);
    let body = json!({"username": signed.session.username, "csrfToken": signed.session.csrf_token, "expiresAt": signed.session.expires_at});
    Ok(([(header::SET_COOKIE, cookie)], Json(body)).into_response())
}

async fn get_session(
    State(ingest): State<AppState>,
    uri: Uri,
    headers: axum::http::HeaderMap,
) -> Result<Response, ApiError> {
    let token = crate::access::session_cookie(&headers)
        .ok_or_else(|| fail(&uri)(IngestError::Unauthorized("not signed in".into())))?;
    let session = ingest.session(&token).await.map_err(fail(&uri))?;
    Ok(Json(json!({"username": session.username, "csrfToken": session.csrf_token, "expiresAt": session.expires_at}))
        .into_response())
}

async fn sign_out(
    State(ingest): State<AppState>,
    _admin: Admin,
    uri: Uri,
    headers: axum::http::HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(token) = crate::access::session_cookie(&headers) {
        ingest.sign_out(&token).await.map_err(fail(&uri))?;
    }
    Ok(([(header::SET_COOKIE, session_cookie_header("", 0))], Json(json!({"status": "signedOut"}))).into_response())
}

#[derive(Deserialize)]
struct NewApp {
    name: String,
}

async fn create_app(
    State(ingest): State<AppState>,
    _admin: Admin,
    uri: Uri,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let new: NewApp = serde_json::from_slice(&body)
        .map_err(|e| fail(&uri)(IngestError::BadRequest(format!("expected {{name}}: {e}"))))?;
    if new.name.trim().is_empty() {
        return Err(fail(&uri)(IngestError::BadRequest("name must not be empty".into())));
    }
    let (app, secret) = ingest.create_app(new.name.trim()).await.map_err(fail(&uri))?;
    Ok((axum::http::StatusCode::CREATED, Json(json!({"appID": app.id, "name": app.name, "appSecret": secret})))
        .into_response())
}

async fn rotate_secret(
    State(ingest): State<AppState>,
    _admin: Admin,
    Path(app): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let app = app_id(&app).map_err(fail(&uri))?;
    let secret = ingest.rotate_secret(app).await.map_err(fail(&uri))?;
    Ok(Json(json!({"appID": app, "appSecret": secret})).into_response())
}

async fn list_keys(
    State(ingest): State<AppState>,
    _admin: Admin,
    Path(app): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let app = app_id(&app).map_err(fail(&uri))?;
    ingest.app(app).await.map_err(fail(&uri))?;
    let keys = ingest.store().app_keys(app).await.map_err(|e| fail(&uri)(e.into()))?;
    let keys: Vec<_> = keys
        .into_iter()
        .map(|k| json!({"keyID": k.key_id, "algorithm": k.algorithm, "publicKeyPem": k.public_key_pem, "createdAt": k.created_at_ms}))
        .collect();
    Ok(Json(json!({ "keys": keys })).into_response())
}

#[derive(Deserialize)]
struct NewKey {
    #[serde(rename = "keyID")]
    key_id: String,
    #[serde(rename = "publicKeyPem")]
    public_key_pem: String,
}

async fn add_key(
    State(ingest): State<AppState>,
    _admin: Admin,
    Path(app): Path<String>,
    uri: Uri,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let app = app_id(&app).map_err(fail(&uri))?;
    let key: NewKey = serde_json::from_slice(&body)
        .map_err(|e| fail(&uri)(IngestError::BadRequest(format!("expected {{keyID, publicKeyPem}}: {e}"))))?;
    ingest.add_app_key(app, &key.key_id, &key.public_key_pem).await.map_err(fail(&uri))?;
    Ok((axum::http::StatusCode::CREATED, Json(json!({"keyID": key.key_id}))).into_response())
}

#[derive(Deserialize)]
struct Origins {
    origins: Vec<String>,
}

async fn put_origins(
    State(ingest): State<AppState>,
    _admin: Admin,
    Path(app): Path<String>,
    uri: Uri,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let app = app_id(&app).map_err(fail(&uri))?;
    let o: Origins = serde_json::from_slice(&body)
        .map_err(|e| fail(&uri)(IngestError::BadRequest(format!("expected {{origins: [..]}}: {e}"))))?;
    ingest.set_origins(app, o.origins.clone()).await.map_err(fail(&uri))?;
    Ok(Json(json!({"origins": o.origins})).into_response())
}

async fn get_integration(
    State(ingest): State<AppState>,
    _admin: Admin,
    Path(app): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let app = app_id(&app).map_err(fail(&uri))?;
    let steps = ingest.integration_progress(app).await.map_err(fail(&uri))?;
    Ok(Json(json!({ "steps": steps })).into_response())
}
