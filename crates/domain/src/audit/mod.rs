//! The audit trail's hash chain.
//!
//! Each entry's hash is SHA-256 over a canonical byte encoding of the entry
//! and the previous entry's hash, so changing, deleting or reordering any
//! entry breaks every hash after it. The encoding is length-prefixed and
//! versioned: it does not depend on how a database renders values.

use crate::validation::Invalid;
use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

mod action;

pub use action::{AuditAction, RecordVerb, UnknownAction};

pub type Hash = [u8; 32];

/// The hash before the first entry.
pub const GENESIS: Hash = [0; 32];

const DOMAIN: &[u8] = b"interdict-audit-v1";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Outcome {
    Allowed,
    Denied,
    Error,
}

impl Outcome {
    pub const ALL: [Outcome; 3] = [Self::Allowed, Self::Denied, Self::Error];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allowed => "allowed",
            Self::Denied => "denied",
            Self::Error => "error",
        }
    }
}

impl FromStr for Outcome {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "allowed" => Ok(Self::Allowed),
            "denied" => Ok(Self::Denied),
            "error" => Ok(Self::Error),
            _ => Err("must be one of allowed, denied, error".into()),
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What one audit entry says, before it is chained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub occurred_at: DateTime<Utc>,
    pub user_id: Option<Uuid>,
    pub agency_id: Option<Uuid>,
    pub role: Option<String>,
    pub action: AuditAction,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub outcome: Outcome,
    pub request_id: Option<String>,
    pub source: Option<String>,
    /// Small structured context (filters, counts, reasons) as JSON text.
    pub detail: Option<String>,
}

impl AuditEvent {
    /// A new event stamped now, at the microsecond precision both databases
    /// store, so the hash survives a round trip.
    pub fn now(action: AuditAction) -> Self {
        Self::at(action, Utc::now())
    }

    /// A new event stamped `occurred_at`, to the microsecond.
    pub fn at(action: AuditAction, occurred_at: DateTime<Utc>) -> Self {
        Self {
            occurred_at: occurred_at.trunc_subsecs(6),
            user_id: None,
            agency_id: None,
            role: None,
            action,
            object_type: None,
            object_id: None,
            outcome: Outcome::Allowed,
            request_id: None,
            source: None,
            detail: None,
        }
    }

    /// The event with every NUL character replaced by U+FFFD, the
    /// replacement character. PostgreSQL cannot store NUL in text, and an
    /// entry it refuses would fail every action committed with it; the
    /// input boundary refuses NUL, and this makes sure no path around it
    /// can cost another request its entry.
    pub fn storable(mut self) -> Self {
        fn clean(text: &mut String) {
            if text.contains('\0') {
                *text = text.replace('\0', "\u{FFFD}");
            }
        }
        // The action is an `AuditAction`, whose names hold no NUL.
        for text in [
            &mut self.role,
            &mut self.object_type,
            &mut self.object_id,
            &mut self.request_id,
            &mut self.source,
            &mut self.detail,
        ]
        .into_iter()
        .flatten()
        {
            clean(text);
        }
        self
    }
}

/// An entry as stored: the event, its place in the chain and its hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainedEntry {
    pub seq: i64,
    pub event: AuditEvent,
    pub prev_hash: Hash,
    pub hash: Hash,
}

impl ChainedEntry {
    /// Chains `event` after an entry whose hash is `prev_hash`.
    pub fn chain(seq: i64, event: AuditEvent, prev_hash: Hash) -> Self {
        let hash = entry_hash(seq, &event, &prev_hash);
        Self {
            seq,
            event,
            prev_hash,
            hash,
        }
    }
}

fn put_field(hasher: &mut Sha256, value: Option<&[u8]>) {
    match value {
        None => hasher.update([0u8]),
        Some(bytes) => {
            hasher.update([1u8]);
            hasher.update((bytes.len() as u64).to_be_bytes());
            hasher.update(bytes);
        }
    }
}

/// Digest of an event's content alone. The chain hashes digests, so one
/// entry can be proven against a checkpoint by showing the digests of the
/// entries after it, without showing what those entries say.
pub fn content_digest(event: &AuditEvent) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update(b"interdict-audit-content-v1");
    hasher.update(event.occurred_at.timestamp_micros().to_be_bytes());
    put_field(
        &mut hasher,
        event.user_id.as_ref().map(|u| u.as_bytes().as_slice()),
    );
    put_field(
        &mut hasher,
        event.agency_id.as_ref().map(|u| u.as_bytes().as_slice()),
    );
    put_field(&mut hasher, event.role.as_deref().map(str::as_bytes));
    put_field(&mut hasher, Some(event.action.as_str().as_bytes()));
    put_field(&mut hasher, event.object_type.as_deref().map(str::as_bytes));
    put_field(&mut hasher, event.object_id.as_deref().map(str::as_bytes));
    put_field(&mut hasher, Some(event.outcome.as_str().as_bytes()));
    put_field(&mut hasher, event.request_id.as_deref().map(str::as_bytes));
    put_field(&mut hasher, event.source.as_deref().map(str::as_bytes));
    put_field(&mut hasher, event.detail.as_deref().map(str::as_bytes));
    hasher.finalize().into()
}

/// The chain link: the previous hash, the position and the content digest.
pub fn link_hash(seq: i64, digest: &Hash, prev_hash: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update(DOMAIN);
    hasher.update(prev_hash);
    hasher.update(seq.to_be_bytes());
    hasher.update(digest);
    hasher.finalize().into()
}

pub fn entry_hash(seq: i64, event: &AuditEvent, prev_hash: &Hash) -> Hash {
    link_hash(seq, &content_digest(event), prev_hash)
}

/// One later entry in a proof: enough to recompute its hash, nothing of
/// its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofLink {
    pub seq: i64,
    pub prev_hash: Hash,
    pub digest: Hash,
    pub hash: Hash,
}

/// Where a proof fails to reach its checkpoint, in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BrokenProof(pub String);

/// Checks that `entry`, followed by `links`, leads to `checkpoint`'s hash:
/// the entry's content hashes to its hash, each link continues the one
/// before, and the last reaches the checkpoint. (The checkpoint's signature
/// is checked separately, with the audit key.)
pub fn verify_proof(
    entry: &ChainedEntry,
    links: &[ProofLink],
    checkpoint: &Checkpoint,
) -> Result<(), BrokenProof> {
    if entry_hash(entry.seq, &entry.event, &entry.prev_hash) != entry.hash {
        return Err(BrokenProof(format!(
            "entry {} does not match its hash",
            entry.seq
        )));
    }
    let (mut seq, mut hash) = (entry.seq, entry.hash);
    for link in links {
        if link.seq != seq + 1 || link.prev_hash != hash {
            return Err(BrokenProof(format!(
                "entry {} does not continue entry {seq}",
                link.seq
            )));
        }
        if link_hash(link.seq, &link.digest, &link.prev_hash) != link.hash {
            return Err(BrokenProof(format!(
                "entry {} does not match its hash",
                link.seq
            )));
        }
        (seq, hash) = (link.seq, link.hash);
    }
    if seq != checkpoint.seq || hash != checkpoint.hash {
        return Err(BrokenProof(format!(
            "the proof ends at entry {seq}, not at checkpoint {}",
            checkpoint.seq
        )));
    }
    Ok(())
}

/// A signed statement that the chain had `hash` at `seq`. The key is the
/// audit key, separate from the token key, so a stolen token key cannot
/// forge checkpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: Hash,
    pub at: DateTime<Utc>,
    pub signature: Hash,
}

type HmacSha256 = hmac::Hmac<Sha256>;

fn checkpoint_mac(key: &[u8], seq: i64, hash: &Hash, at: DateTime<Utc>) -> HmacSha256 {
    use hmac::Mac;
    // HMAC takes keys of any length; this cannot fail.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(b"interdict-checkpoint-v1");
    mac.update(&seq.to_be_bytes());
    mac.update(hash);
    mac.update(&at.timestamp_micros().to_be_bytes());
    mac
}

impl Checkpoint {
    pub fn sign(key: &[u8], seq: i64, hash: Hash, at: DateTime<Utc>) -> Self {
        use hmac::Mac;
        let at = at.trunc_subsecs(6);
        let signature = checkpoint_mac(key, seq, &hash, at)
            .finalize()
            .into_bytes()
            .into();
        Self {
            seq,
            hash,
            at,
            signature,
        }
    }

    /// Checks the signature in constant time.
    pub fn is_valid(&self, key: &[u8]) -> bool {
        use hmac::Mac;
        checkpoint_mac(key, self.seq, &self.hash, self.at)
            .verify_slice(&self.signature)
            .is_ok()
    }
}

/// The result of checking a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum VerifyReport {
    Intact {
        ok: bool,
        entries: i64,
        /// The signed checkpoint an incremental check started from; absent
        /// when every entry was re-hashed.
        #[serde(skip_serializing_if = "Option::is_none")]
        from_checkpoint: Option<i64>,
    },
    Broken {
        ok: bool,
        first_bad_seq: i64,
        reason: String,
    },
}

impl VerifyReport {
    pub fn is_ok(&self) -> bool {
        matches!(self, Self::Intact { .. })
    }
}

/// Checks entries fed in ascending sequence order, one at a time, so a
/// chain of any length is verified in constant memory.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    next_seq: i64,
    prev_hash: Hash,
    broken: Option<(i64, String)>,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self {
            next_seq: 1,
            prev_hash: GENESIS,
            broken: None,
        }
    }
}

impl ChainVerifier {
    pub fn new() -> Self {
        Self::default()
    }

    /// Resumes after a trusted checkpoint: the next entry must follow it.
    pub fn after(checkpoint: &Checkpoint) -> Self {
        Self {
            next_seq: checkpoint.seq + 1,
            prev_hash: checkpoint.hash,
            broken: None,
        }
    }

    /// Where the chain stood after the entries fed so far.
    pub fn position(&self) -> (i64, Hash) {
        (self.next_seq - 1, self.prev_hash)
    }

    /// Marks the chain broken from outside (a checkpoint that does not
    /// match, a bad signature).
    pub fn fail(&mut self, seq: i64, reason: impl Into<String>) {
        if self.broken.is_none() {
            self.broken = Some((seq, reason.into()));
        }
    }

    /// Feeds the next entry; returns false once the chain is broken, after
    /// which further entries are ignored.
    pub fn feed(&mut self, entry: &ChainedEntry) -> bool {
        if self.broken.is_some() {
            return false;
        }
        let reason = if entry.seq != self.next_seq {
            Some(format!(
                "expected entry {} but found {}: entries are missing or out of order",
                self.next_seq, entry.seq
            ))
        } else if entry.prev_hash != self.prev_hash {
            Some("previous-hash link does not match the preceding entry".to_owned())
        } else if entry_hash(entry.seq, &entry.event, &entry.prev_hash) != entry.hash {
            Some("content does not match its hash: the entry was changed".to_owned())
        } else {
            None
        };
        if let Some(reason) = reason {
            self.broken = Some((self.next_seq.min(entry.seq), reason));
            return false;
        }
        self.next_seq += 1;
        self.prev_hash = entry.hash;
        true
    }

    /// Finishes against the recorded head (the last sequence number and
    /// hash written), which catches entries cut from the end.
    pub fn finish(self, head: Option<(i64, Hash)>) -> VerifyReport {
        if let Some((first_bad_seq, reason)) = self.broken {
            return VerifyReport::Broken {
                ok: false,
                first_bad_seq,
                reason,
            };
        }
        let entries = self.next_seq - 1;
        let (head_seq, head_hash) = head.unwrap_or((0, GENESIS));
        if head_seq != entries || head_hash != self.prev_hash {
            return VerifyReport::Broken {
                ok: false,
                first_bad_seq: entries.min(head_seq) + 1,
                reason: format!(
                    "the chain ends at entry {entries} but the recorded head is entry {head_seq}: entries were removed from the end"
                ),
            };
        }
        VerifyReport::Intact {
            ok: true,
            entries,
            from_checkpoint: None,
        }
    }
}

#[cfg(test)]
mod tests;
