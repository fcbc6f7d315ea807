//! The JSON API under `/api/v1`, one module per resource.

use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};

use crate::error::ApiError;

pub mod agencies;
pub mod audit;
pub mod auth;
pub mod chains;
pub mod chemicals;
pub mod deconfliction;
pub mod die_molds;
pub mod equipment;
pub mod health;
pub mod imports;
pub mod me;
pub mod parties;
pub mod registry;
pub mod reports;
pub mod reviews;
pub mod shipments;
pub mod suggestions;
pub mod summary;
pub mod task_forces;
pub mod users;
pub mod views;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/healthz").get(health::healthz))
        .service(web::resource("/readyz").get(health::readyz))
        .service(
            web::scope("/api/v1")
                // Resources are tried in order, and each with a path
                // parameter is a regular expression run on the path, so the
                // records — the most requested — come first, shipments
                // leading.
                .configure(shipments::configure)
                .configure(parties::configure)
                .configure(chemicals::configure)
                .configure(equipment::configure)
                .configure(die_molds::configure)
                .service(web::resource("/openapi.json").get(crate::openapi::document))
                .service(web::resource("/auth/login").post(auth::login))
                .service(web::resource("/auth/logout").post(auth::logout))
                .service(web::resource("/me").get(me::show))
                .service(web::resource("/me/password").post(me::change_password))
                .service(
                    web::resource("/agencies")
                        .get(agencies::list)
                        .post(agencies::create),
                )
                .service(web::resource("/agencies/{agency_id}").get(agencies::show))
                .service(
                    web::resource("/task-forces")
                        .get(task_forces::list)
                        .post(task_forces::create),
                )
                .service(web::resource("/task-forces/{task_force_id}").get(task_forces::show))
                .service(
                    web::resource("/task-forces/{task_force_id}/members/{agency_id}")
                        .put(task_forces::add_member)
                        .delete(task_forces::remove_member),
                )
                .service(web::resource("/users").get(users::list).post(users::create))
                .service(
                    web::resource("/users/{user_id}")
                        .get(users::show)
                        .patch(users::update),
                )
                .service(web::resource("/users/{user_id}/password").post(users::reset_password))
                .service(web::resource("/audit").get(audit::search))
                .service(web::resource("/audit/verify").get(audit::verify))
                .service(
                    web::resource("/audit/objects/{object_type}/{object_id}")
                        .get(audit::object_history),
                )
                .service(web::resource("/audit/entries/{seq}/proof").get(audit::proof))
                .service(web::resource("/deconfliction").get(deconfliction::list))
                .service(
                    web::resource("/shipments/{id}/links")
                        .get(chains::list_links)
                        .post(chains::create_link),
                )
                .service(web::resource("/shipments/{id}/chain").get(chains::show_chain))
                .service(web::resource("/shipments/{id}/suggestions").get(suggestions::list))
                .service(
                    web::resource("/shipments/{id}/suggestions/{candidate}")
                        .post(suggestions::decide),
                )
                .service(web::resource("/shipments/{id}/flags").post(chains::raise_flag))
                .service(web::resource("/links/{id}/withdraw").post(chains::withdraw_link))
                .service(web::resource("/chains").get(chains::search))
                .service(web::resource("/reports/summary.pdf").get(summary::summary))
                .service(web::resource("/imports").post(imports::create))
                .service(web::resource("/imports/{id}").get(imports::show))
                .service(web::resource("/imports/{id}/rejections").get(imports::rejections))
                .service(web::resource("/reports/{report}").get(reports::export))
                .service(web::resource("/reviews/queue").get(reviews::queue))
                .service(web::resource("/flags/{id}").get(reviews::show))
                .service(web::resource("/flags/{id}/transitions").post(reviews::transition)),
        );
}

/// The `If-Match` version as an extractor that never fails, so the
/// handler answers (and audits) a missing or malformed header itself; the
/// pages pass the version from a hidden form field instead.
pub struct IfMatch(pub Result<i64, ApiError>);

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(Ok(Self(if_match_version(req))))
    }
}

/// The version an update is based on, from `If-Match: "N"`.
pub fn if_match_version(req: &HttpRequest) -> Result<i64, ApiError> {
    let value = req
        .headers()
        .get(header::IF_MATCH)
        .ok_or(ApiError::PreconditionRequired)?
        .to_str()
        .map_err(|_| ApiError::bad_request("If-Match", "must be a quoted version number"))?;
    value
        .trim()
        .trim_start_matches("W/")
        .trim_matches('"')
        .parse()
        .map_err(|_| {
            ApiError::bad_request(
                "If-Match",
                "must be the quoted version from the ETag header",
            )
        })
}

pub fn etag(version: i64) -> (header::HeaderName, String) {
    (header::ETAG, format!("\"{version}\""))
}
