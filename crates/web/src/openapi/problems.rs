//! The error answers of every operation, documented from what the
//! operation takes rather than listed by hand on each: what any request
//! may be refused with (the input guard's 400, the connection cap's 429,
//! the database's 503, and for its bearer token 401, or 403 where a token
//! that must enrol a second factor first is refused), what an id in the path
//! brings (400 when it is not one, 404), what a body brings (408, 413,
//! 415, and 422 for JSON), and what `If-Match` brings (412, and 428 when it
//! is required). Statuses only some operations answer (403 of a role, 409,
//! 429 of the sign-in throttle) stay in their handler's annotation, which
//! this completes with the problem schema. `tests/tests/suite/openapi.rs`
//! drives every operation and fails on a status the document omits.

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Required, Response};
use utoipa::Modify;

use crate::error::PROBLEM_JSON;

pub struct Problems;

/// What each status means when the operation's annotation does not say.
fn description(status: &str) -> &'static str {
    match status {
        "400" => "Malformed request: a path segment, query parameter, header or JSON body that cannot be read, or text with NUL or invalid UTF-8; the field is named",
        "401" => "No valid bearer token: missing, expired, revoked or for a disabled account",
        "403" => "The caller may not do this",
        "404" => "No such record, or not one the caller may see",
        "408" => "The body did not arrive within the body timeout",
        "409" => "The request conflicts with the record's current state",
        "412" => "The record changed since the version in `If-Match`",
        "413" => "The body is over 1 MiB",
        "415" => "The body is not `application/json`",
        "422" => "A field is invalid, missing or unknown; each is named in `errors`",
        "428" => "`If-Match` is missing",
        "429" => "Too many connections from this address (or, where said, failed attempts); see `Retry-After`",
        "503" => "The database is unavailable; retry after `Retry-After`",
        _ => "An error",
    }
}

impl Modify for Problems {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.schemas.insert(
            "Problem".into(),
            <crate::error::Problem as utoipa::PartialSchema>::schema(),
        );
        components.schemas.insert(
            "FieldError".into(),
            <interdict_domain::FieldError as utoipa::PartialSchema>::schema(),
        );
        for (path, item) in openapi.paths.paths.iter_mut() {
            for operation in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                for status in statuses(path, operation) {
                    operation
                        .responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| RefOr::T(Response::new(description(status))));
                }
                for (status, response) in operation.responses.responses.iter_mut() {
                    if let (true, RefOr::T(response)) = (status.starts_with(['4', '5']), response) {
                        as_problem(response);
                    }
                }
            }
        }
    }
}

/// The error statuses `operation` at `path` can answer by its shape.
fn statuses(path: &str, operation: &Operation) -> Vec<&'static str> {
    let params = operation.parameters.as_deref().unwrap_or_default();
    let has = |place: ParameterIn| params.iter().any(|p| p.parameter_in == place);
    let if_match = params
        .iter()
        .find(|p| p.parameter_in == ParameterIn::Header && p.name == "If-Match");
    // Any request may be refused as malformed (400), over the connection
    // cap (429) or while the database is down (503). A refused request's
    // bearer token is checked to audit the refusal as its caller, even
    // where the operation needs none: 401 for a bad token, 403 for one
    // that must enrol a second factor first, where that token reaches
    // nothing else.
    let mut statuses = vec!["400", "401", "429", "503"];
    if !interdict_app::auth::reachable_before_enrolment(path) {
        statuses.push("403");
    }
    if has(ParameterIn::Path) {
        statuses.push("404");
    }
    if let Some(body) = &operation.request_body {
        statuses.extend(["408", "413", "415"]);
        // A JSON body is read into a type that names the fields; a CSV
        // upload is stored first and its lines refused one by one.
        if body.content.contains_key("application/json") {
            statuses.push("422");
        }
    }
    if let Some(if_match) = if_match {
        statuses.push("412");
        if matches!(if_match.required, Required::True) {
            statuses.push("428");
        }
    }
    statuses
}

/// Makes an error answer's body the problem document.
fn as_problem(response: &mut Response) {
    let problem = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("Problem")))
        .build();
    response.content.shift_remove("application/json");
    response.content.insert(PROBLEM_JSON.to_owned(), problem);
}
