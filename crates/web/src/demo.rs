//! `interdict demo`: loads the domain's deterministic demonstration data
//! into the database, through the same bulk writer imports use, scored
//! and deconflicted like any other records, in audited batches.

use chrono::Utc;
use diesel::prelude::*;
use interdict_domain::audit::AuditEvent;
use interdict_domain::demo::{self, Demo, Document as DemoDocument, Sharing};
use interdict_domain::record::{Document, RecordIndex, RecordKind};
use interdict_domain::risk::{self, RiskWeights};
use interdict_domain::sharing::Scope;
use interdict_domain::user::NewUser;
use interdict_persistence::agencies::{self, AgencyRow};
use interdict_persistence::audit::AuditContext;
use interdict_persistence::chains::{self, LinkRow};
use interdict_persistence::records::{self, NewRecord};
use interdict_persistence::users::{self, UserRow};
use interdict_persistence::{deconfliction, findings, now, DbConnection, DbUuid};
use serde::Serialize;
use uuid::Uuid;

use crate::assessment;
use crate::auth::password;
use crate::config::Config;
use crate::error::ApiError;
use crate::startup::{open, Opened};

/// Shipments per transaction.
const BATCH: usize = 2000;

/// The password of every demonstration account, derived from the seed so
/// it can be printed and typed.
fn demo_password(seed: u64) -> String {
    format!("harbour lantern quartz {seed}")
}

fn checked<D: Document>(document: &D) -> Result<(String, RecordIndex), ApiError> {
    let (canonical, index) = document
        .check()
        .map_err(|e| ApiError::internal(format!("generated an invalid record: {e:?}")))?;
    let body = serde_json::to_string(&canonical).map_err(ApiError::internal)?;
    Ok((body, index))
}

fn new_record(
    record: &demo::Record,
    owner: Uuid,
    actor: Option<Uuid>,
) -> Result<NewRecord, ApiError> {
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
struct Loaded {
    agencies: usize,
    users: usize,
    reference_records: usize,
    shipments: usize,
    links: usize,
    flags: usize,
}

pub async fn load(
    config: Config,
    shipments: u64,
    seed: u64,
    if_absent: bool,
) -> Result<u8, String> {
    let Opened {
        db, audit: writer, ..
    } = open(&config).await?;
    let first_ori = Demo::new(seed, 0, Vec::new())
        .agencies()
        .first()
        .map(|a| a.ori.as_str().to_owned())
        .unwrap_or_default();
    let (present, controlled) = db
        .run(move |conn| -> Result<_, ApiError> {
            let present = agencies::find_by_ori(conn, &first_ori)?.is_some();
            Ok((present, controlled_chemicals(conn)?))
        })
        .await
        .map_err(|e| e.to_string())?;
    if present {
        if if_absent {
            say!("demonstration data is already loaded");
            say_accounts(seed);
            return Ok(0);
        }
        return Err("demonstration data is already loaded in this database".into());
    }
    let started = std::time::Instant::now();
    let demo = Demo::new(seed, shipments, controlled);
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
        .map_err(|e| format!("demo user {}: {e}", user.username))?;
        let hash = password::hash_blocking(password.clone())
            .await
            .map_err(|e| e.to_string())?;
        let row = UserRow::new(&new, agency_ids[user.agency], hash);
        if user.role == interdict_domain::user::Role::Investigator {
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
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    loaded.reference_records = reference.len();
    let event = demo_event("demo.setup", seed);
    writer
        .perform(event, move |conn, _: &mut AuditContext| {
            let system = agencies::find_system(conn)?
                .ok_or_else(|| ApiError::internal("no system agency"))?;
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
            findings::batched(conn, |conn| {
                records::insert_many(conn, &reference)?;
                detect(conn, &reference)
            })?;
            Ok::<_, ApiError>(())
        })
        .await
        .map_err(|e| e.to_string())?;

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
                shipments.push(
                    new_record(s, agency_ids[s.agency], Some(actor)).map_err(|e| e.to_string())?,
                );
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
        let weights = config.risk.clone();
        let event = demo_event("demo.batch", seed);
        let flags = writer
            .perform(event, move |conn, context: &mut AuditContext| {
                findings::batched(conn, |conn| {
                    records::insert_many(conn, &shipments)?;
                    chains::insert_many(conn, &links)?;
                    detect(conn, &shipments)
                })?;
                let flags = flag_cases(conn, context, &shipments, &case_ids, &weights)?;
                interdict_persistence::db::refresh_statistics(conn, number)?;
                context.detail = Some(
                    serde_json::json!({ "shipments": shipments.len(), "links": links.len(), "flags": flags })
                        .to_string(),
                );
                Ok::<_, ApiError>(flags)
            })
            .await
            .map_err(|e| e.to_string())?;
        loaded.flags += flags;
        eprint!(
            "\r{:>5.1}%  {} shipments, {} links, {} flags  ",
            100.0 * done_cases as f64 / total_cases.max(1) as f64,
            loaded.shipments,
            loaded.links,
            loaded.flags
        );
    }
    eprintln!();
    let mut event = demo_event("demo.load", seed);
    event.detail = Some(serde_json::json!({ "seed": seed, "loaded": loaded }).to_string());
    writer.record(event).await.map_err(|e| e.to_string())?;
    say!(
        "loaded {} agencies, {} users, {} reference records, {} shipments, {} links and {} flags in {:.1} s",
        loaded.agencies,
        loaded.users,
        loaded.reference_records,
        loaded.shipments,
        loaded.links,
        loaded.flags,
        started.elapsed().as_secs_f64()
    );
    say_accounts(seed);
    Ok(0)
}

/// Who to sign in as: shown after every load, and again when the data is
/// already there, so `make run DEMO=1` always says how to get in.
fn say_accounts(seed: u64) {
    say!("demo accounts: <role>.<ori>, e.g. investigator.dcfptu000, supervisor.dcfptu000, auditor.dcfptu000, admin.txdps0000");
    say!("demo password: {}", demo_password(seed));
}

fn demo_event(action: &str, seed: u64) -> AuditEvent {
    let mut event = AuditEvent::now(action);
    event.occurred_at = Utc::now();
    event.role = Some("system".into());
    event.source = Some("cli".into());
    event.object_type = Some("demo".into());
    event.object_id = Some(seed.to_string());
    event
}

/// The catalogue's controlled chemicals, in a stable order.
fn controlled_chemicals(conn: &mut DbConnection) -> Result<Vec<Uuid>, ApiError> {
    use interdict_persistence::schema::{chemical_facts, records as r};
    let ids: Vec<DbUuid> = chemical_facts::table
        .inner_join(r::table)
        .filter(chemical_facts::us_control.ne("none"))
        .filter(r::withdrawn_at.is_null())
        .order(r::id)
        .select(r::id)
        .load(conn)?;
    Ok(ids.into_iter().map(Uuid::from).collect())
}

fn detect(conn: &mut DbConnection, written: &[NewRecord]) -> Result<(), ApiError> {
    let identified: Vec<_> = written
        .iter()
        .map(|r| (r.id.into(), r.owner.into(), r.index.identifiers.as_slice()))
        .collect();
    deconfliction::detect_many(conn, &identified)?;
    Ok(())
}

fn link_row(link: &demo::Link, owner: Uuid, by: Uuid) -> LinkRow {
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
    context: &mut AuditContext,
    shipments: &[NewRecord],
    cases: &[Vec<Uuid>],
    weights: &RiskWeights,
) -> Result<usize, ApiError> {
    let ids: Vec<Uuid> = shipments.iter().map(|s| s.id).collect();
    let found = findings::current(conn, &ids)?;
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
        let (Some(last), true) = (case.last(), assessment.score >= weights.auto_flag_threshold)
        else {
            continue;
        };
        let owner = owners.get(last).copied().unwrap_or_default();
        assessment::raise(conn, context, *last, owner, &assessment, weights)?;
        flags += 1;
    }
    Ok(flags)
}
