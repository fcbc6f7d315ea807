//! The JSON API under `/api/v1`, one module per resource. Each handler
//! reads its request, calls one use case of `interdict_app` and writes its
//! answer; the decision is the use case's.

use actix_web::web;

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
pub mod links;
pub mod me;
pub mod parties;
pub mod records;
pub mod reports;
pub mod reviews;
pub mod screening;
pub mod shipments;
pub mod suggestions;
pub mod task_forces;
pub mod users;

/// Whether `path` is the API's, answered in JSON and problem documents
/// rather than pages: everything under `/api/`, and the probes.
pub fn is_api(path: &str) -> bool {
    path.starts_with("/api/") || matches!(path, "/healthz" | "/readyz")
}

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
                .service(web::resource("/auth/login/mfa").post(auth::login_mfa))
                .service(web::resource("/auth/logout").post(auth::logout))
                .service(web::resource("/me").get(me::show))
                .service(web::resource("/me/password").post(me::change_password))
                .service(web::resource("/me/mfa").get(me::mfa_status))
                .service(web::resource("/me/mfa/enrolment").post(me::mfa_enrol))
                .service(web::resource("/me/mfa/enrolment/confirm").post(me::mfa_confirm))
                .service(web::resource("/mfa").put(me::mfa_requirement))
                .service(web::resource("/agencies/{agency_id}/mfa").put(me::agency_mfa_requirement))
                .service(web::resource("/users/{user_id}/mfa/reset").post(me::reset_mfa))
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
                .service(web::resource("/users/{user_id}/unlock").post(users::unlock))
                .service(web::resource("/audit").get(audit::search))
                .service(web::resource("/audit/verify").get(audit::verify))
                .service(
                    web::resource("/audit/objects/{object_type}/{object_id}")
                        .get(audit::object_history),
                )
                .service(web::resource("/audit/entries/{seq}/proof").get(audit::proof))
                .service(web::resource("/deconfliction").get(deconfliction::list))
                .service(web::resource("/parties/{id}/screening").get(screening::party))
                .service(web::resource("/screening").post(screening::run))
                .service(web::resource("/screening/hits").get(screening::hits))
                .service(web::resource("/screening/hits/{id}/disposition").post(screening::dispose))
                .service(
                    web::resource("/sanctions/lists")
                        .get(screening::lists)
                        .post(screening::load),
                )
                .service(
                    web::resource("/watchlists")
                        .get(screening::list_watches)
                        .post(screening::create_watch),
                )
                .service(web::resource("/watchlists/{id}").delete(screening::delete_watch))
                .service(web::resource("/watchlists/{id}/mute").post(screening::mute_watch))
                .service(web::resource("/notifications").get(screening::notifications))
                .service(web::resource("/notifications/{id}/read").post(screening::mark_read))
                .service(web::resource("/parties/{id}/matches").get(parties::matching::matches))
                .service(web::resource("/parties/{id}/judgements").post(parties::matching::judge))
                .service(
                    web::resource("/shipments/{id}/links")
                        .get(links::list_links)
                        .post(links::create_link),
                )
                .service(web::resource("/shipments/{id}/chain").get(chains::show_chain))
                .service(web::resource("/shipments/{id}/obligations").get(shipments::obligations))
                .service(web::resource("/shipments/{id}/suggestions").get(suggestions::list))
                .service(
                    web::resource("/shipments/{id}/suggestions/{candidate}")
                        .post(suggestions::decide),
                )
                .service(web::resource("/shipments/{id}/flags").post(reviews::raise_flag))
                .service(web::resource("/links/{id}/withdraw").post(links::withdraw_link))
                .service(web::resource("/chains").get(chains::search))
                .service(web::resource("/reports/summary.pdf").get(reports::summary))
                .service(web::resource("/imports").post(imports::create))
                .service(web::resource("/imports/{id}").get(imports::show))
                .service(web::resource("/imports/{id}/rejections").get(imports::rejections))
                .service(web::resource("/reports/{report}").get(reports::export))
                .service(web::resource("/reviews/queue").get(reviews::queue))
                .service(web::resource("/reviews/supervisors").get(reviews::reviewers))
                .service(web::resource("/flags/{id}").get(reviews::show))
                .service(web::resource("/flags/{id}/transitions").post(reviews::transition)),
        );
}
