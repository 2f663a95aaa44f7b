#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod access;
mod api;
mod assets;
mod collector;
mod error;
mod serve;

use std::sync::Arc;

use std::net::{IpAddr, SocketAddr};

use axum::Router;
use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, Method, header};
use callstats_ingest::Ingest;
use tower_http::cors::{AllowOrigin, CorsLayer};

pub use assets::missing_assets;
pub use error::{ApiError, CollectorError};
pub use serve::{ConnectionLimits, serve};

/// The OpenAPI description of the JSON API, served at `/api/openapi.json`.
pub const OPENAPI: &str = include_str!("../openapi.json");

/// Shared state of every handler.
pub type AppState = Arc<Ingest>;

/// Builds the whole HTTP surface.
pub fn router(ingest: Arc<Ingest>) -> Router {
    // Browser pages on any origin talk to the collector (the per-app allow-list is enforced on
    // the actual request, where the app is known). The original client never sends cookies, so
    // echoing the origin is safe.
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::mirror_request())
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::CONTENT_ENCODING,
            HeaderName::from_static("token"),
        ])
        .max_age(std::time::Duration::from_secs(3600));
    Router::new()
        .merge(collector::routes())
        .merge(api::routes())
        .merge(assets::routes())
        .fallback(error::not_found)
        .layer(axum::middleware::from_fn(count_request))
        .layer(cors)
        .with_state(ingest)
}

/// Counts a request by route template (bounded: never the path itself) and status, and times
/// it: `callstats_http_requests_total`, `callstats_http_request_duration_seconds`.
async fn count_request(req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let route = req.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let started = std::time::Instant::now();
    let resp = next.run(req).await;
    let status = resp.status().as_str().to_owned();
    metrics::histogram!("callstats_http_request_duration_seconds", "route" => route.clone())
        .record(started.elapsed().as_secs_f64());
    metrics::counter!("callstats_http_requests_total", "route" => route, "status" => status).increment(1);
    resp
}

/// The client's IP address: from the header a proxy in front sets when the operator named one
/// (its last address, the one that proxy appended), else the connection's peer; `None` when
/// neither is known (requests handed to the router in-process).
pub(crate) struct ClientIp(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, ingest: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(name) = ingest.client_ip_header() {
            let last = parts.headers.get_all(name).iter().filter_map(|v| v.to_str().ok()).next_back();
            let ip = last.and_then(|v| v.rsplit(',').next()).and_then(|v| v.trim().parse().ok());
            return Ok(ClientIp(ip));
        }
        Ok(ClientIp(parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip())))
    }
}

/// The `Origin` header, if any.
pub(crate) fn origin(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::ORIGIN).and_then(|v| v.to_str().ok())
}

/// The bearer token of a request: `Authorization: Bearer …`, or the REST API's `token` header.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    if let Some(v) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let v = v.trim();
        if v.len() > 7 && v[..7].eq_ignore_ascii_case("bearer ") {
            return Some(v[7..].trim());
        }
    }
    headers.get("token").and_then(|v| v.to_str().ok()).map(str::trim)
}
