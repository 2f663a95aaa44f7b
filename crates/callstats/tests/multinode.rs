//! Several nodes on one PostgreSQL: one conference's participants talk to different
//! `callstats serve` processes (as a load balancer would spread them), one node is killed with
//! SIGKILL mid-call and replaced, and the conference still closes exactly once, with one summary
//! holding every participant and one webhook delivery. Needs `CALLSTATS_TEST_DATABASE_URL`
//! (scripts/test sets it); without it the test says loudly that it skipped.

mod common;

use std::io::Write as _;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{Server as Node, cli};

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};

const CONF: &str = "multinode%2F1";

fn now_ms() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970").as_millis() as f64
}

struct Participant {
    user: String,
    token: String,
    uc: String,
}

async fn join(client: &reqwest::Client, node: &Node, user: &str) -> Participant {
    let code = encode(
        &Header::new(Algorithm::HS256),
        &json!({"userID": user, "appID": node.app, "generateTurnCredentials": false}),
        &EncodingKey::from_secret(node.secret.as_bytes()),
    )
    .expect("sign the auth code");
    let r = client
        .post(format!("{}/authenticate", node.base))
        .form(&[
            ("client_id", format!("{user}@{}", node.app)),
            ("code", code),
            ("grant_type", "authorization_code".into()),
        ])
        .send()
        .await
        .expect("authenticate");
    assert_eq!(r.status(), 200, "authenticate {user}");
    let auth: Value = r.json().await.expect("auth reply");
    let token = auth["access_token"].as_str().expect("access_token").to_owned();
    let r = client
        .post(format!("{}/v1/apps/{}/conferences/{CONF}", node.base, node.app))
        .bearer_auth(&token)
        .json(&json!({
            "localID": user, "deviceID": format!("dev-{user}"), "timestamp": now_ms(),
            "endpointInfo": {"type": "browser", "buildName": "Chrome", "buildVersion": "120", "os": "Linux"},
        }))
        .send()
        .await
        .expect("user joined");
    let joined: Value = r.json().await.expect("user joined reply");
    assert_eq!(joined["status"], "success", "user joined {user}: {joined}");
    Participant { user: user.to_owned(), token, uc: joined["ucID"].as_str().expect("ucID").to_owned() }
}

/// Posts one event of `p` through `node`; the answer must be an acknowledgement.
async fn event(client: &reqwest::Client, node: &Node, p: &Participant, route: &str, event_type: &str) {
    let r = client
        .post(format!("{}/v1/apps/{}/conferences/{CONF}/{}/{route}", node.base, node.app, p.uc))
        .bearer_auth(&p.token)
        .json(&json!({
            "localID": p.user, "deviceID": format!("dev-{}", p.user), "timestamp": now_ms(),
            "eventType": event_type, "connectionID": format!("c-{}", p.user), "remoteID": "peer",
        }))
        .send()
        .await
        .expect("post event");
    let status = r.status();
    let body: Value = r.json().await.expect("event reply");
    assert!(
        status == 200 && body["status"] == "success",
        "{event_type} of {} via {}: {status} {body}",
        p.user,
        node.base
    );
}

async fn api(client: &reqwest::Client, node: &Node, admin: &str, path: &str) -> Value {
    let r = client.get(format!("{}{path}", node.base)).bearer_auth(admin).send().await.expect("API request");
    assert_eq!(r.status(), 200, "GET {path}");
    r.json().await.expect("API reply")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conference_spread_over_two_nodes_closes_once_when_one_node_dies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(db) = common::postgres(dir.path(), "multinode").await else {
        let _ = writeln!(
            std::io::stderr(),
            "\n!!! SKIPPED the two-node PostgreSQL test: CALLSTATS_TEST_DATABASE_URL is not set (bash scripts/test sets it)"
        );
        return;
    };

    let mut a = Node::start(&db, &dir.path().join("a.log"));
    let b = Node::start(&db, &dir.path().join("b.log"));
    assert_eq!((&a.app, &a.secret), (&b.app, &b.secret), "both nodes serve the same demo app");
    // Deliveries go nowhere (nothing listens on port 9); what counts is that one is enqueued.
    cli(&db, &["app", "webhook", "--app", &a.app, "--url", "http://127.0.0.1:9/hook"]);
    let admin = cli(&db, &["admin", "token"]).trim().to_owned();
    let client = reqwest::Client::new();

    // The load balancer sends alice and carol to node A, bob to node B.
    let alice = join(&client, &a, "alice").await;
    let bob = join(&client, &b, "bob").await;
    let carol = join(&client, &a, "carol").await;
    for (node, p) in [(&a, &alice), (&b, &bob), (&a, &carol)] {
        event(&client, node, p, "events/fabric/setup", "fabricSetup").await;
    }

    // Node A dies mid-call; a replacement node C comes up, and the load balancer sends A's
    // participants to B and C from now on.
    a.kill9();
    let c = Node::start(&db, &dir.path().join("c.log"));
    event(&client, &c, &alice, "events/fabric/terminated", "fabricTerminated").await;
    event(&client, &b, &carol, "events/fabric/terminated", "fabricTerminated").await;
    event(&client, &b, &bob, "events/fabric/terminated", "fabricTerminated").await;
    for (node, p) in [(&c, &alice), (&b, &bob), (&c, &carol)] {
        event(&client, node, p, "events/user/left", "userLeft").await;
    }

    // Both live nodes run their closer every 5 s; everyone left, so the next pass closes it.
    let path = format!("/api/v1/apps/{}/conferences/{CONF}", b.app);
    let deadline = Instant::now() + Duration::from_secs(30);
    let detail = loop {
        let detail = api(&client, &b, &admin, &path).await;
        if detail["status"] != "ongoing" && detail["summary"]["closeReason"].is_string() {
            break detail;
        }
        assert!(Instant::now() < deadline, "the conference never closed: {detail}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    // Let both closers run at least once more: a second close would show as a second delivery.
    tokio::time::sleep(Duration::from_secs(11)).await;
    let again = api(&client, &c, &admin, &path).await;
    assert_eq!(detail["summary"], again["summary"], "the summary was written once");
    assert_eq!(detail["summary"]["closeReason"], "allLeft", "{detail}");

    let users: Vec<String> = detail["participants"]
        .as_array()
        .expect("participants listed")
        .iter()
        .map(|p| p["userID"].as_str().expect("userID").to_owned())
        .collect();
    assert_eq!(users, ["alice", "bob", "carol"], "every participant, whichever node took them");
    let summary_users = api(&client, &c, &admin, &format!("/api/v1/apps/{}/conferences?status=closed", b.app)).await;
    let rows = summary_users.as_array().or(summary_users["conferences"].as_array()).expect("conference list");
    assert_eq!(rows.len(), 1, "{summary_users}");

    let deliveries = api(&client, &b, &admin, &format!("/api/v1/apps/{}/webhook/deliveries", b.app)).await;
    let deliveries = deliveries.as_array().or(deliveries["deliveries"].as_array()).expect("delivery list").clone();
    assert_eq!(deliveries.len(), 1, "exactly one delivery enqueued: {deliveries:?}");
    assert_eq!(deliveries[0]["confID"], "multinode/1");
}
