//! Connections over real sockets: clients that never finish their request head are held only
//! until the header timeout, never more than the connection cap are kept, a request that does
//! not deliver its body in time is answered 408, and a normal client is served meanwhile.

mod common;

use std::time::{Duration, Instant};

use callstats_server::ConnectionLimits;
use common::TestServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Serves the test server's router on a free port with `limits`; returns the address.
async fn listen(s: &TestServer, limits: ConnectionLimits) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(callstats_server::serve(listener, s.router.clone(), limits, std::future::pending()));
    addr
}

/// A client that starts a request and never finishes its head.
async fn slow_client(addr: std::net::SocketAddr) -> TcpStream {
    let mut c = TcpStream::connect(addr).await.expect("connect");
    c.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.expect("write");
    c
}

/// Sends `request` whole and returns the status of the answer.
async fn status_of(addr: std::net::SocketAddr, request: &[u8]) -> u16 {
    let mut c = TcpStream::connect(addr).await.expect("connect");
    c.write_all(request).await.expect("write");
    let mut head = [0u8; 12];
    c.read_exact(&mut head).await.expect("an answer");
    std::str::from_utf8(&head[9..12]).expect("ascii").parse().expect("status")
}

const HEALTHZ: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

/// Whether the server has closed `c` (EOF or reset) within `within`.
async fn closed(c: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 256];
    loop {
        match tokio::time::timeout(within, c.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            // hyper may answer 408 before closing.
            Ok(Ok(_)) => continue,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_is_served_while_a_thousand_slow_ones_are_held() {
    // 1,000 clients and their server ends need 2,000 descriptors; raise the soft limit to the
    // hard one (the server binary does the same at start).
    let limit = rlimit::increase_nofile_limit(8192).expect("raise the descriptor limit");
    assert!(limit >= 2200, "this test needs 2,200 file descriptors, the hard limit is {limit}");
    let s = TestServer::start().await;
    let header_timeout = Duration::from_secs(3);
    let addr = listen(&s, ConnectionLimits { header_timeout, ..ConnectionLimits::default() }).await;
    let started = Instant::now();
    let mut slow = Vec::new();
    for _ in 0..1000 {
        slow.push(slow_client(addr).await);
    }
    let t = Instant::now();
    assert_eq!(status_of(addr, HEALTHZ).await, 200);
    assert!(t.elapsed() < Duration::from_secs(1), "served after {:?}", t.elapsed());
    // Held: still open while the header timeout runs…
    if started.elapsed() < header_timeout - Duration::from_millis(500) {
        assert!(!closed(&mut slow[0], Duration::from_millis(200)).await, "closed before the header timeout");
    }
    // …and all closed after it.
    for c in &mut slow {
        assert!(closed(c, header_timeout + Duration::from_secs(5)).await, "a slow client is still held");
    }
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_for_one_to_close() {
    let s = TestServer::start().await;
    let limits =
        ConnectionLimits { max_connections: 3, header_timeout: Duration::from_secs(1), ..ConnectionLimits::default() };
    let addr = listen(&s, limits).await;
    let _slow = [slow_client(addr).await, slow_client(addr).await, slow_client(addr).await];
    let t = Instant::now();
    let waited = tokio::time::timeout(Duration::from_millis(500), status_of(addr, HEALTHZ)).await;
    assert!(waited.is_err(), "a fourth connection was served at once");
    // Once the header timeout frees the three, it is.
    assert_eq!(status_of(addr, HEALTHZ).await, 200);
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
}

#[tokio::test]
async fn a_body_that_does_not_arrive_in_time_is_answered_408_and_idle_connections_close() {
    let s = TestServer::start().await;
    let limits = ConnectionLimits {
        header_timeout: Duration::from_secs(1),
        request_timeout: Duration::from_secs(1),
        ..ConnectionLimits::default()
    };
    let addr = listen(&s, limits).await;
    let t = Instant::now();
    let request = format!(
        "POST /v1/apps/{}/conferences/c HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"local",
        s.app_id
    );
    assert_eq!(status_of(addr, request.as_bytes()).await, 408);
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    // A keep-alive connection that has been answered and then idles is closed.
    let mut c = TcpStream::connect(addr).await.expect("connect");
    c.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.expect("write");
    let mut buf = [0u8; 1024];
    let n = c.read(&mut buf).await.expect("answer");
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    assert!(closed(&mut c, Duration::from_secs(3)).await, "an idle keep-alive connection stays open");
}
