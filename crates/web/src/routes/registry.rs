//! The registry API, one set of handlers for every kind of record: parties,
//! chemicals, equipment, die molds and shipments. Each kind's document type
//! (`interdict_domain::record::Document`) supplies validation and indexing;
//! everything else — sharing, versions, history, withdrawal, audit — is the
//! same for all of them.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use interdict_domain::audit::{AuditAction, AuditEvent, RecordVerb};
use interdict_domain::policy::{self, Actor, RecordAction};
use interdict_domain::record::{changed_fields, merge_patch, Document, RecordIndex, RecordKind};
use interdict_domain::sharing::Scope;
use interdict_domain::ValidationErrors;
use interdict_persistence::audit::AuditContext;
use interdict_persistence::chains;
use interdict_persistence::records::{self, RecordRow, Write};
use interdict_persistence::search::{self, Search};
use interdict_persistence::{agencies, deconfliction, DbConnection};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::HashMap;
use utoipa::ToSchema;
use uuid::Uuid;

use super::views::{utc, ReasonRequest};
use super::{etag, if_match_version};
use crate::assessment;
use crate::auth::Caller;
use crate::config::Config;
use crate::error::ApiError;
use crate::extract::backticked;
use crate::pagination::Page;
use crate::state::AppState;

/// When a record was withdrawn, by whom and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct Withdrawal {
    pub at: DateTime<Utc>,
    pub by: Option<Uuid>,
    pub reason: Option<String>,
}

/// A record: ownership, sharing and version, with the document's own
/// fields (and, for shipments, the derived `origin`, `destination` and
/// `shipped_at`) alongside.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordView {
    pub id: Uuid,
    #[schema(example = "shipment")]
    pub kind: String,
    pub owner_agency_id: Uuid,
    /// `agency`, `all`, or a task force id.
    #[schema(value_type = String, example = "agency")]
    pub scope: Scope,
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

fn view<D: Document>(row: RecordRow) -> Result<RecordView, ApiError> {
    let document: D = serde_json::from_str(&row.body).map_err(ApiError::internal)?;
    let mut fields = match serde_json::to_value(&document).map_err(ApiError::internal)? {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    fields.extend(document.derived());
    Ok(RecordView {
        id: row.id.0,
        kind: row.kind.clone(),
        owner_agency_id: row.owner_agency_id.0,
        scope: row.scope()?,
        version: row.version,
        created_at: utc(row.created_at),
        created_by: row.created_by.map(|u| u.0),
        updated_at: utc(row.updated_at),
        updated_by: row.updated_by.map(|u| u.0),
        withdrawn: row.withdrawn_at.map(|at| Withdrawal {
            at: utc(at),
            by: row.withdrawn_by.map(|u| u.0),
            reason: row.withdrawn_reason.clone(),
        }),
        document: fields,
    })
}

fn respond<D: Document>(
    status: actix_web::http::StatusCode,
    row: RecordRow,
) -> Result<HttpResponse, ApiError> {
    let version = row.version;
    let location = format!("/api/v1/{}/{}", collection(D::KIND), row.id.0);
    let mut response = HttpResponse::build(status);
    response.insert_header(etag(version));
    if status == actix_web::http::StatusCode::CREATED {
        response.insert_header(("Location", location));
    }
    Ok(response.json(view::<D>(row)?))
}

pub fn collection(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Party => "parties",
        RecordKind::Chemical => "chemicals",
        RecordKind::Equipment => "equipment",
        RecordKind::DieMold => "die-molds",
        RecordKind::Shipment => "shipments",
    }
}

/// Splits `scope` from the document fields of a request body.
fn split_scope(body: Value) -> Result<(Map<String, Value>, Option<Scope>), ApiError> {
    let Value::Object(mut fields) = body else {
        return Err(ApiError::bad_request("body", "must be a JSON object"));
    };
    let scope = match fields.remove("scope") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => {
            Some(Scope::parse(&text).map_err(|m| ValidationErrors::single("scope", m))?)
        }
        Some(_) => return Err(ValidationErrors::single("scope", "must be a string").into()),
    };
    Ok((fields, scope))
}

/// Reads a document strictly: unknown fields and wrong types are named.
fn parse<D: Document>(fields: Map<String, Value>) -> Result<(D, RecordIndex), ApiError> {
    let document: D = serde_path_to_error::deserialize(Value::Object(fields)).map_err(|e| {
        let message = e.inner().to_string();
        // The path leads to the bad value; a missing field's path stops at
        // its parent, so serde's message supplies the name.
        let path = e.path().to_string();
        let field = match (message.starts_with("missing field"), backticked(&message)) {
            (true, Some(name)) if path == "." => name,
            (true, Some(name)) => format!("{path}.{name}"),
            _ if path == "." => "body".to_owned(),
            _ => path,
        };
        ApiError::Validation(ValidationErrors::single(field, message))
    })?;
    Ok(document.check()?)
}

/// Who may share with whom: the catalogue is always shared with everyone;
/// otherwise a record may go to a task force the owner agency is in.
fn check_scope(kind: RecordKind, actor: &Actor, scope: Scope) -> Result<(), ApiError> {
    match (kind, scope) {
        (RecordKind::Chemical, Scope::All) => Ok(()),
        (RecordKind::Chemical, _) => Err(ValidationErrors::single(
            "scope",
            "the catalogue is always shared with all agencies",
        )
        .into()),
        (_, Scope::TaskForce(tf)) if !actor.task_forces.contains(&tf) => Err(
            ValidationErrors::single("scope", "your agency is not a member of this task force")
                .into(),
        ),
        _ => Ok(()),
    }
}

/// Every record a document refers to must exist, be live and be visible to
/// the writer. Returns the parties' search text, which a new shipment
/// inherits, so the write need not read them again.
fn check_references(
    conn: &mut DbConnection,
    actor: &Actor,
    index: &RecordIndex,
) -> Result<HashMap<Uuid, String>, ApiError> {
    let mut errors = ValidationErrors::new();
    let mut names = HashMap::new();
    for reference in &index.references {
        let visibility = policy::visibility(actor, reference.kind);
        match records::referable(conn, reference.kind, reference.id, &visibility)? {
            Some(name) if reference.kind == RecordKind::Party => {
                names.insert(reference.id, name);
            }
            Some(_) => {}
            None => errors.add(
                reference.field.clone(),
                format!(
                    "no {} with this id is available to you",
                    reference.kind.as_str().replace('_', " ")
                ),
            ),
        }
    }
    Ok(errors.into_result(|| names)?)
}

/// The audit event for `verb` (create, read, …) on a record of `kind`.
fn record_event(
    caller: &Caller,
    kind: RecordKind,
    verb: RecordVerb,
    id: impl ToString,
) -> AuditEvent {
    caller.event_on(AuditAction::Record(kind, verb), kind.as_str(), id)
}

fn chemical_conflict(error: ApiError, index: &RecordIndex) -> ApiError {
    match (error, &index.facts) {
        (ApiError::Conflict(_), interdict_domain::record::Facts::Chemical { cas, .. }) => {
            ApiError::Conflict(format!("the catalogue already has an entry with CAS {cas}"))
        }
        (other, _) => other,
    }
}

/// A new record's document, checked and ready to write.
pub struct Prepared {
    pub id: Uuid,
    pub kind: RecordKind,
    pub body: String,
    pub index: RecordIndex,
    pub scope: Scope,
}

/// Checks a create request without touching the database: the policy,
/// the scope and every field of the document.
pub fn prepare<D: Document>(actor: &Actor, id: Uuid, body: Value) -> Result<Prepared, ApiError> {
    let kind = D::KIND;
    ApiError::from_decision(policy::decide_create(actor, kind))?;
    let (fields, scope) = split_scope(body)?;
    let default = if kind == RecordKind::Chemical {
        Scope::All
    } else {
        Scope::Agency
    };
    let scope = scope.unwrap_or(default);
    check_scope(kind, actor, scope)?;
    let (document, index) = parse::<D>(fields)?;
    let body = serde_json::to_string(&document).map_err(ApiError::internal)?;
    Ok(Prepared {
        id,
        kind,
        body,
        index,
        scope,
    })
}

/// Writes a prepared record inside the caller's audited transaction, with
/// its deconfliction notices and, for shipments, any automatic flag.
pub fn write_new(
    conn: &mut DbConnection,
    context: &mut AuditContext,
    actor: &Actor,
    prepared: Prepared,
    config: &Config,
) -> Result<RecordRow, ApiError> {
    let Prepared {
        id,
        kind,
        body,
        index,
        scope,
    } = prepared;
    let names = check_references(conn, actor, &index)?;
    let owner = if kind == RecordKind::Chemical {
        agencies::find_system(conn)?
            .map(|a| a.id.0)
            .ok_or_else(|| ApiError::internal("no system agency"))?
    } else {
        actor.agency_id
    };
    let write = Write {
        body,
        index: &index,
        scope,
        actor: actor.user_id,
    };
    let row = records::create(conn, context.refresh, id, kind, owner, &write, &names)
        .map_err(|e| chemical_conflict(e.into(), &index))?;
    deconfliction::detect(conn, context.refresh, &row, &index.identifiers)?;
    if kind == RecordKind::Shipment {
        assessment::auto_flag_new(conn, context, &row, &config.risk)?;
    }
    Ok(row)
}

/// The audit event for creating a record.
pub fn create_event(caller: &Caller, kind: RecordKind, id: Uuid) -> AuditEvent {
    record_event(caller, kind, RecordVerb::Create, id)
}

pub async fn create<D: Document>(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let id = Uuid::now_v7();
    let event = create_event(&caller, D::KIND, id);
    let actor = caller.actor.clone();
    let prepared = match prepare::<D>(&actor, id, body.into_inner()) {
        Ok(prepared) => prepared,
        Err(e) => return state.reject(event, e).await,
    };
    let config = state.config.clone();
    let row = state
        .audit
        .perform(event, move |conn, context| {
            write_new(conn, context, &actor, prepared, &config)
        })
        .await?;
    respond::<D>(actix_web::http::StatusCode::CREATED, row)
}

/// Loads a record the caller may see and act on, or the error to answer.
fn authorised(
    conn: &mut DbConnection,
    actor: &Actor,
    kind: RecordKind,
    id: Uuid,
    action: RecordAction,
) -> Result<RecordRow, ApiError> {
    let row = records::find_visible(conn, kind, id, &policy::visibility(actor, kind))?
        .ok_or(ApiError::NotFound)?;
    permitted(actor, kind, action, &row)?;
    Ok(row)
}

/// Whether the policy lets `actor` act on a record it can see.
fn permitted(
    actor: &Actor,
    kind: RecordKind,
    action: RecordAction,
    row: &RecordRow,
) -> Result<(), ApiError> {
    ApiError::from_decision(policy::decide(actor, kind, action, &row.meta()?))
}

pub async fn show<D: Document>(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (kind, id) = (D::KIND, path.into_inner());
    let actor = caller.actor.clone();
    let weights = state.config.risk.clone();
    let found = state
        .db
        .run(move |conn| {
            // A shipment is shown with the indicators it fires.
            if kind != RecordKind::Shipment {
                return Ok((
                    authorised(conn, &actor, kind, id, RecordAction::Read)?,
                    None,
                ));
            }
            let visibility = policy::visibility(&actor, kind);
            let (row, risk) = assessment::visible_shipment(conn, id, &visibility, &weights, None)?
                .ok_or(ApiError::NotFound)?;
            permitted(&actor, kind, RecordAction::Read, &row)?;
            Ok((row, Some(risk)))
        })
        .await;
    let (row, risk) = state
        .audited(record_event(&caller, kind, RecordVerb::Read, id), found)
        .await?;
    let version = row.version;
    let mut view = view::<D>(row)?;
    if let Some(risk) = risk {
        view.document.insert(
            "risk".into(),
            serde_json::to_value(risk).map_err(ApiError::internal)?,
        );
    }
    Ok(HttpResponse::Ok().insert_header(etag(version)).json(view))
}

pub async fn update<D: Document>(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<Uuid>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let (kind, id) = (D::KIND, path.into_inner());
    let event = record_event(&caller, kind, RecordVerb::Update, id);
    let prepared =
        if_match_version(&req).and_then(|version| Ok((version, split_scope(body.into_inner())?)));
    let (version, (patch, new_scope)) = match prepared {
        Ok(prepared) => prepared,
        Err(e) => return state.reject(event, e).await,
    };
    let actor = caller.actor.clone();
    let config = state.config.clone();
    let row = state
        .audit
        .perform(event, move |conn, event| {
            let current = authorised(conn, &actor, kind, id, RecordAction::Update)?;
            let current_scope = current.scope()?;
            let scope = new_scope.unwrap_or(current_scope);
            if scope != current_scope {
                ApiError::from_decision(policy::decide(
                    &actor,
                    kind,
                    RecordAction::ChangeScope,
                    &current.meta()?,
                ))?;
                check_scope(kind, &actor, scope)?;
                event.detail = Some(
                    serde_json::json!({ "scope": { "from": current_scope, "to": scope } })
                        .to_string(),
                );
            }
            if current.version != version {
                return Err(ApiError::PreconditionFailed {
                    current_version: current.version,
                });
            }
            if current.withdrawn_at.is_some() {
                return Err(ApiError::Conflict(
                    "a withdrawn record cannot be changed".into(),
                ));
            }
            let mut merged: Value =
                serde_json::from_str(&current.body).map_err(ApiError::internal)?;
            merge_patch(&mut merged, &Value::Object(patch));
            let Value::Object(fields) = merged else {
                return Err(ApiError::bad_request("body", "must be a JSON object"));
            };
            let (document, index) = parse::<D>(fields)?;
            let body = serde_json::to_string(&document).map_err(ApiError::internal)?;
            if body == current.body && scope == current_scope {
                return Ok(current);
            }
            check_references(conn, &actor, &index)?;
            let write = Write {
                body,
                index: &index,
                scope,
                actor: actor.user_id,
            };
            let row = records::update(conn, event.refresh, &current, version, &write)
                .map_err(|e| chemical_conflict(e.into(), &index))?
                .ok_or(ApiError::PreconditionFailed {
                    current_version: current.version,
                })?;
            // Within the write transaction, so notices and record commit together.
            deconfliction::detect(conn, event.refresh, &row, &index.identifiers)?;
            if kind == RecordKind::Shipment {
                let trace = chains::trace(conn, id, &config.chain_limits)?;
                assessment::auto_flag(conn, event, id, trace, &config.risk)?;
            }
            Ok(row)
        })
        .await?;
    respond::<D>(actix_web::http::StatusCode::OK, row)
}

pub async fn withdraw<D: Document>(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<Uuid>,
    body: web::Json<ReasonRequest>,
) -> Result<HttpResponse, ApiError> {
    let (kind, id) = (D::KIND, path.into_inner());
    let mut event = record_event(&caller, kind, RecordVerb::Withdraw, id);
    let reason = match body.reason() {
        Ok(reason) => reason,
        Err(e) => return state.reject(event, e).await,
    };
    let expected = match req.headers().contains_key("If-Match") {
        true => match if_match_version(&req) {
            Ok(v) => Some(v),
            Err(e) => return state.reject(event, e).await,
        },
        false => None,
    };
    event.detail = Some(serde_json::json!({ "reason": reason }).to_string());
    let actor = caller.actor.clone();
    let row = state
        .audit
        .perform(event, move |conn, context| {
            let current = authorised(conn, &actor, kind, id, RecordAction::Withdraw)?;
            if current.withdrawn_at.is_some() {
                return Err(ApiError::Conflict("the record is already withdrawn".into()));
            }
            if expected.is_some_and(|v| v != current.version) {
                return Err(ApiError::PreconditionFailed {
                    current_version: current.version,
                });
            }
            Ok(records::withdraw(
                conn,
                context.refresh,
                &current,
                &reason,
                actor.user_id,
            )?)
        })
        .await?;
    respond::<D>(actix_web::http::StatusCode::OK, row)
}

/// One version in a record's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionView {
    pub version: i64,
    /// `create`, `update` or `withdraw`.
    pub change: String,
    pub changed_by: Option<Uuid>,
    pub changed_by_username: Option<String>,
    pub changed_at: DateTime<Utc>,
    /// The withdrawal reason.
    pub reason: Option<String>,
    pub scope: String,
    /// Top-level fields that differ from the previous version.
    pub changed_fields: Vec<String>,
    /// The document as it was at this version.
    #[schema(value_type = Object)]
    pub document: Value,
}

pub async fn history<D: Document>(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
) -> Result<web::Json<Vec<VersionView>>, ApiError> {
    let (kind, id) = (D::KIND, path.into_inner());
    let actor = caller.actor.clone();
    let found = state
        .db
        .run(move |conn| {
            authorised(conn, &actor, kind, id, RecordAction::Read)?;
            Ok(records::history(conn, id)?)
        })
        .await;
    let versions = state
        .audited(record_event(&caller, kind, RecordVerb::History, id), found)
        .await?;
    let mut previous = Value::Null;
    let mut previous_scope = String::new();
    let mut views = Vec::with_capacity(versions.len());
    for v in versions {
        let document: Value = serde_json::from_str(&v.body).map_err(ApiError::internal)?;
        let mut changed = if v.version == 1 {
            Vec::new()
        } else {
            changed_fields(&previous, &document)
        };
        if v.version > 1 && v.scope != previous_scope {
            changed.push("scope".into());
        }
        previous_scope = v.scope.clone();
        previous = document.clone();
        views.push(VersionView {
            version: v.version,
            change: v.change,
            changed_by: v.changed_by.map(|u| u.0),
            changed_by_username: v.changed_by_username,
            changed_at: utc(v.changed_at),
            reason: v.reason,
            scope: v.scope,
            changed_fields: changed,
            document,
        });
    }
    Ok(web::Json(views))
}

/// Runs a search the handler has parsed; `detail` (the filters) goes into
/// the audit entry.
pub async fn list<D: Document>(
    state: web::Data<AppState>,
    caller: Caller,
    search: Result<Search, ApiError>,
    detail: Value,
) -> Result<web::Json<Page<RecordView>>, ApiError> {
    let kind = D::KIND;
    let mut event = record_event(&caller, kind, RecordVerb::Search, "*");
    event.detail = Some(detail.to_string());
    let actor = caller.actor.clone();
    let page = async {
        let mut search = search?;
        let limit = search.limit;
        search.limit = limit + 1;
        let visibility = policy::visibility(&actor, kind);
        let rows = state
            .db
            .run(move |conn| Ok::<_, ApiError>(search::search(conn, kind, &visibility, &search)?))
            .await?;
        let more = rows.len() as i64 > limit;
        let rows: Vec<RecordRow> = rows.into_iter().take(limit as usize).collect();
        let next_cursor = if more {
            rows.last().map(|r| r.id.0.to_string())
        } else {
            None
        };
        let items = rows
            .into_iter()
            .map(view::<D>)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page { items, next_cursor })
    }
    .await;
    state.audited(event, page).await.map(web::Json)
}

/// Common search parameters, shared by every kind's query.
pub fn base_search(
    q: &Option<String>,
    owner_agency_id: Option<Uuid>,
    limit: Option<i64>,
    cursor: &Option<String>,
) -> Result<Search, ApiError> {
    let text = match q.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) if text.chars().count() > 200 => {
            return Err(ApiError::bad_request("q", "must be at most 200 characters"))
        }
        Some(text) => Some(text.to_lowercase()),
    };
    let before = crate::pagination::uuid_cursor(cursor)?;
    Ok(Search {
        text,
        owner_agency: owner_agency_id,
        before,
        limit: crate::pagination::check_limit(limit)?,
        ..Search::default()
    })
}

/// Parses an optional closed-set filter value, naming the parameter.
pub fn choice_param<T: std::str::FromStr<Err = String>>(
    name: &str,
    value: &Option<String>,
) -> Result<Option<String>, ApiError> {
    value
        .as_deref()
        .map(|v| {
            v.parse::<T>()
                .map(|_| v.to_owned())
                .map_err(|m| ApiError::bad_request(name, m))
        })
        .transpose()
}

/// A search query for one kind of record.
pub trait SearchQuery: Serialize {
    fn search(&self) -> Result<Search, ApiError>;
}

/// Generates the annotated handlers of one registry kind, so each appears
/// in the OpenAPI document under its own paths.
macro_rules! registry_endpoints {
    (
        document: $doc:ty,
        query: $query:ty,
        tag: $tag:literal,
        operation_prefix: $prefix:literal,
        collection: $collection:literal,
        item: $item:literal,
        withdraw: $withdraw:literal,
        history: $history:literal $(,)?
    ) => {
        use actix_web::{web, HttpRequest, HttpResponse};
        use uuid::Uuid;

        use crate::auth::Caller;
        use crate::error::ApiError;
        use crate::pagination::Page;
        use crate::routes::registry::{self, RecordView, SearchQuery, VersionView};
        use crate::routes::views::ReasonRequest;
        use crate::state::AppState;

        /// Records one. The body is the document, plus an optional `scope`
        /// (`agency` by default, a task force id, or `all`).
        #[utoipa::path(post, path = $collection, operation_id = concat!($prefix, "_create"), tag = $tag, security(("bearer" = [])), request_body = $doc, responses(
            (status = 201, body = RecordView, headers(("ETag" = String), ("Location" = String))),
            (status = 403, description = "The role may not create these", content_type = "application/problem+json"),
            (status = 422, description = "A field is invalid; each is named", content_type = "application/problem+json"),
        ))]
        pub async fn create(
            state: web::Data<AppState>,
            caller: Caller,
            body: web::Json<serde_json::Value>,
        ) -> Result<HttpResponse, ApiError> {
            registry::create::<$doc>(state, caller, body).await
        }

        /// Searches, newest first, within what the caller may see.
        #[utoipa::path(get, path = $collection, operation_id = concat!($prefix, "_list"), tag = $tag, security(("bearer" = [])), params($query), responses(
            (status = 200, body = Page<RecordView>),
            (status = 400, description = "A filter is invalid; it is named", content_type = "application/problem+json"),
        ))]
        pub async fn list(
            state: web::Data<AppState>,
            caller: Caller,
            query: web::Query<$query>,
        ) -> Result<web::Json<Page<RecordView>>, ApiError> {
            let detail = serde_json::to_value(&*query).unwrap_or_default();
            registry::list::<$doc>(state, caller, query.search(), detail).await
        }

        /// One record.
        #[utoipa::path(get, path = $item, operation_id = concat!($prefix, "_show"), tag = $tag, security(("bearer" = [])), params(("id" = Uuid, Path)), responses(
            (status = 200, body = RecordView, headers(("ETag" = String))),
            (status = 404, description = "No such record, or not visible to the caller", content_type = "application/problem+json"),
        ))]
        pub async fn show(
            state: web::Data<AppState>,
            caller: Caller,
            path: web::Path<Uuid>,
        ) -> Result<HttpResponse, ApiError> {
            registry::show::<$doc>(state, caller, path).await
        }

        /// Changes a record (owner agency only). The body is a JSON merge
        /// patch of the document, optionally with a new `scope`; send
        /// `If-Match` with the version read. The previous version is kept.
        #[utoipa::path(patch, path = $item, operation_id = concat!($prefix, "_update"), tag = $tag, security(("bearer" = [])),
            params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The ETag last read")),
            request_body(content = Object, description = "JSON merge patch of the document"), responses(
            (status = 200, body = RecordView, headers(("ETag" = String))),
            (status = 403, content_type = "application/problem+json"),
            (status = 404, content_type = "application/problem+json"),
            (status = 412, description = "Someone changed it first", content_type = "application/problem+json"),
            (status = 422, content_type = "application/problem+json"),
            (status = 428, description = "If-Match missing", content_type = "application/problem+json"),
        ))]
        pub async fn update(
            state: web::Data<AppState>,
            caller: Caller,
            req: HttpRequest,
            path: web::Path<Uuid>,
            body: web::Json<serde_json::Value>,
        ) -> Result<HttpResponse, ApiError> {
            registry::update::<$doc>(state, caller, req, path, body).await
        }

        /// Withdraws a record with a reason. Nothing is deleted: the
        /// record stays, visible to auditors.
        #[utoipa::path(post, path = $withdraw, operation_id = concat!($prefix, "_withdraw"), tag = $tag, security(("bearer" = [])),
            params(("id" = Uuid, Path)), request_body = ReasonRequest, responses(
            (status = 200, body = RecordView),
            (status = 403, content_type = "application/problem+json"),
            (status = 404, content_type = "application/problem+json"),
            (status = 409, description = "Already withdrawn", content_type = "application/problem+json"),
        ))]
        pub async fn withdraw(
            state: web::Data<AppState>,
            caller: Caller,
            req: HttpRequest,
            path: web::Path<Uuid>,
            body: web::Json<ReasonRequest>,
        ) -> Result<HttpResponse, ApiError> {
            registry::withdraw::<$doc>(state, caller, req, path, body).await
        }

        /// Every version: who changed what, and when.
        #[utoipa::path(get, path = $history, operation_id = concat!($prefix, "_history"), tag = $tag, security(("bearer" = [])), params(("id" = Uuid, Path)), responses(
            (status = 200, body = Vec<VersionView>),
            (status = 404, content_type = "application/problem+json"),
        ))]
        pub async fn history(
            state: web::Data<AppState>,
            caller: Caller,
            path: web::Path<Uuid>,
        ) -> Result<web::Json<Vec<VersionView>>, ApiError> {
            registry::history::<$doc>(state, caller, path).await
        }

        pub fn configure(cfg: &mut web::ServiceConfig) {
            let base = $collection.trim_start_matches("/api/v1");
            cfg.service(web::resource(base).get(list).post(create))
                .service(web::resource(format!("{base}/{{id}}")).get(show).patch(update))
                .service(web::resource(format!("{base}/{{id}}/withdraw")).post(withdraw))
                .service(web::resource(format!("{base}/{{id}}/history")).get(history));
        }
    };
}

pub(crate) use registry_endpoints;
