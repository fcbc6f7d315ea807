//! Link suggestions: shipments that look like the continuation (or the
//! start) of another, each with its reasons. Investigators accept one,
//! which links the two, or reject it, and it is not proposed again.

use chrono::{DateTime, NaiveDateTime, Utc};
use interdict_domain::audit::AuditAction;
use interdict_domain::chain::{
    evidence_score, Evidence, LinkRelation, SuggestionResult, SuggestionVerdict,
};
use interdict_domain::policy::{self, Actor, RecordAction};
use interdict_domain::record::RecordKind;
use interdict_domain::shipment::{PartyRole, Shipment, ShipmentInput};
use interdict_domain::validation::pick;
use interdict_domain::ValidationErrors;
use interdict_persistence::chains;
use interdict_persistence::records;
use interdict_persistence::DbConnection;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::context::Ctx;
use crate::error::AppError;
use crate::links::{self, LinkView};
use crate::records::shipment_for;

/// One candidate for a link, with every reason to link it together;
/// suggestions come strongest evidence first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Suggestion {
    /// The proposed link: `to` continues `from`.
    pub from: Uuid,
    pub to: Uuid,
    /// The other shipment (`from` or `to`).
    pub candidate: Uuid,
    /// Its reference, e.g. `TXHSI0100-2026-000123`.
    pub candidate_reference: Option<String>,
    /// Its route, port codes where recorded: `CNWUH → MXZLO → MXNLD`.
    pub candidate_route: String,
    /// When it departed and arrived, where recorded.
    pub candidate_departure: Option<DateTime<Utc>>,
    pub candidate_arrival: Option<DateTime<Utc>>,
    /// How strong the evidence is: a shared identifier weighs 5, a party
    /// handing over 3, place and time 1, summed over the reasons.
    pub score: u32,
    /// Why, in words.
    pub reasons: Vec<String>,
}

/// A candidate while suggestions are gathered.
struct Candidate {
    from: Uuid,
    to: Uuid,
    evidence: Vec<Evidence>,
    reasons: Vec<String>,
}

/// A shipment's route as the pages name it: each stop's port code, else
/// its city, else its country.
fn route(shipment: &Shipment) -> String {
    let stop = |l: &interdict_domain::shipment::Location| {
        l.locode
            .clone()
            .or_else(|| l.city.clone())
            .unwrap_or_else(|| l.country.to_string())
    };
    let mut stops: Vec<String> = Vec::new();
    if let Some(first) = shipment.legs.first() {
        stops.push(stop(&first.from));
    }
    for leg in &shipment.legs {
        stops.push(stop(&leg.to));
    }
    stops.join(" → ")
}

const PER_REASON: i64 = 50;

struct Loaded {
    shipment: Shipment,
    reference: Option<String>,
}

fn load(conn: &mut DbConnection, actor: &Actor, id: Uuid) -> Result<Option<Loaded>, AppError> {
    let visibility = policy::visibility(actor, RecordKind::Shipment);
    let Some(row) = records::find_visible(conn, RecordKind::Shipment, id, &visibility)? else {
        return Ok(None);
    };
    let input: ShipmentInput = serde_json::from_str(&row.body).map_err(AppError::internal)?;
    Ok(Shipment::validate(&input).ok().map(|shipment| Loaded {
        shipment,
        reference: row.reference,
    }))
}

fn party_names(
    conn: &mut DbConnection,
    actor: &Actor,
    shipment: &Shipment,
    role: PartyRole,
) -> Result<Vec<(Uuid, String)>, AppError> {
    let visibility = policy::visibility(actor, RecordKind::Party);
    let mut names = Vec::new();
    for (id, _) in shipment.parties.iter().filter(|(_, r)| *r == role) {
        if let Some(row) = records::find_visible(conn, RecordKind::Party, *id, &visibility)? {
            let body: serde_json::Value =
                serde_json::from_str(&row.body).map_err(AppError::internal)?;
            names.push((*id, body["name"].as_str().unwrap_or_default().to_owned()));
        }
    }
    Ok(names)
}

/// Every suggestion for `id`, not yet decided and not already linked.
fn suggestions(
    conn: &mut DbConnection,
    actor: &Actor,
    id: Uuid,
    window: chrono::Duration,
) -> Result<Vec<Suggestion>, AppError> {
    let Some(me) = load(conn, actor, id)? else {
        return Err(AppError::NotFound);
    };
    // One entry per candidate, with all its reasons; the direction is the
    // one its strongest evidence gives.
    let mut found: BTreeMap<Uuid, Candidate> = BTreeMap::new();
    let mut add = |from: Uuid, to: Uuid, evidence: Evidence, reason: String| {
        let other = if from == id { to } else { from };
        let entry = found.entry(other).or_insert_with(|| Candidate {
            from,
            to,
            evidence: Vec::new(),
            reasons: Vec::new(),
        });
        if entry.evidence.iter().all(|e| *e > evidence) {
            (entry.from, entry.to) = (from, to);
        }
        if !entry.reasons.contains(&reason) {
            entry.evidence.push(evidence);
            entry.reasons.push(reason);
        }
    };

    // Shared identifiers: earlier shipment first.
    let my_time = me.shipment.shipped_at();
    let equipment = policy::visibility(actor, RecordKind::Equipment);
    for (other, kind, value) in chains::sharing_identifiers(conn, id, &equipment, PER_REASON)? {
        let Some(them) = load(conn, actor, other)? else {
            continue;
        };
        let (from, to) = if them.shipment.shipped_at() < my_time {
            (other, id)
        } else {
            (id, other)
        };
        add(
            from,
            to,
            Evidence::SharedIdentifier,
            format!("Both carry the {} {value}.", kind.replace('_', " ")),
        );
    }

    // The consignee of one is the consignor of the other.
    for (mine, other_role, forward) in [
        (PartyRole::Consignee, PartyRole::Consignor, true),
        (PartyRole::Consignor, PartyRole::Consignee, false),
    ] {
        for (party, name) in party_names(conn, actor, &me.shipment, mine)? {
            // The party, those judged the same actor, and those the
            // matcher takes for it.
            let parties = crate::party_matching::same_actor(conn, actor, party)?;
            for other in chains::naming_parties(conn, &parties, other_role.as_str(), PER_REASON)? {
                if other == id || load(conn, actor, other)?.is_none() {
                    continue;
                }
                let reason = format!(
                    "{name} is the {} of one and the {} of the other.",
                    mine.as_str(),
                    other_role.as_str()
                );
                if forward {
                    add(id, other, Evidence::PartyHandover, reason);
                } else {
                    add(other, id, Evidence::PartyHandover, reason);
                }
            }
        }
    }

    // It departs from where this one arrived, soon after.
    if let (Some(last), Some(arrived)) = (
        me.shipment.legs.last(),
        me.shipment
            .legs
            .last()
            .and_then(|l| l.arrival_at.or(l.departure_at)),
    ) {
        let from: NaiveDateTime = arrived.naive_utc();
        for other in chains::departing(
            conn,
            last.to.country.as_str(),
            from,
            from + window,
            PER_REASON,
        )? {
            if other == id {
                continue;
            }
            let Some(them) = load(conn, actor, other)? else {
                continue;
            };
            let Some(first) = them.shipment.legs.first() else {
                continue;
            };
            let same_city = match (&last.to.city, &first.from.city) {
                (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                _ => true,
            };
            if same_city {
                let days = them
                    .shipment
                    .shipped_at()
                    .map(|t| (t - arrived).num_days())
                    .unwrap_or(0);
                let place = last
                    .to
                    .city
                    .clone()
                    .unwrap_or_else(|| last.to.country.to_string());
                let when = match days {
                    0 => "the day".to_owned(),
                    1 => "1 day after".to_owned(),
                    n => format!("{n} days after"),
                };
                add(
                    id,
                    other,
                    Evidence::PlaceAndTime,
                    format!("Departs from {place} {when} this shipment arrived there."),
                );
            }
        }
    }

    let decided = chains::decided_candidates(conn, id)?;
    let linked: Vec<(Uuid, Uuid)> = chains::links_of(conn, id)?
        .into_iter()
        .filter(|l| l.withdrawn_at.is_none())
        .map(|l| (l.from_shipment_id.0, l.to_shipment_id.0))
        .collect();
    let mut list = Vec::new();
    for (other, c) in found {
        let linked_already = linked
            .iter()
            .any(|(a, b)| (*a == c.from && *b == c.to) || (*a == c.to && *b == c.from));
        if decided.contains(&other) || linked_already {
            continue;
        }
        let Some(them) = load(conn, actor, other)? else {
            continue;
        };
        list.push(Suggestion {
            from: c.from,
            to: c.to,
            candidate: other,
            candidate_reference: them.reference,
            candidate_route: route(&them.shipment),
            candidate_departure: them.shipment.shipped_at(),
            candidate_arrival: them
                .shipment
                .legs
                .last()
                .and_then(|l| l.arrival_at.or(l.departure_at)),
            score: evidence_score(&c.evidence),
            reasons: c.reasons,
        });
    }
    // Strongest evidence first; then more reasons; then the nearest in time.
    let near = |s: &Suggestion| match (s.candidate_departure, my_time) {
        (Some(a), Some(b)) => (a - b).num_seconds().unsigned_abs(),
        _ => u64::MAX,
    };
    list.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then(b.reasons.len().cmp(&a.reasons.len()))
            .then(near(a).cmp(&near(b)))
            .then(a.candidate.cmp(&b.candidate))
    });
    Ok(list)
}

/// Proposed links for a shipment, each with its reasons.
pub async fn list(ctx: &Ctx, id: Uuid) -> Result<Vec<Suggestion>, AppError> {
    let actor = ctx.actor()?.clone();
    let window = ctx.app.config.suggestion_window;
    let found = ctx
        .app
        .db
        .run(move |conn| {
            shipment_for(conn, &actor, id, RecordAction::Link)?;
            suggestions(conn, &actor, id, window)
        })
        .await;
    ctx.audited(
        ctx.event_on(AuditAction::LinkSuggestions, "shipment", id),
        found,
    )
    .await
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuggestionDecision {
    /// `accept` (links the two) or `reject` (never proposed again).
    #[schema(value_type = interdict_domain::chain::SuggestionVerdict)]
    pub decision: String,
    /// With `accept`: the relation, `transshipment` by default.
    #[schema(value_type = Option<interdict_domain::chain::LinkRelation>)]
    pub relation: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SuggestionOutcome {
    #[schema(value_type = interdict_domain::chain::SuggestionResult)]
    pub decision: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<LinkView>,
}

/// Accepts or rejects the suggestion linking a shipment and a candidate.
pub async fn decide(
    ctx: &Ctx,
    id: Uuid,
    candidate: Uuid,
    request: &SuggestionDecision,
) -> Result<SuggestionOutcome, AppError> {
    let mut event = ctx.event_on(AuditAction::LinkSuggestion, "shipment", id);
    event.detail = Some(
        serde_json::json!({ "candidate": candidate, "decision": request.decision }).to_string(),
    );
    let mut errors = ValidationErrors::new();
    let accept = match request.decision.parse::<SuggestionVerdict>() {
        Ok(SuggestionVerdict::Accept) => Some(true),
        Ok(SuggestionVerdict::Reject) => Some(false),
        Err(_) => {
            errors.add("decision", "must be accept or reject");
            None
        }
    };
    let relation = errors.check(
        "relation",
        pick::<LinkRelation>(request.relation.as_deref().unwrap_or("transshipment")),
    );
    let (Some(accept), Some(relation)) = (accept, relation) else {
        return ctx.reject(event, errors.into()).await;
    };
    let actor = ctx.actor()?.clone();
    let config = ctx.app.config.clone();
    let link = ctx
        .app
        .audit
        .perform(event, move |conn, context| {
            shipment_for(conn, &actor, id, RecordAction::Link)?;
            let suggestion = suggestions(conn, &actor, id, config.suggestion_window)?
                .into_iter()
                .find(|s| s.candidate == candidate)
                .ok_or(AppError::NotFound)?;
            let link = if accept {
                let evidence = format!("Accepted suggestion: {}", suggestion.reasons.join(" "));
                Some(links::insert(
                    conn,
                    context,
                    &actor,
                    &config,
                    suggestion.from,
                    suggestion.to,
                    relation,
                    evidence,
                )?)
            } else {
                None
            };
            let decision = if accept { "accepted" } else { "rejected" };
            chains::decide_suggestion(conn, id, candidate, decision, actor.user_id)?;
            Ok::<_, AppError>(link)
        })
        .await?;
    Ok(SuggestionOutcome {
        decision: if link.is_some() {
            SuggestionResult::Accepted
        } else {
            SuggestionResult::Rejected
        }
        .as_str()
        .into(),
        link: link.map(LinkView::from),
    })
}
