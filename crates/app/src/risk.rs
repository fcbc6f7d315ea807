//! Scoring shipments and chains with the risk rules, and the automatic
//! flag the system raises when a write brings a chain to the threshold
//! (the decision itself is `interdict_domain::risk::auto_flag`).

use interdict_domain::audit::{AuditAction, AuditEvent, Outcome};
use interdict_domain::chain::Limits;
use interdict_domain::policy::{self, Actor};
use interdict_domain::record::RecordKind;
use interdict_domain::risk::{self, Assessment, RiskWeights};
use interdict_persistence::audit::AuditContext;
use interdict_persistence::chains::{self, Trace};
use interdict_persistence::records::{self, RecordRow};
use interdict_persistence::risk::{self as kept, Profiler, Refresh};
use interdict_persistence::{flags, DbConnection};
use uuid::Uuid;

use crate::context::SYSTEM_ROLE;
use crate::error::AppError;

/// A shipment `visibility` lets the caller see, with its own assessment.
/// `pending`: the refreshes waiting in the caller's transaction, if it
/// writes.
pub(crate) fn visible_shipment(
    conn: &mut DbConnection,
    id: Uuid,
    visibility: &policy::Visibility,
    weights: &RiskWeights,
    pending: Option<&Refresh>,
) -> Result<Option<(RecordRow, Assessment)>, AppError> {
    Ok(kept::find_visible_shipment(conn, id, visibility, pending)?
        .map(|(row, findings)| (row, risk::weigh(findings, weights))))
}

/// A traced chain, with the rows and assessments of the shipments the
/// viewer may see; others are left out of the score, as their content is
/// not the viewer's to know.
pub(crate) struct AssessedChain {
    pub trace: Trace,
    pub visible: Vec<(RecordRow, Assessment)>,
    pub assessment: Assessment,
}

pub(crate) fn chain(
    conn: &mut DbConnection,
    start: Uuid,
    limits: &Limits,
    weights: &RiskWeights,
    viewer: Option<&Actor>,
    pending: Option<&Refresh>,
) -> Result<AssessedChain, AppError> {
    let trace = chains::trace(conn, start, limits)?;
    assess(conn, trace, weights, viewer, pending)
}

/// Scores a traced chain as `viewer` may see it (all of it if `None`).
fn assess(
    conn: &mut DbConnection,
    trace: Trace,
    weights: &RiskWeights,
    viewer: Option<&Actor>,
    pending: Option<&Refresh>,
) -> Result<AssessedChain, AppError> {
    let visibility = match viewer {
        Some(actor) => policy::visibility(actor, RecordKind::Shipment),
        None => policy::Visibility::Everything {
            include_withdrawn: false,
        },
    };
    let mut visible = Vec::new();
    for id in &trace.nodes {
        if let Some(found) = visible_shipment(conn, *id, &visibility, weights, pending)? {
            visible.push(found);
        }
    }
    let assessment =
        risk::assess_chain(&visible.iter().map(|(_, a)| a.clone()).collect::<Vec<_>>());
    Ok(AssessedChain {
        trace,
        visible,
        assessment,
    })
}

/// After a shipment or link is written: the chain through `shipment`
/// (`trace`, traced after the write) is flagged by the system if the rules
/// say so, in the same transaction, with its own audit entry.
pub(crate) fn auto_flag(
    conn: &mut DbConnection,
    context: &mut AuditContext<'_>,
    shipment: Uuid,
    trace: Trace,
    weights: &RiskWeights,
) -> Result<(), AppError> {
    let assessed = assess(conn, trace, weights, None, Some(context.refresh))?;
    let mut open = Vec::new();
    for flag in flags::on_shipments(conn, &assessed.trace.nodes)? {
        if !flag.state()?.is_decided() {
            open.push(flag);
        }
    }
    let decision = risk::auto_flag(&assessed.assessment, weights, || Ok::<_, AppError>(false))?;
    let Some(reason) = decision else {
        return Ok(());
    };
    let Some(row) = records::find_visible(
        conn,
        RecordKind::Shipment,
        shipment,
        &policy::Visibility::Everything {
            include_withdrawn: false,
        },
    )?
    else {
        return Ok(());
    };
    let owner = row.owner_agency_id.0;
    // One open flag per chain: a chain its owner already flagged gets what
    // it now shows added to that flag; a chain another agency flagged is
    // left to that flag, as before.
    if open.iter().any(|f| f.owner_agency_id.0 == owner) {
        crate::flags::attach_to_open(
            conn,
            context,
            &assessed.trace.nodes,
            owner,
            &assessed.assessment,
            &reason,
        )?;
        return Ok(());
    }
    if !open.is_empty() {
        return Ok(());
    }
    raise(
        conn,
        context,
        shipment,
        owner,
        &assessed.assessment,
        &reason,
    )
}

/// After a shipment is created: its chain is the shipment alone, as no
/// link can name it yet, and no flag is on it, so it is scored from the row
/// just written, without reading it back or tracing anything. `read`:
/// what was read for its profile before the write; `noticed`: whether the
/// write made a deconfliction notice on it.
pub(crate) fn auto_flag_new(
    conn: &mut DbConnection,
    context: &mut AuditContext<'_>,
    row: &RecordRow,
    read: Profiler,
    noticed: bool,
    weights: &RiskWeights,
) -> Result<(), AppError> {
    let findings = kept::of_new(conn, read, row.id.0, &row.body, noticed)?;
    let assessment = risk::assess_chain(&[risk::weigh(findings, weights)]);
    raise_if_new_reaches(
        conn,
        context,
        row.id.0,
        row.owner_agency_id.0,
        &assessment,
        weights,
    )?;
    Ok(())
}

/// A chain of new shipments, which no flag can be on yet: flagged if its
/// score reaches the threshold. Returns whether it was.
pub(crate) fn raise_if_new_reaches(
    conn: &mut DbConnection,
    context: &mut AuditContext<'_>,
    shipment: Uuid,
    owner: Uuid,
    assessment: &Assessment,
    weights: &RiskWeights,
) -> Result<bool, AppError> {
    match risk::auto_flag(assessment, weights, || Ok::<_, AppError>(false))? {
        Some(reason) => {
            raise(conn, context, shipment, owner, assessment, &reason)?;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// The system flags `shipment` for `assessment`, with its own audit entry
/// in the caller's transaction.
fn raise(
    conn: &mut DbConnection,
    context: &mut AuditContext<'_>,
    shipment: Uuid,
    owner: Uuid,
    assessment: &Assessment,
    reason: &str,
) -> Result<(), AppError> {
    let indicators = serde_json::to_string(&assessment.indicators).map_err(AppError::internal)?;
    let flag = flags::raise(
        conn,
        shipment,
        owner,
        reason,
        assessment.score,
        &indicators,
        None,
    )?;
    let mut event = AuditEvent::at(AuditAction::FlagRaise, context.occurred_at);
    event.agency_id = Some(owner);
    event.role = Some(SYSTEM_ROLE.into());
    event.object_type = Some("flag".into());
    event.object_id = Some(flag.id.0.to_string());
    event.request_id = context.request_id.clone();
    event.outcome = Outcome::Allowed;
    event.detail = Some(
        serde_json::json!({ "by": "system", "shipment_id": shipment, "score": assessment.score })
            .to_string(),
    );
    context.also(event);
    Ok(())
}
