//! The time use cases see. A fixed clock lets tests ask what an age, a due
//! date or an overdue flag is at a given moment, with no sleeping.

use chrono::{DateTime, SubsecRound, Utc};
use std::sync::Arc;

#[derive(Debug, Clone, Default)]
pub enum Clock {
    /// The system's clock.
    #[default]
    System,
    /// Always this moment.
    Fixed(DateTime<Utc>),
    /// A moment the test moves on (shared by the clones of this clock).
    Manual(Arc<std::sync::Mutex<DateTime<Utc>>>),
}

impl Clock {
    /// Now, to the microsecond both databases store.
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Fixed(at) => *at,
            Clock::Manual(at) => *at.lock().unwrap_or_else(|poisoned| poisoned.into_inner()),
        }
        .trunc_subsecs(6)
    }

    /// A clock the caller moves with [`Clock::advance`].
    pub fn manual(start: DateTime<Utc>) -> Self {
        Clock::Manual(Arc::new(std::sync::Mutex::new(start)))
    }

    /// Moves a manual clock on; other clocks are not moved.
    pub fn advance(&self, by: chrono::Duration) {
        if let Clock::Manual(at) = self {
            let mut at = at.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            *at += by;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_clock_stands_and_a_manual_one_moves_for_every_clone() {
        let start = DateTime::parse_from_rfc3339("2026-03-16T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(Clock::Fixed(start).now(), start);
        let clock = Clock::manual(start);
        let seen_elsewhere = clock.clone();
        clock.advance(chrono::Duration::days(5));
        assert_eq!(seen_elsewhere.now(), start + chrono::Duration::days(5));
        assert!(Clock::System.now() > start);
    }
}
