//! Demonstration data: a deterministic generator (`generator`), and the
//! job behind `interdict demo` that loads it through the same bulk writer
//! imports use, scored and deconflicted like any other records, in
//! audited batches.

mod generator;
mod rng;
mod vocabulary;

pub use rng::Rng;

use generator::{Demo, Document as DemoDocument, Sharing};
use interdict_domain::audit::{AuditAction, AuditEvent};
use interdict_domain::chemical::CasNumber;
use interdict_domain::record::{Document, RecordIndex, RecordKind};
use interdict_domain::regulation;
use interdict_domain::risk::{self, RiskWeights};
use interdict_domain::sharing::Scope;
use interdict_domain::user::{NewUser, Role};
use interdict_persistence::agencies::{self, AgencyRow};
use interdict_persistence::audit::AuditContext;
use interdict_persistence::chains::{self, LinkRow};
use interdict_persistence::records::{self, NewRecord};
use interdict_persistence::risk::{self as findings, Refresh};
use interdict_persistence::users::{self, UserRow};
use interdict_persistence::{deconfliction, now, search, DbConnection};
use serde::Serialize;
use uuid::Uuid;

use crate::auth::password;
use crate::context::{App, Ctx, RequestMeta};
use crate::error::AppError;

/// Shipments per transaction.
const BATCH: usize = 2000;

/// The password of every demonstration account, derived from the seed so
/// it can be printed and typed.
fn demo_password(seed: u64) -> String {
    format!("harbour lantern quartz {seed}")
}

fn checked<D: Document>(document: &D) -> Result<(String, RecordIndex), AppError> {
    let (canonical, index) = document
        .check()
        .map_err(|e| AppError::internal(format!("generated an invalid record: {e:?}")))?;
    let body = serde_json::to_string(&canonical).map_err(AppError::internal)?;
    Ok((body, index))
}

fn new_record(
    record: &generator::Record,
    owner: Uuid,
    actor: Option<Uuid>,
) -> Result<NewRecord, AppError> {
    let (kind, (body, index)) = match &record.document {
        DemoDocument::Party(d) => (RecordKind::Party, checked(d)?),
        DemoDocument::Chemical(d) => (RecordKind::Chemical, checked(d)?),
        DemoDocument::Equipment(d) => (RecordKind::Equipment, checked(d)?),
        DemoDocument::DieMold(d) => (RecordKind::DieMold, checked(d)?),
        DemoDocument::Shipment(d) => (RecordKind::Shipment, checked(d)?),
    };
    Ok(NewRecord {
        id: record.id,
        kind,
        owner,
        scope: match record.sharing {
            Sharing::Agency => Scope::Agency,
            Sharing::All => Scope::All,
        },
        actor,
        body,
        index,
    })
}

/// What was loaded, for the audit entry and the summary line.
#[derive(Debug, Default, Clone, Copy, Serialize)]
pub struct Loaded {
    pub agencies: usize,
    pub users: usize,
    pub reference_records: usize,
    pub shipments: usize,
    pub links: usize,
    pub flags: usize,
}

/// What a load did.
#[derive(Debug, Clone)]
pub enum Outcome {
    Loaded {
        loaded: Loaded,
        /// The password of every demonstration account.
        password: String,
    },
    /// The data was there already, and the load was asked to skip then.
    AlreadyLoaded {
        /// The password of every demonstration account, so the caller
        /// can say how to sign in either way.
        password: String,
    },
}

/// Where a load has got to: cases written of all, and what so far.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub cases_done: u64,
    pub cases: u64,
    pub loaded: Loaded,
}

/// Loads the demonstration data of `seed` with `shipments` shipments, as
/// the system. Data already there is refused, or skipped if `if_absent`.
pub async fn load(
    app: &App,
    shipments: u64,
    seed: u64,
    if_absent: bool,
    mut progress: impl FnMut(Progress),
) -> Result<Outcome, AppError> {
    let ctx = Ctx::system(app, RequestMeta::local("cli"));
    let (db, writer) = (&app.db, &app.audit);
    let first_ori = Demo::new(seed, 0, Vec::new())
        .agencies()
        .first()
        .map(|a| a.ori.as_str().to_owned())
        .unwrap_or_default();
    let (present, controlled) = db
        .run(move |conn| -> Result<_, AppError> {
            let present = agencies::find_by_ori(conn, &first_ori)?.is_some();
            Ok((present, search::controlled_chemicals(conn)?))
        })
        .await?;
    if present {
        if if_absent {
            return Ok(Outcome::AlreadyLoaded {
                password: demo_password(seed),
            });
        }
        return Err(AppError::Conflict(
            "demonstration data is already loaded in this database".into(),
        ));
    }
    let recent = controlled
        .iter()
        .filter_map(|(id, cas)| Some((*id, first_controlled_after(cas, CONTROLS_READ_FROM)?)))
        .collect();
    let controlled = controlled.into_iter().map(|(id, _)| id).collect();
    let demo = Demo::new(seed, shipments, controlled).controlled_since(recent);
    let password = demo_password(seed);
    let mut loaded = Loaded::default();

    // Agencies and users.
    let mut users_by_agency: Vec<Uuid> = Vec::new();
    let mut agency_ids = Vec::new();
    let mut rows = Vec::new();
    for agency in demo.agencies() {
        let row = AgencyRow::new(&agency, false);
        agency_ids.push(row.id.0);
        users_by_agency.push(Uuid::nil());
        rows.push(row);
    }
    let mut user_rows = Vec::new();
    for user in demo.users() {
        let new = NewUser::parse(
            &user.username,
            &user.display_name,
            user.role.as_str(),
            &password,
        )
        .map_err(|e| AppError::internal(format!("demo user {}: {e}", user.username)))?;
        let hash = password::hash_blocking(password.clone()).await?;
        let row = UserRow::new(&new, agency_ids[user.agency], hash);
        if user.role == Role::Investigator {
            users_by_agency[user.agency] = row.id.0;
        }
        user_rows.push(row);
    }
    loaded.agencies = rows.len();
    loaded.users = user_rows.len();
    let reference: Vec<NewRecord> = demo
        .reference_records()
        .iter()
        .map(|r| {
            let owner = agency_ids[r.agency];
            new_record(r, owner, Some(users_by_agency[r.agency]))
        })
        .collect::<Result<_, _>>()?;
    loaded.reference_records = reference.len();
    let event = demo_event(&ctx, AuditAction::DemoSetup, seed);
    writer
        .perform(event, move |conn, context: &mut AuditContext| {
            let system = agencies::find_system(conn)?
                .ok_or_else(|| AppError::internal("no system agency"))?;
            for row in &rows {
                agencies::insert(conn, row)?;
            }
            for row in &user_rows {
                users::insert(conn, row)?;
            }
            // Catalogue entries belong to the system agency, like the seeded ones.
            let reference: Vec<NewRecord> = reference
                .into_iter()
                .map(|mut r| {
                    if r.kind == RecordKind::Chemical {
                        r.owner = system.id.0;
                    }
                    r
                })
                .collect();
            records::insert_many(conn, context.refresh, &reference)?;
            detect(conn, context.refresh, &reference)?;
            Ok::<_, AppError>(())
        })
        .await?;

    // Shipments and links, case by case, in batches.
    let mut cases = demo.cases().peekable();
    let total_cases = demo.case_count();
    let mut done_cases = 0u64;
    let mut number = 0u64;
    while cases.peek().is_some() {
        number += 1;
        let mut batch = Vec::new();
        let mut count = 0;
        while count < BATCH {
            let Some(case) = cases.next() else { break };
            count += case.shipments.len();
            batch.push(case);
        }
        done_cases += batch.len() as u64;
        let mut shipments = Vec::with_capacity(count);
        let mut links = Vec::new();
        let mut case_ids = Vec::new();
        for case in &batch {
            let mut ids = Vec::new();
            for s in &case.shipments {
                let actor = users_by_agency[s.agency];
                shipments.push(new_record(s, agency_ids[s.agency], Some(actor))?);
                ids.push(s.id);
            }
            case_ids.push(ids);
            for link in &case.links {
                links.push(link_row(
                    link,
                    agency_ids[link.agency],
                    users_by_agency[link.agency],
                ));
            }
        }
        loaded.shipments += shipments.len();
        loaded.links += links.len();
        let weights = app.config.risk.clone();
        let event = demo_event(&ctx, AuditAction::DemoBatch, seed);
        let flags = writer
            .perform(event, move |conn, context: &mut AuditContext| {
                records::insert_many(conn, context.refresh, &shipments)?;
                chains::insert_many(conn, context.refresh, &links)?;
                detect(conn, context.refresh, &shipments)?;
                let flags = flag_cases(conn, context, &shipments, &case_ids, &weights)?;
                interdict_persistence::db::refresh_statistics(conn, number)?;
                context.detail = Some(
                    serde_json::json!({ "shipments": shipments.len(), "links": links.len(), "flags": flags })
                        .to_string(),
                );
                Ok::<_, AppError>(flags)
            })
            .await?;
        loaded.flags += flags;
        progress(Progress {
            cases_done: done_cases,
            cases: total_cases,
            loaded,
        });
    }
    let mut event = demo_event(&ctx, AuditAction::DemoLoad, seed);
    event.detail = Some(serde_json::json!({ "seed": seed, "loaded": loaded }).to_string());
    writer.record(event).await?;
    Ok(Outcome::Loaded { loaded, password })
}

/// Chemicals first controlled after this day are the ones some
/// demonstration shipments predate.
const CONTROLS_READ_FROM: (i32, u32, u32) = (2015, 1, 1);

/// The day the rules table (`reference/controls.toml`) first controls the
/// chemical with this CAS number, if that is after `from`.
fn first_controlled_after(cas: &str, from: (i32, u32, u32)) -> Option<chrono::NaiveDate> {
    let table = regulation::controls();
    let row = table.by_cas(&CasNumber::parse(cas).ok()?)?;
    let subject = table.subject(&row.id)?;
    let day = chrono::NaiveDate::from_ymd_opt(from.0, from.1, from.2)?;
    match table.control_at(&subject, day) {
        regulation::ControlAt::NotYet { from, .. } => Some(from),
        _ => None,
    }
}

/// An entry of the system's, about the demonstration of `seed`.
fn demo_event(ctx: &Ctx, action: AuditAction, seed: u64) -> AuditEvent {
    ctx.event_on(action, "demo", seed)
}

fn detect(
    conn: &mut DbConnection,
    refresh: &mut Refresh,
    written: &[NewRecord],
) -> Result<(), AppError> {
    let identified: Vec<_> = written
        .iter()
        .map(|r| (r.id.into(), r.owner.into(), r.index.identifiers.as_slice()))
        .collect();
    deconfliction::detect_many(conn, refresh, &identified)?;
    Ok(())
}

fn link_row(link: &generator::Link, owner: Uuid, by: Uuid) -> LinkRow {
    LinkRow {
        id: link.id.into(),
        from_shipment_id: link.from.into(),
        to_shipment_id: link.to.into(),
        relation: link.relation.as_str().into(),
        evidence: link.evidence.clone(),
        owner_agency_id: owner.into(),
        created_by: by.into(),
        created_at: now(),
        withdrawn_at: None,
        withdrawn_by: None,
        withdrawn_reason: None,
    }
}

/// Flags the cases whose chain scores at or above the threshold, as the
/// system would have when they were recorded one by one.
fn flag_cases(
    conn: &mut DbConnection,
    context: &mut AuditContext<'_>,
    shipments: &[NewRecord],
    cases: &[Vec<Uuid>],
    weights: &RiskWeights,
) -> Result<usize, AppError> {
    let ids: Vec<Uuid> = shipments.iter().map(|s| s.id).collect();
    let found = findings::current(conn, context.refresh, &ids)?;
    let assessed: std::collections::HashMap<Uuid, risk::Assessment> = ids
        .iter()
        .zip(found)
        .map(|(id, f)| (*id, risk::weigh(f, weights)))
        .collect();
    let owners: std::collections::HashMap<Uuid, Uuid> =
        shipments.iter().map(|s| (s.id, s.owner)).collect();
    let mut flags = 0;
    for case in cases {
        let chain: Vec<risk::Assessment> = case
            .iter()
            .filter_map(|id| assessed.get(id).cloned())
            .collect();
        let assessment = risk::assess_chain(&chain);
        let Some(last) = case.last() else {
            continue;
        };
        let owner = owners.get(last).copied().unwrap_or_default();
        let raised =
            crate::risk::raise_if_new_reaches(conn, context, *last, owner, &assessment, weights)?;
        flags += usize::from(raised);
    }
    Ok(flags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chemicals_some_shipments_predate_are_those_controlled_since_2015() {
        let first = |cas| first_controlled_after(cas, CONTROLS_READ_FROM);
        // 4-piperidone: List I from 2023-05-12 (88 FR 21902).
        assert_eq!(
            first("41661-47-6"),
            chrono::NaiveDate::from_ymd_opt(2023, 5, 12)
        );
        // NPP has been List I since 2007: no shipment can predate it here.
        assert_eq!(first("39742-60-4"), None);
        assert_eq!(first("not a cas"), None);
    }
}
