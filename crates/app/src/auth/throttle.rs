//! Throttling of password and code guesses, per source address and per
//! account, with exponential backoff. It sits in front of the CJIS
//! lockout (five failures lock an account for ten minutes): the lockout
//! is per source for sources an account has never signed in from, so it
//! cannot be used to lock the owner out, and this throttle is what slows
//! down whoever keeps guessing — from one address, or from many against
//! one account.
//!
//! The counts live in memory, per instance: they guard against floods,
//! and a restart forgetting them costs an attacker's progress nothing
//! that the lockout (in the database) does not still hold.

use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

/// Failures a key may make before each further attempt must wait.
pub const FREE_FAILURES: u32 = 10;
/// The wait after the last free failure; each failure after it doubles it.
pub const FIRST_DELAY: Duration = Duration::seconds(30);
/// The longest wait.
pub const MAX_DELAY: Duration = Duration::minutes(15);
/// A key that has not failed for this long starts afresh.
const FORGET_AFTER: Duration = Duration::minutes(30);
/// Bounds the memory a flood of sources can take; beyond it, forgotten
/// keys are dropped first.
const MAX_KEYS: usize = 100_000;

/// What attempts are counted against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key {
    /// A client address (an IPv6 client by its /64, which one host
    /// usually holds whole).
    Source(String),
    /// An account, by its normalised username, whether or not it exists,
    /// so the throttle does not tell which usernames do.
    Account(String),
}

impl Key {
    pub fn source(source: &str) -> Self {
        match source.parse::<IpAddr>() {
            Ok(IpAddr::V6(v6)) => {
                let mut segments = v6.segments();
                segments[4..].fill(0);
                Key::Source(format!("{}/64", std::net::Ipv6Addr::from(segments)))
            }
            _ => Key::Source(source.to_owned()),
        }
    }

    pub fn account(username: &str) -> Self {
        Key::Account(username.trim().to_ascii_lowercase())
    }
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    last_failure: DateTime<Utc>,
    blocked_until: DateTime<Utc>,
}

#[derive(Debug, Default)]
pub struct Throttle {
    entries: Mutex<HashMap<Key, Entry>>,
}

impl Throttle {
    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Entry>> {
        // A panic while holding the lock leaves counts that are still counts.
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// How long, in whole seconds (at least one), an attempt counted
    /// against `keys` must still wait at `now`; `None` when it may go on.
    pub fn wait(&self, keys: &[Key], now: DateTime<Utc>) -> Option<u64> {
        let entries = self.entries();
        keys.iter()
            .filter_map(|key| entries.get(key))
            .filter(|entry| entry.blocked_until > now)
            .map(|entry| (entry.blocked_until - now).num_milliseconds())
            .max()
            .map(|ms| {
                u64::try_from(ms.saturating_add(999) / 1000)
                    .unwrap_or(1)
                    .max(1)
            })
    }

    /// Counts a failed attempt against each of `keys`.
    pub fn failed(&self, keys: &[Key], now: DateTime<Utc>) {
        let mut entries = self.entries();
        if entries.len() >= MAX_KEYS {
            entries.retain(|_, entry| now - entry.last_failure < FORGET_AFTER);
        }
        for key in keys {
            let entry = entries.entry(key.clone()).or_insert(Entry {
                failures: 0,
                last_failure: now,
                blocked_until: now,
            });
            if now - entry.last_failure >= FORGET_AFTER {
                entry.failures = 0;
            }
            entry.failures = entry.failures.saturating_add(1);
            entry.last_failure = now;
            entry.blocked_until = now + delay_after(entry.failures);
        }
    }
}

/// The wait after `failures` failures in a row: none before the tenth,
/// then 30 s, 1 min, 2 min, … up to [`MAX_DELAY`].
pub fn delay_after(failures: u32) -> Duration {
    match failures.checked_sub(FREE_FAILURES) {
        None => Duration::zero(),
        Some(past) => (FIRST_DELAY * (1_i32 << past.min(10))).min(MAX_DELAY),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + seconds, 0).unwrap()
    }

    #[test]
    fn the_delay_doubles_after_the_free_failures_up_to_the_cap() {
        assert_eq!(delay_after(1), Duration::zero());
        assert_eq!(delay_after(FREE_FAILURES - 1), Duration::zero());
        assert_eq!(delay_after(FREE_FAILURES), Duration::seconds(30));
        assert_eq!(delay_after(FREE_FAILURES + 1), Duration::seconds(60));
        assert_eq!(delay_after(FREE_FAILURES + 4), Duration::seconds(480));
        assert_eq!(delay_after(FREE_FAILURES + 5), MAX_DELAY);
        assert_eq!(delay_after(FREE_FAILURES + 40), MAX_DELAY);
        assert_eq!(delay_after(u32::MAX), MAX_DELAY);
    }

    #[test]
    fn a_key_waits_only_after_its_free_failures() {
        let throttle = Throttle::default();
        let attacker = [Key::source("203.0.113.9")];
        let owner = [Key::source("198.51.100.7")];
        for _ in 1..FREE_FAILURES {
            assert_eq!(throttle.wait(&attacker, at(0)), None);
            throttle.failed(&attacker, at(0));
        }
        assert_eq!(throttle.wait(&attacker, at(0)), None);
        throttle.failed(&attacker, at(0));
        assert_eq!(throttle.wait(&attacker, at(0)), Some(30));
        assert_eq!(throttle.wait(&attacker, at(29)), Some(1));
        assert_eq!(throttle.wait(&attacker, at(30)), None);
        throttle.failed(&attacker, at(30));
        assert_eq!(throttle.wait(&attacker, at(30)), Some(60));
        // Another source is not held up by the attacker's failures.
        assert_eq!(throttle.wait(&owner, at(30)), None);
        // Any key of an attempt that must wait holds it up.
        let both = [owner[0].clone(), attacker[0].clone()];
        assert_eq!(throttle.wait(&both, at(30)), Some(60));
        // Quiet for long enough, a key starts afresh.
        let later = at(30) + FORGET_AFTER;
        throttle.failed(&attacker, later);
        assert_eq!(throttle.wait(&attacker, later), None);
    }

    #[test]
    fn ipv6_sources_count_by_their_64_prefix() {
        assert_eq!(
            Key::source("2001:db8:1:2:aaaa::1"),
            Key::source("2001:db8:1:2:bbbb::2")
        );
        assert_ne!(
            Key::source("2001:db8:1:2::1"),
            Key::source("2001:db8:1:3::1")
        );
        assert_eq!(Key::source("10.0.0.1"), Key::Source("10.0.0.1".into()));
        assert_eq!(Key::account(" ADMIN "), Key::account("admin"));
    }
}
