//! Recording, changing and withdrawing registry records.

use interdict_domain::audit::RecordVerb;
use interdict_domain::policy::{self, Actor, Owner, RecordAction};
use interdict_domain::record::{merge_patch, Document, Facts, RecordIndex, RecordKind};
use interdict_domain::sharing::Scope;
use interdict_domain::shipment::ShipmentInput;
use interdict_domain::ValidationErrors;
use interdict_persistence::audit::AuditContext;
use interdict_persistence::records::{self, RecordRow, Write};
use interdict_persistence::risk::Profiler;
use interdict_persistence::watches::WatchRow;
use interdict_persistence::{agencies, chains, deconfliction, Backend, DbConnection};
use serde_json::{Map, Value};
use std::collections::HashMap;
use uuid::Uuid;

use super::{authorised, record_event, ReasonRequest, Record};
use crate::config::Config;
use crate::context::Ctx;
use crate::error::AppError;
use crate::risk;
use crate::screening::{self, Screener};
use crate::watchlists;

/// A new record's document, checked and ready to write.
pub struct Prepared {
    pub id: Uuid,
    pub kind: RecordKind,
    pub body: String,
    pub index: RecordIndex,
    pub scope: Scope,
}

/// Splits `scope` from the document fields of a request body.
fn split_scope(body: Value) -> Result<(Map<String, Value>, Option<Scope>), AppError> {
    let Value::Object(mut fields) = body else {
        return Err(AppError::bad_request("body", "must be a JSON object"));
    };
    let scope = match fields.remove("scope") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => {
            Some(Scope::parse(&text).map_err(|m| AppError::invalid("scope", m))?)
        }
        Some(_) => return Err(AppError::invalid("scope", "must be a string")),
    };
    Ok((fields, scope))
}

/// Reads a document strictly: unknown fields and wrong types are named.
fn parse<D: Document>(fields: Map<String, Value>) -> Result<(D, RecordIndex), AppError> {
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
        AppError::invalid(field, message)
    })?;
    Ok(document.check()?)
}

/// The name serde puts in backticks: unknown field `x`, missing field `y`.
pub fn backticked(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(message[start..start + len].to_owned())
}

/// Whether the caller may share a record of `kind` as asked.
fn check_scope(kind: RecordKind, actor: &Actor, scope: Scope) -> Result<(), AppError> {
    match policy::decide_sharing(actor, kind, scope).refusal() {
        None => Ok(()),
        Some(refusal) => Err(AppError::invalid("scope", refusal)),
    }
}

/// Every record a document refers to must exist, be live and be visible to
/// the writer. Returns the parties' search text, which a new shipment
/// inherits, so the write need not read them again.
fn check_references(
    conn: &mut DbConnection,
    actor: &Actor,
    index: &RecordIndex,
) -> Result<HashMap<Uuid, String>, AppError> {
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

/// What a new record's write reads of records already committed: the
/// records it refers to (each must be live and visible to the writer), the
/// watches it matches and, for a shipment, what its risk profile needs.
pub(crate) struct Lookups {
    names: HashMap<Uuid, String>,
    watches: Vec<WatchRow>,
    profiler: Profiler,
}

impl Lookups {
    /// Reads them on `conn`: the write's own or, before the write, another.
    pub(crate) fn read(
        conn: &mut DbConnection,
        actor: &Actor,
        prepared: &Prepared,
    ) -> Result<Self, AppError> {
        let names = check_references(conn, actor, &prepared.index)?;
        let watches = watchlists::watching(conn, prepared.id, prepared.kind, &prepared.index)?;
        let mut profiler = Profiler::default();
        if prepared.kind == RecordKind::Shipment {
            if let Ok(input) = serde_json::from_str::<ShipmentInput>(&prepared.body) {
                profiler.prepare_new(conn, &input)?;
            }
        }
        Ok(Self {
            names,
            watches,
            profiler,
        })
    }
}

/// A catalogue conflict names the CAS number it is about.
fn chemical_conflict(error: AppError, index: &RecordIndex) -> AppError {
    match (error, &index.facts) {
        (AppError::Conflict(_), Facts::Chemical { cas, .. }) => {
            AppError::Conflict(format!("the catalogue already has an entry with CAS {cas}"))
        }
        (other, _) => other,
    }
}

/// Checks a create request without touching the database: the policy,
/// the scope and every field of the document.
pub fn prepare<D: Document>(actor: &Actor, id: Uuid, body: Value) -> Result<Prepared, AppError> {
    let kind = D::KIND;
    AppError::from_decision(policy::decide_create(actor, kind))?;
    let (fields, scope) = split_scope(body)?;
    let scope = scope.unwrap_or(policy::default_scope(kind));
    check_scope(kind, actor, scope)?;
    let (document, index) = parse::<D>(fields)?;
    let body = serde_json::to_string(&document).map_err(AppError::internal)?;
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
/// `lookups`: what [`Lookups::read`] read for it.
pub(crate) fn write_new(
    conn: &mut DbConnection,
    context: &mut AuditContext<'_>,
    actor: &Actor,
    prepared: Prepared,
    lookups: Lookups,
    config: &Config,
    screener: &Screener,
) -> Result<RecordRow, AppError> {
    let Prepared {
        id,
        kind,
        body,
        index,
        scope,
    } = prepared;
    let Lookups {
        names,
        watches,
        profiler,
    } = lookups;
    let owner = match policy::record_owner(actor, kind) {
        Owner::Agency(agency) => agency,
        Owner::System => agencies::find_system(conn)?
            .map(|a| a.id.0)
            .ok_or_else(|| AppError::internal("no system agency"))?,
    };
    let write = Write {
        body,
        index: &index,
        scope,
        actor: actor.user_id,
    };
    let row = records::create(conn, context.refresh, id, kind, owner, &write, &names)
        .map_err(|e| chemical_conflict(e.into(), &index))?;
    let noticed = deconfliction::detect(conn, context.refresh, &row, &index.identifiers)? > 0;
    after_write(conn, context, screener, actor, &row, watches, true)?;
    if kind == RecordKind::Shipment {
        risk::auto_flag_new(conn, context, &row, profiler, noticed, &config.risk)?;
    }
    Ok(row)
}

/// In a write's transaction: the watchers of `watches` are notified, and
/// a party is screened against the sanctions list in force.
fn after_write(
    conn: &mut DbConnection,
    context: &mut AuditContext<'_>,
    screener: &Screener,
    actor: &Actor,
    row: &RecordRow,
    watches: Vec<WatchRow>,
    new: bool,
) -> Result<(), AppError> {
    let kind: RecordKind = row.kind.parse().map_err(AppError::internal)?;
    watchlists::notify_written(
        conn,
        &watchlists::Written {
            id: row.id.0,
            kind,
            meta: row.meta()?,
            writer: Some(actor.user_id),
            cause: "write",
            batch: None,
        },
        watches,
    )?;
    if kind == RecordKind::Party {
        screening::screen_written(conn, context, screener, row.id.0, &row.body, new)?;
    }
    Ok(())
}

/// Records one. The body is the document, plus an optional `scope`
/// (`agency` by default, a task force id, or `all`).
pub async fn create<D: Document>(ctx: &Ctx, body: Value) -> Result<Record<D>, AppError> {
    let id = Uuid::now_v7();
    let event = record_event(ctx, D::KIND, RecordVerb::Create, id);
    let prepared = ctx
        .actor()
        .and_then(|actor| prepare::<D>(actor, id, body).map(|p| (actor.clone(), p)));
    let (actor, prepared) = match prepared {
        Ok(prepared) => prepared,
        Err(e) => return ctx.reject(event, e).await,
    };
    // On PostgreSQL the lookups are read on a pooled connection before the
    // write joins the audit writer's batch, where each would be a round trip
    // on the writer's one connection that every request queued behind it
    // waits for. A change committed meanwhile (a party withdrawn, a watch
    // saved) goes unseen for that wait, as one committed by another instance
    // during the batch's transaction would. SQLite has no round trip to
    // save, and a second connection costs it more than the reads (measured
    // in BENCHMARKS.md): there they are read in the batch.
    let (prepared, lookups) = match ctx.app.db.backend() {
        Backend::Postgres => {
            let actor = actor.clone();
            let looked = ctx
                .app
                .db
                .run(move |conn| {
                    let lookups = Lookups::read(conn, &actor, &prepared)?;
                    Ok::<_, AppError>((prepared, Some(lookups)))
                })
                .await;
            match looked {
                Ok(looked) => looked,
                Err(e) => return ctx.reject(event, e).await,
            }
        }
        Backend::Sqlite => (prepared, None),
    };
    let config = ctx.app.config.clone();
    let screener = ctx.app.screener.clone();
    let row = ctx
        .app
        .audit
        .perform(event, move |conn, context| {
            let lookups = match lookups {
                Some(lookups) => lookups,
                None => Lookups::read(conn, &actor, &prepared)?,
            };
            write_new(conn, context, &actor, prepared, lookups, &config, &screener)
        })
        .await?;
    Record::from_row(row)
}

/// Changes a record (its agency only): `patch` is a JSON merge patch of the
/// document, optionally with a new `scope`, based on `version` (from
/// `If-Match`; a missing or unreadable one is refused, and audited, here).
pub async fn update<D: Document>(
    ctx: &Ctx,
    id: Uuid,
    version: Result<i64, AppError>,
    patch: Value,
) -> Result<Record<D>, AppError> {
    let kind = D::KIND;
    let event = record_event(ctx, kind, RecordVerb::Update, id);
    let prepared = version.and_then(|version| Ok((version, split_scope(patch)?)));
    let (version, (patch, new_scope)) = match prepared {
        Ok(prepared) => prepared,
        Err(e) => return ctx.reject(event, e).await,
    };
    let actor = ctx.actor()?.clone();
    let config = ctx.app.config.clone();
    let screener = ctx.app.screener.clone();
    let row = ctx
        .app
        .audit
        .perform(event, move |conn, event| {
            let current = authorised(conn, &actor, kind, id, RecordAction::Update)?;
            let current_scope = current.scope()?;
            let scope = new_scope.unwrap_or(current_scope);
            if scope != current_scope {
                AppError::from_decision(policy::decide(
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
                return Err(AppError::PreconditionFailed {
                    current_version: current.version,
                });
            }
            if current.withdrawn_at.is_some() {
                return Err(AppError::Conflict(
                    "a withdrawn record cannot be changed".into(),
                ));
            }
            let mut merged: Value =
                serde_json::from_str(&current.body).map_err(AppError::internal)?;
            merge_patch(&mut merged, &Value::Object(patch));
            let Value::Object(fields) = merged else {
                return Err(AppError::bad_request("body", "must be a JSON object"));
            };
            let (document, index) = parse::<D>(fields)?;
            let body = serde_json::to_string(&document).map_err(AppError::internal)?;
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
                .ok_or(AppError::PreconditionFailed {
                    current_version: current.version,
                })?;
            // Within the write transaction, so notices and record commit together.
            deconfliction::detect(conn, event.refresh, &row, &index.identifiers)?;
            let watches = watchlists::watching(conn, id, kind, &index)?;
            after_write(conn, event, &screener, &actor, &row, watches, false)?;
            if kind == RecordKind::Shipment {
                let trace = chains::trace(conn, id, &config.chain_limits)?;
                risk::auto_flag(conn, event, id, trace, &config.risk)?;
            }
            Ok(row)
        })
        .await?;
    Record::from_row(row)
}

/// Withdraws a record with a reason. Nothing is deleted: the record stays,
/// visible to auditors. `expected`: the version from `If-Match`, if sent.
pub async fn withdraw<D: Document>(
    ctx: &Ctx,
    id: Uuid,
    request: &ReasonRequest,
    expected: Option<Result<i64, AppError>>,
) -> Result<Record<D>, AppError> {
    let kind = D::KIND;
    let mut event = record_event(ctx, kind, RecordVerb::Withdraw, id);
    let checked = request
        .reason()
        .and_then(|reason| Ok((reason, expected.transpose()?)));
    let (reason, expected) = match checked {
        Ok(checked) => checked,
        Err(e) => return ctx.reject(event, e).await,
    };
    event.detail = Some(serde_json::json!({ "reason": reason }).to_string());
    let actor = ctx.actor()?.clone();
    let row = ctx
        .app
        .audit
        .perform(event, move |conn, context| {
            let current = authorised(conn, &actor, kind, id, RecordAction::Withdraw)?;
            if current.withdrawn_at.is_some() {
                return Err(AppError::Conflict("the record is already withdrawn".into()));
            }
            if expected.is_some_and(|v| v != current.version) {
                return Err(AppError::PreconditionFailed {
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
    Record::from_row(row)
}
