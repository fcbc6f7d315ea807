//! Decisions about accounts, the agency directory and the audit trail.

use uuid::Uuid;

use super::{Actor, Decision};
use crate::user::Role;

/// Which user accounts a caller may administer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserDirectory {
    Nothing,
    Agency(Uuid),
    Everyone,
}

pub fn user_directory(actor: &Actor) -> UserDirectory {
    match actor.role {
        Role::Admin if actor.system_agency => UserDirectory::Everyone,
        Role::Admin => UserDirectory::Agency(actor.agency_id),
        _ => UserDirectory::Nothing,
    }
}

/// Reading, creating or changing a user account of `target_agency`.
pub fn decide_user_admin(actor: &Actor, target_agency: Uuid) -> Decision {
    match user_directory(actor) {
        UserDirectory::Nothing => Decision::Forbidden,
        UserDirectory::Everyone => Decision::Allow,
        UserDirectory::Agency(own) if own == target_agency => Decision::Allow,
        UserDirectory::Agency(_) => Decision::NotFound,
    }
}

/// Recovering an account of `target_agency`: replacing its password,
/// lifting its lockout, resetting its second factor. The account's
/// administrators may, but never on their own account: a stolen session
/// must not become a lasting takeover, so one's own account changes only
/// with the current password (and second factor), through `/me`.
pub fn decide_account_recovery(actor: &Actor, target_agency: Uuid, target_user: Uuid) -> Decision {
    match decide_user_admin(actor, target_agency) {
        Decision::Allow if target_user == actor.user_id => Decision::Forbidden,
        decision => decision,
    }
}

/// Where a second factor can be required.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MfaScope {
    Agency(Uuid),
    Everywhere,
}

/// Requiring a second factor: an agency's administrators for their agency,
/// the system administrator for any agency and for the whole installation.
pub fn decide_mfa_requirement(actor: &Actor, scope: MfaScope) -> Decision {
    match scope {
        MfaScope::Agency(agency) => decide_user_admin(actor, agency),
        MfaScope::Everywhere => decide_directory_admin(actor),
    }
}

/// Creating agencies and task forces and changing task force membership:
/// only the system administrator.
pub fn decide_directory_admin(actor: &Actor) -> Decision {
    if actor.role == Role::Admin && actor.system_agency {
        Decision::Allow
    } else {
        Decision::Forbidden
    }
}

/// Which audit entries a caller may search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditScope {
    Nothing,
    Agency(Uuid),
    Everything,
}

pub fn audit_scope(actor: &Actor) -> AuditScope {
    match actor.role {
        Role::Auditor if actor.system_agency => AuditScope::Everything,
        Role::Auditor => AuditScope::Agency(actor.agency_id),
        _ => AuditScope::Nothing,
    }
}

pub fn decide_audit_search(actor: &Actor) -> Decision {
    match audit_scope(actor) {
        AuditScope::Nothing => Decision::Forbidden,
        _ => Decision::Allow,
    }
}

/// Verifying the hash chain reveals only its integrity and length.
pub fn decide_audit_verify(actor: &Actor) -> Decision {
    match actor.role {
        Role::Auditor | Role::Admin => Decision::Allow,
        _ => Decision::Forbidden,
    }
}
