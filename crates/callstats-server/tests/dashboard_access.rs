//! Dashboard sign-in, session cookies, CSRF, and the app-management and integration-progress
//! API the dashboard uses.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::TestServer;
use serde_json::json;

async fn sign_in(s: &TestServer, user: &str, password: &str) -> common::Reply {
    s.send(
        Request::post("/api/v1/session")
            .header("content-type", "application/json")
            .body(Body::from(json!({"username": user, "password": password}).to_string()))
            .expect("request"),
    )
    .await
}

fn cookie_of(r: &common::Reply) -> String {
    let set = r.headers["set-cookie"].to_str().expect("ascii cookie");
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict"), "{set}");
    set.split(';').next().expect("name=value").to_owned()
}

#[tokio::test]
async fn sessions_with_csrf_protect_the_api() {
    let s = TestServer::start().await;
    let password = s.ingest.create_user("ops", Some("correct horse battery")).await.unwrap();
    assert_eq!(sign_in(&s, "ops", "wrong password!").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(sign_in(&s, "nobody", "whatever12345").await.status, StatusCode::UNAUTHORIZED);
    let r = sign_in(&s, "ops", &password).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    let cookie = cookie_of(&r);
    let csrf = r.json["csrfToken"].as_str().unwrap().to_owned();

    let with_cookie = |method: &str, path: &str, csrf: Option<&str>, body: serde_json::Value| {
        let mut b = Request::builder()
            .method(method)
            .uri(path)
            .header("cookie", &cookie)
            .header("content-type", "application/json");
        if let Some(c) = csrf {
            b = b.header("x-csrf-token", c);
        }
        b.body(Body::from(body.to_string())).unwrap()
    };
    // Reading works with the cookie alone.
    assert_eq!(s.send(with_cookie("GET", "/api/v1/apps", None, json!(null))).await.status, StatusCode::OK);
    // Changing needs the CSRF token, and the right one.
    let patch = format!("/api/v1/apps/{}/settings", s.app_id);
    assert_eq!(
        s.send(with_cookie("PATCH", &patch, None, json!({"collectSdp": false}))).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        s.send(with_cookie("PATCH", &patch, Some("forged"), json!({"collectSdp": false}))).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        s.send(with_cookie("PATCH", &patch, Some(&csrf), json!({"collectSdp": false}))).await.status,
        StatusCode::OK
    );
    let created = s.send(with_cookie("POST", "/api/v1/apps", Some(&csrf), json!({"name": "from dashboard"}))).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
    assert!(created.json["appSecret"].as_str().unwrap().len() > 30);

    // Sign out ends the session server-side: the old cookie no longer works.
    assert_eq!(s.send(with_cookie("DELETE", "/api/v1/session", Some(&csrf), json!(null))).await.status, StatusCode::OK);
    assert_eq!(s.send(with_cookie("GET", "/api/v1/apps", None, json!(null))).await.status, StatusCode::UNAUTHORIZED);

    // A session expires.
    let r = sign_in(&s, "ops", &password).await;
    let cookie = cookie_of(&r);
    s.clock.advance(callstats_ingest::accounts::SESSION_TTL_MS);
    let r = s.send(Request::get("/api/v1/apps").header("cookie", &cookie).body(Body::empty()).unwrap()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn every_api_route_refuses_anonymous_callers() {
    let s = TestServer::start().await;
    let app = s.app_id;
    let routes = [
        ("GET", "/api/v1/apps".to_owned()),
        ("POST", "/api/v1/apps".to_owned()),
        ("GET", format!("/api/v1/apps/{app}/conferences")),
        ("GET", format!("/api/v1/apps/{app}/conferences/x")),
        ("GET", format!("/api/v1/apps/{app}/conferences/x/stats")),
        ("GET", format!("/api/v1/apps/{app}/submissions")),
        ("GET", format!("/api/v1/apps/{app}/aggregates")),
        ("GET", format!("/api/v1/apps/{app}/settings")),
        ("PATCH", format!("/api/v1/apps/{app}/settings")),
        ("PUT", format!("/api/v1/apps/{app}/webhook")),
        ("GET", format!("/api/v1/apps/{app}/webhook/deliveries")),
        ("POST", format!("/api/v1/apps/{app}/secret")),
        ("GET", format!("/api/v1/apps/{app}/keys")),
        ("POST", format!("/api/v1/apps/{app}/keys")),
        ("PUT", format!("/api/v1/apps/{app}/origins")),
        ("GET", format!("/api/v1/apps/{app}/integration")),
        ("DELETE", "/api/v1/session".to_owned()),
    ];
    for (method, path) in routes {
        let r = s.send(Request::builder().method(method).uri(&path).body(Body::from("{}")).unwrap()).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{method} {path}");
        let r = s
            .send(
                Request::builder()
                    .method(method)
                    .uri(&path)
                    .header("cookie", "callstats_session=forged")
                    .body(Body::from("{}"))
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{method} {path} with a forged cookie");
    }
}

#[tokio::test]
async fn integration_progress_follows_the_guide() {
    let s = TestServer::start().await;
    let steps = s.api(&format!("/api/v1/apps/{}/integration", s.app_id)).await;
    assert!(steps["steps"].as_array().unwrap().iter().all(|st| st["done"] == false && st["next"].is_string()));
    let token = s.token("alice").await;
    let uc = s.join(&token, "progress", "alice").await;
    let fb = json!({"localID": "alice", "deviceID": "d", "timestamp": 1, "remoteID": "alice", "connectionID": "alice", "feedback": {"overallRating": 5}});
    let r = s
        .post(
            &format!("/v1/apps/{}/conferences/progress/{uc}/events/feedback", s.app_id),
            Some(&token),
            None,
            fb.to_string(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let steps = s.api(&format!("/api/v1/apps/{}/integration", s.app_id)).await;
    let done: Vec<&str> = steps["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|st| st["done"] == true)
        .map(|st| st["step"].as_str().unwrap())
        .collect();
    assert_eq!(done, vec!["initialized", "fabricAdded", "userFeedback"]);
    let stats = steps["steps"].as_array().unwrap().iter().find(|st| st["step"] == "statsReceived").unwrap();
    assert!(stats["next"].as_str().unwrap().contains("collectLegacyStats"));
}

/// The binary under test carries the SDK and the dashboard (the test command builds both before
/// cargo runs); a missing bundle would otherwise show up only as a 503 in production.
#[tokio::test]
async fn every_browser_bundle_is_embedded_and_served() {
    assert_eq!(callstats_server::missing_assets(), Vec::<&str>::new(), "run npm run build in sdk/ and dashboard/");
    let s = TestServer::start().await;
    for (path, kind) in [
        ("/", "text/html"),
        ("/assets/dashboard.js", "application/javascript"),
        ("/assets/dashboard.css", "text/css"),
        ("/static/callstats.min.js", "application/javascript"),
    ] {
        let r = s.send(Request::get(path).body(Body::empty()).expect("request")).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        let ctype = r.headers["content-type"].to_str().expect("ascii content type");
        assert!(ctype.starts_with(kind), "{path}: {ctype}");
    }
}
