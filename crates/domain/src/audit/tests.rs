use super::*;

fn chain(n: i64) -> Vec<ChainedEntry> {
    let mut prev = GENESIS;
    (1..=n)
        .map(|seq| {
            let mut event = AuditEvent::now(AuditAction::UserRead);
            event.object_type = Some(format!("action.{seq}"));
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
    let mut event = AuditEvent::now(AuditAction::ReportExport);
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
            entry.event.action = AuditAction::UserUpdate;
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
    tampered[4].event.action = AuditAction::UserUpdate;
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
    let mut a = AuditEvent::now(AuditAction::UserRead);
    a.object_type = Some("ab".into());
    a.object_id = Some("c".into());
    let mut b = a.clone();
    b.object_type = Some("a".into());
    b.object_id = Some("bc".into());
    assert_ne!(entry_hash(1, &a, &GENESIS), entry_hash(1, &b, &GENESIS));
}
