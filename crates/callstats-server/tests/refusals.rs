//! Every refusal the collector can give, in the shape the clients understand, and proof that a
//! refused request stores nothing.

mod common;

use axum::http::StatusCode;
use common::{START_MS, TestServer, b64, sign_hs256, urlencode};
use serde_json::{Value, json};

const CONF: &str = "refusals";

async fn stored_events(s: &TestServer) -> usize {
    let d = s.api(&format!("/api/v1/apps/{}/conferences/{CONF}", s.app_id)).await;
    d["events"].as_array().expect("events").len()
}

fn alive() -> String {
    json!({"localID": "alice", "deviceID": "dev", "timestamp": START_MS}).to_string()
}

fn assert_report_error(json: &Value) {
    let actions = json["urn:x-callstats:auth:errorActions"].as_array().expect("errorActions");
    assert_eq!(actions.len(), 1);
    assert_eq!(actions[0]["action"], 2, "only REPORT_ERROR keeps the client from retrying in a loop");
    assert!(actions[0]["params"]["errorReason"].as_str().is_some_and(|r| !r.is_empty()));
    assert!(json.get("access_token").is_none());
}

#[tokio::test]
async fn wrong_secret_is_reported_not_retried() {
    let s = TestServer::start().await;
    let r = s.authenticate_with("alice", "not-the-secret", None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_report_error(&r.json);
    // An unknown app and a malformed form are refused the same way.
    let form = "client_id=alice%40999&code=x.y.z&grant_type=authorization_code";
    let r = s
        .send(
            axum::http::Request::post("/authenticate")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(axum::body::Body::from(form))
                .expect("request"),
        )
        .await;
    assert!(r.status.is_client_error());
    assert_report_error(&r.json);
}

#[tokio::test]
async fn expired_token_gets_the_message_that_makes_the_client_reauthenticate() {
    let s = TestServer::start().await;
    let token = s.token("alice").await;
    let uc = s.join(&token, CONF, "alice").await;
    let path = format!("/v1/apps/{}/conferences/{CONF}/{uc}/events/user/alive", s.app_id);
    let before = stored_events(&s).await;
    s.clock.advance(3600 * 1000 + 1);
    let r = s.post(&path, Some(&token), None, alive()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json, json!({"status": "error", "msg": "Token has expired"}));
    assert_eq!(stored_events(&s).await, before);
    // A fresh token works again.
    let fresh = s.token("alice").await;
    assert_eq!(s.post(&path, Some(&fresh), None, alive()).await.status, StatusCode::OK);
    assert_eq!(stored_events(&s).await, before + 1);
}

#[tokio::test]
async fn another_apps_token_is_forbidden() {
    let s = TestServer::start().await;
    let token = s.token("alice").await;
    let uc = s.join(&token, CONF, "alice").await;
    let (other, other_secret) = s.ingest.create_app("other").await.expect("app");
    let code = common::app_secret_jwt("mallory", &other.id.to_string(), &other_secret);
    let form = format!("client_id=mallory%40{}&code={code}&grant_type=authorization_code", other.id);
    let r = s
        .send(
            axum::http::Request::post("/authenticate")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(axum::body::Body::from(form))
                .expect("request"),
        )
        .await;
    let other_token = r.json["access_token"].as_str().expect("token").to_owned();
    let before = stored_events(&s).await;
    let path = format!("/v1/apps/{}/conferences/{CONF}/{uc}/events/user/alive", s.app_id);
    let r = s.post(&path, Some(&other_token), None, alive()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.json["status"], "error");
    // Nor may it open a conference in our app.
    let r = s.post(&format!("/v1/apps/{}/conferences/x", s.app_id), Some(&other_token), None, alive()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(stored_events(&s).await, before);
    // A ucID of another conference is not accepted either.
    let r = s
        .post(
            &format!("/v1/apps/{}/conferences/elsewhere/{uc}/events/user/alive", s.app_id),
            Some(&token),
            None,
            alive(),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // A token that is not ours at all.
    let forged =
        sign_hs256(&format!("{}.{}", b64(br#"{"alg":"HS256"}"#), b64(br#"{"appID":1,"exp":9999999999}"#)), b"guess");
    assert_eq!(s.post(&path, Some(&forged), None, alive()).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(s.post(&path, None, None, alive()).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn origin_allow_list_is_enforced() {
    let s = TestServer::start().await;
    let token = s.token("alice").await;
    let uc = s.join(&token, CONF, "alice").await;
    s.ingest.set_origins(s.app_id, vec!["https://meet.example.com".into()]).await.expect("origins");
    let r = s.authenticate_with("alice", &s.secret.clone(), Some("https://evil.example")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_report_error(&r.json);
    let ok = s.authenticate_with("alice", &s.secret.clone(), Some("https://meet.example.com")).await;
    assert_eq!(ok.status, StatusCode::OK);
    let before = stored_events(&s).await;
    let path = format!("/v1/apps/{}/conferences/{CONF}/{uc}/events/user/alive", s.app_id);
    let r = s.post(&path, Some(&token), Some("https://evil.example"), alive()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(stored_events(&s).await, before);
    assert_eq!(s.post(&path, Some(&token), Some("https://meet.example.com"), alive()).await.status, StatusCode::OK);
}

#[tokio::test]
async fn bad_bodies_are_refused_with_the_field_named() {
    let s = TestServer::start().await;
    let token = s.token("alice").await;
    let uc = s.join(&token, CONF, "alice").await;
    let base = format!("/v1/apps/{}/conferences/{CONF}/{uc}", s.app_id);
    let before = stored_events(&s).await;
    let cases: &[(&str, String, Option<&str>)] = &[
        ("events/user/alive", "{not json".into(), None),
        ("events/user/alive", json!({"deviceID": "d", "timestamp": 1}).to_string(), Some("localID")),
        ("events/user/alive", json!({"localID": "a", "deviceID": "d", "timestamp": "soon"}).to_string(), Some("timestamp")),
        ("events/fabric/statechange", json!({"localID": "a", "deviceID": "d", "timestamp": 1, "prevState": "new", "changedState": "iceConnectionState"}).to_string(), Some("newState")),
        ("events/media/actions", json!({"localID": "a", "deviceID": "d", "timestamp": 1, "eventType": "fabricHold"}).to_string(), Some("eventType")),
        ("stats", json!({"localID": "a", "deviceID": "d", "timestamp": 1, "connectionID": "c", "stats": 5}).to_string(), Some("stats")),
    ];
    for (route, body, field) in cases {
        let r = s.post(&format!("{base}/{route}"), Some(&token), None, body.clone()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{route} {body}");
        assert_eq!(r.json["status"], "error");
        if let Some(f) = field {
            assert_eq!(r.json["field"], *f, "{route}: {}", r.json);
            assert!(r.json["msg"].as_str().expect("msg").contains(f));
        }
    }
    let r = s.post(&format!("{base}/events/no/such/route"), Some(&token), None, alive()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = s.get("/nowhere", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json["status"], "error");
    assert_eq!(stored_events(&s).await, before);
}

#[tokio::test]
async fn oversize_body_is_refused() {
    let s = TestServer::start().await;
    let token = s.token("alice").await;
    let uc = s.join(&token, CONF, "alice").await;
    let before = stored_events(&s).await;
    let big =
        json!({"localID": "a", "deviceID": "d", "timestamp": 1, "connectionID": "c", "stats": ["x".repeat(2 << 20)]});
    let r = s
        .post(&format!("/v1/apps/{}/conferences/{CONF}/{uc}/stats", s.app_id), Some(&token), None, big.to_string())
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.json["status"], "error");
    assert_eq!(stored_events(&s).await, before);
}

#[tokio::test]
async fn long_application_log_is_stored_truncated_and_flagged() {
    let s = TestServer::start().await;
    let token = s.token("alice").await;
    let uc = s.join(&token, CONF, "alice").await;
    let log = "x".repeat(25 * 1024);
    let body = json!({"localID": "alice", "deviceID": "d", "timestamp": START_MS + 5, "eventType": "applicationErrorLog",
        "connectionID": "c1", "remoteID": "bob", "reason": "ApplicationLog", "function": "applicationLog",
        "messageType": "text", "message": log});
    let r = s
        .post(
            &format!("/v1/apps/{}/conferences/{CONF}/{uc}/events/app/logs", s.app_id),
            Some(&token),
            None,
            body.to_string(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    let d = s.api(&format!("/api/v1/apps/{}/conferences/{}", s.app_id, urlencode(CONF))).await;
    let stored =
        d["errors"].as_array().expect("errors").iter().find(|e| e["eventType"] == "applicationErrorLog").expect("log");
    assert_eq!(stored["truncated"], true);
    assert_eq!(stored["body"]["message"].as_str().expect("message").len(), 20 * 1024);
    assert_eq!(stored["body"]["remoteID"], "bob");
}

#[tokio::test]
async fn read_api_needs_an_admin_token() {
    let s = TestServer::start().await;
    for path in [
        "/api/v1/apps".to_owned(),
        format!("/api/v1/apps/{}/conferences", s.app_id),
        format!("/api/v1/apps/{}/conferences/x", s.app_id),
        format!("/api/v1/apps/{}/submissions", s.app_id),
        format!("/api/v1/apps/{}/aggregates", s.app_id),
        format!("/api/v1/apps/{}/settings", s.app_id),
        format!("/api/v1/apps/{}/webhook/deliveries", s.app_id),
    ] {
        assert_eq!(s.get(&path, None).await.status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(s.get(&path, Some("csa_wrong")).await.status, StatusCode::UNAUTHORIZED, "{path}");
        // An app's access token is not an admin token.
        let t = s.token("alice").await;
        assert_eq!(s.get(&path, Some(&t)).await.status, StatusCode::UNAUTHORIZED, "{path}");
    }
}

#[tokio::test]
async fn openapi_documents_every_api_route() {
    let s = TestServer::start().await;
    let doc = s.get("/api/openapi.json", None).await.json;
    let paths = doc["paths"].as_object().expect("paths");
    for p in [
        "/authenticate",
        "/clockSync",
        "/generics",
        "/v1/apps/{appID}/conferences/{confID}",
        "/v1/apps/{appID}/conferences/{confID}/{ucID}/{route}",
        "/v1/apps/{appID}/events/precall",
        "/v1/apps/{appID}/configurations",
        "/api/v1/apps",
        "/api/v1/apps/{appID}/conferences",
        "/api/v1/apps/{appID}/conferences/{confID}",
        "/api/v1/apps/{appID}/conferences/{confID}/stats",
        "/api/v1/apps/{appID}/submissions",
        "/api/v1/apps/{appID}/aggregates",
        "/api/v1/apps/{appID}/settings",
        "/api/v1/apps/{appID}/webhook",
        "/api/v1/apps/{appID}/webhook/deliveries",
        "/api/v1/session",
        "/api/v1/apps/{appID}/secret",
        "/api/v1/apps/{appID}/keys",
        "/api/v1/apps/{appID}/origins",
        "/api/v1/apps/{appID}/integration",
    ] {
        assert!(paths.contains_key(p), "{p} is not documented");
    }
    let routes = doc["paths"]["/v1/apps/{appID}/conferences/{confID}/{ucID}/{route}"]["post"]["description"]
        .as_str()
        .expect("desc");
    for r in callstats_protocol::catalogue::ROUTES {
        assert!(routes.contains(r.path), "route {} missing from the OpenAPI description", r.path);
    }
}

#[tokio::test]
async fn gzip_bodies_are_accepted_and_bombs_refused() {
    use std::io::Write;
    let s = TestServer::start().await;
    let token = s.token("alice").await;
    let uc = s.join(&token, CONF, "alice").await;
    let gz = |data: &[u8]| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).expect("gzip");
        e.finish().expect("gzip")
    };
    let post = |body: Vec<u8>, encoding: &'static str| {
        axum::http::Request::post(format!("/v1/apps/{}/conferences/{CONF}/{uc}/events/user/alive", s.app_id))
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .header("content-encoding", encoding)
            .body(axum::body::Body::from(body))
            .expect("request")
    };
    let before = stored_events(&s).await;
    assert_eq!(s.send(post(gz(alive().as_bytes()), "gzip")).await.status, StatusCode::OK);
    assert_eq!(stored_events(&s).await, before + 1);
    // 3 MiB of padding compresses to a few KB but must not be inflated past the limit.
    let bomb = gz(format!("{{\"pad\":\"{}\"}}", "a".repeat(3 << 20)).as_bytes());
    assert!(bomb.len() < 64 * 1024);
    assert_eq!(s.send(post(bomb, "gzip")).await.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(s.send(post(b"not gzip".to_vec(), "gzip")).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(s.send(post(alive().into_bytes(), "br")).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(stored_events(&s).await, before + 1);
}

#[tokio::test]
async fn a_batch_commits_its_valid_items_and_reports_each() {
    let s = TestServer::start().await;
    let token = s.token("alice").await;
    let uc = s.join(&token, CONF, "alice").await;
    let before = stored_events(&s).await;
    let ev = |t: &str| json!({"localID": "alice", "deviceID": "d", "timestamp": START_MS, "eventType": t, "connectionID": "c1", "remoteID": "bob"});
    let batch = json!({"items": [
        {"route": "events/media/actions", "body": ev("audioMute")},
        {"route": "events/media/actions", "body": ev("fabricHold")},
        {"route": "events/no/such", "body": ev("audioMute")},
        {"route": "events/fabric/actions", "body": ev("fabricHold")},
        {"route": "events/user/alive", "body": {"deviceID": "d", "timestamp": 1}}
    ]});
    let r = s
        .post(&format!("/v1/apps/{}/conferences/{CONF}/{uc}/batch", s.app_id), Some(&token), None, batch.to_string())
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    let statuses: Vec<&str> =
        r.json["results"].as_array().expect("results").iter().map(|x| x["status"].as_str().expect("status")).collect();
    assert_eq!(statuses, ["success", "error", "error", "success", "error"]);
    assert_eq!(r.json["results"][1]["field"], "eventType");
    assert_eq!(r.json["results"][4]["field"], "localID");
    assert_eq!(stored_events(&s).await, before + 2);
    // A batch needs the same token as single requests, and a well-formed envelope.
    let r =
        s.post(&format!("/v1/apps/{}/conferences/{CONF}/{uc}/batch", s.app_id), None, None, batch.to_string()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = s
        .post(&format!("/v1/apps/{}/conferences/{CONF}/{uc}/batch", s.app_id), Some(&token), None, "{\"events\":[]}")
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.json["msg"].as_str().expect("msg").contains("items"));
    assert_eq!(stored_events(&s).await, before + 2);
}
