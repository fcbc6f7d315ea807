//! `/api/v1/deconfliction`: "another agency holds a record with this
//! identifier — call them", never what that record says.

use actix_web::web;
use interdict_app::deconfliction::{self, NoticeView};
use interdict_app::pagination::{Page, PageQuery};

use crate::caller::Caller;
use crate::error::ApiError;

/// Deconfliction notices for the caller's agency, newest first.
#[utoipa::path(get, operation_id = "deconfliction_list", path = "/api/v1/deconfliction", tag = "deconfliction", security(("bearer" = [])), params(PageQuery), responses(
    (status = 200, body = Page<NoticeView>),
    (status = 403, content_type = "application/problem+json"),
))]
pub async fn list(
    caller: Caller,
    query: web::Query<PageQuery>,
) -> Result<web::Json<Page<NoticeView>>, ApiError> {
    Ok(web::Json(deconfliction::list(&caller, &query).await?))
}
