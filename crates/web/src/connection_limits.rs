//! Limits that keep slow or greedy clients from exhausting the process:
//! a per-source cap on open connections, the answers given to a client
//! past that cap or too slow with its body, and the open-file limit.
//!
//! Why: every open connection holds a file descriptor. Clients that
//! connected and then stopped partway through a request body were once
//! held for ever, and 1,100 of them from one address exhausted the
//! descriptors until `/healthz` stopped answering. Now a request's headers
//! must arrive within `request_timeout` (actix's client request timeout),
//! a JSON or form body within `body_timeout` (`input_guard`), and one
//! address may hold at most `max_connections_per_source` connections:
//! past that its requests are answered 429 and the connection closed, while
//! every other address is still served.
//!
//! The cap is counted when a connection is accepted (actix `on_connect`)
//! and released when it closes, so checking a request costs one lookup of
//! a flag stored with its connection. Refusals here are counted in the
//! metrics and not audited: an audit entry per refused connection would let
//! a flood of them flood the audit trail too.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Extensions, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{ConnectionType, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpRequest, HttpResponse};
use interdict_app::App;
use std::any::Any;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::error::{problem_type, Problem, PROBLEM_JSON};

/// Seconds a client refused for holding too many connections is asked to
/// wait before trying again.
pub const RETRY_AFTER_SECONDS: u32 = 5;

/// Open connections per client address.
#[derive(Clone)]
pub struct SourceCounts {
    max_per_source: usize,
    exempt: Arc<[IpAddr]>,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// One accepted connection's place in the count, given back when the
/// connection (and with it this value, kept in its extensions) is dropped.
pub struct SourceSlot {
    counts: SourceCounts,
    source: IpAddr,
    /// Whether the connection was over the cap when it was accepted.
    pub over_cap: bool,
}

impl SourceCounts {
    /// At most `max_per_source` connections per address; `exempt`
    /// addresses (trusted proxies, which speak for many clients) are not
    /// counted.
    pub fn new(max_per_source: usize, exempt: &[IpAddr]) -> Self {
        Self {
            max_per_source,
            exempt: exempt.iter().copied().map(canonical).collect(),
            open: Arc::default(),
        }
    }

    /// Counts a newly accepted connection from `source`.
    pub fn open(&self, source: IpAddr) -> Option<SourceSlot> {
        if self.exempt.contains(&source) {
            return None;
        }
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let count = open.entry(source).or_insert(0);
        *count += 1;
        let over_cap = *count > self.max_per_source;
        drop(open);
        Some(SourceSlot {
            counts: self.clone(),
            source,
            over_cap,
        })
    }

    /// For `HttpServer::on_connect`: counts the connection by its peer
    /// address and keeps its slot with the connection.
    pub fn on_connect(&self, connection: &dyn Any, data: &mut Extensions) {
        let Some(stream) = connection.downcast_ref::<actix_web::rt::net::TcpStream>() else {
            return;
        };
        let Ok(peer) = stream.peer_addr() else {
            return;
        };
        if let Some(slot) = self.open(canonical(peer.ip())) {
            if slot.over_cap {
                metrics::counter!("interdict_connections_over_cap_total").increment(1);
            }
            data.insert(slot);
        }
    }

    /// Connections open now from `source`.
    pub fn open_from(&self, source: IpAddr) -> usize {
        let open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        open.get(&source).copied().unwrap_or(0)
    }
}

impl Drop for SourceSlot {
    fn drop(&mut self) {
        let mut open = self
            .counts
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.source) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.source);
            }
        }
    }
}

/// An IPv4 client reaching a dual-stack listener is the same client.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Answers 429 (and closes the connection) to every request on a
/// connection that was over its source's cap when accepted.
pub async fn refuse_over_cap(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let over_cap = req
        .conn_data::<SourceSlot>()
        .is_some_and(|slot| slot.over_cap);
    if over_cap {
        metrics::counter!("interdict_requests_refused_total", "reason" => "connections_per_source")
            .increment(1);
        let mut response = problem(
            StatusCode::TOO_MANY_REQUESTS,
            "too-many-connections",
            "Too many open connections from your address",
            "close some connections and try again",
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
        return Ok(req.into_response(response));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// The configured body timeout (`server.body_timeout_seconds`).
pub fn body_timeout(req: &HttpRequest) -> Duration {
    req.app_data::<web::Data<App>>()
        // Only a test app without the application state lacks it.
        .map_or(Duration::from_secs(30), |app| app.config().body_timeout)
}

/// The answer to a body that did not arrive within the body timeout.
pub fn body_timed_out() -> HttpResponse {
    metrics::counter!("interdict_requests_refused_total", "reason" => "body_timeout").increment(1);
    problem(
        StatusCode::REQUEST_TIMEOUT,
        "request-timeout",
        "The request body did not arrive in time",
        "send the whole body promptly; the connection is closed",
    )
}

/// A streamed body (a manifest upload, too large to hold whole under one
/// deadline) that fails once `idle` passes without a byte arriving: a
/// stalled upload is refused instead of holding its connection for ever.
pub fn stall_limited<S, T, E>(
    body: S,
    idle: Duration,
) -> impl futures_util::Stream<Item = Result<T, String>>
where
    S: futures_util::Stream<Item = Result<T, E>> + Unpin,
    E: std::fmt::Display,
{
    use futures_util::StreamExt;
    futures_util::stream::unfold(Some(body), move |state| async move {
        let mut body = state?;
        match tokio::time::timeout(idle, body.next()).await {
            Ok(Some(Ok(chunk))) => Some((Ok(chunk), Some(body))),
            Ok(Some(Err(e))) => Some((Err(e.to_string()), None)),
            Ok(None) => None,
            Err(_) => {
                metrics::counter!("interdict_requests_refused_total", "reason" => "body_timeout")
                    .increment(1);
                Some((
                    Err(format!("no data arrived for {} s", idle.as_secs())),
                    None,
                ))
            }
        }
    })
}

/// A problem document that also closes the connection: a client refused
/// for being slow or greedy does not keep its descriptor.
fn problem(status: StatusCode, kind: &str, title: &str, detail: &str) -> HttpResponse {
    let mut response = HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, PROBLEM_JSON))
        .json(Problem {
            kind: problem_type(kind),
            title: title.into(),
            status: status.as_u16(),
            detail: Some(detail.into()),
            errors: Vec::new(),
        });
    response
        .head_mut()
        .set_connection_type(ConnectionType::Close);
    response
}

/// Raises the soft limit on open files to the hard limit, since each
/// connection needs one; returns the limit before and after.
pub fn raise_open_file_limit() -> std::io::Result<(libc::rlim_t, libc::rlim_t)> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct given.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let before = limit.rlim_cur;
    if limit.rlim_cur < limit.rlim_max {
        limit.rlim_cur = limit.rlim_max;
        // SAFETY: as above.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok((before, limit.rlim_cur))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_over_its_cap_is_marked_and_released_on_close() {
        let counts = SourceCounts::new(2, &["10.0.0.2".parse().unwrap()]);
        let client: IpAddr = "192.0.2.7".parse().unwrap();
        let first = counts.open(client).unwrap();
        let second = counts.open(client).unwrap();
        let third = counts.open(client).unwrap();
        assert!(!first.over_cap && !second.over_cap);
        assert!(third.over_cap);
        // Another address is counted on its own.
        assert!(!counts.open("192.0.2.8".parse().unwrap()).unwrap().over_cap);
        drop(third);
        drop(first);
        assert_eq!(counts.open_from(client), 1);
        assert!(!counts.open(client).unwrap().over_cap);
        drop(second);
        assert_eq!(counts.open_from(client), 0);
        // A trusted proxy is not counted at all.
        assert!(counts.open("10.0.0.2".parse().unwrap()).is_none());
    }

    #[test]
    fn an_ipv4_mapped_address_is_the_ipv4_client() {
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(canonical(mapped), "192.0.2.7".parse::<IpAddr>().unwrap());
    }
}
