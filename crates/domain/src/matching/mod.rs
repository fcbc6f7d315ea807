//! Party matching: whether two records name the same actor, however its
//! name is spelt, with a score in [0, 1] and the signals behind it.
//!
//! Names are folded to Latin, legal forms reduced to one canonical token,
//! abbreviations spelt out, and words paired regardless of order by
//! equality, sound, edit distance, compounds and initialisms, each word
//! weighted by its rarity among the names compared against
//! ([`TokenStats`]). Identifiers (phones in E.164, e-mails, registration
//! numbers, addresses) and countries then raise or lower the score.
//!
//! ```
//! use interdict_domain::matching::{compare, PartyFacts, Profile, TokenStats};
//! let stats = TokenStats::default();
//! let facts = |name: &str| PartyFacts { names: vec![name.into()], ..PartyFacts::default() };
//! let a = Profile::new(&facts("Hebei Shengxue Bio-Tech Co., Ltd"), &stats);
//! let b = Profile::new(&facts("HEBEI SHENGXUE BIOTECH"), &stats);
//! assert!(compare(&a, &b).is_match());
//! ```
//!
//! [`name_keys`] and [`party_keys`] give the blocking keys under which a
//! party is filed so that candidates are found without a scan.

mod align;
mod blocking;
mod edit;
mod fold;
mod identifiers;
mod lexicon;
mod name;
mod phonetic;
mod profile;
mod signal;
mod stats;
mod words;

#[cfg(test)]
mod tests;

pub use align::{compare_names, Evidence, NameComparison};
pub use blocking::{name_keys, party_keys};
pub use fold::fold_words;
pub use identifiers::{address_similarity, address_words, email_key, phone_e164, registration_key};
pub use name::{Name, NameKind};
pub use phonetic::phonetic_key;
pub use profile::{best_names, compare, facts_of, Match, PartyFacts, Profile, MATCH_THRESHOLD};

crate::choice!(
    /// A person's judgement on whether two parties are the same actor.
    Judgement { Same => "same", Different => "different", Unsure => "unsure" }
);
pub use signal::{Signal, SignalKind};
pub use stats::TokenStats;
