//! Decisions about the work on records beyond reading and writing one:
//! sharing, who owns what, withdrawing links, exporting reports, the review
//! queue and who may be assigned a flag.

use uuid::Uuid;

use super::{decide_create_record, decide_record, Actor, Decision, RecordAction, RecordMeta};
use crate::record::RecordKind;
use crate::sharing::Scope;
use crate::user::Role;

/// The scope a new record gets when its writer names none: the catalogue
/// is shared with everyone, everything else stays with its agency.
pub fn default_scope(kind: RecordKind) -> Scope {
    match kind {
        RecordKind::Chemical => Scope::All,
        _ => Scope::Agency,
    }
}

/// Whether a record may be shared as asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sharing {
    Allowed,
    /// The catalogue is reference data: always shared with every agency.
    CatalogueIsPublic,
    /// Only a task force the owner agency belongs to.
    NotInTaskForce,
}

impl Sharing {
    /// Why the sharing was refused, for the `scope` field.
    pub fn refusal(self) -> Option<&'static str> {
        match self {
            Sharing::Allowed => None,
            Sharing::CatalogueIsPublic => Some("the catalogue is always shared with all agencies"),
            Sharing::NotInTaskForce => Some("your agency is not a member of this task force"),
        }
    }
}

/// Whether `actor` may share a record of `kind` with `scope`.
pub fn decide_sharing(actor: &Actor, kind: RecordKind, scope: Scope) -> Sharing {
    match (kind, scope) {
        (RecordKind::Chemical, Scope::All) => Sharing::Allowed,
        (RecordKind::Chemical, _) => Sharing::CatalogueIsPublic,
        (_, Scope::TaskForce(tf)) if !actor.task_forces.contains(&tf) => Sharing::NotInTaskForce,
        _ => Sharing::Allowed,
    }
}

/// Which agency a new record belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// The writer's agency.
    Agency(Uuid),
    /// The system agency that operates the installation: catalogue entries
    /// belong to no one agency.
    System,
}

pub fn record_owner(actor: &Actor, kind: RecordKind) -> Owner {
    match kind {
        RecordKind::Chemical => Owner::System,
        _ => Owner::Agency(actor.agency_id),
    }
}

/// Withdrawing a link the caller can see (one of its ends is visible to
/// them): only the agency that made it, and only a role that records.
pub fn decide_link_withdrawal(actor: &Actor, link_owner: Uuid) -> Decision {
    if link_owner == actor.agency_id && decide_create_record(actor) == Decision::Allow {
        Decision::Allow
    } else {
        Decision::Forbidden
    }
}

/// The reports that can be exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Report {
    Shipments,
    Links,
    Flags,
    Audit,
    /// The oversight PDF.
    Summary,
}

impl Report {
    pub const ALL: [Report; 5] = [
        Self::Shipments,
        Self::Links,
        Self::Flags,
        Self::Audit,
        Self::Summary,
    ];
}

/// Running a report. The record reports hold what the caller can see, so
/// a role that may export a record it sees (`RecordAction::Export`) may run
/// them; the audit reports are for those who search the audit trail.
pub fn decide_export(actor: &Actor, report: Report) -> Decision {
    match report {
        Report::Shipments | Report::Links | Report::Flags => {
            let own = RecordMeta {
                owner_agency: actor.agency_id,
                scope: Scope::Agency,
                withdrawn: false,
            };
            match decide_record(actor, RecordAction::Export, &own) {
                Decision::Allow => Decision::Allow,
                _ => Decision::Forbidden,
            }
        }
        Report::Audit | Report::Summary => super::decide_audit_search(actor),
    }
}

/// The review queue is the supervisors'.
pub fn decide_review_queue(actor: &Actor) -> Decision {
    match actor.role {
        Role::Supervisor => Decision::Allow,
        _ => Decision::Forbidden,
    }
}

/// Raising a second, separate flag on a chain that already has an open
/// one is a supervisor's choice; anyone else's reason joins the open flag.
pub fn decide_separate_flag(actor: &Actor) -> Decision {
    match actor.role {
        Role::Supervisor => Decision::Allow,
        _ => Decision::Forbidden,
    }
}

/// The directory of the agency's supervisors, to assign a flag to one of
/// them, is for the supervisors who assign.
pub fn decide_reviewer_directory(actor: &Actor) -> Decision {
    match actor.role {
        Role::Supervisor => Decision::Allow,
        _ => Decision::Forbidden,
    }
}

/// An account as a candidate to be assigned a flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reviewer {
    pub role: Role,
    pub agency: Uuid,
    pub active: bool,
}

/// Whether `candidate` may be assigned a flag of `flag_agency`: an active
/// supervisor of that agency.
pub fn may_review(candidate: &Reviewer, flag_agency: Uuid) -> bool {
    candidate.active && candidate.role == Role::Supervisor && candidate.agency == flag_agency
}

/// Whether an administrator may make a change to `target`'s account: no
/// one disables or demotes their own account (another administrator must),
/// so an agency is never left without one by accident.
pub fn allows_account_change(
    actor: &Actor,
    target: Uuid,
    new_role: Option<Role>,
    active: Option<bool>,
) -> bool {
    let demotes = new_role.is_some_and(|role| role != Role::Admin);
    !(target == actor.user_id && (active == Some(false) || demotes))
}

/// How much of a flag a caller sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagSight {
    /// The flag and its shipment: the shipment is visible to the caller.
    Full,
    /// The flag was escalated to the caller's agency, whose supervisors
    /// see the flag (reason, score, indicator codes, history) but its
    /// chain only as far as sharing allows.
    Escalated,
    /// Nothing: the flag does not exist for the caller.
    NotFound,
}

/// What `actor` sees of a flag on `shipment`, escalated to `escalated_to`.
/// A flag is as visible as its shipment; escalating hands the flag itself,
/// not the records under it, to the other agency's supervisors.
pub fn flag_sight(actor: &Actor, shipment: &RecordMeta, escalated_to: Option<Uuid>) -> FlagSight {
    if super::can_see(actor, shipment) {
        FlagSight::Full
    } else if actor.role == Role::Supervisor && escalated_to == Some(actor.agency_id) {
        FlagSight::Escalated
    } else {
        FlagSight::NotFound
    }
}

/// Why an agency cannot be the target of an escalation from a flag of
/// `flag_agency`, if it cannot: escalating goes to another agency that
/// works cases, never back to the owner or to the operator of the system.
pub fn escalation_refusal(
    flag_agency: Uuid,
    target: Uuid,
    target_is_system: bool,
) -> Option<&'static str> {
    if target == flag_agency {
        Some("must be another agency than the flag's")
    } else if target_is_system {
        Some("must be an agency that works cases")
    } else {
        None
    }
}

/// Screening a name against the sanctions list without storing it: the
/// roles that work cases (the list is public; the act is audited).
pub fn decide_screening(actor: &Actor) -> Decision {
    match actor.role {
        Role::Investigator | Role::Supervisor | Role::Auditor => Decision::Allow,
        Role::Admin => Decision::Forbidden,
    }
}

/// Disposing of a party's screening hit as a false positive: supervisors
/// who may see the party; to anyone who may not, the party does not exist.
pub fn decide_hit_disposition(actor: &Actor, party: &RecordMeta) -> Decision {
    match decide_record(actor, RecordAction::Read, party) {
        Decision::Allow if actor.role == Role::Supervisor => Decision::Allow,
        Decision::Allow => Decision::Forbidden,
        other => other,
    }
}

/// Loading a sanctions list: administrators.
pub fn decide_sanctions_load(actor: &Actor) -> Decision {
    match actor.role {
        Role::Admin => Decision::Allow,
        _ => Decision::Forbidden,
    }
}

/// Keeping watchlists: investigators and supervisors.
pub fn decide_watch(actor: &Actor) -> Decision {
    decide_create_record(actor)
}

/// What a caller learns of a party that may be the same actor as one of
/// theirs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchSight {
    /// The candidate itself, with its score and signals.
    Shown,
    /// Only that its holding agency has a record to ask about: the match is
    /// strong and the caller may not see the record.
    Notice,
    /// Nothing at all.
    Hidden,
}

/// A candidate party as the caller may learn of it. A withdrawn record
/// the caller cannot see, or a weak match on one, tells them nothing; a
/// caller who sees no records learns of none.
pub fn match_sight(actor: &Actor, candidate: &RecordMeta, strong: bool) -> MatchSight {
    if super::can_see(actor, candidate) {
        return MatchSight::Shown;
    }
    let sees_records = !matches!(super::record_visibility(actor), super::Visibility::Nothing);
    if strong && sees_records && !candidate.withdrawn && actor.agency_id != candidate.owner_agency {
        MatchSight::Notice
    } else {
        MatchSight::Hidden
    }
}

/// Judging whether two parties are the same actor: whoever may link
/// records (investigators and supervisors) and sees both parties.
pub fn decide_party_judgement(actor: &Actor, party: &RecordMeta, other: &RecordMeta) -> Decision {
    match super::decide_record(actor, RecordAction::Link, party) {
        Decision::Allow => super::decide_record(actor, RecordAction::Link, other),
        refused => refused,
    }
}
