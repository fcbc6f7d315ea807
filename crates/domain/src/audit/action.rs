//! What an audit entry says someone did: one closed list, so an action is
//! spelled the same wherever it is written, searched or exported. The
//! spellings are stored in every entry and hashed into the chain; they
//! must never change.

use std::fmt;
use std::str::FromStr;

use crate::record::RecordKind;

/// What was done to a registry record (a party, a chemical, a press, a
/// die mold or a shipment).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordVerb {
    Create,
    Read,
    Update,
    Withdraw,
    History,
    Search,
}

impl RecordVerb {
    pub const ALL: [RecordVerb; 6] = [
        Self::Create,
        Self::Read,
        Self::Update,
        Self::Withdraw,
        Self::History,
        Self::Search,
    ];
}

/// Declares the actions that are not about one kind of record, with their
/// stored spelling.
macro_rules! actions {
    ($($(#[$doc:meta])* $variant:ident => $text:literal),+ $(,)?) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum AuditAction {
            $($(#[$doc])* $variant,)+
            /// `<kind>.<verb>` on a registry record, e.g. `shipment.read`.
            Record(RecordKind, RecordVerb),
        }

        const NAMED: &[(AuditAction, &str)] = &[$((AuditAction::$variant, $text)),+];

        impl AuditAction {
            fn named(self) -> Option<&'static str> {
                match self {
                    $(AuditAction::$variant => Some($text),)+
                    AuditAction::Record(..) => None,
                }
            }
        }
    };
}

actions! {
    AgencyCreate => "agency.create",
    AgencyList => "agency.list",
    AgencyRead => "agency.read",
    /// An entry the database would not store, recorded in its place with
    /// its text escaped; the request it belonged to failed alone.
    AuditEntryRefused => "audit.entry_refused",
    AuditObjectHistory => "audit.object_history",
    AuditProof => "audit.proof",
    AuditSearch => "audit.search",
    AuditVerify => "audit.verify",
    AuthLogin => "auth.login",
    /// Whether a second factor is required, per agency or everywhere.
    MfaRequirement => "mfa.requirement",
    AuthLogout => "auth.logout",
    /// A bearer token or session cookie refused.
    AuthToken => "auth.token",
    ChainRead => "chain.read",
    ChainSearch => "chain.search",
    DeconflictionList => "deconfliction.list",
    DemoBatch => "demo.batch",
    DemoLoad => "demo.load",
    DemoSetup => "demo.setup",
    FlagRaise => "flag.raise",
    FlagRead => "flag.read",
    FlagTransition => "flag.transition",
    /// Open flags on one chain merged into one (after a link).
    FlagMerge => "flag.merge",
    /// A reason or indicators added to a chain's open flag instead of a
    /// second flag.
    FlagAmend => "flag.amend",
    /// The end of an import, with its totals.
    Import => "import",
    /// The end of an import's acceptance, with its counts.
    ImportAccept => "import.accept",
    /// A batch of accepted lines settled.
    ImportBatch => "import.batch",
    ImportCreate => "import.create",
    ImportRead => "import.read",
    ImportRejections => "import.rejections",
    LinkCreate => "link.create",
    LinkList => "link.list",
    /// A decision on one suggested link.
    LinkSuggestion => "link.suggestion",
    /// The list of suggested links.
    LinkSuggestions => "link.suggestions",
    LinkWithdraw => "link.withdraw",
    /// A page's form refused (a missing or wrong CSRF token).
    PageForm => "page.form",
    /// A judgement that two parties are the same actor, or not.
    PartyJudgement => "party.judgement",
    /// The ranked candidates that may be the same actor as a party.
    PartyMatches => "party.matches",
    ReportExport => "report.export",
    /// A request refused before its handler ran (unreadable body, bad id).
    RequestRefused => "request.refused",
    ReviewQueue => "review.queue",
    /// A sanctions list loaded (uploaded, from the command line, or the
    /// built-in snapshot on first start).
    SanctionsLoad => "sanctions.load",
    SanctionsList => "sanctions.list",
    /// One page of re-screening every party against a newer list.
    SanctionsRescreen => "sanctions.rescreen",
    /// A name screened without being stored.
    ScreeningRun => "screening.run",
    /// A party's screening hits read.
    ScreeningRead => "screening.read",
    /// Open hits on visible parties (the supervisor's queue).
    ScreeningHits => "screening.hits",
    /// A hit disposed of as a false positive, with a reason.
    ScreeningDispose => "screening.dispose",
    WatchCreate => "watch.create",
    WatchList => "watch.list",
    WatchMute => "watch.mute",
    WatchDelete => "watch.delete",
    NotificationList => "notification.list",
    NotificationRead => "notification.read",
    SystemBootstrap => "system.bootstrap",
    TaskForceCreate => "task_force.create",
    TaskForceList => "task_force.list",
    TaskForceMemberAdd => "task_force.member_add",
    TaskForceMemberRemove => "task_force.member_remove",
    TaskForceRead => "task_force.read",
    UserCreate => "user.create",
    UserList => "user.list",
    /// A user confirmed their second factor with a code.
    UserMfaConfirm => "user.mfa_confirm",
    /// A user started enrolling a second factor.
    UserMfaEnrol => "user.mfa_enrol",
    /// An administrator removed a user's second factor.
    UserMfaReset => "user.mfa_reset",
    UserPasswordChange => "user.password_change",
    UserPasswordReset => "user.password_reset",
    UserRead => "user.read",
    /// An administrator lifted an account's lockouts.
    UserUnlock => "user.unlock",
    UserUpdate => "user.update",
}

/// `<kind>.<verb>`, spelled out so that it is a `&'static str`.
macro_rules! record_actions {
    ($kind:expr, $verb:expr, $($variant:ident => $text:literal),+ $(,)?) => {
        match ($kind, $verb) {
            $(
                (RecordKind::$variant, RecordVerb::Create) => concat!($text, ".create"),
                (RecordKind::$variant, RecordVerb::Read) => concat!($text, ".read"),
                (RecordKind::$variant, RecordVerb::Update) => concat!($text, ".update"),
                (RecordKind::$variant, RecordVerb::Withdraw) => concat!($text, ".withdraw"),
                (RecordKind::$variant, RecordVerb::History) => concat!($text, ".history"),
                (RecordKind::$variant, RecordVerb::Search) => concat!($text, ".search"),
            )+
        }
    };
}

impl AuditAction {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Record(kind, verb) => record_actions!(
                kind, verb,
                Party => "party",
                Chemical => "chemical",
                Equipment => "equipment",
                DieMold => "die_mold",
                Shipment => "shipment",
            ),
            named => named.named().unwrap_or_default(),
        }
    }

    /// Every action, the record ones for every kind and verb.
    pub fn all() -> impl Iterator<Item = AuditAction> {
        NAMED.iter().map(|(action, _)| *action).chain(
            RecordKind::ALL
                .iter()
                .flat_map(|kind| RecordVerb::ALL.map(|verb| AuditAction::Record(*kind, verb))),
        )
    }
}

/// A stored action that is not on the list: only tampering or a newer
/// version of the program writes one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an audit action")]
pub struct UnknownAction(pub String);

impl FromStr for AuditAction {
    type Err = UnknownAction;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if let Some((action, _)) = NAMED.iter().find(|(_, name)| *name == text) {
            return Ok(*action);
        }
        let unknown = || UnknownAction(text.to_owned());
        let (kind, _) = text.split_once('.').ok_or_else(unknown)?;
        let kind: RecordKind = kind.parse().map_err(|_| unknown())?;
        let verb = RecordVerb::ALL
            .into_iter()
            .find(|verb| AuditAction::Record(kind, *verb).as_str() == text)
            .ok_or_else(unknown)?;
        Ok(AuditAction::Record(kind, verb))
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_action_round_trips_and_is_spelled_once() {
        let mut seen = HashSet::new();
        for action in AuditAction::all() {
            let text = action.as_str();
            assert!(seen.insert(text), "{text} spelled twice");
            assert_eq!(text.parse::<AuditAction>(), Ok(action), "{text}");
        }
        assert_eq!(seen.len(), NAMED.len() + 5 * 6);
    }

    /// The spellings are stored in entries and hashed into the chain.
    #[test]
    fn spellings_are_those_already_stored() {
        let expected = [
            (AuditAction::AuthLogin, "auth.login"),
            (AuditAction::Import, "import"),
            (AuditAction::TaskForceMemberAdd, "task_force.member_add"),
            (
                AuditAction::Record(RecordKind::DieMold, RecordVerb::History),
                "die_mold.history",
            ),
            (
                AuditAction::Record(RecordKind::Shipment, RecordVerb::Read),
                "shipment.read",
            ),
        ];
        for (action, text) in expected {
            assert_eq!(action.as_str(), text);
        }
    }

    #[test]
    fn an_unknown_action_is_an_error_not_a_default() {
        for text in [
            "nothing",
            "shipment.delete",
            "ship.read",
            "",
            "import.",
            "user.read ",
        ] {
            assert_eq!(
                text.parse::<AuditAction>(),
                Err(UnknownAction(text.to_owned())),
                "{text:?}"
            );
        }
    }
}
