//! What the binary tests share: a `callstats serve` child process, and the database it runs on,
//! chosen by `CALLSTATS_TEST_BACKEND` (`sqlite`, the default, or `postgres`: a fresh database on
//! the server in `CALLSTATS_TEST_DATABASE_URL`; scripts/test runs these tests once per backend).

#![allow(dead_code)]

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_callstats");

/// A running `callstats serve`, killed (and reaped) when dropped, so a failing assertion never
/// leaves a server behind.
pub struct Server {
    child: Child,
    pub base: String,
    pub app: String,
    pub secret: String,
}

impl Server {
    /// Starts `serve` on a free port with `db` (the `--database …` arguments) and stderr going to
    /// `log`; reads the bound address and the demo app's credentials from stdout.
    pub fn start(db: &[String], log: &Path) -> Server {
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(db)
            .stdout(Stdio::piped())
            .stderr(File::create(log).expect("create server log"))
            .spawn()
            .expect("spawn serve");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut next = || lines.next().expect("serve printed a line").expect("utf-8");
        let base = next().strip_prefix("Listening on ").expect("listening line").to_owned();
        let app = next().strip_prefix("AppID: ").expect("AppID line").to_owned();
        let secret = next().strip_prefix("AppSecret: ").expect("AppSecret line").to_owned();
        // Keep the pipe open and drained so a later line on stdout never fails with EPIPE.
        std::thread::spawn(move || lines.for_each(drop));
        Server { child, base, app, secret }
    }

    /// SIGKILL: no graceful shutdown, no flush, no destructor runs in the server.
    pub fn kill9(&mut self) {
        self.child.kill().expect("SIGKILL the server");
        let status = self.child.wait().expect("reap the server");
        assert!(!status.success(), "the server must have died from the signal, not exited: {status}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `--database …` (and, for PostgreSQL, `--server-key-file …`) arguments of a fresh
/// database for one test.
pub async fn database(dir: &Path, name: &str) -> Vec<String> {
    match std::env::var("CALLSTATS_TEST_BACKEND").as_deref() {
        Ok("postgres") => postgres(dir, name)
            .await
            .expect("CALLSTATS_TEST_BACKEND=postgres needs CALLSTATS_TEST_DATABASE_URL (bash scripts/test sets both)"),
        Ok("sqlite") | Err(_) => vec!["--database".into(), format!("sqlite://{}/{name}.db", dir.display())],
        Ok(other) => panic!("CALLSTATS_TEST_BACKEND={other}: expected sqlite or postgres"),
    }
}

/// Arguments of a fresh PostgreSQL database, or `None` when no server is configured.
pub async fn postgres(dir: &Path, name: &str) -> Option<Vec<String>> {
    let server = std::env::var("CALLSTATS_TEST_DATABASE_URL").ok()?;
    let url = callstats_store_postgres::create_scratch_database(&server, name).await.expect("create test database");
    let key = dir.join("server.key").display().to_string();
    Some(vec!["--database".into(), url, "--server-key-file".into(), key])
}

/// Runs a CLI subcommand against `db` and returns its stdout.
pub fn cli(db: &[String], args: &[&str]) -> String {
    let out = Command::new(BIN).args(args).args(db).output().expect("run the CLI");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8")
}
