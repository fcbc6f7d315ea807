//! The access policy: the one place that decides who may do what.
//!
//! Handlers ask [`decide_record`] and friends before acting, and
//! repositories turn [`record_visibility`], [`user_directory`] and
//! [`audit_scope`] into SQL `WHERE` clauses, so a list can never contain a
//! row the caller could not fetch one by one.
//!
//! Two outcomes deny: [`Decision::NotFound`] when the caller may not even
//! know the object exists, and [`Decision::Forbidden`] when the object is
//! visible (or the action has no object) but the role may not take it.

use uuid::Uuid;

use crate::record::RecordKind;
use crate::sharing::Scope;
use crate::user::Role;

/// The authenticated caller, as the policy sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Uuid,
    pub agency_id: Uuid,
    pub role: Role,
    /// Task forces the caller's agency belongs to.
    pub task_forces: Vec<Uuid>,
    /// Whether the caller belongs to the system agency that operates this
    /// installation (its admin manages agencies; its auditors oversee the
    /// whole audit trail).
    pub system_agency: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Forbidden,
    NotFound,
}

impl Decision {
    pub fn is_allowed(self) -> bool {
        self == Decision::Allow
    }
}

/// Ownership and sharing of a record (shipment, party, equipment, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordMeta {
    pub owner_agency: Uuid,
    pub scope: Scope,
    pub withdrawn: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordAction {
    Read,
    Update,
    ChangeScope,
    Withdraw,
    Link,
    Flag,
    Review,
    Export,
}

impl RecordAction {
    pub const ALL: [RecordAction; 8] = [
        Self::Read,
        Self::Update,
        Self::ChangeScope,
        Self::Withdraw,
        Self::Link,
        Self::Flag,
        Self::Review,
        Self::Export,
    ];
}

/// Which records a caller can see, in a form repositories turn into SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visibility {
    Nothing,
    /// Every record of the kind (the shared chemical catalogue).
    Everything {
        include_withdrawn: bool,
    },
    /// Records owned by `agency_id`, shared with `all`, or shared with one of
    /// `task_forces`; withdrawn ones only when `include_withdrawn`.
    Scoped {
        agency_id: Uuid,
        task_forces: Vec<Uuid>,
        include_withdrawn: bool,
    },
}

pub fn record_visibility(actor: &Actor) -> Visibility {
    match actor.role {
        // Administrators manage accounts, not cases.
        Role::Admin => Visibility::Nothing,
        role => Visibility::Scoped {
            agency_id: actor.agency_id,
            task_forces: actor.task_forces.clone(),
            // Withdrawn records stay answerable to oversight.
            include_withdrawn: role == Role::Auditor,
        },
    }
}

/// Which records of `kind` a caller can see. The chemical catalogue is
/// reference data every role reads, administrators included.
pub fn visibility(actor: &Actor, kind: RecordKind) -> Visibility {
    match kind {
        RecordKind::Chemical => Visibility::Everything {
            include_withdrawn: matches!(actor.role, Role::Admin | Role::Auditor),
        },
        _ => record_visibility(actor),
    }
}

pub fn can_see(actor: &Actor, record: &RecordMeta) -> bool {
    can_see_in(record_visibility(actor), record)
}

fn can_see_in(visibility: Visibility, record: &RecordMeta) -> bool {
    match visibility {
        Visibility::Nothing => false,
        Visibility::Everything { include_withdrawn } => include_withdrawn || !record.withdrawn,
        Visibility::Scoped {
            agency_id,
            task_forces,
            include_withdrawn,
        } => {
            if record.withdrawn && !include_withdrawn {
                return false;
            }
            record.owner_agency == agency_id
                || match record.scope {
                    Scope::Agency => false,
                    Scope::All => true,
                    Scope::TaskForce(tf) => task_forces.contains(&tf),
                }
        }
    }
}

pub fn decide_record(actor: &Actor, action: RecordAction, record: &RecordMeta) -> Decision {
    if !can_see(actor, record) {
        return Decision::NotFound;
    }
    let own = record.owner_agency == actor.agency_id;
    let allowed = match (actor.role, action) {
        (_, RecordAction::Read) => true,
        (Role::Auditor, RecordAction::Export) => true,
        (Role::Investigator | Role::Supervisor, RecordAction::Export) => true,
        (Role::Investigator | Role::Supervisor, RecordAction::Link | RecordAction::Flag) => true,
        (
            Role::Investigator | Role::Supervisor,
            RecordAction::Update | RecordAction::ChangeScope | RecordAction::Withdraw,
        ) => own,
        // The owner's supervisors review, and so do those of task forces the
        // record is shared with.
        (Role::Supervisor, RecordAction::Review) => {
            own || matches!(record.scope, Scope::TaskForce(tf) if actor.task_forces.contains(&tf))
        }
        _ => false,
    };
    if allowed {
        Decision::Allow
    } else {
        Decision::Forbidden
    }
}

/// Any action on a record of `kind`. Catalogue entries are read by all and
/// changed by administrators; they are always shared with everyone.
pub fn decide(
    actor: &Actor,
    kind: RecordKind,
    action: RecordAction,
    record: &RecordMeta,
) -> Decision {
    if kind != RecordKind::Chemical {
        return decide_record(actor, action, record);
    }
    if !can_see_in(visibility(actor, kind), record) {
        return Decision::NotFound;
    }
    let allowed = match action {
        RecordAction::Read | RecordAction::Export => true,
        RecordAction::Update | RecordAction::Withdraw => actor.role == Role::Admin,
        RecordAction::ChangeScope
        | RecordAction::Link
        | RecordAction::Flag
        | RecordAction::Review => false,
    };
    if allowed {
        Decision::Allow
    } else {
        Decision::Forbidden
    }
}

/// Creating a record of `kind`.
pub fn decide_create(actor: &Actor, kind: RecordKind) -> Decision {
    match kind {
        RecordKind::Chemical if actor.role == Role::Admin => Decision::Allow,
        RecordKind::Chemical => Decision::Forbidden,
        _ => decide_create_record(actor),
    }
}

/// Creating a record: investigators and supervisors, for their own agency.
pub fn decide_create_record(actor: &Actor) -> Decision {
    match actor.role {
        Role::Investigator | Role::Supervisor => Decision::Allow,
        Role::Auditor | Role::Admin => Decision::Forbidden,
    }
}

/// An import's progress and rejections: the agency that imported, except
/// its administrators (who see no record content); to anyone else it does
/// not exist.
pub fn decide_import(actor: &Actor, import_agency: Uuid) -> Decision {
    if actor.agency_id == import_agency && actor.role != Role::Admin {
        Decision::Allow
    } else {
        Decision::NotFound
    }
}

/// Deconfliction notices name the caller's own records: only roles that
/// see record content read them.
pub fn decide_deconfliction(actor: &Actor) -> Decision {
    match record_visibility(actor) {
        Visibility::Nothing => Decision::Forbidden,
        _ => Decision::Allow,
    }
}

mod admin;
#[cfg(test)]
mod tests;
mod work;

pub use admin::*;
pub use work::*;
