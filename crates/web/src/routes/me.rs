//! The caller's own account.

use actix_web::{web, HttpResponse};
use interdict_app::auth::mfa::{
    self, ConfirmEnrolmentRequest, Enrolment, MfaRequirementRequest, MfaStatus, RecoveryCodes,
};
use interdict_app::auth::{self, ChangePasswordRequest};
use interdict_app::users::{self, MeView};
use uuid::Uuid;

use crate::caller::Caller;
use crate::error::ApiError;

/// Who am I: the caller's account, agency and role.
#[utoipa::path(get, operation_id = "me_show", path = "/api/v1/me", tag = "auth", security(("bearer" = [])), responses(
    (status = 200, body = MeView),
    (status = 401, content_type = "application/problem+json"),
))]
pub async fn show(caller: Caller) -> Result<web::Json<MeView>, ApiError> {
    Ok(web::Json(users::me(&caller).await?))
}

/// Changes the caller's password, given the current one (and, when the
/// account has a second factor, a `code` from it). Every session of the
/// account ends, including this one: sign in again with the new password.
#[utoipa::path(post, operation_id = "me_change_password", path = "/api/v1/me/password", tag = "auth", security(("bearer" = [])), request_body = ChangePasswordRequest, responses(
    (status = 204, description = "Changed; sign in again"),
    (status = 401, content_type = "application/problem+json"),
    (status = 422, description = "The current password is wrong or the new one is too weak", content_type = "application/problem+json"),
    (status = 429, description = "Too many wrong current passwords; counted like failed sign-ins", headers(("Retry-After" = u64, description = "Seconds to wait")), content_type = "application/problem+json"),
))]
pub async fn change_password(
    caller: Caller,
    body: web::Json<ChangePasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    auth::change_own_password(&caller, body.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller's second factor: active, required, pending, recovery codes left.
#[utoipa::path(get, operation_id = "me_mfa", path = "/api/v1/me/mfa", tag = "auth", security(("bearer" = [])), responses(
    (status = 200, body = MfaStatus),
    (status = 401, content_type = "application/problem+json"),
))]
pub async fn mfa_status(caller: Caller) -> Result<web::Json<MfaStatus>, ApiError> {
    Ok(web::Json(mfa::status(&caller).await?))
}

/// Starts enrolling a TOTP second factor: the secret, shown this once, and
/// its `otpauth://` URL. It works once confirmed with a code.
#[utoipa::path(post, operation_id = "me_mfa_enrol", path = "/api/v1/me/mfa/enrolment", tag = "auth", security(("bearer" = [])), responses(
    (status = 200, body = Enrolment),
    (status = 401, content_type = "application/problem+json"),
    (status = 409, description = "A second factor is already active", content_type = "application/problem+json"),
))]
pub async fn mfa_enrol(caller: Caller) -> Result<web::Json<Enrolment>, ApiError> {
    Ok(web::Json(mfa::start_enrolment(&caller).await?))
}

/// Confirms the enrolment with a current code: the second factor is
/// active from now on. Answers ten single-use recovery codes, shown once.
#[utoipa::path(post, operation_id = "me_mfa_confirm", path = "/api/v1/me/mfa/enrolment/confirm", tag = "auth", security(("bearer" = [])), request_body = ConfirmEnrolmentRequest, responses(
    (status = 200, body = RecoveryCodes),
    (status = 401, content_type = "application/problem+json"),
    (status = 409, description = "No enrolment is waiting", content_type = "application/problem+json"),
    (status = 422, description = "Not the current code", content_type = "application/problem+json"),
    (status = 429, description = "Too many wrong codes", content_type = "application/problem+json"),
))]
pub async fn mfa_confirm(
    caller: Caller,
    body: web::Json<ConfirmEnrolmentRequest>,
) -> Result<web::Json<RecoveryCodes>, ApiError> {
    Ok(web::Json(
        mfa::confirm_enrolment(&caller, body.into_inner()).await?,
    ))
}

/// Removes a user's second factor (e.g. a lost phone). Their agency's
/// administrators and the system administrator may; no one on their own
/// account. Audited as `user.mfa_reset`.
#[utoipa::path(post, operation_id = "users_reset_mfa", path = "/api/v1/users/{user_id}/mfa/reset", tag = "users", security(("bearer" = [])),
    params(("user_id" = Uuid, Path)), responses(
    (status = 204, description = "The second factor and recovery codes are gone"),
    (status = 403, content_type = "application/problem+json"),
    (status = 404, content_type = "application/problem+json"),
))]
pub async fn reset_mfa(caller: Caller, path: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    mfa::reset(&caller, path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Requires (or stops requiring) a second factor for an agency's accounts:
/// its administrators, or the system administrator. Audited as
/// `mfa.requirement`.
#[utoipa::path(put, operation_id = "agencies_mfa_requirement", path = "/api/v1/agencies/{agency_id}/mfa", tag = "agencies", security(("bearer" = [])),
    params(("agency_id" = Uuid, Path)), request_body = MfaRequirementRequest, responses(
    (status = 204, description = "Set"),
    (status = 403, content_type = "application/problem+json"),
    (status = 404, content_type = "application/problem+json"),
))]
pub async fn agency_mfa_requirement(
    caller: Caller,
    path: web::Path<Uuid>,
    body: web::Json<MfaRequirementRequest>,
) -> Result<HttpResponse, ApiError> {
    mfa::set_requirement(&caller, Some(path.into_inner()), body.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Requires (or stops requiring) a second factor for every account of the
/// installation: the system administrator only.
#[utoipa::path(put, operation_id = "mfa_requirement", path = "/api/v1/mfa", tag = "agencies", security(("bearer" = [])),
    request_body = MfaRequirementRequest, responses(
    (status = 204, description = "Set"),
    (status = 403, content_type = "application/problem+json"),
))]
pub async fn mfa_requirement(
    caller: Caller,
    body: web::Json<MfaRequirementRequest>,
) -> Result<HttpResponse, ApiError> {
    mfa::set_requirement(&caller, None, body.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
