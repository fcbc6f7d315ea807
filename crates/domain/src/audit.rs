//! The audit trail's hash chain.
//!
//! Each entry's hash is SHA-256 over a canonical byte encoding of the entry
//! and the previous entry's hash, so changing, deleting or reordering any
//! entry breaks every hash after it. The encoding is length-prefixed and
//! versioned: it does not depend on how a database renders values.

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

pub type Hash = [u8; 32];

/// The hash before the first entry.
pub const GENESIS: Hash = [0; 32];

const DOMAIN: &[u8] = b"interdict-audit-v1";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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
    type Err = String;
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
    pub action: String,
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
    pub fn now(action: impl Into<String>) -> Self {
        Self {
            occurred_at: Utc::now().trunc_subsecs(6),
            user_id: None,
            agency_id: None,
            role: None,
            action: action.into(),
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
        clean(&mut self.action);
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
    put_field(&mut hasher, Some(event.action.as_bytes()));
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

/// Checks that `entry`, followed by `links`, leads to `checkpoint`'s hash:
/// the entry's content hashes to its hash, each link continues the one
/// before, and the last reaches the checkpoint. (The checkpoint's signature
/// is checked separately, with the audit key.)
pub fn verify_proof(
    entry: &ChainedEntry,
    links: &[ProofLink],
    checkpoint: &Checkpoint,
) -> Result<(), String> {
    if entry_hash(entry.seq, &entry.event, &entry.prev_hash) != entry.hash {
        return Err(format!("entry {} does not match its hash", entry.seq));
    }
    let (mut seq, mut hash) = (entry.seq, entry.hash);
    for link in links {
        if link.seq != seq + 1 || link.prev_hash != hash {
            return Err(format!("entry {} does not continue entry {seq}", link.seq));
        }
        if link_hash(link.seq, &link.digest, &link.prev_hash) != link.hash {
            return Err(format!("entry {} does not match its hash", link.seq));
        }
        (seq, hash) = (link.seq, link.hash);
    }
    if seq != checkpoint.seq || hash != checkpoint.hash {
        return Err(format!(
            "the proof ends at entry {seq}, not at checkpoint {}",
            checkpoint.seq
        ));
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
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<ChainedEntry> {
        let mut prev = GENESIS;
        (1..=n)
            .map(|seq| {
                let mut event = AuditEvent::now(format!("action.{seq}"));
                event.user_id = Some(Uuid::from_u128(seq as u128));
                event.object_id = Some(format!("obj-{seq}"));
                let entry = ChainedEntry::chain(seq, event, prev);
                prev = entry.hash;
                entry
            })
            .collect()
    }

    #[test]
    fn a_storable_event_holds_no_nul_and_keeps_everything_else() {
        let mut event = AuditEvent::now("report.export");
        event.object_id = Some("shipments.csv\0.txt".into());
        event.detail = Some("{\"q\":\"a\0b\"}".into());
        event.role = Some("investigator".into());
        let stored = event.clone().storable();
        assert_eq!(
            stored.object_id.as_deref(),
            Some("shipments.csv\u{FFFD}.txt")
        );
        assert_eq!(stored.detail.as_deref(), Some("{\"q\":\"a\u{FFFD}b\"}"));
        assert_eq!(stored.role, event.role);
        assert_eq!(stored.occurred_at, event.occurred_at);
    }

    fn verify(entries: &[ChainedEntry], head: Option<(i64, Hash)>) -> VerifyReport {
        let mut verifier = ChainVerifier::new();
        for entry in entries {
            verifier.feed(entry);
        }
        verifier.finish(head)
    }

    fn head(entries: &[ChainedEntry]) -> Option<(i64, Hash)> {
        entries.last().map(|e| (e.seq, e.hash))
    }

    fn first_bad(report: VerifyReport) -> i64 {
        match report {
            VerifyReport::Broken { first_bad_seq, .. } => first_bad_seq,
            VerifyReport::Intact { .. } => panic!("tampering went unnoticed"),
        }
    }

    #[test]
    fn an_intact_chain_verifies() {
        let entries = chain(5);
        assert_eq!(
            verify(&entries, head(&entries)),
            VerifyReport::Intact {
                ok: true,
                entries: 5,
                from_checkpoint: None
            }
        );
        assert_eq!(
            verify(&[], None),
            VerifyReport::Intact {
                ok: true,
                entries: 0,
                from_checkpoint: None
            }
        );
    }

    #[test]
    fn a_changed_field_is_caught() {
        let mut entries = chain(5);
        let head = head(&entries);
        entries[2].event.outcome = Outcome::Denied;
        assert_eq!(first_bad(verify(&entries, head)), 3);
    }

    #[test]
    fn a_changed_optional_field_is_caught() {
        let mut entries = chain(3);
        let head = head(&entries);
        entries[1].event.detail = Some(String::new());
        assert_eq!(first_bad(verify(&entries, head)), 2);
    }

    #[test]
    fn a_deleted_entry_is_caught() {
        let mut entries = chain(5);
        let head = head(&entries);
        entries.remove(1);
        assert_eq!(first_bad(verify(&entries, head)), 2);
    }

    #[test]
    fn swapped_entries_are_caught() {
        let mut entries = chain(5);
        let head = head(&entries);
        // Swap content but keep the sequence numbers in place, as a row swap
        // in the database would.
        let (a, b) = (entries[1].clone(), entries[3].clone());
        entries[1] = ChainedEntry { seq: 2, ..b };
        entries[3] = ChainedEntry { seq: 4, ..a };
        assert_eq!(first_bad(verify(&entries, head)), 2);
    }

    #[test]
    fn a_truncated_tail_is_caught_by_the_head() {
        let mut entries = chain(5);
        let head = head(&entries);
        entries.pop();
        assert_eq!(first_bad(verify(&entries, head)), 5);
    }

    #[test]
    fn a_rehashed_forgery_is_caught_by_the_head() {
        // Rewriting an entry and re-hashing everything after it yields a
        // consistent chain, but its end no longer matches the recorded head.
        let entries = chain(4);
        let head = head(&entries);
        let mut forged = Vec::new();
        let mut prev = GENESIS;
        for mut entry in entries {
            if entry.seq == 2 {
                entry.event.action = "nothing.to.see".into();
            }
            let chained = ChainedEntry::chain(entry.seq, entry.event, prev);
            prev = chained.hash;
            forged.push(chained);
        }
        assert!(!verify(&forged, head).is_ok());
    }

    #[test]
    fn checkpoints_verify_only_with_their_key() {
        let entries = chain(3);
        let key = b"audit-key-0123456789abcdef0123456789";
        let cp = Checkpoint::sign(key, 3, entries[2].hash, Utc::now());
        assert!(cp.is_valid(key));
        assert!(!cp.is_valid(b"another-key-0123456789abcdef012345"));
        let moved = Checkpoint {
            seq: 2,
            ..cp.clone()
        };
        assert!(!moved.is_valid(key));
        let rehashed = Checkpoint {
            hash: entries[1].hash,
            ..cp
        };
        assert!(!rehashed.is_valid(key));
    }

    #[test]
    fn a_check_can_resume_after_a_checkpoint() {
        let entries = chain(5);
        let key = b"k";
        let cp = Checkpoint::sign(key, 3, entries[2].hash, Utc::now());
        let mut verifier = ChainVerifier::after(&cp);
        for entry in &entries[3..] {
            assert!(verifier.feed(entry));
        }
        assert!(verifier.finish(head(&entries)).is_ok());
        let mut tampered = entries.clone();
        tampered[4].event.action = "changed".into();
        let mut verifier = ChainVerifier::after(&cp);
        for entry in &tampered[3..] {
            verifier.feed(entry);
        }
        assert_eq!(first_bad(verifier.finish(head(&entries))), 5);
    }

    #[test]
    fn one_entry_is_proven_against_a_checkpoint() {
        let entries = chain(6);
        let checkpoint = Checkpoint::sign(b"k", 6, entries[5].hash, Utc::now());
        let links: Vec<ProofLink> = entries[3..]
            .iter()
            .map(|e| ProofLink {
                seq: e.seq,
                prev_hash: e.prev_hash,
                digest: content_digest(&e.event),
                hash: e.hash,
            })
            .collect();
        assert_eq!(verify_proof(&entries[2], &links, &checkpoint), Ok(()));
        // A changed entry, a rewritten link, a missing link all fail.
        let mut changed = entries[2].clone();
        changed.event.outcome = Outcome::Denied;
        assert!(verify_proof(&changed, &links, &checkpoint).is_err());
        let mut forged = links.clone();
        forged[0].digest = [7; 32];
        assert!(verify_proof(&entries[2], &forged, &checkpoint).is_err());
        assert!(verify_proof(&entries[2], &links[1..], &checkpoint).is_err());
        assert!(verify_proof(&entries[2], &links[..2], &checkpoint).is_err());
    }

    #[test]
    fn field_boundaries_are_unambiguous() {
        let mut a = AuditEvent::now("x");
        a.object_type = Some("ab".into());
        a.object_id = Some("c".into());
        let mut b = a.clone();
        b.object_type = Some("a".into());
        b.object_id = Some("bc".into());
        assert_ne!(entry_hash(1, &a, &GENESIS), entry_hash(1, &b, &GENESIS));
    }
}
