//! Slow and greedy clients (finding 6 of issue 27): a client that stops
//! partway through its headers or body is answered 408 and disconnected
//! within the configured timeout, and one address holding too many
//! connections is answered 429 while every other address is still served.
//! Spoken in raw HTTP/1.1 over sockets, since the point is what a client
//! that does not finish its request sees.

use interdict_tests::{both_backends, Backend, TestApp, PASSWORD};
use socket2::{Domain, Socket, Type};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

both_backends!(
    a_client_that_stops_partway_through_a_body_gets_408_and_is_disconnected,
    a_client_that_stops_partway_through_its_headers_is_disconnected,
    a_manifest_upload_that_stalls_is_refused,
    one_source_past_its_connection_cap_is_refused_while_others_are_served,
);

/// Longest any test here waits for the server; far above the timeouts it
/// configures, far below "for ever".
const PATIENCE: Duration = Duration::from_secs(15);

fn address(app: &TestApp) -> SocketAddr {
    app.base
        .trim_start_matches("http://")
        .parse()
        .expect("the test server's address")
}

/// A connection to the app from `source` (an address on the loopback
/// network, so that the server sees a different client).
fn connect_from(app: &TestApp, source: &str) -> TcpStream {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
    let local: SocketAddr = format!("{source}:0").parse().expect("source address");
    socket.bind(&local.into()).expect("bind the client socket");
    socket.connect(&address(app).into()).expect("connect");
    let stream: TcpStream = socket.into();
    stream.set_read_timeout(Some(PATIENCE)).expect("timeout");
    stream
}

/// Everything the server sends until it closes the connection, and how
/// long that took; fails if it does not close within `PATIENCE`.
fn read_until_closed(stream: &mut TcpStream) -> (String, Duration) {
    let started = Instant::now();
    let mut received = Vec::new();
    if let Err(e) = stream.read_to_end(&mut received) {
        panic!(
            "the server kept the connection open for {:?} ({e}); it sent: {}",
            started.elapsed(),
            String::from_utf8_lossy(&received)
        );
    }
    (
        String::from_utf8_lossy(&received).into_owned(),
        started.elapsed(),
    )
}

/// One request and its whole response on a kept-alive connection.
fn exchange(stream: &mut TcpStream, request: &str) -> String {
    stream.write_all(request.as_bytes()).expect("send");
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let n = stream.read(&mut buffer).expect("read the response");
        assert!(
            n > 0,
            "connection closed early: {}",
            String::from_utf8_lossy(&received)
        );
        received.extend_from_slice(&buffer[..n]);
        let text = String::from_utf8_lossy(&received);
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if received.len() >= end + 4 + length {
                return text.into_owned();
            }
        }
    }
}

fn healthz() -> &'static str {
    "GET /healthz HTTP/1.1\r\nHost: interdict\r\n\r\n"
}

fn a_client_that_stops_partway_through_a_body_gets_408_and_is_disconnected(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[("INTERDICT_BODY_TIMEOUT_SECONDS", "1")]);
    let mut slow = connect_from(&app, "127.0.0.1");
    slow.write_all(
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: interdict\r\n\
          Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"username\":\"adm",
    )
    .expect("send the start of the body");
    let (response, waited) = read_until_closed(&mut slow);
    assert!(response.starts_with("HTTP/1.1 408"), "{response}");
    assert!(
        response.contains("application/problem+json")
            && response.contains("urn:interdict:problem:request-timeout"),
        "{response}"
    );
    // Answered once the one-second deadline passed, not at some later
    // timeout of the framework's.
    assert!(waited < Duration::from_secs(5), "took {waited:?}");

    // A body sent whole is served as before.
    let login = app.login("admin", interdict_tests::ADMIN_PASSWORD);
    assert_eq!(login.status, 200, "{}", login.text);
}

fn a_client_that_stops_partway_through_its_headers_is_disconnected(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[("INTERDICT_REQUEST_TIMEOUT_SECONDS", "1")]);
    let mut slow = connect_from(&app, "127.0.0.1");
    slow.write_all(b"POST /api/v1/auth/login HTTP/1.1\r\nHost: interdict\r\n")
        .expect("send part of the headers");
    let (response, waited) = read_until_closed(&mut slow);
    assert!(
        response.is_empty() || response.starts_with("HTTP/1.1 408"),
        "{response}"
    );
    assert!(waited < Duration::from_secs(4), "took {waited:?}");
    assert_eq!(app.request("GET", "/healthz").send().status, 200);
}

fn a_manifest_upload_that_stalls_is_refused(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[("INTERDICT_BODY_TIMEOUT_SECONDS", "1")]);
    let agency = app.create_agency("Arizona DPS", "AZDPS0000", "state", "AZ");
    app.create_user(agency, "mia", "investigator");
    let token = app.token("mia", PASSWORD);
    let before = app.audit_count();
    let mut slow = connect_from(&app, "127.0.0.1");
    slow.write_all(
        format!(
            "POST /api/v1/imports?file_name=m.csv HTTP/1.1\r\nHost: interdict\r\n\
             Authorization: Bearer {token}\r\nContent-Type: text/csv\r\n\
             Content-Length: 100000\r\n\r\ntracking_number,carrier\n"
        )
        .as_bytes(),
    )
    .expect("send the start of the file");
    let started = Instant::now();
    let response = exchange(&mut slow, "");
    assert!(response.starts_with("HTTP/1.1 400"), "{response}");
    assert!(response.contains("no data arrived"), "{response}");
    assert!(started.elapsed() < Duration::from_secs(5));
    // Refused like any other bad upload: audited, nothing imported.
    let entry = &app.last_audit(1)[0];
    assert_eq!(
        (entry.action.as_str(), entry.outcome.as_str()),
        ("import.create", "error"),
        "{entry:?}"
    );
    assert!(app.audit_count() > before);
}

fn one_source_past_its_connection_cap_is_refused_while_others_are_served(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[("INTERDICT_MAX_CONNECTIONS_PER_SOURCE", "3")]);
    // Three kept-alive connections from one address, each answered (so
    // each is counted before the next request).
    let mut held: Vec<TcpStream> = (0..3)
        .map(|_| {
            let mut stream = connect_from(&app, "127.0.0.2");
            let response = exchange(&mut stream, healthz());
            assert!(response.starts_with("HTTP/1.1 200"), "{response}");
            stream
        })
        .collect();

    // A fourth from the same address is refused and closed.
    let mut greedy = connect_from(&app, "127.0.0.2");
    greedy.write_all(healthz().as_bytes()).expect("send");
    let (response, _) = read_until_closed(&mut greedy);
    assert!(response.starts_with("HTTP/1.1 429"), "{response}");
    let head = response.to_ascii_lowercase();
    assert!(head.contains("\r\nretry-after: "), "{response}");
    assert!(head.contains("\r\nconnection: close"), "{response}");
    assert!(
        response.contains("urn:interdict:problem:too-many-connections"),
        "{response}"
    );

    // Meanwhile every other address is served, the held connections too.
    for _ in 0..5 {
        assert_eq!(app.request("GET", "/healthz").send().status, 200);
    }
    let mut other = connect_from(&app, "127.0.0.3");
    assert!(exchange(&mut other, healthz()).starts_with("HTTP/1.1 200"));
    assert!(exchange(&mut held[0], healthz()).starts_with("HTTP/1.1 200"));

    // Closing one gives its place back.
    drop(held.pop());
    let deadline = Instant::now() + PATIENCE;
    loop {
        let mut again = connect_from(&app, "127.0.0.2");
        let response = exchange(&mut again, healthz());
        if response.starts_with("HTTP/1.1 200") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the closed connection's place was never given back: {response}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
