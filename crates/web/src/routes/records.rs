//! The registry's endpoints, one set for every kind of record, generated
//! per kind by [`record_endpoints!`] so each appears in the OpenAPI
//! document under its own paths; the use cases are `interdict_app::records`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use interdict_app::records::{self, Record, SearchQuery, Versioned};
use interdict_app::Ctx;
use interdict_domain::record::{Document, RecordKind};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::ApiError;
use crate::extract::etag;

pub use interdict_app::records::{ReasonRequest, VersionView, Withdrawal};

/// A record, as the API shows it: ownership, sharing and version, with the
/// document's own fields (and, for shipments, the derived `origin`,
/// `destination` and `shipped_at`, and its `risk`) alongside. Documents
/// the answers of `interdict_app::records::Record`.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordView {
    pub id: Uuid,
    #[schema(example = "shipment")]
    pub kind: String,
    pub owner_agency_id: Uuid,
    /// `agency`, `all`, or a task force id.
    #[schema(example = "agency")]
    pub scope: String,
    /// Send back in `If-Match` to update.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<Uuid>,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withdrawn: Option<Withdrawal>,
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub document: Map<String, Value>,
}

/// Where records of `kind` live under `/api/v1`.
pub fn collection(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Party => "parties",
        RecordKind::Chemical => "chemicals",
        RecordKind::Equipment => "equipment",
        RecordKind::DieMold => "die-molds",
        RecordKind::Shipment => "shipments",
    }
}

/// A record answered with its `ETag`.
pub fn versioned(status: StatusCode, view: &(impl Serialize + Versioned)) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(etag(view.version()))
        .json(view)
}

pub async fn create<D: Document>(ctx: &Ctx, body: Value) -> Result<HttpResponse, ApiError> {
    let record: Record<D> = records::create(ctx, body).await?;
    let location = format!("/api/v1/{}/{}", collection(D::KIND), record.id);
    let mut response = versioned(StatusCode::CREATED, &record);
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&location) {
        response
            .headers_mut()
            .insert(actix_web::http::header::LOCATION, value);
    }
    Ok(response)
}

pub async fn list<D: Document, Q: SearchQuery>(
    ctx: &Ctx,
    query: &Q,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(records::search::<D, Q>(ctx, query).await?))
}

pub async fn update<D: Document>(
    ctx: &Ctx,
    id: Uuid,
    version: Result<i64, interdict_app::AppError>,
    patch: Value,
) -> Result<HttpResponse, ApiError> {
    let record: Record<D> = records::update(ctx, id, version, patch).await?;
    Ok(versioned(StatusCode::OK, &record))
}

pub async fn withdraw<D: Document>(
    ctx: &Ctx,
    id: Uuid,
    reason: &ReasonRequest,
    expected: Option<Result<i64, interdict_app::AppError>>,
) -> Result<HttpResponse, ApiError> {
    let record: Record<D> = records::withdraw(ctx, id, reason, expected).await?;
    Ok(versioned(StatusCode::OK, &record))
}

pub async fn history<D: Document>(
    ctx: &Ctx,
    id: Uuid,
) -> Result<web::Json<Vec<VersionView>>, ApiError> {
    Ok(web::Json(records::history::<D>(ctx, id).await?))
}

/// Generates the annotated handlers of one kind of record. `show` reads
/// one (shipments are read with their risk).
macro_rules! record_endpoints {
    (
        document: $doc:ty,
        query: $query:ty,
        show: $show:path,
        tag: $tag:literal,
        operation_prefix: $prefix:literal,
        collection: $collection:literal,
        item: $item:literal,
        withdraw: $withdraw:literal,
        history: $history:literal $(,)?
    ) => {
        /// Records one. The body is the document, plus an optional `scope`
        /// (`agency` by default, a task force id, or `all`).
        #[utoipa::path(post, path = $collection, operation_id = concat!($prefix, "_create"), tag = $tag, security(("bearer" = [])), request_body = $doc, responses(
            (status = 201, body = $crate::routes::records::RecordView, headers(("ETag" = String), ("Location" = String))),
            (status = 403, description = "The role may not create these", content_type = "application/problem+json"),
            (status = 422, description = "A field is invalid; each is named", content_type = "application/problem+json"),
        ))]
        pub async fn create(
            caller: $crate::caller::Caller,
            body: ::actix_web::web::Json<::serde_json::Value>,
        ) -> ::std::result::Result<::actix_web::HttpResponse, $crate::error::ApiError> {
            $crate::routes::records::create::<$doc>(&caller, body.into_inner()).await
        }

        /// Searches, newest first, within what the caller may see.
        #[utoipa::path(get, path = $collection, operation_id = concat!($prefix, "_list"), tag = $tag, security(("bearer" = [])), params($query), responses(
            (status = 200, body = ::interdict_app::pagination::Page<$crate::routes::records::RecordView>),
            (status = 400, description = "A filter is invalid; it is named", content_type = "application/problem+json"),
        ))]
        pub async fn list(
            caller: $crate::caller::Caller,
            query: ::actix_web::web::Query<$query>,
        ) -> ::std::result::Result<::actix_web::HttpResponse, $crate::error::ApiError> {
            $crate::routes::records::list::<$doc, $query>(&caller, &query).await
        }

        /// One record.
        #[utoipa::path(get, path = $item, operation_id = concat!($prefix, "_show"), tag = $tag, security(("bearer" = [])), params(("id" = ::uuid::Uuid, Path)), responses(
            (status = 200, body = $crate::routes::records::RecordView, headers(("ETag" = String))),
            (status = 404, description = "No such record, or not visible to the caller", content_type = "application/problem+json"),
        ))]
        pub async fn show(
            caller: $crate::caller::Caller,
            path: ::actix_web::web::Path<::uuid::Uuid>,
        ) -> ::std::result::Result<::actix_web::HttpResponse, $crate::error::ApiError> {
            let view = $show(&caller, path.into_inner()).await?;
            Ok($crate::routes::records::versioned(
                ::actix_web::http::StatusCode::OK,
                &view,
            ))
        }

        /// Changes a record (owner agency only). The body is a JSON merge
        /// patch of the document, optionally with a new `scope`; send
        /// `If-Match` with the version read. The previous version is kept.
        #[utoipa::path(patch, path = $item, operation_id = concat!($prefix, "_update"), tag = $tag, security(("bearer" = [])),
            params(("id" = ::uuid::Uuid, Path), ("If-Match" = String, Header, description = "The ETag last read")),
            request_body(content = Object, description = "JSON merge patch of the document"), responses(
            (status = 200, body = $crate::routes::records::RecordView, headers(("ETag" = String))),
            (status = 403, content_type = "application/problem+json"),
            (status = 404, content_type = "application/problem+json"),
            (status = 412, description = "Someone changed it first", content_type = "application/problem+json"),
            (status = 422, content_type = "application/problem+json"),
            (status = 428, description = "If-Match missing", content_type = "application/problem+json"),
        ))]
        pub async fn update(
            caller: $crate::caller::Caller,
            if_match: $crate::extract::IfMatch,
            path: ::actix_web::web::Path<::uuid::Uuid>,
            body: ::actix_web::web::Json<::serde_json::Value>,
        ) -> ::std::result::Result<::actix_web::HttpResponse, $crate::error::ApiError> {
            $crate::routes::records::update::<$doc>(
                &caller,
                path.into_inner(),
                if_match.0,
                body.into_inner(),
            )
            .await
        }

        /// Withdraws a record with a reason. Nothing is deleted: the
        /// record stays, visible to auditors.
        #[utoipa::path(post, path = $withdraw, operation_id = concat!($prefix, "_withdraw"), tag = $tag, security(("bearer" = [])),
            params(("id" = ::uuid::Uuid, Path), ("If-Match" = Option<String>, Header, description = "The ETag last read; without it the withdrawal applies to whatever version is current")),
            request_body = $crate::routes::records::ReasonRequest, responses(
            (status = 200, body = $crate::routes::records::RecordView, headers(("ETag" = String))),
            (status = 403, content_type = "application/problem+json"),
            (status = 404, content_type = "application/problem+json"),
            (status = 409, description = "Already withdrawn", content_type = "application/problem+json"),
        ))]
        pub async fn withdraw(
            caller: $crate::caller::Caller,
            if_match: $crate::extract::IfMatch,
            path: ::actix_web::web::Path<::uuid::Uuid>,
            body: ::actix_web::web::Json<$crate::routes::records::ReasonRequest>,
        ) -> ::std::result::Result<::actix_web::HttpResponse, $crate::error::ApiError> {
            $crate::routes::records::withdraw::<$doc>(
                &caller,
                path.into_inner(),
                &body,
                if_match.if_sent(),
            )
            .await
        }

        /// Every version: who changed what, and when.
        #[utoipa::path(get, path = $history, operation_id = concat!($prefix, "_history"), tag = $tag, security(("bearer" = [])), params(("id" = ::uuid::Uuid, Path)), responses(
            (status = 200, body = Vec<$crate::routes::records::VersionView>),
            (status = 404, content_type = "application/problem+json"),
        ))]
        pub async fn history(
            caller: $crate::caller::Caller,
            path: ::actix_web::web::Path<::uuid::Uuid>,
        ) -> ::std::result::Result<
            ::actix_web::web::Json<Vec<$crate::routes::records::VersionView>>,
            $crate::error::ApiError,
        > {
            $crate::routes::records::history::<$doc>(&caller, path.into_inner()).await
        }

        pub fn configure(cfg: &mut ::actix_web::web::ServiceConfig) {
            let base = $collection.trim_start_matches("/api/v1");
            cfg.service(::actix_web::web::resource(base).get(list).post(create))
                .service(
                    ::actix_web::web::resource(format!("{base}/{{id}}"))
                        .get(show)
                        .patch(update),
                )
                .service(
                    ::actix_web::web::resource(format!("{base}/{{id}}/withdraw")).post(withdraw),
                )
                .service(
                    ::actix_web::web::resource(format!("{base}/{{id}}/history")).get(history),
                );
        }
    };
}

pub(crate) use record_endpoints;
