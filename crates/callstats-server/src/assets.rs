//! The browser assets served by the binary itself: the SDK at `/static/callstats.min.js` (so a
//! page's script tag and its default server are one origin) and the dashboard. They are embedded
//! at build time (`build.rs` says which were built); nothing is read from disk at run time.

use axum::Router;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::AppState;

/// A bundle's bytes when its build had run before the crate was compiled.
macro_rules! bundle {
    ($built:ident, $file:literal) => {{
        #[cfg($built)]
        let bytes: Option<&'static [u8]> = Some(include_bytes!(concat!("../assets/", $file)));
        #[cfg(not($built))]
        let bytes: Option<&'static [u8]> = None;
        bytes
    }};
}

const JS: &str = "application/javascript; charset=utf-8";

/// Embedded assets: (URL path, bytes if built, content type).
static ASSETS: &[(&str, Option<&[u8]>, &str)] = &[
    ("/static/callstats.min.js", bundle!(built_sdk, "callstats.min.js"), JS),
    ("/static/callstats.js", bundle!(built_sdk, "callstats.js"), JS),
    ("/static/callstats.js.map", bundle!(built_sdk, "callstats.js.map"), "application/json"),
    ("/", bundle!(built_dashboard, "dashboard/index.html"), "text/html; charset=utf-8"),
    ("/assets/dashboard.js", bundle!(built_dashboard, "dashboard/dashboard.js"), JS),
    ("/assets/dashboard.css", bundle!(built_dashboard, "dashboard/dashboard.css"), "text/css; charset=utf-8"),
];

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/", get(serve)).route("/static/{file}", get(serve)).route("/assets/{file}", get(serve))
}

async fn serve(uri: Uri) -> Response {
    let Some((_, bytes, ctype)) = ASSETS.iter().find(|(url, _, _)| *url == uri.path()) else {
        return crate::error::not_found(uri).await;
    };
    match bytes {
        Some(b) => {
            // The SDK is loaded by third-party pages: allow it cross-origin, and let browsers
            // cache it briefly (it changes with the server version).
            let cache = if uri.path() == "/" { "no-cache" } else { "public, max-age=300" };
            ([(header::CONTENT_TYPE, *ctype), (header::CACHE_CONTROL, cache)], *b).into_response()
        }
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!(
                "{} was not built into this binary; run `npm run build` in sdk/ and dashboard/, then rebuild",
                uri.path()
            ),
        )
            .into_response(),
    }
}

/// Paths of assets missing from this build (the test suite requires none).
pub fn missing_assets() -> Vec<&'static str> {
    ASSETS.iter().filter(|(_, b, _)| b.is_none()).map(|(url, _, _)| *url).collect()
}
