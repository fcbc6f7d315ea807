//! Flags and their review: `open → under_review → confirmed | dismissed |
//! escalated`, with assignment along the way. Every transition is decided
//! here; the service records who, when and why.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::choice;

choice!(FlagState {
    Open => "open",
    UnderReview => "under_review",
    Confirmed => "confirmed",
    Dismissed => "dismissed",
    Escalated => "escalated",
    Merged => "merged",
});

choice!(
    /// The orders a review queue comes in (`age` is accepted for `oldest`).
    QueueSort { Newest => "newest", Oldest => "oldest", Score => "score", Chain => "chain" }
);

impl FlagState {
    pub fn is_decided(self) -> bool {
        matches!(
            self,
            Self::Confirmed | Self::Dismissed | Self::Escalated | Self::Merged
        )
    }
}

/// An undecided flag on a chain, as the merge sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenFlag {
    pub id: Uuid,
    pub owner_agency: Uuid,
    pub state: FlagState,
}

/// One merge: `absorbed` go into `survivor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merge {
    pub survivor: Uuid,
    pub absorbed: Vec<Uuid>,
}

/// One open flag per chain and agency: the undecided flags of `flags` (all
/// on one chain) that must merge, per owning agency. The flag already under
/// review survives (its reviewer keeps it), then the oldest (ids are
/// UUIDv7, in the order they were raised). Flags of different agencies are
/// never merged: each agency decides its own, and none may read another's.
pub fn merge_plan(flags: &[OpenFlag]) -> Vec<Merge> {
    let mut agencies: Vec<Uuid> = flags.iter().map(|f| f.owner_agency).collect();
    agencies.sort();
    agencies.dedup();
    let mut plan = Vec::new();
    for agency in agencies {
        let mut own: Vec<&OpenFlag> = flags
            .iter()
            .filter(|f| f.owner_agency == agency && !f.state.is_decided())
            .collect();
        if own.len() < 2 {
            continue;
        }
        own.sort_by_key(|f| (f.state != FlagState::UnderReview, f.id));
        plan.push(Merge {
            survivor: own[0].id,
            absorbed: own[1..].iter().map(|f| f.id).collect(),
        });
    }
    plan
}

/// The indicators of two flags together: each (code, sentence) once, at its
/// highest weight, in the order first seen.
pub fn union_indicators<T: Clone>(
    into: &[T],
    from: &[T],
    key: impl Fn(&T) -> (String, String),
    weight: impl Fn(&T) -> f64,
) -> Vec<T> {
    let mut out: Vec<T> = Vec::with_capacity(into.len() + from.len());
    for item in into.iter().chain(from) {
        match out.iter_mut().find(|o| key(o) == key(item)) {
            Some(existing) => {
                if weight(item) > weight(existing) {
                    *existing = item.clone();
                }
            }
            None => out.push(item.clone()),
        }
    }
    out
}

choice!(ReviewAction {
    Assign => "assign",
    StartReview => "start_review",
    Confirm => "confirm",
    Dismiss => "dismiss",
    Escalate => "escalate",
});

choice!(
    /// Which flags a review queue lists, for the caller's agency: `inbox`
    /// (the default) holds the flags its supervisors decide (its own and
    /// its task forces') and those other agencies escalated to it;
    /// `review` only the former, `escalated_to_us` only the latter;
    /// `escalated_by_us` its own flags it escalated to another agency.
    QueueView {
        Inbox => "inbox",
        Review => "review",
        EscalatedToUs => "escalated_to_us",
        EscalatedByUs => "escalated_by_us",
    }
);

/// A requested transition, with what it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    Assign { assignee: Uuid },
    StartReview,
    Confirm,
    Dismiss { reason: String },
    Escalate { agency: Uuid },
}

impl Transition {
    pub fn action(&self) -> ReviewAction {
        match self {
            Self::Assign { .. } => ReviewAction::Assign,
            Self::StartReview => ReviewAction::StartReview,
            Self::Confirm => ReviewAction::Confirm,
            Self::Dismiss { .. } => ReviewAction::Dismiss,
            Self::Escalate { .. } => ReviewAction::Escalate,
        }
    }

    fn is_decision(&self) -> bool {
        matches!(
            self,
            Self::Confirm | Self::Dismiss { .. } | Self::Escalate { .. }
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewError {
    #[error("cannot {action} a flag that is {state}")]
    InvalidTransition {
        state: FlagState,
        action: ReviewAction,
    },
    #[error("you raised this flag; another supervisor must decide it")]
    FourEyes,
}

/// The state after `transition` from `state`, for a decider who is
/// `actor`; `raised_by` is `None` for flags the system raised.
pub fn next_state(
    state: FlagState,
    transition: &Transition,
    actor: Uuid,
    raised_by: Option<Uuid>,
) -> Result<FlagState, ReviewError> {
    let invalid = || ReviewError::InvalidTransition {
        state,
        action: transition.action(),
    };
    let next = match (state, transition) {
        (FlagState::Open | FlagState::UnderReview, Transition::Assign { .. }) => state,
        (FlagState::Open, Transition::StartReview) => FlagState::UnderReview,
        (FlagState::UnderReview, Transition::Confirm) => FlagState::Confirmed,
        (FlagState::UnderReview, Transition::Dismiss { .. }) => FlagState::Dismissed,
        (FlagState::UnderReview, Transition::Escalate { .. }) => FlagState::Escalated,
        _ => return Err(invalid()),
    };
    if transition.is_decision() && raised_by == Some(actor) {
        return Err(ReviewError::FourEyes);
    }
    Ok(next)
}

/// How long a flag has waited: from when it was raised until it was
/// decided (`decided_at`, for a decided flag), or until `now`.
pub fn flag_age(
    state: FlagState,
    raised_at: DateTime<Utc>,
    decided_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Duration {
    let end = if state.is_decided() { decided_at } else { now };
    (end - raised_at).max(Duration::zero())
}

/// A flag still undecided `overdue_after` or more after it was raised.
pub fn is_overdue(
    state: FlagState,
    raised_at: DateTime<Utc>,
    now: DateTime<Utc>,
    overdue_after: Duration,
) -> bool {
    !state.is_decided() && now - raised_at >= overdue_after
}

/// The `p`-th percentile (0–100) of `values` by the nearest-rank method:
/// the smallest value with at least p% of the values at or below it.
/// `None` for no values.
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flag_ages_until_it_is_decided_and_is_overdue_only_while_undecided() {
        let raised: DateTime<Utc> = "2026-03-01T09:00:00Z".parse().unwrap();
        let decided = raised + Duration::days(2);
        let now = raised + Duration::days(7);
        assert_eq!(
            flag_age(FlagState::Open, raised, decided, now),
            Duration::days(7)
        );
        assert_eq!(
            flag_age(FlagState::Confirmed, raised, decided, now),
            Duration::days(2)
        );
        let five = Duration::days(5);
        assert!(is_overdue(FlagState::UnderReview, raised, now, five));
        assert!(
            is_overdue(FlagState::Open, raised, raised + five, five),
            "on the day"
        );
        assert!(!is_overdue(
            FlagState::Open,
            raised,
            raised + five - Duration::seconds(1),
            five
        ));
        assert!(!is_overdue(FlagState::Dismissed, raised, now, five));
        assert!(!is_overdue(FlagState::Escalated, raised, now, five));
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let days = [1.0, 9.0, 3.0, 2.0, 5.0, 4.0, 8.0, 6.0, 7.0, 10.0];
        assert_eq!(percentile(&days, 50.0), Some(5.0));
        assert_eq!(percentile(&days, 90.0), Some(9.0));
        assert_eq!(percentile(&days, 100.0), Some(10.0));
        assert_eq!(percentile(&[4.0], 90.0), Some(4.0));
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(percentile(&[1.0, 2.0, 3.0], 50.0), Some(2.0));
    }

    const ME: Uuid = Uuid::from_u128(1);
    const OTHER: Uuid = Uuid::from_u128(2);

    fn transitions() -> Vec<Transition> {
        vec![
            Transition::Assign { assignee: OTHER },
            Transition::StartReview,
            Transition::Confirm,
            Transition::Dismiss {
                reason: "known legitimate importer".into(),
            },
            Transition::Escalate {
                agency: Uuid::from_u128(9),
            },
        ]
    }

    #[test]
    fn every_state_and_action() {
        // Expected next state per (state, action), by hand; None = refused.
        use FlagState::*;
        let table: [(FlagState, [Option<FlagState>; 5]); 6] = [
            (Open, [Some(Open), Some(UnderReview), None, None, None]),
            (
                UnderReview,
                [
                    Some(UnderReview),
                    None,
                    Some(Confirmed),
                    Some(Dismissed),
                    Some(Escalated),
                ],
            ),
            (Confirmed, [None, None, None, None, None]),
            (Dismissed, [None, None, None, None, None]),
            (Escalated, [None, None, None, None, None]),
            (Merged, [None, None, None, None, None]),
        ];
        for (state, expected) in table {
            for (transition, want) in transitions().iter().zip(expected) {
                let got = next_state(state, transition, ME, Some(OTHER)).ok();
                assert_eq!(got, want, "{state} + {}", transition.action());
            }
        }
    }

    fn open(id: u128, agency: u128, state: FlagState) -> OpenFlag {
        OpenFlag {
            id: Uuid::from_u128(id),
            owner_agency: Uuid::from_u128(agency),
            state,
        }
    }

    #[test]
    fn a_chain_keeps_one_open_flag_per_agency() {
        use FlagState::*;
        // One flag, or none undecided: nothing to merge.
        assert!(merge_plan(&[open(1, 7, Open)]).is_empty());
        assert!(merge_plan(&[open(1, 7, Open), open(2, 7, Confirmed)]).is_empty());
        // The oldest survives among open ones.
        assert_eq!(
            merge_plan(&[open(3, 7, Open), open(1, 7, Open), open(2, 7, Open)]),
            vec![Merge {
                survivor: Uuid::from_u128(1),
                absorbed: vec![Uuid::from_u128(2), Uuid::from_u128(3)],
            }]
        );
        // The one under review survives, even if younger.
        assert_eq!(
            merge_plan(&[open(1, 7, Open), open(2, 7, UnderReview)]),
            vec![Merge {
                survivor: Uuid::from_u128(2),
                absorbed: vec![Uuid::from_u128(1)],
            }]
        );
        // Two agencies' flags are not merged with each other.
        assert!(merge_plan(&[open(1, 7, Open), open(2, 8, Open)]).is_empty());
        assert_eq!(
            merge_plan(&[open(1, 7, Open), open(2, 8, Open), open(3, 8, Open)]).len(),
            1
        );
    }

    #[test]
    fn indicators_union_keeps_each_once_at_its_highest_weight() {
        let a = vec![("a", "x", 10.0), ("b", "y", 5.0)];
        let b = vec![("b", "y", 7.0), ("c", "z", 1.0), ("a", "other", 2.0)];
        let key = |t: &(&str, &str, f64)| (t.0.to_owned(), t.1.to_owned());
        let got = union_indicators(&a, &b, key, |t| t.2);
        assert_eq!(
            got,
            vec![
                ("a", "x", 10.0),
                ("b", "y", 7.0),
                ("c", "z", 1.0),
                ("a", "other", 2.0)
            ]
        );
    }

    #[test]
    fn refusals_say_what_was_refused() {
        let err = next_state(FlagState::Dismissed, &Transition::Confirm, ME, None).unwrap_err();
        assert_eq!(err.to_string(), "cannot confirm a flag that is dismissed");
    }

    #[test]
    fn the_raiser_cannot_decide() {
        for decision in [
            Transition::Confirm,
            Transition::Dismiss { reason: "r".into() },
            Transition::Escalate { agency: OTHER },
        ] {
            assert_eq!(
                next_state(FlagState::UnderReview, &decision, ME, Some(ME)),
                Err(ReviewError::FourEyes)
            );
            assert!(next_state(FlagState::UnderReview, &decision, OTHER, Some(ME)).is_ok());
        }
        // The raiser may still assign and start the review; a system flag has no raiser.
        assert!(next_state(FlagState::Open, &Transition::StartReview, ME, Some(ME)).is_ok());
        assert!(next_state(FlagState::UnderReview, &Transition::Confirm, ME, None).is_ok());
    }
}
