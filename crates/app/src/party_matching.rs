//! Party resolution: the parties that may be the same actor as one on
//! file, ranked with the signals behind each score, and investigators'
//! judgements on them.
//!
//! Candidates come from the blocking index (`persistence::party_matching`),
//! never a scan, and are scored by `domain::matching`. What the caller
//! learns of each is `policy::match_sight`'s: the candidate itself, or for
//! a strong match they may not see, a notice naming only the agency that
//! holds it. Parties judged `same` form a profile: its names, aliases and
//! identifiers are the union of its members', and chains, link suggestions
//! and chain search by party follow it. A pair judged `different` is never
//! proposed again.

use chrono::{DateTime, Utc};
use interdict_domain::audit::AuditAction;
use interdict_domain::matching::{
    compare, facts_of, party_keys, Judgement, PartyFacts, Profile, Signal, TokenStats,
    MATCH_THRESHOLD,
};
use interdict_domain::party::{Party, PartyInput};
use interdict_domain::policy::{self, Actor, MatchSight};
use interdict_domain::record::RecordKind;
use interdict_domain::validation::bounded_text;
use interdict_domain::ValidationErrors;
use interdict_persistence::party_matching as store;
use interdict_persistence::records::{self, RecordRow};
use interdict_persistence::{agencies, DbConnection};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::context::Ctx;
use crate::deconfliction::ContactView;
use crate::error::AppError;
use crate::utc;

/// A hidden candidate at or above this score yields a notice naming its
/// agency; below it, nothing (a weak match says too little to call about).
pub const NOTICE_THRESHOLD: f32 = 0.9;
/// A key filed under more parties than this is too common to block on.
const POSTINGS_PER_KEY: i64 = 500;
/// Candidates scored per request, most keys shared first.
const CANDIDATES: usize = 200;
/// Members of one profile followed at most.
const PROFILE_CAP: usize = 50;
/// Matches listed at most.
const LISTED: usize = 50;

/// A party that may be the same actor.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MatchView {
    pub party_id: Uuid,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// In [0, 1]; at or above 0.8 the product calls it the same actor.
    pub score: f32,
    /// Why, each a fact a person can check ("name tokens 3/3").
    #[schema(value_type = Vec<Object>)]
    pub signals: Vec<Signal>,
    /// A judgement already made on the pair (`unsure`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<interdict_domain::matching::Judgement>)]
    pub judgement: Option<String>,
}

/// A strong match on a record the caller may not see: whom to call.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MatchNotice {
    pub other_agency: ContactView,
}

/// A party judged the same actor as this one.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProfileMember {
    pub party_id: Uuid,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MatchesView {
    pub party_id: Uuid,
    /// The other parties judged the same actor (those the caller may see).
    pub profile: Vec<ProfileMember>,
    /// Candidates, best first.
    pub matches: Vec<MatchView>,
    /// Agencies holding a strong match the caller may not see.
    pub notices: Vec<MatchNotice>,
}

fn party_of(row: &RecordRow) -> Option<Party> {
    let input: PartyInput = serde_json::from_str(&row.body).ok()?;
    Party::validate(&input).ok()
}

fn meta(row: &RecordRow) -> Result<policy::RecordMeta, AppError> {
    Ok(row.meta()?)
}

/// The union of parties' facts: all their names, countries and
/// identifiers.
fn union(parties: &[&Party]) -> PartyFacts {
    let mut facts = PartyFacts::default();
    for party in parties {
        let f = facts_of(party);
        facts.kind = facts.kind.or(f.kind);
        facts.names.extend(f.names);
        for country in f.countries {
            if !facts.countries.contains(&country) {
                facts.countries.push(country);
            }
        }
        facts.phones.extend(f.phones);
        facts.emails.extend(f.emails);
        facts.registration_numbers.extend(f.registration_numbers);
        facts.addresses.extend(f.addresses);
    }
    facts
}

/// A party's profile as the actor may see it: the party first, then the
/// visible members judged the same.
pub(crate) struct SeenProfile {
    pub members: Vec<(Uuid, Party)>,
    /// Every member, seen or not: none of them is a candidate.
    pub all: Vec<Uuid>,
}

/// The profile of `id`, which the caller must see (404 otherwise).
pub(crate) fn profile_of(
    conn: &mut DbConnection,
    actor: &Actor,
    id: Uuid,
) -> Result<SeenProfile, AppError> {
    let visibility = policy::visibility(actor, RecordKind::Party);
    let row = records::find_visible(conn, RecordKind::Party, id, &visibility)?
        .ok_or(AppError::NotFound)?;
    let party = party_of(&row).ok_or_else(|| AppError::internal("unreadable party"))?;
    let all = store::profile(conn, id, PROFILE_CAP)?;
    let mut members = vec![(id, party)];
    let others: Vec<Uuid> = all.iter().copied().filter(|m| *m != id).collect();
    for row in store::parties(conn, &others)? {
        if policy::can_see(actor, &meta(&row)?) {
            if let Some(p) = party_of(&row) {
                members.push((row.id.0, p));
            }
        }
    }
    Ok(SeenProfile { members, all })
}

/// Ids of the profile's members the caller may see.
pub(crate) fn visible_profile(
    conn: &mut DbConnection,
    actor: &Actor,
    id: Uuid,
) -> Result<Vec<Uuid>, AppError> {
    Ok(profile_of(conn, actor, id)?
        .members
        .into_iter()
        .map(|(id, _)| id)
        .collect())
}

struct Scored {
    row: RecordRow,
    party: Party,
    score: f32,
    signals: Vec<Signal>,
    judgement: Option<String>,
}

/// Candidates for the profile, scored, judged-different pairs left out.
fn scored(conn: &mut DbConnection, profile: &SeenProfile) -> Result<Vec<Scored>, AppError> {
    let parties: Vec<&Party> = profile.members.iter().map(|(_, p)| p).collect();
    let facts = union(&parties);
    let keys = party_keys(&facts);
    let found = store::candidates(conn, &keys, &profile.all, POSTINGS_PER_KEY, CANDIDATES)?;
    let ids: Vec<Uuid> = found.iter().map(|(id, _)| *id).collect();
    let mut judged: BTreeMap<Uuid, String> = BTreeMap::new();
    for row in store::judgements_of(conn, &profile.all)? {
        for member in &profile.all {
            if row.party_a.0 == *member || row.party_b.0 == *member {
                let other = row.other(*member);
                // A `different` anywhere in the profile rules the pair out.
                if judged.get(&other).map(String::as_str) != Some("different") {
                    judged.insert(other, row.decision.clone());
                }
            }
        }
    }
    let stats = TokenStats::default();
    let mine = Profile::new(&facts, &stats);
    let mut scored = Vec::new();
    for row in store::parties(conn, &ids)? {
        if row.withdrawn_at.is_some() {
            continue;
        }
        let judgement = judged.get(&row.id.0).cloned();
        if matches!(judgement.as_deref(), Some("different" | "same")) {
            continue;
        }
        let Some(party) = party_of(&row) else {
            continue;
        };
        let outcome = compare(&mine, &Profile::from_party(&party, &stats));
        if outcome.score < MATCH_THRESHOLD {
            continue;
        }
        scored.push(Scored {
            row,
            party,
            score: outcome.score,
            signals: outcome.signals,
            judgement,
        });
    }
    scored.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.row.id.cmp(&b.row.id)));
    Ok(scored)
}

/// Parties the actor may see that match `id`'s profile (the profile's
/// visible members included): what link suggestions and the shipment
/// form follow instead of exact names.
pub(crate) fn same_actor(
    conn: &mut DbConnection,
    actor: &Actor,
    id: Uuid,
) -> Result<Vec<Uuid>, AppError> {
    let profile = profile_of(conn, actor, id)?;
    let mut ids: Vec<Uuid> = profile.members.iter().map(|(id, _)| *id).collect();
    for candidate in scored(conn, &profile)? {
        if policy::can_see(actor, &meta(&candidate.row)?) {
            ids.push(candidate.row.id.0);
        }
    }
    Ok(ids)
}

/// [`matches`] on a connection, without the audit entry: what the bench times.
pub fn matches_in(
    conn: &mut DbConnection,
    actor: &Actor,
    id: Uuid,
) -> Result<MatchesView, AppError> {
    let profile = profile_of(conn, actor, id)?;
    let mut matches = Vec::new();
    let mut agencies_to_name = BTreeSet::new();
    for candidate in scored(conn, &profile)? {
        let strong = candidate.score >= NOTICE_THRESHOLD;
        match policy::match_sight(actor, &meta(&candidate.row)?, strong) {
            MatchSight::Shown => {
                if matches.len() < LISTED {
                    matches.push(MatchView {
                        party_id: candidate.row.id.0,
                        name: candidate.party.name.clone(),
                        country: candidate.party.country().map(|c| c.to_string()),
                        score: (candidate.score * 1000.0).round() / 1000.0,
                        signals: candidate.signals,
                        judgement: candidate.judgement,
                    });
                }
            }
            MatchSight::Notice => {
                agencies_to_name.insert(candidate.row.owner_agency_id.0);
            }
            MatchSight::Hidden => {}
        }
    }
    let mut notices = Vec::new();
    for agency in agencies_to_name {
        if let Some(a) = agencies::find(conn, agency)? {
            notices.push(MatchNotice {
                other_agency: ContactView {
                    id: a.id.0,
                    name: a.name,
                    ori: a.ori,
                    contact: a.contact,
                },
            });
        }
    }
    Ok(MatchesView {
        party_id: id,
        profile: profile
            .members
            .into_iter()
            .skip(1)
            .map(|(party_id, p)| ProfileMember {
                party_id,
                name: p.name,
            })
            .collect(),
        matches,
        notices,
    })
}

/// The parties that may be the same actor as `id`, best first.
pub async fn matches(ctx: &Ctx, id: Uuid) -> Result<MatchesView, AppError> {
    let actor = ctx.actor()?.clone();
    let found = ctx
        .app
        .db
        .run(move |conn| matches_in(conn, &actor, id))
        .await;
    let mut event = ctx.event_on(AuditAction::PartyMatches, "party", id);
    if let Ok(view) = &found {
        event.detail = Some(
            serde_json::json!({
                "matches": view.matches.len(),
                "notices": view.notices.len(),
            })
            .to_string(),
        );
    }
    ctx.audited(event, found).await
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "other_id": "01934f2e-7c1a-7d3e-9a4b-2f6c8e0d1a2f", "decision": "same", "note": "Same registration number and phone" }))]
pub struct JudgementRequest {
    /// The other party.
    pub other_id: Uuid,
    /// `same`, `different` or `unsure`.
    #[schema(value_type = interdict_domain::matching::Judgement, example = "same")]
    pub decision: String,
    /// Why.
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JudgementView {
    pub party_id: Uuid,
    pub other_id: Uuid,
    #[schema(value_type = interdict_domain::matching::Judgement)]
    pub decision: String,
    pub note: String,
    pub judged_by: Uuid,
    pub judged_at: DateTime<Utc>,
}

/// Judges whether `id` and `request.other_id` are the same actor.
pub async fn judge(
    ctx: &Ctx,
    id: Uuid,
    request: JudgementRequest,
) -> Result<JudgementView, AppError> {
    let mut event = ctx.event_on(AuditAction::PartyJudgement, "party", id);
    event.detail = Some(
        serde_json::json!({ "other_id": request.other_id, "decision": request.decision })
            .to_string(),
    );
    let mut errors = ValidationErrors::new();
    if request.decision.parse::<Judgement>().is_err() {
        errors.add("decision", "must be same, different or unsure");
    }
    if request.other_id == id {
        errors.add("other_id", "must be another party");
    }
    let note = if request.note.trim().is_empty() {
        Some(String::new())
    } else {
        errors.check("note", bounded_text(&request.note, 2000))
    };
    let Some(note) = note.filter(|_| errors.is_empty()) else {
        return ctx.reject(event, errors.into()).await;
    };
    let actor = ctx.actor()?.clone();
    let other = request.other_id;
    let decision = request.decision.clone();
    let at = interdict_persistence::now();
    ctx.app
        .audit
        .perform(event, move |conn, _context| {
            let rows = store::parties(conn, &[id, other])?;
            let find = |wanted: Uuid| rows.iter().find(|r| r.id.0 == wanted);
            let (Some(mine), Some(theirs)) = (find(id), find(other)) else {
                return Err(AppError::NotFound);
            };
            AppError::from_decision(policy::decide_party_judgement(
                &actor,
                &mine.meta()?,
                &theirs.meta()?,
            ))?;
            store::judge(conn, id, other, &decision, &note, actor.user_id, at)?;
            Ok::<_, AppError>(JudgementView {
                party_id: id,
                other_id: other,
                decision,
                note,
                judged_by: actor.user_id,
                judged_at: utc(at),
            })
        })
        .await
}

/// How sure the matcher must be before the shipment form takes a party
/// typed on it for one the agency has on file, with no one to check.
pub const REUSE_THRESHOLD: f32 = 0.9;

/// The agency's own live party that a party about to be written (its
/// canonical document, `body`) names, if the matcher is sure of one: same
/// kind, same country (or none on either), score at or above
/// [`REUSE_THRESHOLD`]; the best, then the earliest recorded.
pub(crate) fn on_file(
    conn: &mut DbConnection,
    actor: &Actor,
    body: &str,
) -> Result<Option<Uuid>, AppError> {
    let Some(party) = serde_json::from_str::<PartyInput>(body)
        .ok()
        .and_then(|input| Party::validate(&input).ok())
    else {
        return Ok(None);
    };
    let facts = facts_of(&party);
    let found = store::candidates(conn, &party_keys(&facts), &[], POSTINGS_PER_KEY, CANDIDATES)?;
    let ids: Vec<Uuid> = found.iter().map(|(id, _)| *id).collect();
    let stats = TokenStats::default();
    let mine = Profile::new(&facts, &stats);
    let mut best: Option<(f32, chrono::NaiveDateTime, Uuid)> = None;
    for row in store::parties(conn, &ids)? {
        if row.owner_agency_id.0 != actor.agency_id || row.withdrawn_at.is_some() {
            continue;
        }
        let Some(theirs) = party_of(&row) else {
            continue;
        };
        if theirs.kind != party.kind || theirs.country() != party.country() {
            continue;
        }
        let score = compare(&mine, &Profile::from_party(&theirs, &stats)).score;
        if score < REUSE_THRESHOLD {
            continue;
        }
        let better = best.is_none_or(|(s, at, _)| score > s || (score == s && row.created_at < at));
        if better {
            best = Some((score, row.created_at, row.id.0));
        }
    }
    Ok(best.map(|(_, _, id)| id))
}

/// Files parties recorded before the blocking index existed, a batch at
/// a time; returns how many were filed. Run at start-up; idempotent, and
/// safe when two instances run it at once (a party filed twice is a
/// conflict on the primary key, which leaves it filed).
pub fn backfill(conn: &mut DbConnection) -> Result<usize, AppError> {
    let mut filed = 0;
    let mut after = None;
    loop {
        let batch = store::unfiled(conn, after, 500)?;
        let Some((last, _)) = batch.last() else {
            return Ok(filed);
        };
        after = Some(*last);
        let keyed: Vec<(Uuid, Vec<String>)> = batch
            .iter()
            .filter_map(|(id, body)| {
                let input: PartyInput = serde_json::from_str(body).ok()?;
                let party = Party::validate(&input).ok()?;
                Some((*id, party_keys(&facts_of(&party))))
            })
            .filter(|(_, keys)| !keys.is_empty())
            .collect();
        filed += keyed.len();
        match store::file(conn, &keyed) {
            Ok(()) | Err(interdict_persistence::Error::Conflict { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
}
