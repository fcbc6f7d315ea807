//! Server-rendered pages for people in a browser. A page is one more
//! client of the services the JSON API runs: it calls the same handlers
//! with the caller of its session, so access, validation and audit are
//! identical. Forms work without JavaScript.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

pub mod account;
pub mod admin;
pub mod audit;
pub mod catalogue;
pub mod chain;
pub mod dashboard;
pub mod display;
pub mod error;
pub mod form;
pub mod imports;
pub mod labels;
pub mod layout;
pub mod mfa;
pub mod parties;
pub mod reviews;
pub mod screening;
pub mod session;
pub mod shipment_form;
pub mod shipments;

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/css; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(layout::STYLESHEET)
}

async fn time_script() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/javascript; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(layout::TIME_SCRIPT)
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::FormConfig::default().limit(session::FORM_LIMIT))
        .service(web::resource("/assets/app.css").get(stylesheet))
        .service(web::resource("/assets/time.js").get(time_script))
        .service(web::resource("/").get(dashboard::show))
        .service(
            web::resource("/login")
                .get(account::show)
                .post(account::submit),
        )
        .service(web::resource("/login/mfa").post(account::submit_second_step))
        .service(web::resource("/logout").post(account::logout))
        .service(web::resource("/account/mfa").get(mfa::show))
        .service(web::resource("/account/mfa/enrol").post(mfa::enrol))
        .service(web::resource("/account/mfa/confirm").post(mfa::confirm))
        .service(web::resource("/shipments").get(shipments::search))
        .service(
            web::resource("/shipments/new")
                .get(shipment_form::new)
                .post(shipment_form::create),
        )
        .service(web::resource("/shipments/{id}").get(shipments::show))
        .service(web::resource("/shipments/{id}/chain").get(shipments::chain))
        .service(web::resource("/shipments/{id}/links").post(shipments::link))
        .service(web::resource("/shipments/{id}/flags").post(shipments::flag))
        .service(
            web::resource("/shipments/{id}/suggestions/{candidate}")
                .post(shipments::decide_suggestion),
        )
        .service(web::resource("/parties/{id}").get(parties::show))
        .service(web::resource("/parties/{id}/judgements").post(parties::judge))
        .service(web::resource("/catalogue").get(catalogue::show))
        .service(web::resource("/imports/{id}").get(imports::show))
        .service(web::resource("/screening").get(screening::form))
        .service(web::resource("/screening/hits/{id}/dispose").post(screening::dispose))
        .service(
            web::resource("/watchlists")
                .get(screening::watchlists_page)
                .post(screening::watch_add),
        )
        .service(web::resource("/watchlists/{id}/mute").post(screening::watch_mute))
        .service(web::resource("/watchlists/{id}/delete").post(screening::watch_delete))
        .service(web::resource("/notifications").get(screening::notifications_page))
        .service(web::resource("/notifications/{id}/read").post(screening::notification_read))
        .service(web::resource("/reviews").get(reviews::queue))
        .service(
            web::resource("/flags/{id}")
                .get(reviews::show)
                .post(reviews::decide),
        )
        .service(web::resource("/audit").get(audit::search))
        .service(web::resource("/audit/objects/{object_type}/{object_id}").get(audit::object))
        .service(web::resource("/reports").get(audit::reports_page))
        .service(web::resource("/reports/{report}").get(audit::download))
        .service(
            web::resource("/admin/users")
                .get(admin::users_list)
                .post(admin::user_add),
        )
        .service(web::resource("/admin/users/{id}").post(admin::user_change))
        .service(web::resource("/admin/users/{id}/password").post(admin::user_password))
        .service(web::resource("/admin/users/{id}/mfa-reset").post(admin::user_mfa_reset))
        .service(web::resource("/admin/users/{id}/unlock").post(admin::user_unlock))
        .service(
            web::resource("/admin/agencies")
                .get(admin::agencies_list)
                .post(admin::agency_add),
        )
        .service(
            web::resource("/admin/task-forces")
                .get(admin::task_forces_list)
                .post(admin::task_force_add),
        )
        .service(web::resource("/admin/task-forces/{id}/members").post(admin::task_force_member));
}
