//! The policy's decisions, written out by hand: role × action × relation.

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
fn no_role_sees_every_case_record() {
    // Persistence's subqueries over visible shipments (exports, the
    // summary) are written for `Scoped` and `Nothing` only.
    for &role in Role::ALL {
        for kind in [
            RecordKind::Party,
            RecordKind::Equipment,
            RecordKind::DieMold,
            RecordKind::Shipment,
        ] {
            assert!(
                !matches!(
                    visibility(&actor(role), kind),
                    Visibility::Everything { .. }
                ),
                "{role:?} {kind:?}"
            );
        }
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
fn account_recovery_matrix() {
    let own = Uuid::from_u128(OWN);
    let other = Uuid::from_u128(OTHER);
    let colleague = Uuid::from_u128(1234);
    let mut system_admin = actor(Role::Admin);
    system_admin.system_agency = true;
    let me = system_admin.user_id;
    // (actor, target agency, target user, unlock / reset password / reset MFA)
    let cases = [
        (
            actor(Role::Investigator),
            own,
            colleague,
            Decision::Forbidden,
        ),
        (actor(Role::Supervisor), own, colleague, Decision::Forbidden),
        (actor(Role::Auditor), own, colleague, Decision::Forbidden),
        (actor(Role::Investigator), own, me, Decision::Forbidden),
        (actor(Role::Admin), own, colleague, Decision::Allow),
        (actor(Role::Admin), other, colleague, Decision::NotFound),
        (actor(Role::Admin), own, me, Decision::Forbidden),
        (system_admin.clone(), own, colleague, Decision::Allow),
        (system_admin.clone(), other, colleague, Decision::Allow),
        (system_admin, own, me, Decision::Forbidden),
    ];
    for (actor, agency, user, expected) in cases {
        assert_eq!(
            decide_account_recovery(&actor, agency, user),
            expected,
            "{:?} (system {}) on {user} of {agency}",
            actor.role,
            actor.system_agency
        );
    }
}

#[test]
fn mfa_requirement_matrix() {
    let own = MfaScope::Agency(Uuid::from_u128(OWN));
    let other = MfaScope::Agency(Uuid::from_u128(OTHER));
    let mut system_admin = actor(Role::Admin);
    system_admin.system_agency = true;
    let mut cases = Vec::new();
    for role in [Role::Investigator, Role::Supervisor, Role::Auditor] {
        cases.push((actor(role), own, Decision::Forbidden));
        cases.push((actor(role), MfaScope::Everywhere, Decision::Forbidden));
    }
    cases.extend([
        (actor(Role::Admin), own, Decision::Allow),
        (actor(Role::Admin), other, Decision::NotFound),
        (
            actor(Role::Admin),
            MfaScope::Everywhere,
            Decision::Forbidden,
        ),
        (system_admin.clone(), own, Decision::Allow),
        (system_admin.clone(), other, Decision::Allow),
        (system_admin, MfaScope::Everywhere, Decision::Allow),
    ]);
    for (actor, scope, expected) in cases {
        assert_eq!(
            decide_mfa_requirement(&actor, scope),
            expected,
            "{:?} (system {}) on {scope:?}",
            actor.role,
            actor.system_agency
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

/// Expected decisions for the work on records, by role, as letters in the
/// order of [`Role::ALL`] (investigator, supervisor, auditor, admin).
fn by_role(decide: impl Fn(&Actor) -> Decision) -> String {
    Role::ALL
        .iter()
        .map(|r| letter(decide(&actor(*r))))
        .collect()
}

#[test]
fn exports_follow_the_record_export_action_and_the_audit_scope() {
    let mut system_auditor = actor(Role::Auditor);
    system_auditor.system_agency = true;
    let expected = [
        (Report::Shipments, "AAAF"),
        (Report::Links, "AAAF"),
        (Report::Flags, "AAAF"),
        (Report::Audit, "FFAF"),
        (Report::Summary, "FFAF"),
    ];
    assert_eq!(expected.len(), Report::ALL.len());
    for (report, letters) in expected {
        assert_eq!(by_role(|a| decide_export(a, report)), letters, "{report:?}");
        assert_eq!(
            decide_export(&system_auditor, report),
            Decision::Allow,
            "{report:?}"
        );
    }
}

#[test]
fn the_review_queue_is_the_supervisors() {
    assert_eq!(by_role(decide_review_queue), "FAFF");
}

#[test]
fn only_supervisors_read_the_directory_of_reviewers() {
    assert_eq!(by_role(decide_reviewer_directory), "FAFF");
}

#[test]
fn only_supervisors_raise_a_separate_flag_on_a_flagged_chain() {
    assert_eq!(by_role(decide_separate_flag), "FAFF");
}

#[test]
fn links_are_withdrawn_by_the_agency_that_made_them_and_a_role_that_records() {
    let own = Uuid::from_u128(OWN);
    let other = Uuid::from_u128(OTHER);
    assert_eq!(by_role(|a| decide_link_withdrawal(a, own)), "AAFF");
    assert_eq!(by_role(|a| decide_link_withdrawal(a, other)), "FFFF");
}

#[test]
fn sharing_choices_by_kind_and_scope() {
    let member = Scope::TaskForce(Uuid::from_u128(TF_MEMBER));
    let elsewhere = Scope::TaskForce(Uuid::from_u128(TF_ELSEWHERE));
    let scopes = [Scope::Agency, Scope::All, member, elsewhere];
    // One letter per scope above: A allowed, C catalogue is public, T not
    // in the task force. The role does not matter: who may write at all
    // is decided by `decide_create`.
    let expected = [
        (RecordKind::Party, "AAAT"),
        (RecordKind::Equipment, "AAAT"),
        (RecordKind::DieMold, "AAAT"),
        (RecordKind::Shipment, "AAAT"),
        (RecordKind::Chemical, "CACC"),
    ];
    assert_eq!(expected.len(), RecordKind::ALL.len());
    for &role in Role::ALL {
        for (kind, letters) in expected {
            let got: String = scopes
                .iter()
                .map(|scope| match decide_sharing(&actor(role), kind, *scope) {
                    Sharing::Allowed => 'A',
                    Sharing::CatalogueIsPublic => 'C',
                    Sharing::NotInTaskForce => 'T',
                })
                .collect();
            assert_eq!(got, letters, "{role:?} {kind:?}");
        }
    }
    assert!(Sharing::Allowed.refusal().is_none());
    assert!(Sharing::NotInTaskForce.refusal().is_some());
}

#[test]
fn the_catalogue_is_shared_with_all_and_owned_by_the_system_agency() {
    let investigator = actor(Role::Investigator);
    for &kind in RecordKind::ALL {
        let (scope, owner) = match kind {
            RecordKind::Chemical => (Scope::All, Owner::System),
            _ => (Scope::Agency, Owner::Agency(investigator.agency_id)),
        };
        assert_eq!(default_scope(kind), scope, "{kind:?}");
        assert_eq!(record_owner(&investigator, kind), owner, "{kind:?}");
    }
}

#[test]
fn only_active_supervisors_of_the_flags_agency_may_review_it() {
    let own = Uuid::from_u128(OWN);
    let other = Uuid::from_u128(OTHER);
    for &role in Role::ALL {
        for (agency, active) in [(own, true), (own, false), (other, true)] {
            let candidate = Reviewer {
                role,
                agency,
                active,
            };
            let expected = role == Role::Supervisor && agency == own && active;
            assert_eq!(
                may_review(&candidate, own),
                expected,
                "{role:?} of {agency} active {active}"
            );
        }
    }
}

#[test]
fn no_one_disables_or_demotes_their_own_account() {
    let admin = actor(Role::Admin);
    let me = admin.user_id;
    let someone = Uuid::from_u128(1234);
    // (target, new role, active, allowed)
    let cases = [
        (me, None, None, true),
        (me, Some(Role::Admin), Some(true), true),
        (me, None, Some(false), false),
        (me, Some(Role::Auditor), None, false),
        (me, Some(Role::Investigator), Some(true), false),
        (someone, Some(Role::Investigator), Some(false), true),
        (someone, None, Some(false), true),
    ];
    for (target, role, active, allowed) in cases {
        assert_eq!(
            allows_account_change(&admin, target, role, active),
            allowed,
            "{target} {role:?} {active:?}"
        );
    }
}

#[test]
fn escalated_flags_reach_the_target_agencys_supervisors_only() {
    // Per relation of `records()`, by role: what the caller sees of a flag
    // on that shipment escalated to the caller's agency, and escalated
    // elsewhere. F = full, E = escalated (flag only), N = not found.
    let sight = |s: FlagSight| match s {
        FlagSight::Full => 'F',
        FlagSight::Escalated => 'E',
        FlagSight::NotFound => 'N',
    };
    let expected: &[(Role, &str, &str)] = &[
        (Role::Investigator, "FFNFFN", "FFNFFN"),
        (Role::Supervisor, "FFEFFE", "FFNFFN"),
        (Role::Auditor, "FFNFFN", "FFNFFN"),
        (Role::Admin, "NNNNNN", "NNNNNN"),
    ];
    assert_eq!(expected.len(), Role::ALL.len());
    for (role, to_us, elsewhere) in expected {
        let a = actor(*role);
        let got = |target: u128| -> String {
            records()
                .iter()
                .map(|(_, meta)| sight(flag_sight(&a, meta, Some(Uuid::from_u128(target)))))
                .collect()
        };
        assert_eq!(&got(OWN), to_us, "{role:?} escalated to us");
        assert_eq!(
            &got(TF_ELSEWHERE + 1),
            elsewhere,
            "{role:?} escalated elsewhere"
        );
        let never: String = records()
            .iter()
            .map(|(_, meta)| sight(flag_sight(&a, meta, None)))
            .collect();
        assert_eq!(&never, elsewhere, "{role:?} not escalated");
    }
    // Withdrawn shipments: the escalation still reaches the target's
    // supervisors, who see no more of the shipment than before.
    let withdrawn = RecordMeta {
        owner_agency: Uuid::from_u128(OTHER),
        scope: Scope::All,
        withdrawn: true,
    };
    assert_eq!(
        flag_sight(
            &actor(Role::Supervisor),
            &withdrawn,
            Some(Uuid::from_u128(OWN))
        ),
        FlagSight::Escalated
    );
}

#[test]
fn escalation_goes_to_another_working_agency() {
    let own = Uuid::from_u128(OWN);
    let other = Uuid::from_u128(OTHER);
    assert_eq!(escalation_refusal(own, other, false), None);
    assert!(escalation_refusal(own, own, false).is_some());
    assert!(escalation_refusal(own, other, true).is_some());
}

#[test]
fn screening_watchlists_and_list_loading_by_role() {
    assert_eq!(by_role(decide_screening), "AAAF");
    assert_eq!(by_role(decide_watch), "AAFF");
    assert_eq!(by_role(decide_sanctions_load), "FFFA");
}

/// A hit is disposed of by a supervisor who may see its party; to anyone
/// who may not see the party it does not exist.
#[test]
fn hit_disposition_matrix() {
    let expected = [
        (Role::Investigator, "FFNFFN"),
        (Role::Supervisor, "AANAAN"),
        (Role::Auditor, "FFNFFN"),
        (Role::Admin, "NNNNNN"),
    ];
    for (role, letters) in expected {
        let got: String = records()
            .iter()
            .map(|(_, meta)| letter(decide_hit_disposition(&actor(role), meta)))
            .collect();
        assert_eq!(got, letters, "{role:?}");
    }
}

/// What a caller learns of a candidate party, per role and relation, for
/// a strong match (`S`hown, `N`otice, `H`idden), and that a weak one on a
/// hidden record tells nothing.
#[test]
fn match_sight_matrix() {
    let expected = [
        (Role::Investigator, "SSNSSN"),
        (Role::Supervisor, "SSNSSN"),
        (Role::Auditor, "SSNSSN"),
        (Role::Admin, "HHHHHH"),
    ];
    for (role, row) in expected {
        let got: String = records()
            .iter()
            .map(|(_, meta)| match match_sight(&actor(role), meta, true) {
                MatchSight::Shown => 'S',
                MatchSight::Notice => 'N',
                MatchSight::Hidden => 'H',
            })
            .collect();
        assert_eq!(got, row, "{role:?}");
        for (name, meta) in records() {
            let weak = match_sight(&actor(role), &meta, false);
            assert_ne!(weak, MatchSight::Notice, "{role:?} {name}");
        }
    }
    let withdrawn = RecordMeta {
        owner_agency: Uuid::from_u128(OTHER),
        scope: Scope::Agency,
        withdrawn: true,
    };
    assert_eq!(
        match_sight(&actor(Role::Investigator), &withdrawn, true),
        MatchSight::Hidden
    );
}

#[test]
fn party_judgement_needs_both_parties_linkable() {
    let all = records();
    for role in [
        Role::Investigator,
        Role::Supervisor,
        Role::Auditor,
        Role::Admin,
    ] {
        for (a_name, a) in &all {
            for (b_name, b) in &all {
                let got = decide_party_judgement(&actor(role), a, b);
                let link_a = decide_record(&actor(role), RecordAction::Link, a);
                let link_b = decide_record(&actor(role), RecordAction::Link, b);
                let expected = if link_a != Decision::Allow {
                    link_a
                } else {
                    link_b
                };
                assert_eq!(got, expected, "{role:?} {a_name} {b_name}");
                if matches!(role, Role::Auditor | Role::Admin) {
                    assert_ne!(got, Decision::Allow, "{role:?} {a_name} {b_name}");
                }
            }
        }
    }
}
