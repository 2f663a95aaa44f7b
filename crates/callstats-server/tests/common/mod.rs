//! A whole server in-process: the real router over a real SQLite file in a temp dir (or, with
//! `CALLSTATS_TEST_BACKEND=postgres`, a fresh database on the PostgreSQL server in
//! `CALLSTATS_TEST_DATABASE_URL`; scripts/test runs these tests once per backend), with a
//! clock the test controls, and helpers that speak to it the way callstats.js does.

#![allow(dead_code)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use callstats_ingest::{Ingest, Limits, ManualClock, ServerKey};
use callstats_store::Store;
use callstats_store_postgres::{PostgresStore, create_scratch_database};
use callstats_store_sqlite::SqliteStore;
use hmac::{Hmac, Mac};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use sha2::Sha256;
use tower::ServiceExt;

pub const START_MS: i64 = 1_795_477_900_000;

pub struct TestServer {
    pub router: Router,
    pub ingest: Arc<Ingest>,
    pub clock: Arc<ManualClock>,
    pub app_id: i64,
    pub secret: String,
    pub admin: String,
    _dir: tempfile::TempDir,
}

/// The store the tests run against, chosen by `CALLSTATS_TEST_BACKEND` (`sqlite`, the default,
/// or `postgres`).
pub async fn test_store(dir: &tempfile::TempDir) -> Arc<dyn Store> {
    match std::env::var("CALLSTATS_TEST_BACKEND").as_deref() {
        Ok("postgres") => {
            let server = std::env::var("CALLSTATS_TEST_DATABASE_URL").expect(
                "CALLSTATS_TEST_BACKEND=postgres needs CALLSTATS_TEST_DATABASE_URL (bash scripts/test sets both)",
            );
            let url = create_scratch_database(&server, "server").await.expect("create test database");
            Arc::new(PostgresStore::open(&url).await.expect("open postgres"))
        }
        Ok("sqlite") | Err(_) => Arc::new(SqliteStore::open(dir.path().join("test.db")).expect("open sqlite")),
        Ok(other) => panic!("CALLSTATS_TEST_BACKEND={other}: expected sqlite or postgres"),
    }
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub json: Value,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(|ingest| ingest).await
    }

    /// A server whose services `configure` adjusts first.
    pub async fn start_with(configure: impl FnOnce(Ingest) -> Ingest) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = test_store(&dir).await;
        let clock = Arc::new(ManualClock::new(START_MS));
        let ingest = configure(Ingest::new(store, ServerKey::generate(), Limits::default(), clock.clone()));
        Self::serving(ingest, clock, dir).await
    }

    /// A server over services built by the test (a store of its own), whose clock is a
    /// `ManualClock` at `START_MS` the test no longer moves; `dir` is kept as long as it runs.
    pub async fn with_ingest(ingest: Ingest, dir: tempfile::TempDir) -> Self {
        Self::serving(ingest, Arc::new(ManualClock::new(START_MS)), dir).await
    }

    async fn serving(ingest: Ingest, clock: Arc<ManualClock>, dir: tempfile::TempDir) -> Self {
        let ingest = Arc::new(ingest);
        let (app, secret) = ingest.create_app("test").await.expect("create app");
        let admin = ingest.create_admin_token("test").await.expect("admin token");
        TestServer {
            router: callstats_server::router(ingest.clone()),
            ingest,
            clock,
            app_id: app.id,
            secret,
            admin,
            _dir: dir,
        }
    }

    pub async fn send(&self, req: Request<Body>) -> Reply {
        let resp: Response<Body> = self.router.clone().oneshot(req).await.expect("router answers");
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.expect("body").to_bytes();
        let json = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| json!({"raw": String::from_utf8_lossy(&bytes)}))
        };
        Reply { status, headers, json }
    }

    /// POST a JSON body with an optional bearer token and origin.
    pub async fn post(&self, path: &str, token: Option<&str>, origin: Option<&str>, body: impl Into<Body>) -> Reply {
        let mut b = Request::post(path).header("content-type", "application/json");
        if let Some(t) = token {
            b = b.header("authorization", format!("Bearer {t}"));
        }
        if let Some(o) = origin {
            b = b.header("origin", o);
        }
        self.send(b.body(body.into()).expect("request")).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        let mut b = Request::get(path);
        if let Some(t) = token {
            b = b.header("authorization", format!("Bearer {t}"));
        }
        self.send(b.body(Body::empty()).expect("request")).await
    }

    /// The admin read API.
    pub async fn api(&self, path: &str) -> Value {
        let r = self.get(path, Some(&self.admin)).await;
        assert_eq!(r.status, StatusCode::OK, "GET {path}: {}", r.json);
        r.json
    }

    /// Authenticates like callstats-js's AppSecret flow; returns the whole reply.
    pub async fn authenticate_with(&self, user: &str, secret: &str, origin: Option<&str>) -> Reply {
        let code = app_secret_jwt(user, &self.app_id.to_string(), secret);
        let form = format!(
            "client_id={}&code={code}&grant_type=authorization_code",
            urlencode(&format!("{user}@{}", self.app_id))
        );
        let mut b = Request::post("/authenticate").header("content-type", "application/x-www-form-urlencoded");
        if let Some(o) = origin {
            b = b.header("origin", o);
        }
        self.send(b.body(Body::from(form)).expect("request")).await
    }

    pub async fn token(&self, user: &str) -> String {
        let r = self.authenticate_with(user, &self.secret.clone(), None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.json);
        r.json["access_token"].as_str().expect("access_token").to_owned()
    }

    /// User joined; returns the ucID.
    pub async fn join(&self, token: &str, conf_encoded: &str, user: &str) -> String {
        self.join_with(token, conf_encoded, user, &[]).await
    }

    /// User joined with extra request headers; returns the ucID.
    pub async fn join_with(&self, token: &str, conf_encoded: &str, user: &str, headers: &[(&str, &str)]) -> String {
        let body = json!({"localID": user, "deviceID": "dev", "timestamp": START_MS, "endpointInfo": {"type": "browser", "buildName": "Chrome", "buildVersion": "156"}});
        let mut b = Request::post(format!("/v1/apps/{}/conferences/{conf_encoded}", self.app_id))
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {token}"));
        for (name, value) in headers {
            b = b.header(*name, *value);
        }
        let r = self.send(b.body(Body::from(body.to_string())).expect("request")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.json);
        r.json["ucID"].as_str().expect("ucID").to_owned()
    }
}

pub fn b64(data: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(data)
}

/// The code JWT callstats-js signs with the AppSecret (PROTOCOL.md §4.2).
pub fn app_secret_jwt(user: &str, app: &str, secret: &str) -> String {
    let header = b64(br#"{"alg":"HS256"}"#);
    let payload = b64(json!({"userID": user, "appID": app, "generateTurnCredentials": false}).to_string().as_bytes());
    sign_hs256(&format!("{header}.{payload}"), secret.as_bytes())
}

pub fn sign_hs256(signing_input: &str, key: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("hmac key");
    mac.update(signing_input.as_bytes());
    format!("{signing_input}.{}", b64(&mac.finalize().into_bytes()))
}

pub fn urlencode(s: &str) -> String {
    callstats_protocol::uri::encode_uri_component(s)
}
