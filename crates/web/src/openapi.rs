//! The OpenAPI document, generated from the handlers' annotations so it
//! cannot drift from the code.

use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes;

mod problems;

use problems::Problems;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Interdict API",
        description = "Tracking suspicious shipments of fentanyl precursors, pill presses, parts and die molds across agencies. Errors are RFC 9457 problem documents (application/problem+json).",
    ),
    paths(
        routes::health::healthz,
        routes::health::readyz,
        routes::auth::login,
        routes::auth::logout,
        routes::me::show,
        routes::me::change_password,
        routes::auth::login_mfa,
        routes::me::mfa_status,
        routes::me::mfa_enrol,
        routes::me::mfa_confirm,
        routes::me::reset_mfa,
        routes::me::agency_mfa_requirement,
        routes::me::mfa_requirement,
        routes::agencies::create,
        routes::agencies::list,
        routes::agencies::show,
        routes::task_forces::create,
        routes::task_forces::list,
        routes::task_forces::show,
        routes::task_forces::add_member,
        routes::task_forces::remove_member,
        routes::users::create,
        routes::users::list,
        routes::users::show,
        routes::users::update,
        routes::users::reset_password,
        routes::users::unlock,
        routes::audit::search,
        routes::audit::verify,
        routes::audit::object_history,
        routes::audit::proof,
        routes::reports::export,
        routes::reports::summary,
        routes::imports::create,
        routes::imports::show,
        routes::imports::rejections,
        routes::deconfliction::list,
        routes::screening::run,
        routes::screening::party,
        routes::screening::hits,
        routes::screening::dispose,
        routes::screening::lists,
        routes::screening::load,
        routes::screening::create_watch,
        routes::screening::list_watches,
        routes::screening::mute_watch,
        routes::screening::delete_watch,
        routes::screening::notifications,
        routes::screening::mark_read,
        routes::links::create_link,
        routes::links::list_links,
        routes::links::withdraw_link,
        routes::chains::show_chain,
        routes::chains::search,
        routes::reviews::raise_flag,
        routes::suggestions::list,
        routes::suggestions::decide,
        routes::reviews::queue,
        routes::reviews::reviewers,
        routes::reviews::show,
        routes::reviews::transition,
        routes::parties::create,
        routes::parties::list,
        routes::parties::show,
        routes::parties::update,
        routes::parties::withdraw,
        routes::parties::history,
        routes::parties::matching::matches,
        routes::parties::matching::judge,
        routes::chemicals::create,
        routes::chemicals::list,
        routes::chemicals::show,
        routes::chemicals::update,
        routes::chemicals::withdraw,
        routes::chemicals::history,
        routes::equipment::create,
        routes::equipment::list,
        routes::equipment::show,
        routes::equipment::update,
        routes::equipment::withdraw,
        routes::equipment::history,
        routes::die_molds::create,
        routes::die_molds::list,
        routes::die_molds::show,
        routes::die_molds::update,
        routes::die_molds::withdraw,
        routes::die_molds::history,
        routes::shipments::create,
        routes::shipments::list,
        routes::shipments::show,
        routes::shipments::update,
        routes::shipments::withdraw,
        routes::shipments::history,
        routes::shipments::obligations,
    ),
    // Schemas only parameters refer to; those of bodies come with them.
    components(schemas(
        interdict_domain::review::QueueView,
        interdict_domain::review::QueueSort,
        routes::reports::ReportFile,
    )),
    modifiers(&BearerAuth, &Problems),
    tags(
        (name = "auth", description = "Sign in and out; the caller's own account"),
        (name = "users", description = "User administration"),
        (name = "agencies", description = "Agencies and task forces"),
        (name = "audit", description = "The tamper-evident audit trail"),
        (name = "shipments", description = "Suspicious shipments: parties, lines and route"),
        (name = "parties", description = "Consignors, consignees, forwarders and other parties"),
        (name = "chemicals", description = "The chemical catalogue, seeded with controlled precursors"),
        (name = "equipment", description = "Pill presses, encapsulators and their parts"),
        (name = "die molds", description = "Die molds and their imprints"),
        (name = "deconfliction", description = "Matches with records other agencies hold"),
        (name = "screening", description = "Sanctions lists and screening hits"),
        (name = "watchlists", description = "Watches and their notifications"),
        (name = "chains", description = "Links between shipments and the origin→destination chains they form"),
        (name = "reviews", description = "Flags and the supervisors' review"),
        (name = "reports", description = "Streamed exports for oversight"),
        (name = "imports", description = "Bulk import of courier and freight manifests"),
        (name = "operations", description = "Health probes"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Serves the OpenAPI document.
pub async fn document() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
