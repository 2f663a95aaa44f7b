//! The same store cases against SQLite (always) and PostgreSQL (a fresh database per test on the
//! server in `CALLSTATS_TEST_DATABASE_URL`, which `scripts/test` always sets). Without that
//! variable the PostgreSQL cases write a loud notice to the terminal and do nothing.

use std::io::Write as _;
use std::sync::Arc;

use callstats_store::{
    App, AppSettings, DayRollup, DeliveryAttempt, DueConference, Participant, RollupKeys, RollupPart, Store,
    StoreError, Submission, SubmissionKind, SubmissionQuery, SummaryRecord, Write, codec,
};
use callstats_store_postgres::PostgresStore;
use callstats_store_sqlite::SqliteStore;

/// One fresh database. With PostgreSQL each `node()` is another store on it, as another server
/// process would open; SQLite is single-node, so its "nodes" share one store (concurrent
/// callers in one process).
enum Backend {
    Sqlite(tempfile::TempDir, tokio::sync::OnceCell<Arc<dyn Store>>),
    Postgres(String),
}

impl Backend {
    async fn node(&self) -> Arc<dyn Store> {
        match self {
            Backend::Sqlite(dir, store) => store
                .get_or_init(|| async {
                    Arc::new(SqliteStore::open(dir.path().join("t.db")).expect("open sqlite")) as Arc<dyn Store>
                })
                .await
                .clone(),
            Backend::Postgres(url) => Arc::new(PostgresStore::open(url).await.expect("open postgres")),
        }
    }
}

fn sqlite() -> Backend {
    Backend::Sqlite(tempfile::tempdir().expect("tempdir"), tokio::sync::OnceCell::new())
}

/// A new database on the test server, or `None` (with a notice) when no server is configured.
async fn postgres(test: &str) -> Option<Backend> {
    let Ok(url) = std::env::var("CALLSTATS_TEST_DATABASE_URL") else {
        // Written past the test harness's capture, so a run without PostgreSQL is never mistaken
        // for one that tested it.
        let _ = writeln!(
            std::io::stderr(),
            "\n!!! SKIPPED PostgreSQL case `{test}`: CALLSTATS_TEST_DATABASE_URL is not set (bash scripts/test sets it)"
        );
        return None;
    };
    let url = callstats_store_postgres::create_scratch_database(&url, test).await.expect("create test database");
    Some(Backend::Postgres(url))
}

macro_rules! both {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() { super::$case(super::sqlite()).await })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                if let Some(b) = super::postgres(stringify!($case)).await { super::$case(b).await }
            })*
        }
    };
}

both!(
    apps_round_trip_and_conflict,
    writes_read_back_in_arrival_order,
    concurrent_writes_land_and_a_bad_one_is_refused_alone,
    close_is_compare_and_set_and_happens_once,
    due_conferences_are_leased_to_one_claimer,
    a_held_conference_is_not_claimed_until_released,
    a_periodic_job_goes_to_one_node_per_lease,
    two_nodes_closing_together_close_once,
    deliveries_are_leased_to_one_claimer,
    retention_deletes_samples_of_closed_conferences_only,
    rollups_follow_day_versions,
);

const APP: i64 = 7;

fn app() -> App {
    App {
        id: APP,
        name: "app".into(),
        secret_sealed: vec![1, 2, 3],
        origins: vec!["https://x.test".into()],
        settings: AppSettings::default(),
        created_at_ms: 1,
        webhook_secret_sealed: None,
    }
}

fn join(conf: &str, uc: &str, at: i64) -> Write {
    Write::Join(Participant {
        uc_id: uc.into(),
        app_id: APP,
        conf_id: conf.into(),
        user_id: format!("user-{uc}"),
        device_id: "d".into(),
        endpoint: serde_json::json!({"browserName": "Chrome"}),
        sdk_version: Some("3.73.16".into()),
        joined_at: at as f64,
        received_at: at,
        country: Some("FI".into()),
    })
}

fn submission(conf: &str, uc: &str, kind: SubmissionKind, event: &str, at: i64) -> Write {
    let raw = format!("{{\"eventType\":\"{event}\",\"at\":{at}}}");
    Write::Submission(Submission {
        app_id: APP,
        conf_id: Some(conf.into()),
        uc_id: Some(uc.into()),
        kind,
        event_type: event.into(),
        user_id: Some(format!("user-{uc}")),
        remote_id: None,
        connection_id: Some("fab".into()),
        timestamp_ms: at as f64 + 0.5,
        received_at_ms: at,
        body: codec::compress(raw.as_bytes()),
        body_len: raw.len() as u32,
        truncated: false,
        derived: Some("[]".into()),
    })
}

fn summary(conf: &str, start: i64, closed_at: i64) -> SummaryRecord {
    SummaryRecord {
        app_id: APP,
        conf_id: conf.into(),
        closed_at,
        start_ms: start,
        end_ms: closed_at,
        close_reason: "idle".into(),
        setup_status: "ok".into(),
        dropped: false,
        relayed: true,
        user_count: 2,
        score: Some(4.5),
        avg_mos: Some(4.1),
        browsers: vec!["Chrome".into()],
        oses: vec![],
        summary_json: "{\"whole\":true}".into(),
        facts_json: "{}".into(),
    }
}

async fn apps_round_trip_and_conflict(b: Backend) {
    let s = b.node().await;
    s.create_app(&app()).await.expect("create");
    assert!(matches!(s.create_app(&app()).await, Err(StoreError::Conflict(_))));
    let mut changed = app();
    changed.settings.retention_days = Some(3);
    s.update_app(&changed).await.expect("update");
    assert_eq!(s.app(APP).await.expect("read"), Some(changed));
    assert_eq!(s.apps().await.expect("list").len(), 1);
    let mut missing = app();
    missing.id = 99;
    assert!(matches!(s.update_app(&missing).await, Err(StoreError::NotFound(_))));
}

async fn writes_read_back_in_arrival_order(b: Backend) {
    let s = b.node().await;
    s.write(vec![join("c1", "u1", 1000), submission("c1", "u1", SubmissionKind::Event, "userJoined", 1000)])
        .await
        .expect("write");
    s.write(vec![submission("c1", "u1", SubmissionKind::Stats, "stats", 2000)]).await.expect("write");
    // A taken ucID refuses the whole batch: nothing of it is committed.
    let taken = s.write(vec![join("c1", "u1", 3000), submission("c1", "u1", SubmissionKind::Stats, "stats", 3000)]);
    assert!(matches!(taken.await, Err(StoreError::Conflict(_))), "a taken key is a conflict");
    let conf = s.conference(APP, "c1").await.expect("conference").expect("exists");
    assert_eq!((conf.first_seen, conf.last_seen, conf.participant_count, conf.closed_at), (1000, 2000, 1, None));
    let q = SubmissionQuery { app_id: APP, conf_id: Some("c1".into()), with_body: true, ..Default::default() };
    let rows = s.submissions(&q).await.expect("submissions");
    assert_eq!(
        rows.iter().map(|r| r.submission.kind).collect::<Vec<_>>(),
        [SubmissionKind::Event, SubmissionKind::Stats]
    );
    let Write::Submission(sent) = submission("c1", "u1", SubmissionKind::Stats, "stats", 2000) else { unreachable!() };
    assert_eq!(rows[1].submission, sent);
    let stats_only = SubmissionQuery { kinds: vec![SubmissionKind::Stats], with_body: false, ..q };
    assert_eq!(s.submissions(&stats_only).await.expect("stats").len(), 1);
    assert_eq!(s.participants(APP, "c1").await.expect("participants")[0].uc_id, "u1");
    assert_eq!(s.participant("u1").await.expect("participant").map(|p| p.conf_id), Some("c1".into()));
    let Write::Join(joined) = join("c1", "u1", 1000) else { unreachable!() };
    assert_eq!(s.participant("u1").await.expect("participant"), Some(joined), "every field reads back");
}

/// Writes arriving together share transactions (both backends group their commits): all of them
/// land, each atomically, and one that cannot be written fails alone.
async fn concurrent_writes_land_and_a_bad_one_is_refused_alone(b: Backend) {
    let s = b.node().await;
    s.write(vec![join("c0", "taken", 1000)]).await.expect("write");
    let writes = (0..120).map(|i| {
        let s = Arc::clone(&s);
        async move {
            let (conf, uc) = (format!("c{}", i % 7), if i == 60 { "taken".to_owned() } else { format!("u{i}") });
            let batch =
                vec![join(&conf, &uc, 2000 + i), submission(&conf, &uc, SubmissionKind::Stats, "stats", 2000 + i)];
            (uc, s.write(batch).await)
        }
    });
    let results = join_all(writes).await;
    let failed: Vec<&str> = results.iter().filter(|(_, r)| r.is_err()).map(|(uc, _)| uc.as_str()).collect();
    assert_eq!(failed, ["taken"]);
    assert!(results.iter().any(|(uc, r)| uc == "taken" && matches!(r, Err(StoreError::Conflict(_)))));
    let mut participants = 0;
    let mut samples = 0;
    for c in 0..7 {
        let conf = format!("c{c}");
        participants += s.participants(APP, &conf).await.expect("participants").len();
        let q = SubmissionQuery { app_id: APP, conf_id: Some(conf), ..Default::default() };
        samples += s.submissions(&q).await.expect("submissions").len();
    }
    assert_eq!((participants, samples), (120, 119), "every other join and its sample, nothing of the refused one");
}

async fn close_is_compare_and_set_and_happens_once(b: Backend) {
    let s = b.node().await;
    s.write(vec![join("c1", "u1", 1000)]).await.expect("write");
    let hook = Some(("http://hook.test/".to_owned(), "{}".to_owned()));
    assert_eq!(s.claim_due_conferences(i64::MAX, 0, 60_000, 10).await.expect("claim").len(), 1);
    assert!(!s.close_conference(&summary("c1", 1000, 40_000), 999, hook.clone()).await.expect("stale close"));
    assert!(s.close_conference(&summary("c1", 1000, 40_000), 1000, hook.clone()).await.expect("close"));
    assert!(!s.close_conference(&summary("c1", 1000, 41_000), 1000, hook.clone()).await.expect("second close"));
    assert_eq!(s.deliveries(APP, 10).await.expect("deliveries").len(), 1);
    let stored = s.summary(APP, "c1").await.expect("summary").expect("exists");
    assert_eq!((stored.closed_at, stored.summary_json.as_str()), (40_000, "{\"whole\":true}"));
    assert!(s.claim_due_conferences(i64::MAX, 0, 60_000, 10).await.expect("due").is_empty());
    // Data after the close reopens it and makes it due at once: the close ended the lease.
    s.write(vec![submission("c1", "u1", SubmissionKind::Stats, "stats", 50_000)]).await.expect("write");
    let due = s.claim_due_conferences(0, 0, 60_000, 10).await.expect("due");
    assert_eq!(due.iter().map(|d| (d.conf_id.as_str(), d.last_seen)).collect::<Vec<_>>(), [("c1", 50_000)]);
}

async fn due_conferences_are_leased_to_one_claimer(b: Backend) {
    let (n1, n2) = (b.node().await, b.node().await);
    for i in 0..30 {
        n1.write(vec![join(&format!("c{i}"), &format!("u{i}"), 1000 + i)]).await.expect("write");
    }
    // Both nodes claim at once: every due conference goes to exactly one of them.
    let (a, c) = tokio::join!(
        n1.claim_due_conferences(5000, 6000, 60_000, 20),
        n2.claim_due_conferences(5000, 6000, 60_000, 20)
    );
    let (a, c) = (a.expect("claim 1"), c.expect("claim 2"));
    let mut names: Vec<&str> = a.iter().chain(&c).map(|d| d.conf_id.as_str()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), a.len() + c.len(), "no conference is claimed twice");
    assert_eq!(names.len(), 30);
    assert!(a.windows(2).all(|w| w[0].last_seen <= w[1].last_seen), "oldest first");
    assert!(n1.claim_due_conferences(5000, 7000, 60_000, 50).await.expect("claim").is_empty(), "leased");
    // A released claim is free at once; the others when their lease runs out.
    n2.release_conference(APP, "c3").await.expect("release");
    let again = n1.claim_due_conferences(5000, 7000, 60_000, 50).await.expect("claim");
    assert_eq!(again.iter().map(|d| d.conf_id.as_str()).collect::<Vec<_>>(), ["c3"]);
    assert_eq!(n1.claim_due_conferences(5000, 66_000, 60_000, 50).await.expect("claim after expiry").len(), 29);
}

async fn a_held_conference_is_not_claimed_until_released(b: Backend) {
    let s = b.node().await;
    let hold = |conf: &str, until_ms| Write::Hold { app_id: APP, conf_id: conf.into(), until_ms };
    // Held in the batch that creates it: no claim ever sees it unheld.
    s.write(vec![join("held", "u1", 1000), hold("held", 70_000)]).await.expect("write");
    s.write(vec![join("free", "u2", 1000)]).await.expect("write");
    let names = |due: Vec<DueConference>| due.into_iter().map(|d| d.conf_id).collect::<Vec<_>>();
    assert_eq!(names(s.claim_due_conferences(5000, 6000, 1000, 10).await.expect("claim")), ["free"]);
    // A shorter hold does not shorten a longer one; a hold of an unknown conference creates nothing.
    s.write(vec![hold("held", 20_000), hold("unknown", 90_000)]).await.expect("hold");
    assert!(s.claim_due_conferences(5000, 69_999, 1000, 10).await.expect("claim").iter().all(|d| d.conf_id != "held"));
    assert!(s.conference(APP, "unknown").await.expect("read").is_none());
    // Released, it is due at once.
    s.release_conference(APP, "held").await.expect("release");
    assert_eq!(names(s.claim_due_conferences(5000, 7000, 1000, 10).await.expect("claim")), ["held"]);
}

async fn a_periodic_job_goes_to_one_node_per_lease(b: Backend) {
    let (n1, n2) = (b.node().await, b.node().await);
    let (a, c) = tokio::join!(n1.claim_job("retention", 1000, 60_000), n2.claim_job("retention", 1000, 60_000));
    assert!(a.expect("claim 1") ^ c.expect("claim 2"), "exactly one node takes the job");
    assert!(!n1.claim_job("retention", 60_999, 60_000).await.expect("claim"), "still leased");
    assert!(n2.claim_job("rollups", 2000, 60_000).await.expect("claim"), "other jobs are separate");
    assert!(n1.claim_job("retention", 61_000, 60_000).await.expect("claim after expiry"));
    assert!(!n2.claim_job("retention", 61_000, 60_000).await.expect("claim"));
}

async fn two_nodes_closing_together_close_once(b: Backend) {
    let (n1, n2) = (b.node().await, b.node().await);
    for i in 0..20 {
        n1.write(vec![join(&format!("c{i}"), &format!("u{i}"), 1000)]).await.expect("write");
    }
    let hook = Some(("http://hook.test/".to_owned(), "{}".to_owned()));
    let race = |n: Arc<dyn Store>| {
        let hook = hook.clone();
        tokio::spawn(async move {
            let mut won = 0;
            for i in 0..20 {
                won += n
                    .close_conference(&summary(&format!("c{i}"), 1000, 40_000), 1000, hook.clone())
                    .await
                    .expect("close") as u32;
            }
            won
        })
    };
    let (a, b2) = (race(n1.clone()), race(n2));
    let total = a.await.expect("node 1") + b2.await.expect("node 2");
    assert_eq!(total, 20, "every conference closes exactly once");
    assert_eq!(n1.deliveries(APP, 100).await.expect("deliveries").len(), 20);
}

async fn deliveries_are_leased_to_one_claimer(b: Backend) {
    let (n1, n2) = (b.node().await, b.node().await);
    for i in 0..30 {
        n1.write(vec![join(&format!("c{i}"), &format!("u{i}"), 1000)]).await.expect("write");
        let hook = Some(("http://hook.test/".to_owned(), format!("{{\"n\":{i}}}")));
        assert!(n1.close_conference(&summary(&format!("c{i}"), 1000, 5000), 1000, hook).await.expect("close"));
    }
    let (a, c) = tokio::join!(n1.claim_deliveries(6000, 60_000, 20), n2.claim_deliveries(6000, 60_000, 20));
    let (a, c) = (a.expect("claim 1"), c.expect("claim 2"));
    let mut ids: Vec<i64> = a.iter().chain(&c).map(|d| d.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), a.len() + c.len(), "no delivery is claimed twice");
    assert_eq!(ids.len(), 30);
    assert!(n1.claim_deliveries(7000, 60_000, 50).await.expect("claim").is_empty(), "leased");
    let first = a[0].id;
    n1.record_attempt(&DeliveryAttempt {
        id: first,
        delivered: false,
        give_up: false,
        status: Some(500),
        error: Some("boom".into()),
        next_attempt_at: 8000,
        at: 7000,
    })
    .await
    .expect("attempt");
    let again = n2.claim_deliveries(8000, 60_000, 50).await.expect("claim");
    assert_eq!(again.iter().map(|d| (d.id, d.attempts, d.last_status)).collect::<Vec<_>>(), [(first, 1, Some(500))]);
}

async fn retention_deletes_samples_of_closed_conferences_only(b: Backend) {
    let partitioned = matches!(b, Backend::Postgres(_));
    let (s, other) = (b.node().await, b.node().await);
    let day = callstats_store::DAY_MS;
    other
        .write(vec![join("old", "u1", day), submission("old", "u1", SubmissionKind::Stats, "stats", day)])
        .await
        .expect("write");
    other
        .write(vec![join("open", "u2", 2 * day), submission("open", "u2", SubmissionKind::Stats, "stats", 2 * day)])
        .await
        .expect("write");
    other.write(vec![submission("old", "u1", SubmissionKind::Event, "userLeft", day + 1)]).await.expect("write");
    assert!(s.close_conference(&summary("old", day, day + 2), day + 1, None).await.expect("close"));
    // Partitions (where a backend has them) go first, then rows; both leave open conferences.
    let dropped = s.drop_raw_partitions(4 * day).await.expect("drop");
    let deleted = s.delete_raw_samples(APP, 4 * day).await.expect("delete");
    if partitioned {
        assert!(dropped >= 1 && deleted == 0, "day 1 dropped whole ({dropped} partitions, {deleted} rows)");
    } else {
        assert_eq!((dropped, deleted), (0, 1));
    }
    let kinds = |conf: &str| SubmissionQuery { app_id: APP, conf_id: Some(conf.into()), ..Default::default() };
    let old: Vec<_> = s.submissions(&kinds("old")).await.expect("old").into_iter().map(|r| r.submission.kind).collect();
    assert_eq!(old, [SubmissionKind::Event], "events stay, stats go");
    assert_eq!(s.submissions(&kinds("open")).await.expect("open").len(), 1, "an open conference keeps its samples");
    // A node that wrote into a day before another node dropped it can still write into that day.
    other.write(vec![submission("old", "u1", SubmissionKind::Stats, "stats", day + 5)]).await.expect("late write");
    assert_eq!(s.submissions(&kinds("old")).await.expect("old").len(), 2);
}

async fn rollups_follow_day_versions(b: Backend) {
    let s = b.node().await;
    let day = callstats_store::DAY_MS;
    s.write(vec![join("c1", "u1", 10 * day)]).await.expect("write");
    assert!(s.close_conference(&summary("c1", 10 * day, 10 * day + 5), 10 * day, None).await.expect("close"));
    assert_eq!(s.stale_rollup_days(APP, 0, 100).await.expect("stale"), [10]);
    let (version, rows) = s.day_summaries(APP, 10).await.expect("day");
    assert_eq!((version, rows.len()), (1, 1));
    assert!(rows[0].summary_json.is_empty());
    let part = |key: &str, n: u32| RollupPart { key: key.into(), partial: format!("{{\"n\":{n}}}") };
    let parts = vec![part("all", 1), part("browser:chrome", 2), part("users:2", 3), part("users:3", 4)];
    s.put_rollup(APP, 10, version, 4, parts.clone()).await.expect("put");
    let all = s.rollups(APP, 0, 100, RollupKeys::Exact("all")).await.expect("rollups");
    assert_eq!(all, [DayRollup { day: 10, layout: 4, parts: vec![parts[0].clone()] }]);
    let users = s.rollups(APP, 0, 100, RollupKeys::Prefix("users:")).await.expect("rollups");
    assert_eq!(users[0].parts, parts[2..]);
    // A current day without the key is still returned: known to have none.
    let none = s.rollups(APP, 0, 100, RollupKeys::Exact("browser:firefox")).await.expect("rollups");
    assert_eq!(none, [DayRollup { day: 10, layout: 4, parts: vec![] }]);
    assert!(s.stale_rollup_days(APP, 0, 100).await.expect("stale").is_empty());
    // An older build of the day does not replace a newer one.
    s.put_rollup(APP, 10, version - 1, 4, vec![part("all", 9)]).await.expect("put older");
    assert_eq!(s.rollups(APP, 0, 100, RollupKeys::Exact("all")).await.expect("rollups")[0].parts, [parts[0].clone()]);
    s.write(vec![join("c2", "u2", 10 * day + 1)]).await.expect("write");
    assert!(s.close_conference(&summary("c2", 10 * day + 1, 10 * day + 6), 10 * day + 1, None).await.expect("close"));
    let stale = s.rollups(APP, 0, 100, RollupKeys::Exact("all")).await.expect("rollups");
    assert!(stale.is_empty(), "stale rollup is not served");
    // Rebuilt at the new version, its parts replace the old ones.
    s.put_rollup(APP, 10, version + 1, 4, vec![part("all", 5)]).await.expect("put newer");
    let rebuilt = s.rollups(APP, 0, 100, RollupKeys::Prefix("")).await.expect("rollups");
    assert_eq!(rebuilt, [DayRollup { day: 10, layout: 4, parts: vec![part("all", 5)] }]);
}

/// PostgreSQL only: nodes starting together on an empty database each apply the migrations or
/// find them applied (the advisory lock), and a database from a newer build is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_nodes_starting_together_migrate_once() {
    let Some(Backend::Postgres(url)) = postgres("migrate_once").await else { return };
    let opened = join_all((0..4).map(|_| {
        let url = url.clone();
        async move { PostgresStore::open(&url).await.map(drop) }
    }))
    .await;
    for store in opened {
        store.expect("every node starts");
    }
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.expect("connect");
    tokio::spawn(conn);
    let versions = client
        .query_one("SELECT count(*), count(DISTINCT version), max(version) FROM schema_version", &[])
        .await
        .expect("versions");
    let (recorded, distinct, latest): (i64, i64, i64) = (versions.get(0), versions.get(1), versions.get(2));
    assert_eq!((recorded, distinct), (latest, latest), "each migration recorded once");
    client.batch_execute("INSERT INTO schema_version (version) VALUES (999)").await.expect("pretend a newer build");
    assert!(matches!(PostgresStore::open(&url).await, Err(StoreError::Corrupt(_))));
}

async fn join_all<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.expect("task"));
    }
    out
}
