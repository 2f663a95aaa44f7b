//! The third-party flow: the app's own server mints a JWT (ES256 with a registered public key,
//! or HS256 with the AppSecret) and callstats.js passes it verbatim as `code`.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{START_MS, TestServer};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};

fn keys() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/keys")
}

fn es256(claims: &Value, private: &str) -> String {
    let pem = std::fs::read(keys().join(private)).expect("key");
    encode(&Header::new(Algorithm::ES256), claims, &EncodingKey::from_ec_pem(&pem).expect("pem")).expect("sign")
}

async fn authenticate(s: &TestServer, user: &str, code: &str) -> common::Reply {
    let form =
        format!("client_id={}%40{}&code={code}&grant_type=authorization_code", common::urlencode(user), s.app_id);
    s.send(
        Request::post("/authenticate")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(form))
            .expect("request"),
    )
    .await
}

fn claims(s: &TestServer, user: &str, exp_offset: i64) -> Value {
    let now = START_MS / 1000;
    json!({"userID": user, "appID": s.app_id.to_string(), "keyID": "k1", "iat": now, "nbf": now - 300, "exp": now + exp_offset, "jti": "j1"})
}

#[tokio::test]
async fn es256_tokens_from_a_registered_key_authenticate() {
    let s = TestServer::start().await;
    let public = std::fs::read_to_string(keys().join("es256-test-public.pem")).expect("public key");
    s.ingest.add_app_key(s.app_id, "k1", &public).await.expect("add key");

    let r =
        authenticate(&s, "carol@example.com", &es256(&claims(&s, "carol@example.com", 300), "es256-test-private.pem"))
            .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    let token = r.json["access_token"].as_str().expect("token");
    let uc = s.join(token, "tp", "carol@example.com").await;
    assert!(!uc.is_empty());

    // Expired, not yet valid, wrong key, another user's token: all refused with REPORT_ERROR.
    let expired = es256(&claims(&s, "carol@example.com", -60), "es256-test-private.pem");
    let mut early = claims(&s, "carol@example.com", 600);
    early["nbf"] = json!(START_MS / 1000 + 300);
    let early = es256(&early, "es256-test-private.pem");
    let wrong_key = es256(&claims(&s, "carol@example.com", 300), "es256-other-private.pem");
    let other_user = es256(&claims(&s, "dave", 300), "es256-test-private.pem");
    for (what, code) in [("expired", expired), ("nbf", early), ("wrong key", wrong_key), ("other user", other_user)] {
        let r = authenticate(&s, "carol@example.com", &code).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{what}: {}", r.json);
        assert_eq!(r.json["urn:x-callstats:auth:errorActions"][0]["action"], 2, "{what}");
    }
}

#[tokio::test]
async fn hs256_tokens_signed_with_the_secret_honour_exp() {
    let s = TestServer::start().await;
    let key = EncodingKey::from_secret(s.secret.as_bytes());
    let ok = encode(&Header::new(Algorithm::HS256), &claims(&s, "erin", 300), &key).expect("sign");
    assert_eq!(authenticate(&s, "erin", &ok).await.status, StatusCode::OK);
    let expired = encode(&Header::new(Algorithm::HS256), &claims(&s, "erin", -60), &key).expect("sign");
    assert_eq!(authenticate(&s, "erin", &expired).await.status, StatusCode::UNAUTHORIZED);
    // The clock is the service's: once it passes exp, the same token is refused.
    s.clock.advance(310 * 1000); // past exp and the 5 s leeway
    assert_eq!(authenticate(&s, "erin", &ok).await.status, StatusCode::UNAUTHORIZED);
}

async fn es256_token(s: &TestServer, user: &str) -> String {
    let r = authenticate(s, user, &es256(&claims(s, user, 300), "es256-test-private.pem")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    r.json["access_token"].as_str().expect("token").to_owned()
}

/// A token the app's server minted for one user speaks for that user alone: it may neither
/// join as another localID nor submit into another user's ucID (or with another localID).
#[tokio::test]
async fn a_third_party_token_speaks_only_for_its_user() {
    let s = TestServer::start().await;
    let public = std::fs::read_to_string(keys().join("es256-test-public.pem")).expect("public key");
    s.ingest.add_app_key(s.app_id, "k1", &public).await.expect("add key");
    let carol = es256_token(&s, "carol@example.com").await;
    let dave = es256_token(&s, "dave").await;
    let uc_carol = s.join(&carol, "tp", "carol@example.com").await;
    let uc_dave = s.join(&dave, "tp", "dave").await;

    let join = |user: &str| json!({"localID": user, "deviceID": "d", "timestamp": START_MS, "endpointInfo": {"type": "browser"}});
    let r =
        s.post(&format!("/v1/apps/{}/conferences/tp", s.app_id), Some(&carol), None, join("dave").to_string()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.json);
    assert!(r.json["msg"].as_str().is_some_and(|m| m.contains("carol%40example.com")), "{}", r.json);

    let alive = |user: &str| json!({"localID": user, "deviceID": "d", "timestamp": START_MS}).to_string();
    let path = |uc: &str| format!("/v1/apps/{}/conferences/tp/{uc}/events/user/alive", s.app_id);
    let events = || async {
        s.api(&format!("/api/v1/apps/{}/conferences/tp", s.app_id)).await["events"].as_array().map(Vec::len)
    };
    let before = events().await;
    // Into dave's ucID, as dave or as carol; into carol's own ucID as dave; as a batch item.
    for (uc, user) in [(&uc_dave, "dave"), (&uc_dave, "carol@example.com"), (&uc_carol, "dave")] {
        let r = s.post(&path(uc), Some(&carol), None, alive(user)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{user} into {uc}: {}", r.json);
    }
    let batch = json!({"items": [{"route": "events/user/alive", "body": {"localID": "dave", "deviceID": "d", "timestamp": START_MS}}]});
    let r = s
        .post(&format!("/v1/apps/{}/conferences/tp/{uc_carol}/batch", s.app_id), Some(&carol), None, batch.to_string())
        .await;
    assert_eq!(r.json["results"][0]["status"], "error", "{}", r.json);
    assert_eq!(events().await, before);
    // Each speaks for itself.
    assert_eq!(s.post(&path(&uc_carol), Some(&carol), None, alive("carol@example.com")).await.status, StatusCode::OK);
    assert_eq!(s.post(&path(&uc_dave), Some(&dave), None, alive("dave")).await.status, StatusCode::OK);
    // An AppSecret-flow token is not bound: its holder could mint one for any user anyway.
    let any = s.token("carol@example.com").await;
    assert_eq!(s.post(&path(&uc_dave), Some(&any), None, alive("dave")).await.status, StatusCode::OK);
}
