//! Scoring shipments and chains with the risk rules, and flagging a chain
//! automatically when its score crosses the configured threshold.

use interdict_domain::audit::{AuditAction, AuditEvent, Outcome};
use interdict_domain::chain::Limits;
use interdict_domain::policy::{self, Actor};
use interdict_domain::record::RecordKind;
use interdict_domain::risk::{self, Assessment, RiskWeights};
use interdict_persistence::audit::AuditContext;
use interdict_persistence::chains::{self, Trace};
use interdict_persistence::records::{self, RecordRow};
use interdict_persistence::risk::{self as findings, Refresh};
use interdict_persistence::{flags, DbConnection};
use uuid::Uuid;

use crate::error::ApiError;

/// A shipment `visibility` lets the caller see, with its own assessment.
/// `pending`: the refreshes waiting in the caller's transaction, if it
/// writes.
pub fn visible_shipment(
    conn: &mut DbConnection,
    id: Uuid,
    visibility: &policy::Visibility,
    weights: &RiskWeights,
    pending: Option<&Refresh>,
) -> Result<Option<(RecordRow, Assessment)>, ApiError> {
    Ok(
        findings::find_visible_shipment(conn, id, visibility, pending)?
            .map(|(row, findings)| (row, risk::weigh(findings, weights))),
    )
}

/// A traced chain, with the rows and assessments of the shipments the
/// viewer may see; others are left out of the score, as their content is
/// not the viewer's to know.
pub struct AssessedChain {
    pub trace: Trace,
    pub visible: Vec<(RecordRow, Assessment)>,
    pub assessment: Assessment,
}

pub fn chain(
    conn: &mut DbConnection,
    start: Uuid,
    limits: &Limits,
    weights: &RiskWeights,
    viewer: Option<&Actor>,
    pending: Option<&Refresh>,
) -> Result<AssessedChain, ApiError> {
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
) -> Result<AssessedChain, ApiError> {
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

/// After a shipment or link is written: if the chain through `shipment`
/// (`trace`, traced after the write) now scores at or above the threshold
/// and no flag on it is still under way, the system flags it, in the same
/// transaction, with its own audit entry.
pub fn auto_flag(
    conn: &mut DbConnection,
    context: &mut AuditContext,
    shipment: Uuid,
    trace: Trace,
    weights: &RiskWeights,
) -> Result<(), ApiError> {
    let assessed = assess(conn, trace, weights, None, Some(context.refresh))?;
    if assessed.assessment.score < weights.auto_flag_threshold {
        return Ok(());
    }
    let mut pending = false;
    for flag in flags::on_shipments(conn, &assessed.trace.nodes)? {
        pending |= !flag.state()?.is_decided();
    }
    if pending {
        return Ok(());
    }
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
    raise(
        conn,
        context,
        shipment,
        row.owner_agency_id.0,
        &assessed.assessment,
        weights,
    )
}

/// After a shipment is created: its chain is the shipment alone, as no
/// link can name it yet, and no flag is on it, so it is scored from the row
/// just written, without reading it back or tracing anything.
pub fn auto_flag_new(
    conn: &mut DbConnection,
    context: &mut AuditContext,
    row: &RecordRow,
    weights: &RiskWeights,
) -> Result<(), ApiError> {
    let findings = findings::of_new(conn, row.id.0, &row.body)?;
    let assessment = risk::assess_chain(&[risk::weigh(findings, weights)]);
    if assessment.score < weights.auto_flag_threshold {
        return Ok(());
    }
    raise(
        conn,
        context,
        row.id.0,
        row.owner_agency_id.0,
        &assessment,
        weights,
    )
}

/// The system flags `shipment` for `assessment`, with its own audit entry
/// in the caller's transaction.
pub fn raise(
    conn: &mut DbConnection,
    context: &mut AuditContext,
    shipment: Uuid,
    owner: Uuid,
    assessment: &Assessment,
    weights: &RiskWeights,
) -> Result<(), ApiError> {
    let indicators = serde_json::to_string(&assessment.indicators).map_err(ApiError::internal)?;
    let reason = format!(
        "Risk score {} reached the threshold of {}",
        assessment.score, weights.auto_flag_threshold
    );
    let flag = flags::raise(
        conn,
        shipment,
        owner,
        &reason,
        assessment.score,
        &indicators,
        None,
    )?;
    let mut event = AuditEvent::now(AuditAction::FlagRaise);
    event.agency_id = Some(owner);
    event.role = Some("system".into());
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
