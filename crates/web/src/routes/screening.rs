//! Sanctions screening (`/api/v1/screening`, `/api/v1/sanctions/lists`,
//! `/api/v1/parties/{id}/screening`) and watchlists with their
//! notifications (`/api/v1/watchlists`, `/api/v1/notifications`).

use actix_web::{web, HttpResponse};
use interdict_app::pagination::PageQuery;
use interdict_app::screening::{
    self, DisposeRequest, HitView, ListView, LoadRequest, PartyScreening, ScreenRequest,
    ScreenResult,
};
use interdict_app::watchlists::{self, MuteRequest, NotificationsPage, WatchRequest, WatchView};
use uuid::Uuid;

use crate::caller::Caller;
use crate::error::ApiError;

/// Screens a name against the sanctions list in force without storing it.
#[utoipa::path(post, operation_id = "screening_run", path = "/api/v1/screening", tag = "screening", security(("bearer" = [])),
    request_body = ScreenRequest, responses((status = 200, body = ScreenResult), (status = 422, content_type = "application/problem+json")))]
pub async fn run(
    caller: Caller,
    body: web::Json<ScreenRequest>,
) -> Result<web::Json<ScreenResult>, ApiError> {
    Ok(web::Json(
        screening::screen(&caller, body.into_inner()).await?,
    ))
}

/// A party's screening hits, disposed ones included, with the list's date.
#[utoipa::path(get, operation_id = "screening_party", path = "/api/v1/parties/{id}/screening", tag = "screening", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = PartyScreening), (status = 404, content_type = "application/problem+json")))]
pub async fn party(
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<web::Json<PartyScreening>, ApiError> {
    Ok(web::Json(
        screening::party(&caller, path.into_inner()).await?,
    ))
}

/// Open hits on parties the caller may see, newest first.
#[utoipa::path(get, operation_id = "screening_hits", path = "/api/v1/screening/hits", tag = "screening", security(("bearer" = [])),
    responses((status = 200, body = Vec<HitView>)))]
pub async fn hits(caller: Caller) -> Result<web::Json<Vec<HitView>>, ApiError> {
    Ok(web::Json(screening::open_hits(&caller, 200).await?))
}

/// Disposes of a hit as a false positive, with a reason (supervisors).
#[utoipa::path(post, operation_id = "screening_dispose", path = "/api/v1/screening/hits/{id}/disposition", tag = "screening", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = DisposeRequest, responses(
    (status = 200, body = HitView),
    (status = 403, content_type = "application/problem+json"),
    (status = 404, content_type = "application/problem+json"),
    (status = 409, description = "Already disposed of", content_type = "application/problem+json"),
))]
pub async fn dispose(
    caller: Caller,
    path: web::Path<Uuid>,
    body: web::Json<DisposeRequest>,
) -> Result<web::Json<HitView>, ApiError> {
    Ok(web::Json(
        screening::dispose(&caller, path.into_inner(), body.into_inner()).await?,
    ))
}

/// The sanctions list versions loaded, newest first.
#[utoipa::path(get, operation_id = "sanctions_lists", path = "/api/v1/sanctions/lists", tag = "screening", security(("bearer" = [])),
    responses((status = 200, body = Vec<ListView>)))]
pub async fn lists(caller: Caller) -> Result<web::Json<Vec<ListView>>, ApiError> {
    Ok(web::Json(screening::lists(&caller).await?))
}

/// Loads OFAC's SDN files as a new list version (administrators); a newer
/// list re-screens every party in the background.
#[utoipa::path(post, operation_id = "sanctions_load", path = "/api/v1/sanctions/lists", tag = "screening", security(("bearer" = [])),
    request_body = LoadRequest, responses((status = 201, body = ListView), (status = 403, content_type = "application/problem+json"), (status = 422, content_type = "application/problem+json")))]
pub async fn load(caller: Caller, body: web::Json<LoadRequest>) -> Result<HttpResponse, ApiError> {
    let list = screening::load(&caller, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(list))
}

/// Follows an identifier, party, imprint or chemical.
#[utoipa::path(post, operation_id = "watchlists_create", path = "/api/v1/watchlists", tag = "watchlists", security(("bearer" = [])),
    request_body = WatchRequest, responses((status = 201, body = WatchView), (status = 422, content_type = "application/problem+json")))]
pub async fn create_watch(
    caller: Caller,
    body: web::Json<WatchRequest>,
) -> Result<HttpResponse, ApiError> {
    let watch = watchlists::create(&caller, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(watch))
}

/// The caller's watches.
#[utoipa::path(get, operation_id = "watchlists_list", path = "/api/v1/watchlists", tag = "watchlists", security(("bearer" = [])),
    responses((status = 200, body = Vec<WatchView>)))]
pub async fn list_watches(caller: Caller) -> Result<web::Json<Vec<WatchView>>, ApiError> {
    Ok(web::Json(watchlists::list(&caller).await?))
}

/// Mutes or unmutes a watch.
#[utoipa::path(post, operation_id = "watchlists_mute", path = "/api/v1/watchlists/{id}/mute", tag = "watchlists", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = MuteRequest, responses((status = 200, body = WatchView), (status = 404, content_type = "application/problem+json")))]
pub async fn mute_watch(
    caller: Caller,
    path: web::Path<Uuid>,
    body: web::Json<MuteRequest>,
) -> Result<web::Json<WatchView>, ApiError> {
    Ok(web::Json(
        watchlists::mute(&caller, path.into_inner(), body.into_inner()).await?,
    ))
}

/// Deletes a watch.
#[utoipa::path(delete, operation_id = "watchlists_delete", path = "/api/v1/watchlists/{id}", tag = "watchlists", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 204), (status = 404, content_type = "application/problem+json")))]
pub async fn delete_watch(caller: Caller, path: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    watchlists::delete(&caller, path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller's notifications, newest first, with the unread count.
#[utoipa::path(get, operation_id = "notifications_list", path = "/api/v1/notifications", tag = "watchlists", security(("bearer" = [])),
    params(PageQuery), responses((status = 200, body = NotificationsPage)))]
pub async fn notifications(
    caller: Caller,
    query: web::Query<PageQuery>,
) -> Result<web::Json<NotificationsPage>, ApiError> {
    Ok(web::Json(watchlists::notifications(&caller, &query).await?))
}

/// Marks a notification read.
#[utoipa::path(post, operation_id = "notifications_read", path = "/api/v1/notifications/{id}/read", tag = "watchlists", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 204), (status = 404, content_type = "application/problem+json")))]
pub async fn mark_read(caller: Caller, path: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    watchlists::mark_read(&caller, path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
