//! Abuse of the endpoints that need no credentials, or check them at a price: concurrent
//! password hashing is bounded, wrong sign-ins slow down per account and per client IP, and
//! `/authenticate` is rate-limited per app and IP; each refusal is 429 with `Retry-After`.

mod common;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use common::TestServer;
use serde_json::json;

fn from_ip(ip: &str, req: axum::http::request::Builder) -> axum::http::request::Builder {
    let peer: SocketAddr = format!("{ip}:40000").parse().expect("address");
    req.extension(ConnectInfo(peer))
}

fn sign_in_request(ip: &str, user: &str, password: &str) -> Request<Body> {
    from_ip(ip, Request::post("/api/v1/session").header("content-type", "application/json"))
        .body(Body::from(json!({"username": user, "password": password}).to_string()))
        .expect("request")
}

fn retry_after(r: &common::Reply) -> u64 {
    r.headers["retry-after"].to_str().expect("ascii").parse().expect("seconds")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sign_ins_beyond_the_hashing_bound_are_refused_at_once() {
    let s = TestServer::start().await;
    let mut tasks = Vec::new();
    for n in 0..16 {
        let router = s.router.clone();
        let req = sign_in_request(&format!("10.0.0.{n}"), &format!("user{n}"), "wrong password!");
        tasks.push(tokio::spawn(async move {
            use tower::ServiceExt;
            let resp = router.oneshot(req).await.expect("answer");
            (resp.status(), resp.headers().contains_key("retry-after"))
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.expect("task"));
    }
    let hashed = statuses.iter().filter(|(st, _)| *st == StatusCode::UNAUTHORIZED).count();
    let refused = statuses.iter().filter(|(st, retry)| *st == StatusCode::TOO_MANY_REQUESTS && *retry).count();
    assert_eq!(hashed + refused, 16, "{statuses:?}");
    assert!((1..=4).contains(&hashed), "at most a few hashes ran: {statuses:?}");
}

#[tokio::test]
async fn wrong_sign_ins_slow_down_per_account_and_per_ip() {
    let s = TestServer::start().await;
    let password = s.ingest.create_user("ops", Some("correct horse battery")).await.expect("user");
    for n in 0..6 {
        let r = s.send(sign_in_request(&format!("10.1.0.{n}"), "ops", "wrong password!")).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "attempt {n}");
    }
    // The account now waits, whichever address asks and even with the right password.
    let r = s.send(sign_in_request("10.1.1.1", "ops", &password)).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.json);
    assert_eq!(retry_after(&r), 1);
    s.clock.advance(1000);
    assert_eq!(s.send(sign_in_request("10.1.1.1", "ops", &password)).await.status, StatusCode::OK);
    // A success clears it.
    assert_eq!(s.send(sign_in_request("10.1.1.1", "ops", "wrong password!")).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(s.send(sign_in_request("10.1.1.1", "ops", &password)).await.status, StatusCode::OK);
    // One address guessing many accounts: 20 free failures, then it waits, growing.
    for n in 0..21 {
        let r = s.send(sign_in_request("10.2.0.1", &format!("guess{n}"), "wrong password!")).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "attempt {n}");
    }
    let r = s.send(sign_in_request("10.2.0.1", "ops", &password)).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.json);
    s.clock.advance(1000);
    assert_eq!(s.send(sign_in_request("10.2.0.1", "guess", "wrong password!")).await.status, StatusCode::UNAUTHORIZED);
    let r = s.send(sign_in_request("10.2.0.1", "ops", &password)).await;
    assert_eq!((r.status, retry_after(&r)), (StatusCode::TOO_MANY_REQUESTS, 2));
    // Others are not affected.
    assert_eq!(s.send(sign_in_request("10.2.0.2", "ops", &password)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn authenticate_is_rate_limited_per_app_and_ip() {
    let s = TestServer::start().await;
    let (other, other_secret) = s.ingest.create_app("other").await.expect("app");
    let authenticate = |ip: &str, app: i64, secret: &str| {
        let code = common::app_secret_jwt("alice", &app.to_string(), secret);
        let form = format!("client_id=alice%40{app}&code={code}&grant_type=authorization_code");
        from_ip(ip, Request::post("/authenticate").header("content-type", "application/x-www-form-urlencoded"))
            .body(Body::from(form))
            .expect("request")
    };
    for n in 0..120 {
        let r = s.send(authenticate("10.3.0.1", s.app_id, &s.secret)).await;
        assert_eq!(r.status, StatusCode::OK, "authentication {n}: {}", r.json);
    }
    let r = s.send(authenticate("10.3.0.1", s.app_id, &s.secret)).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.json);
    assert!(retry_after(&r) >= 1);
    // In the shape callstats-js reports to the app instead of retrying in a loop.
    assert_eq!(r.json["urn:x-callstats:auth:errorActions"][0]["action"], 2);
    assert_eq!(s.send(authenticate("10.3.0.2", s.app_id, &s.secret)).await.status, StatusCode::OK);
    assert_eq!(s.send(authenticate("10.3.0.1", other.id, &other_secret)).await.status, StatusCode::OK);
}
