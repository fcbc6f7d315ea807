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

#[cfg(test)]
mod tests {
    use super::*;

    const OWN: u128 = 1;
    const OTHER: u128 = 2;
    const TF_MEMBER: u128 = 10;
    const TF_ELSEWHERE: u128 = 11;

    fn actor(role: Role) -> Actor {
        Actor {
            user_id: Uuid::from_u128(99),
            agency_id: Uuid::from_u128(OWN),
            role,
            task_forces: vec![Uuid::from_u128(TF_MEMBER)],
            system_agency: false,
        }
    }

    /// The relations a record can have to the caller.
    fn records() -> Vec<(&'static str, RecordMeta)> {
        let meta = |owner: u128, scope| RecordMeta {
            owner_agency: Uuid::from_u128(owner),
            scope,
            withdrawn: false,
        };
        vec![
            ("own/agency", meta(OWN, Scope::Agency)),
            ("own/all", meta(OWN, Scope::All)),
            ("other/agency", meta(OTHER, Scope::Agency)),
            ("other/all", meta(OTHER, Scope::All)),
            (
                "other/tf-member",
                meta(OTHER, Scope::TaskForce(Uuid::from_u128(TF_MEMBER))),
            ),
            (
                "other/tf-elsewhere",
                meta(OTHER, Scope::TaskForce(Uuid::from_u128(TF_ELSEWHERE))),
            ),
        ]
    }

    /// Expected decisions, written out by hand: one row per role and action,
    /// one letter per relation in the order of `records()`.
    /// A = allow, F = forbidden (visible), N = not found (invisible).
    const MATRIX: &[(Role, RecordAction, &str)] = &[
        (Role::Investigator, RecordAction::Read, "AANAAN"),
        (Role::Investigator, RecordAction::Update, "AANFFN"),
        (Role::Investigator, RecordAction::ChangeScope, "AANFFN"),
        (Role::Investigator, RecordAction::Withdraw, "AANFFN"),
        (Role::Investigator, RecordAction::Link, "AANAAN"),
        (Role::Investigator, RecordAction::Flag, "AANAAN"),
        (Role::Investigator, RecordAction::Review, "FFNFFN"),
        (Role::Investigator, RecordAction::Export, "AANAAN"),
        (Role::Supervisor, RecordAction::Read, "AANAAN"),
        (Role::Supervisor, RecordAction::Update, "AANFFN"),
        (Role::Supervisor, RecordAction::ChangeScope, "AANFFN"),
        (Role::Supervisor, RecordAction::Withdraw, "AANFFN"),
        (Role::Supervisor, RecordAction::Link, "AANAAN"),
        (Role::Supervisor, RecordAction::Flag, "AANAAN"),
        (Role::Supervisor, RecordAction::Review, "AANFAN"),
        (Role::Supervisor, RecordAction::Export, "AANAAN"),
        (Role::Auditor, RecordAction::Read, "AANAAN"),
        (Role::Auditor, RecordAction::Update, "FFNFFN"),
        (Role::Auditor, RecordAction::ChangeScope, "FFNFFN"),
        (Role::Auditor, RecordAction::Withdraw, "FFNFFN"),
        (Role::Auditor, RecordAction::Link, "FFNFFN"),
        (Role::Auditor, RecordAction::Flag, "FFNFFN"),
        (Role::Auditor, RecordAction::Review, "FFNFFN"),
        (Role::Auditor, RecordAction::Export, "AANAAN"),
        (Role::Admin, RecordAction::Read, "NNNNNN"),
        (Role::Admin, RecordAction::Update, "NNNNNN"),
        (Role::Admin, RecordAction::ChangeScope, "NNNNNN"),
        (Role::Admin, RecordAction::Withdraw, "NNNNNN"),
        (Role::Admin, RecordAction::Link, "NNNNNN"),
        (Role::Admin, RecordAction::Flag, "NNNNNN"),
        (Role::Admin, RecordAction::Review, "NNNNNN"),
        (Role::Admin, RecordAction::Export, "NNNNNN"),
    ];

    fn letter(decision: Decision) -> char {
        match decision {
            Decision::Allow => 'A',
            Decision::Forbidden => 'F',
            Decision::NotFound => 'N',
        }
    }

    #[test]
    fn record_matrix_covers_every_role_and_action() {
        assert_eq!(MATRIX.len(), Role::ALL.len() * RecordAction::ALL.len());
        for &role in Role::ALL {
            for action in RecordAction::ALL {
                assert!(
                    MATRIX.iter().any(|(r, a, _)| *r == role && *a == action),
                    "{role:?} {action:?} missing from the matrix"
                );
            }
        }
    }

    #[test]
    fn record_decisions_follow_the_matrix() {
        for (role, action, expected) in MATRIX {
            let actor = actor(*role);
            let got: String = records()
                .iter()
                .map(|(_, record)| letter(decide_record(&actor, *action, record)))
                .collect();
            assert_eq!(
                &got,
                expected,
                "{role:?} {action:?} over {:?}",
                records().iter().map(|r| r.0).collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn withdrawn_records_are_visible_to_auditors_only() {
        let withdrawn = RecordMeta {
            owner_agency: Uuid::from_u128(OWN),
            scope: Scope::All,
            withdrawn: true,
        };
        assert!(can_see(&actor(Role::Auditor), &withdrawn));
        for role in [Role::Investigator, Role::Supervisor, Role::Admin] {
            assert!(!can_see(&actor(role), &withdrawn), "{role:?}");
        }
    }

    #[test]
    fn visibility_matches_can_see() {
        // The SQL form and the single-record form must never disagree.
        for &role in Role::ALL {
            let actor = actor(role);
            for (name, record) in records() {
                let by_filter = match record_visibility(&actor) {
                    Visibility::Nothing => false,
                    Visibility::Everything { .. } => true,
                    Visibility::Scoped {
                        agency_id,
                        task_forces,
                        ..
                    } => {
                        record.owner_agency == agency_id
                            || record.scope == Scope::All
                            || matches!(record.scope, Scope::TaskForce(tf) if task_forces.contains(&tf))
                    }
                };
                assert_eq!(by_filter, can_see(&actor, &record), "{role:?} {name}");
            }
        }
    }

    #[test]
    fn the_catalogue_is_read_by_all_and_changed_by_admins() {
        let entry = RecordMeta {
            owner_agency: Uuid::from_u128(OTHER),
            scope: Scope::All,
            withdrawn: false,
        };
        let withdrawn = RecordMeta {
            withdrawn: true,
            ..entry
        };
        for &role in Role::ALL {
            let actor = actor(role);
            let admin = role == Role::Admin;
            assert_eq!(
                decide(&actor, RecordKind::Chemical, RecordAction::Read, &entry),
                Decision::Allow,
                "{role:?}"
            );
            let write = if admin {
                Decision::Allow
            } else {
                Decision::Forbidden
            };
            assert_eq!(
                decide(&actor, RecordKind::Chemical, RecordAction::Update, &entry),
                write,
                "{role:?}"
            );
            assert_eq!(
                decide(&actor, RecordKind::Chemical, RecordAction::Withdraw, &entry),
                write,
                "{role:?}"
            );
            assert_eq!(
                decide_create(&actor, RecordKind::Chemical),
                write,
                "{role:?}"
            );
            assert_eq!(
                decide(
                    &actor,
                    RecordKind::Chemical,
                    RecordAction::ChangeScope,
                    &entry
                ),
                Decision::Forbidden
            );
            let sees_withdrawn = matches!(role, Role::Admin | Role::Auditor);
            let expected = if sees_withdrawn {
                Decision::Allow
            } else {
                Decision::NotFound
            };
            assert_eq!(
                decide(&actor, RecordKind::Chemical, RecordAction::Read, &withdrawn),
                expected,
                "{role:?}"
            );
        }
        // Other kinds follow the record matrix.
        let own = RecordMeta {
            owner_agency: Uuid::from_u128(OWN),
            ..entry
        };
        assert_eq!(
            decide(
                &actor(Role::Admin),
                RecordKind::Shipment,
                RecordAction::Read,
                &own
            ),
            Decision::NotFound
        );
        assert_eq!(
            decide_create(&actor(Role::Investigator), RecordKind::Party),
            Decision::Allow
        );
    }

    #[test]
    fn only_investigators_and_supervisors_create_records() {
        let expected = [
            (Role::Investigator, Decision::Allow),
            (Role::Supervisor, Decision::Allow),
            (Role::Auditor, Decision::Forbidden),
            (Role::Admin, Decision::Forbidden),
        ];
        for (role, decision) in expected {
            assert_eq!(decide_create_record(&actor(role)), decision, "{role:?}");
        }
    }

    #[test]
    fn user_administration_matrix() {
        let own = Uuid::from_u128(OWN);
        let other = Uuid::from_u128(OTHER);
        let mut system_admin = actor(Role::Admin);
        system_admin.system_agency = true;
        let cases = [
            (actor(Role::Investigator), own, Decision::Forbidden),
            (actor(Role::Investigator), other, Decision::Forbidden),
            (actor(Role::Supervisor), own, Decision::Forbidden),
            (actor(Role::Auditor), own, Decision::Forbidden),
            (actor(Role::Admin), own, Decision::Allow),
            (actor(Role::Admin), other, Decision::NotFound),
            (system_admin.clone(), own, Decision::Allow),
            (system_admin, other, Decision::Allow),
        ];
        for (actor, target, expected) in cases {
            assert_eq!(
                decide_user_admin(&actor, target),
                expected,
                "{:?} on {target}",
                actor.role
            );
        }
    }

    #[test]
    fn only_the_system_admin_manages_agencies() {
        let mut system_admin = actor(Role::Admin);
        system_admin.system_agency = true;
        assert_eq!(decide_directory_admin(&system_admin), Decision::Allow);
        let mut system_auditor = actor(Role::Auditor);
        system_auditor.system_agency = true;
        assert_eq!(decide_directory_admin(&system_auditor), Decision::Forbidden);
        for &role in Role::ALL {
            assert_eq!(
                decide_directory_admin(&actor(role)),
                Decision::Forbidden,
                "{role:?}"
            );
        }
    }

    #[test]
    fn audit_access_by_role() {
        let own = Uuid::from_u128(OWN);
        assert_eq!(audit_scope(&actor(Role::Auditor)), AuditScope::Agency(own));
        let mut system_auditor = actor(Role::Auditor);
        system_auditor.system_agency = true;
        assert_eq!(audit_scope(&system_auditor), AuditScope::Everything);
        for role in [Role::Investigator, Role::Supervisor, Role::Admin] {
            assert_eq!(
                decide_audit_search(&actor(role)),
                Decision::Forbidden,
                "{role:?}"
            );
        }
        assert_eq!(decide_audit_search(&actor(Role::Auditor)), Decision::Allow);
        let verify: Vec<Decision> = Role::ALL
            .iter()
            .map(|r| decide_audit_verify(&actor(*r)))
            .collect();
        assert_eq!(
            verify,
            [
                Decision::Forbidden,
                Decision::Forbidden,
                Decision::Allow,
                Decision::Allow
            ]
        );
    }

    #[test]
    fn imports_are_seen_by_their_agency_only() {
        let agency = Uuid::from_u128(7);
        let actor = |role, agency_id| Actor {
            user_id: Uuid::from_u128(1),
            agency_id,
            role,
            task_forces: Vec::new(),
            system_agency: false,
        };
        for role in [Role::Investigator, Role::Supervisor, Role::Auditor] {
            assert_eq!(decide_import(&actor(role, agency), agency), Decision::Allow);
            assert_eq!(
                decide_import(&actor(role, Uuid::from_u128(8)), agency),
                Decision::NotFound
            );
        }
        assert_eq!(
            decide_import(&actor(Role::Admin, agency), agency),
            Decision::NotFound
        );
    }
}
