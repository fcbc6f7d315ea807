//! Request ids, access logging, and problem bodies for framework errors.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage, HttpRequest};
use std::net::IpAddr;
use std::time::Instant;
use uuid::Uuid;

use crate::error::{problem_for_status, PROBLEM_JSON};
use interdict_app::{App, RequestMeta};

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The request id, stored in request extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Where a request came from, for its audit entry.
pub fn of(req: &HttpRequest) -> RequestMeta {
    let trusted = req
        .app_data::<web::Data<App>>()
        .map(|app| app.config().trusted_proxies.as_slice())
        .unwrap_or_default();
    RequestMeta {
        request_id: req.extensions().get::<RequestId>().map(|id| id.0.clone()),
        source: req
            .peer_addr()
            .map(|addr| client_address(addr.ip(), trusted, req).to_string()),
    }
}

/// The client's address: the peer, unless the peer is a trusted proxy; then
/// the nearest address in `X-Forwarded-For` that is not one of ours. An
/// address we cannot read stops the walk, as whoever wrote it is not
/// trusted, and the last trusted hop is kept.
fn client_address(peer: IpAddr, trusted: &[IpAddr], req: &HttpRequest) -> IpAddr {
    let mut client = peer;
    if !trusted.contains(&peer) {
        return client;
    }
    let hops: Vec<&str> = req
        .headers()
        .get_all(FORWARDED_FOR)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect();
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(address) => {
                client = address;
                if !trusted.contains(&address) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    client
}

const FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// Accepts a caller's id if it is short and plain, so ids can be traced
/// through a proxy without letting clients inject into logs.
fn incoming_id(req: &ServiceRequest) -> Option<String> {
    let value = req.headers().get(&REQUEST_ID)?.to_str().ok()?;
    let plain = !value.is_empty()
        && value.len() <= 64
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    plain.then(|| value.to_owned())
}

/// Tags every request with an id, logs it (method, path, status, time —
/// never headers or bodies), and answers `X-Request-Id`.
pub async fn request_id(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let id = incoming_id(&req).unwrap_or_else(|| Uuid::now_v7().to_string());
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().clone();
    let path = req.path().to_owned();
    let started = Instant::now();
    let mut response = problem_body(next.call(req).await?.map_into_boxed_body());
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    tracing::info!(
        request_id = %id,
        %method,
        path,
        status = response.status().as_u16(),
        elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    Ok(response)
}

/// Framework-level rejections (unknown route, wrong method) come without a
/// body of their own; give them one so every error has the same shape: a
/// problem document under the API, an error page everywhere else.
fn problem_body(response: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(PROBLEM_JSON) || v.starts_with("text/html"));
    if is_problem {
        return response;
    }
    let (request, original) = response.into_parts();
    let mut replacement = if crate::routes::is_api(request.path()) {
        problem_for_status(status)
    } else {
        crate::pages::error::status_page(status)
    };
    for (name, value) in original.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            replacement
                .headers_mut()
                .insert(name.clone(), value.clone());
        }
    }
    ServiceResponse::new(request, replacement)
}
