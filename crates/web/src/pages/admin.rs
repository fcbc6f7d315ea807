//! Administration: an agency administrator manages the agency's users;
//! the system administrator also manages agencies and task forces.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use interdict_domain::agency::AgencyLevel;
use interdict_domain::policy::{self, Decision};
use interdict_domain::user::Role;
use maud::html;
use uuid::Uuid;

use super::display::{badge, pager, query_of, short, when};
use super::error::PageError;
use super::form::{choices, select, Errors, Fields, Input};
use super::layout::{csrf, notice, page_with, see_other};
use super::session::{Posted, Session};
use crate::error::{detail, kind};
use interdict_app::agencies::{self, AgencyView, CreateAgencyRequest};
use interdict_app::pagination::{PageQuery, MAX_LIMIT};
use interdict_app::task_forces::{self, CreateTaskForceRequest};
use interdict_app::users::{
    self, CreateUserRequest, ResetPasswordRequest, UpdateUserRequest, UserListQuery,
};
use interdict_app::AppError;

#[derive(serde::Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

fn done_notice(done: Option<&str>) -> Option<maud::Markup> {
    let text = match done? {
        "added" => "The account was created.",
        "changed" => "The account was changed.",
        "reset" => "The password was replaced and the account's sessions ended.",
        "mfa_reset" => {
            "The second factor was removed; the user enrols a new one at next sign-in if required."
        }
        "unlocked" => "The account was unlocked, for every place it signs in from.",
        "agency" => "The agency was created.",
        "task_force" => "The task force was created.",
        "member" => "The membership was changed.",
        _ => return None,
    };
    Some(notice("ok", text))
}

fn roles() -> Vec<(String, String)> {
    choices(&Role::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>())
}

/// The agencies the caller may list, for choosing one; none for a role
/// that may not list them.
pub async fn listed_agencies(session: &Session) -> Vec<AgencyView> {
    let query = PageQuery {
        limit: Some(MAX_LIMIT),
        cursor: None,
    };
    agencies::list(session, &query)
        .await
        .map(|p| p.items)
        .unwrap_or_default()
}

async fn all_agencies(session: &Session) -> Vec<(String, String)> {
    listed_agencies(session)
        .await
        .into_iter()
        .map(|a| (a.id.to_string(), format!("{} ({})", a.name, a.ori)))
        .collect()
}

async fn users_page(
    session: &Session,
    pairs: &[(String, String)],
    message: Option<maud::Markup>,
    form: &Fields,
    errors: &Errors,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let query = query_of::<UserListQuery>(pairs)?;
    let found = users::list(session, &query).await?;
    let everyone = policy::decide_directory_admin(session.actor()?) == Decision::Allow;
    let agencies = if everyone {
        all_agencies(session).await
    } else {
        Vec::new()
    };
    let sanctions = interdict_app::screening::in_force(session.app())
        .await
        .ok()
        .flatten();
    let body = html! {
        h1 { "Users" }
        @if let Some(message) = message { (message) }
        (super::screening::list_line(sanctions.as_ref()))
        div.table-wrap { table #users {
            thead { tr { th { "Username" } th { "Name" } @if everyone { th { "Agency" } } th { "Role" } th { "State" } th { "Change" } th { "New password" } th { "Second factor" } } }
            tbody { @for u in &found.items {
                tr {
                    td { (u.username) }
                    td { (u.display_name) }
                    @if everyone {
                        td { (agencies.iter().find(|(id, _)| *id == u.agency_id.to_string()).map_or("—", |(_, name)| name.as_str())) }
                    }
                    td { (super::labels::words(&u.role)) }
                    td {
                        @if u.active { (badge("", "active")) } @else { (badge("dismissed", "disabled")) }
                        @if let Some(until) = u.locked_until {
                            " " (badge("dismissed", "locked"))
                            " until " (super::display::when(&until))
                            form.inline method="post" action={ "/admin/users/" (u.id) "/unlock" } {
                                (csrf(session))
                                button.secondary type="submit" { "Unlock" }
                            }
                        }
                    }
                    td {
                        form.inline method="post" action={ "/admin/users/" (u.id) } {
                            (csrf(session))
                            input type="hidden" name="version" value=(u.version);
                            label for={ "role-" (u.id) } { "Role " }
                            select id={ "role-" (u.id) } name="role" {
                                @for (value, text) in roles() { option value=(value) selected[value == u.role] { (text) } }
                            }
                            " "
                            button.secondary type="submit" name="change" value="role" { "Set role" }
                            " "
                            @if u.active {
                                button.danger type="submit" name="change" value="disable" { "Disable" }
                            } @else {
                                button.secondary type="submit" name="change" value="enable" { "Enable" }
                            }
                        }
                    }
                    td {
                        form.inline method="post" action={ "/admin/users/" (u.id) "/password" } {
                            (csrf(session))
                            label for={ "pw-" (u.id) } { "New password " }
                            input id={ "pw-" (u.id) } type="password" name="password" autocomplete="new-password";
                            " "
                            button.secondary type="submit" { "Reset" }
                        }
                    }
                    td {
                        form.inline method="post" action={ "/admin/users/" (u.id) "/mfa-reset" } {
                            (csrf(session))
                            button.danger type="submit" { "Reset second factor" }
                        }
                    }
                }
            } }
        } }
        (pager("/admin/users", pairs, found.next_cursor.as_deref()))
        h2 { "Add a user" }
        (errors.summary())
        form.stack method="post" action="/admin/users" {
            (csrf(session))
            div.row {
                (Input::new("Username", "username", form.get("username")).required().hint("lowercase letters, digits, . _ -").render(errors))
                (Input::new("Full name", "display_name", form.get("display_name")).required().render(errors))
                (select("Role", "role", &roles(), form.get("role"), errors))
                @if everyone { (select("Agency", "agency_id", &agencies, form.get("agency_id"), errors)) }
            }
            (Input::new("Initial password", "password", "").kind("password").required().hint("at least a long passphrase; the user should change it").render(errors))
            div.actions { button #add-user type="submit" { "Add user" } }
        }
    };
    Ok(page_with(status, session, "Users", body))
}

pub async fn users_list(
    session: Session,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let pairs = query.into_inner();
    let done = pairs
        .iter()
        .find(|(k, _)| k == "done")
        .map(|(_, v)| v.clone());
    let pairs: Vec<_> = pairs.into_iter().filter(|(k, _)| k != "done").collect();
    users_page(
        &session,
        &pairs,
        done_notice(done.as_deref()),
        &Fields::default(),
        &Errors::default(),
        StatusCode::OK,
    )
    .await
}

fn explainable(e: &AppError) -> bool {
    matches!(
        e,
        AppError::Validation(_)
            | AppError::BadRequest { .. }
            | AppError::Conflict(_)
            | AppError::PreconditionFailed { .. }
    )
}

pub async fn user_add(posted: Posted) -> Result<HttpResponse, PageError> {
    let Posted { session, fields } = posted;
    let request = CreateUserRequest {
        username: fields.text("username"),
        display_name: fields.text("display_name"),
        role: fields.text("role"),
        password: fields.get("password").to_owned(),
        agency_id: fields.opt("agency_id").and_then(|v| v.parse().ok()),
    };
    match users::create(&session, request).await {
        Ok(_) => Ok(see_other("/admin/users?done=added")),
        Err(e) if explainable(&e) => {
            let mut errors = Errors::default();
            errors.absorb(&e, str::to_owned);
            users_page(
                &session,
                &[],
                None,
                &fields,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

async fn refused_change(session: &Session, e: &AppError) -> Result<HttpResponse, PageError> {
    let text = match e {
        AppError::PreconditionFailed { .. } => {
            "Someone changed this account first; the list shows it as it is now.".to_owned()
        }
        other => detail(other).unwrap_or_else(|| kind(other).1.to_owned()),
    };
    users_page(
        session,
        &[],
        Some(notice("error", &text)),
        &Fields::default(),
        &Errors::default(),
        StatusCode::CONFLICT,
    )
    .await
}

pub async fn user_change(path: web::Path<Uuid>, posted: Posted) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let Posted { session, fields } = posted;
    let version = fields.version();
    let request = match fields.get("change") {
        "disable" => UpdateUserRequest {
            display_name: None,
            role: None,
            active: Some(false),
        },
        "enable" => UpdateUserRequest {
            display_name: None,
            role: None,
            active: Some(true),
        },
        _ => UpdateUserRequest {
            display_name: None,
            role: fields.opt("role"),
            active: None,
        },
    };
    match users::update(&session, id, version, request).await {
        Ok(_) => Ok(see_other("/admin/users?done=changed")),
        Err(e) if explainable(&e) => refused_change(&session, &e).await,
        Err(e) => Err(e.into()),
    }
}

pub async fn user_password(
    path: web::Path<Uuid>,
    posted: Posted,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    let Posted { session, fields } = posted;
    let request = ResetPasswordRequest {
        password: fields.get("password").to_owned(),
    };
    match users::reset_password(&session, id, request).await {
        Ok(_) => Ok(see_other("/admin/users?done=reset")),
        Err(e) if explainable(&e) => refused_change(&session, &e).await,
        Err(e) => Err(e.into()),
    }
}

pub async fn user_mfa_reset(
    path: web::Path<Uuid>,
    posted: Posted,
) -> Result<HttpResponse, PageError> {
    let session = posted.session;
    match interdict_app::auth::mfa::reset(&session, path.into_inner()).await {
        Ok(()) => Ok(see_other("/admin/users?done=mfa_reset")),
        Err(e) if explainable(&e) => refused_change(&session, &e).await,
        Err(e) => Err(e.into()),
    }
}

/// Lifts a lockout: the account's, and every unknown source's.
pub async fn user_unlock(path: web::Path<Uuid>, posted: Posted) -> Result<HttpResponse, PageError> {
    let session = posted.session;
    match users::unlock(&session, path.into_inner()).await {
        Ok(_) => Ok(see_other("/admin/users?done=unlocked")),
        Err(e) if explainable(&e) => refused_change(&session, &e).await,
        Err(e) => Err(e.into()),
    }
}

async fn agencies_page(
    session: &Session,
    message: Option<maud::Markup>,
    form: &Fields,
    errors: &Errors,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let query = PageQuery {
        limit: Some(MAX_LIMIT),
        cursor: None,
    };
    let found = agencies::list(session, &query).await?;
    let levels = choices(
        &AgencyLevel::ALL
            .iter()
            .map(|l| l.as_str())
            .collect::<Vec<_>>(),
    );
    let body = html! {
        h1 { "Agencies" }
        @if let Some(message) = message { (message) }
        div.table-wrap { table #agencies {
            thead { tr { th { "Name" } th { "ORI" } th { "Level" } th { "Jurisdiction" } th { "Contact" } th { "Id" } } }
            tbody { @for a in &found.items {
                tr { td { (a.name) } td { (a.ori) } td { (a.level) } td { (a.jurisdiction) } td { (a.contact) } td.mono { (a.id) } }
            } }
        } }
        h2 { "Add an agency" }
        (errors.summary())
        form.stack method="post" action="/admin/agencies" {
            (csrf(session))
            div.row {
                (Input::new("Name", "name", form.get("name")).required().render(errors))
                (select("Level", "level", &levels, form.get("level"), errors))
                (Input::new("Jurisdiction", "jurisdiction", form.get("jurisdiction")).required().hint("US, a state code such as TX, or a place").render(errors))
                (Input::new("ORI", "ori", form.get("ori")).required().hint("9 characters, e.g. TX0000000").render(errors))
            }
            (Input::new("Contact", "contact", form.get("contact")).required().hint("who other agencies should call").render(errors))
            div.actions { button #add-agency type="submit" { "Add agency" } }
        }
    };
    Ok(page_with(status, session, "Agencies", body))
}

pub async fn agencies_list(
    session: Session,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    agencies_page(
        &session,
        done_notice(query.done.as_deref()),
        &Fields::default(),
        &Errors::default(),
        StatusCode::OK,
    )
    .await
}

pub async fn agency_add(posted: Posted) -> Result<HttpResponse, PageError> {
    let Posted { session, fields } = posted;
    let request = CreateAgencyRequest {
        name: fields.text("name"),
        level: fields.text("level"),
        jurisdiction: fields.text("jurisdiction"),
        ori: fields.text("ori"),
        contact: fields.text("contact"),
    };
    match agencies::create(&session, &request).await {
        Ok(_) => Ok(see_other("/admin/agencies?done=agency")),
        Err(e) if explainable(&e) => {
            let mut errors = Errors::default();
            errors.absorb(&e, str::to_owned);
            agencies_page(
                &session,
                None,
                &fields,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

async fn task_forces_page(
    session: &Session,
    message: Option<maud::Markup>,
    form: &Fields,
    errors: &Errors,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let query = PageQuery {
        limit: Some(MAX_LIMIT),
        cursor: None,
    };
    let found = task_forces::list(session, &query).await?;
    let agencies = all_agencies(session).await;
    let name_of = |id: &Uuid| {
        agencies
            .iter()
            .find(|(a, _)| *a == id.to_string())
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| short(id))
    };
    let body = html! {
        h1 { "Task forces" }
        @if let Some(message) = message { (message) }
        div.table-wrap { table #task-forces {
            thead { tr { th { "Name" } th { "Members" } th { "Created" } th { "Add a member" } } }
            tbody { @for t in &found.items {
                tr {
                    td { (t.name) br; span.muted { (t.description) } }
                    td { ul { @for m in &t.members { li { (name_of(m)) } } } }
                    td { (when(&t.created_at)) }
                    td {
                        form.inline method="post" action={ "/admin/task-forces/" (t.id) "/members" } {
                            (csrf(session))
                            label for={ "member-" (t.id) } { "Agency " }
                            select id={ "member-" (t.id) } name="agency_id" {
                                @for (id, name) in &agencies { option value=(id) { (name) } }
                            }
                            " "
                            button.secondary type="submit" { "Add" }
                        }
                    }
                }
            } }
        } }
        h2 { "Create a task force" }
        (errors.summary())
        form.stack method="post" action="/admin/task-forces" {
            (csrf(session))
            (Input::new("Name", "name", form.get("name")).required().render(errors))
            (Input::new("Description", "description", form.get("description")).render(errors))
            fieldset {
                legend { "Member agencies" }
                @for (id, name) in &agencies {
                    label { input type="checkbox" name="members" value=(id); " " (name) }
                }
            }
            div.actions { button type="submit" { "Create task force" } }
        }
    };
    Ok(page_with(status, session, "Task forces", body))
}

pub async fn task_forces_list(
    session: Session,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, PageError> {
    task_forces_page(
        &session,
        done_notice(query.done.as_deref()),
        &Fields::default(),
        &Errors::default(),
        StatusCode::OK,
    )
    .await
}

pub async fn task_force_add(posted: Posted) -> Result<HttpResponse, PageError> {
    let Posted { session, fields } = posted;
    let members = fields
        .all("members")
        .filter_map(|v| v.parse().ok())
        .collect();
    let request = CreateTaskForceRequest {
        name: fields.text("name"),
        description: fields.text("description"),
        members,
    };
    match task_forces::create(&session, &request).await {
        Ok(_) => Ok(see_other("/admin/task-forces?done=task_force")),
        Err(e) if explainable(&e) => {
            let mut errors = Errors::default();
            errors.absorb(&e, str::to_owned);
            task_forces_page(
                &session,
                None,
                &fields,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn task_force_member(
    path: web::Path<Uuid>,
    posted: Posted,
) -> Result<HttpResponse, PageError> {
    let task_force = path.into_inner();
    let Posted { session, fields } = posted;
    let agency = fields
        .text("agency_id")
        .parse::<Uuid>()
        .map_err(|_| AppError::bad_request("agency_id", "choose an agency"))?;
    task_forces::set_membership(&session, task_force, agency, true).await?;
    Ok(see_other("/admin/task-forces?done=member"))
}
