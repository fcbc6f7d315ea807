//! The persistence layer on both backends, without HTTP: the audit writer's
//! all-or-nothing semantics, repositories and type round trips.

use chrono::{SubsecRound, Utc};
use interdict_domain::agency::NewAgency;
use interdict_domain::audit::{AuditAction, AuditEvent, Outcome, RecordVerb};
use interdict_domain::policy::{AuditScope, UserDirectory};
use interdict_domain::user::NewUser;
use interdict_persistence::agencies::{self, AgencyRow};
use interdict_persistence::audit::{
    self, AuditFailure, AuditFilter, AuditWriter, Audited, Checkpointing, VerifyMode,
};
use interdict_persistence::users::{self, UpdateOutcome, UserChanges, UserRow};
use interdict_persistence::{settings, tokens, watches, DatabaseUrl, Db, PoolOptions};
use interdict_tests::{both_backends, Backend, TestDatabase};
use std::sync::{Arc, Mutex};
use uuid::Uuid;

both_backends!(
    failed_work_is_rolled_back_and_recorded_as_an_error,
    a_failed_action_takes_only_its_own_writes_from_its_batch,
    an_entry_holding_nul_commits_with_its_batch,
    denied_work_can_keep_its_effects,
    concurrent_jobs_chain_in_one_order,
    users_update_only_from_the_current_version,
    lockout_after_five_failures,
    settings_keep_the_first_value,
    revoked_tokens_are_found_and_pruned,
    a_session_reads_user_revocation_and_task_forces_together,
    timestamps_and_ids_round_trip,
    checkpoints_are_signed_and_checked,
    pooled_connections_are_configured,
    the_route_filter_reads_one_index,
    accepted_lines_are_stored_once_each_with_their_cells_intact,
    the_audit_writers_statements_are_prepared_once,
    a_few_keys_find_what_each_finds,
);

#[derive(Debug)]
enum TestError {
    Refused,
    Db(String),
}

impl Audited for TestError {
    fn outcome(&self) -> Outcome {
        match self {
            TestError::Refused => Outcome::Denied,
            TestError::Db(_) => Outcome::Error,
        }
    }
}

impl From<AuditFailure> for TestError {
    fn from(e: AuditFailure) -> Self {
        TestError::Db(e.to_string())
    }
}

impl From<interdict_persistence::Error> for TestError {
    fn from(e: interdict_persistence::Error) -> Self {
        TestError::Db(e.to_string())
    }
}

const AUDIT_KEY: &[u8] = b"persistence-test-audit-key-0123456789";

/// Checkpoints every 10 entries, so a short test crosses several.
fn checkpointing() -> Checkpointing {
    Checkpointing {
        key: AUDIT_KEY.to_vec(),
        every: 10,
    }
}

fn setup(backend: Backend) -> (TestDatabase, Db, AuditWriter, AgencyRow) {
    let database = TestDatabase::create(backend);
    let db = database.pool();
    let (writer, _thread) = AuditWriter::start(db.clone(), 64, checkpointing());
    let agency = NewAgency::parse("Ohio BCI", "state", "OH", "OH0000000", "duty desk").unwrap();
    let row = AgencyRow::new(&agency, false);
    agencies::insert(&mut db.get().unwrap(), &row).unwrap();
    (database, db, writer, row)
}

fn user(agency: &AgencyRow, name: &str) -> UserRow {
    let new = NewUser::parse(
        name,
        "Some One",
        "investigator",
        "glacier marmalade trombone voyage",
    )
    .unwrap();
    UserRow::new(&new, agency.id.0, "$argon2id$fake".into())
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(future)
}

fn entries(db: &Db) -> Vec<interdict_domain::audit::ChainedEntry> {
    let filter = AuditFilter {
        limit: 1000,
        ..Default::default()
    };
    audit::search(&mut db.get().unwrap(), AuditScope::Everything, &filter).unwrap()
}

fn failed_work_is_rolled_back_and_recorded_as_an_error(backend: Backend) {
    let (_database, db, writer, agency) = setup(backend);
    let row = user(&agency, "half.written");
    let id = row.id.0;
    let result: Result<(), TestError> = block_on(writer.perform(
        AuditEvent::now(AuditAction::UserCreate),
        move |conn, _| {
            users::insert(conn, &row)?;
            // Fails after a successful write: the insert must not survive.
            Err(TestError::Db("simulated failure".into()))
        },
    ));
    assert!(
        matches!(&result, Err(TestError::Db(m)) if m.contains("simulated")),
        "{result:?}"
    );
    assert!(
        users::find(&mut db.get().unwrap(), id).unwrap().is_none(),
        "partial write survived"
    );
    let recorded = entries(&db);
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].event.action.as_str(), "user.create");
    assert_eq!(recorded[0].event.outcome, Outcome::Error);

    // A refusal is recorded as denied.
    let refused: Result<(), TestError> = block_on(
        writer.perform(AuditEvent::now(AuditAction::UserRead), |_, _| {
            Err(TestError::Refused)
        }),
    );
    assert!(matches!(refused, Err(TestError::Refused)));
    assert_eq!(entries(&db)[0].event.outcome, Outcome::Denied);
    assert!(
        audit::verify(&mut db.get().unwrap(), AUDIT_KEY, VerifyMode::Full)
            .unwrap()
            .is_ok()
    );
}

/// Actions committed together keep their effects apart. One failing on a
/// database error (which on PostgreSQL aborts the whole transaction until
/// it is rolled back to the action's savepoint) takes only its own writes
/// with it, and those before and after it stay.
fn a_failed_action_takes_only_its_own_writes_from_its_batch(backend: Backend) {
    let (_database, db, writer, agency) = setup(backend);
    users::insert(&mut db.get().unwrap(), &user(&agency, "taken.name")).unwrap();
    // The failing action writes a user, then clashes on a taken name.
    let rows = [
        vec![user(&agency, "first.one")],
        vec![user(&agency, "half.written"), user(&agency, "taken.name")],
        vec![user(&agency, "last.one")],
    ];
    let ids = rows.clone().map(|rows| rows[0].id.0);
    let create = |rows: Vec<UserRow>| {
        writer.perform(AuditEvent::now(AuditAction::UserCreate), move |conn, _| {
            rows.iter()
                .try_for_each(|row| users::insert(conn, row))
                .map_err(TestError::from)
        })
    };
    let [first, clash, last] = rows;
    // The first action holds the writer while the three others queue, so
    // they are taken as one batch.
    let (_, first, clash, last) = block_on(async {
        tokio::join!(
            writer.perform(AuditEvent::now(AuditAction::UserList), |_, _| {
                std::thread::sleep(std::time::Duration::from_millis(200));
                Ok::<_, TestError>(())
            }),
            create(first),
            create(clash),
            create(last),
        )
    });
    assert!(first.is_ok() && last.is_ok(), "{first:?} {last:?}");
    assert!(matches!(clash, Err(TestError::Db(_))), "{clash:?}");
    let conn = &mut db.get().unwrap();
    let kept = ids.map(|id| users::find(conn, id).unwrap().is_some());
    assert_eq!(kept, [true, false, true]);
    let mut outcomes: Vec<Outcome> = entries(&db)
        .into_iter()
        .filter(|entry| entry.event.action.as_str() == "user.create")
        .map(|entry| entry.event.outcome)
        .collect();
    outcomes.sort_by_key(|outcome| format!("{outcome:?}"));
    assert_eq!(
        outcomes,
        [Outcome::Allowed, Outcome::Allowed, Outcome::Error]
    );
}

/// PostgreSQL cannot store NUL in text; an entry holding one used to fail
/// the commit of every action batched with it.
fn an_entry_holding_nul_commits_with_its_batch(backend: Backend) {
    let (_database, db, writer, _agency) = setup(backend);
    let event = |object: &str| {
        let mut event = AuditEvent::now(AuditAction::ReportExport);
        event.object_id = Some(object.to_owned());
        event
    };
    // The first action holds the writer while the others queue, so they are
    // taken as one batch.
    let (held, clean, poisoned, after) = block_on(async {
        tokio::join!(
            writer.perform(AuditEvent::now(AuditAction::UserList), |_, _| {
                std::thread::sleep(std::time::Duration::from_millis(200));
                Ok::<_, TestError>(())
            }),
            writer.record(event("before")),
            writer.record(event("shipments.csv\0.txt")),
            writer.record(event("after")),
        )
    });
    assert!(held.is_ok(), "{held:?}");
    assert!(
        clean.is_ok() && poisoned.is_ok() && after.is_ok(),
        "{clean:?} {poisoned:?} {after:?}"
    );
    let objects: Vec<String> = entries(&db)
        .into_iter()
        .filter(|entry| entry.event.action == AuditAction::ReportExport)
        .filter_map(|entry| entry.event.object_id)
        .collect();
    assert_eq!(objects.len(), 3, "{objects:?}");
    assert!(
        objects.contains(&"shipments.csv\u{FFFD}.txt".to_owned()),
        "{objects:?}"
    );
    let report = audit::verify(&mut db.get().unwrap(), AUDIT_KEY, VerifyMode::Full).unwrap();
    assert!(
        matches!(
            report,
            interdict_domain::audit::VerifyReport::Intact { ok: true, .. }
        ),
        "{report:?}"
    );
}

fn denied_work_can_keep_its_effects(backend: Backend) {
    let (_database, db, writer, agency) = setup(backend);
    let row = user(&agency, "counted");
    let id = row.id.0;
    users::insert(&mut db.get().unwrap(), &row).unwrap();
    // A failed login counts the failure and is recorded as denied.
    let result: Result<bool, TestError> = block_on(writer.perform(
        AuditEvent::now(AuditAction::AuthLogin),
        move |conn, event| {
            event.outcome = Outcome::Denied;
            Ok(users::record_failed_login(conn, id)?)
        },
    ));
    assert!(!result.unwrap(), "one failure does not lock");
    assert_eq!(
        users::find(&mut db.get().unwrap(), id)
            .unwrap()
            .unwrap()
            .failed_logins,
        1
    );
    assert_eq!(entries(&db)[0].event.outcome, Outcome::Denied);
}

fn concurrent_jobs_chain_in_one_order(backend: Backend) {
    let (_database, db, writer, _agency) = setup(backend);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut tasks = Vec::new();
        for i in 0..400 {
            let writer = writer.clone();
            tasks.push(tokio::spawn(async move {
                let mut event = AuditEvent::now(AuditAction::UserRead);
                event.object_id = Some(i.to_string());
                writer.record(event).await
            }));
        }
        for task in tasks {
            task.await.unwrap().unwrap();
        }
    });
    let report = audit::verify(&mut db.get().unwrap(), AUDIT_KEY, VerifyMode::Full).unwrap();
    assert_eq!(
        serde_json::to_value(&report).unwrap(),
        serde_json::json!({ "ok": true, "entries": 400 })
    );
    let head = audit::head(&mut db.get().unwrap()).unwrap();
    assert_eq!(head.0, 400);
}

fn users_update_only_from_the_current_version(backend: Backend) {
    let (_database, db, _writer, agency) = setup(backend);
    let mut conn = db.get().unwrap();
    let row = user(&agency, "versioned");
    let id = row.id.0;
    users::insert(&mut conn, &row).unwrap();
    let rename = UserChanges {
        display_name: Some("Renamed".into()),
        ..Default::default()
    };
    let UpdateOutcome::Updated(updated) = users::update(&mut conn, id, 1, &rename).unwrap() else {
        panic!("update from the current version failed");
    };
    assert_eq!(
        (updated.version, updated.session_version),
        (2, 1),
        "a rename keeps sessions"
    );
    assert!(matches!(
        users::update(&mut conn, id, 1, &rename).unwrap(),
        UpdateOutcome::Stale { current_version: 2 }
    ));
    let disable = UserChanges {
        active: Some(false),
        ..Default::default()
    };
    let UpdateOutcome::Updated(disabled) = users::update(&mut conn, id, 2, &disable).unwrap()
    else {
        panic!("disable failed");
    };
    assert!(!disabled.active);
    assert_eq!(disabled.session_version, 2, "disabling ends sessions");
    assert!(matches!(
        users::update(&mut conn, Uuid::now_v7(), 1, &rename).unwrap(),
        UpdateOutcome::Missing
    ));

    let listed = users::list(&mut conn, UserDirectory::Agency(agency.id.0), None, 10).unwrap();
    assert_eq!(listed.len(), 1);
    assert!(
        users::list(&mut conn, UserDirectory::Agency(Uuid::now_v7()), None, 10)
            .unwrap()
            .is_empty()
    );
    assert!(users::list(&mut conn, UserDirectory::Nothing, None, 10)
        .unwrap()
        .is_empty());
}

fn lockout_after_five_failures(backend: Backend) {
    let (_database, db, _writer, agency) = setup(backend);
    let mut conn = db.get().unwrap();
    let row = user(&agency, "hammered");
    let id = row.id.0;
    users::insert(&mut conn, &row).unwrap();
    for attempt in 1..=4 {
        assert!(
            !users::record_failed_login(&mut conn, id).unwrap(),
            "locked at attempt {attempt}"
        );
    }
    assert!(users::record_failed_login(&mut conn, id).unwrap());
    let locked = users::find(&mut conn, id).unwrap().unwrap();
    assert!(locked.is_locked(interdict_persistence::now()));
    assert!(!locked.is_locked(interdict_persistence::now() + chrono::Duration::minutes(11)));
    users::set_password(&mut conn, id, "$argon2id$new").unwrap();
    let reset = users::find(&mut conn, id).unwrap().unwrap();
    assert!(!reset.is_locked(interdict_persistence::now()));
    assert_eq!(reset.session_version, 2);
}

fn settings_keep_the_first_value(backend: Backend) {
    let (_database, db, _writer, _agency) = setup(backend);
    let mut conn = db.get().unwrap();
    assert_eq!(settings::get(&mut conn, "k").unwrap(), None);
    assert_eq!(
        settings::get_or_insert(&mut conn, "k", || "first".into()).unwrap(),
        "first"
    );
    assert_eq!(
        settings::get_or_insert(&mut conn, "k", || "second".into()).unwrap(),
        "first"
    );
}

fn revoked_tokens_are_found_and_pruned(backend: Backend) {
    let (_database, db, _writer, _agency) = setup(backend);
    let mut conn = db.get().unwrap();
    let (live, dead) = (Uuid::now_v7(), Uuid::now_v7());
    let now = interdict_persistence::now();
    tokens::revoke(&mut conn, live, now + chrono::Duration::minutes(5)).unwrap();
    tokens::revoke(&mut conn, live, now + chrono::Duration::minutes(5)).unwrap();
    tokens::revoke(&mut conn, dead, now - chrono::Duration::minutes(5)).unwrap();
    assert!(tokens::is_revoked(&mut conn, live).unwrap());
    assert!(!tokens::is_revoked(&mut conn, Uuid::now_v7()).unwrap());
    assert_eq!(tokens::prune(&mut conn).unwrap(), 1);
    assert!(tokens::is_revoked(&mut conn, live).unwrap());
    assert!(!tokens::is_revoked(&mut conn, dead).unwrap());
}

fn a_session_reads_user_revocation_and_task_forces_together(backend: Backend) {
    let (_database, db, _writer, agency) = setup(backend);
    let mut conn = db.get().unwrap();
    let alice = user(&agency, "alice");
    users::insert(&mut conn, &alice).unwrap();
    let jti = Uuid::now_v7();
    let session = users::find_session(&mut conn, alice.id.0, jti)
        .unwrap()
        .unwrap();
    assert_eq!(session.principal.user.username, "alice");
    assert!(!session.principal.agency_is_system);
    assert!(!session.revoked);
    assert!(session.task_forces.is_empty());

    let mut task_forces = Vec::new();
    for name in ["Ohio HIDTA", "Great Lakes"] {
        let row = agencies::TaskForceRow {
            id: Uuid::now_v7().into(),
            name: name.into(),
            description: String::new(),
            created_at: interdict_persistence::now(),
        };
        agencies::insert_task_force(&mut conn, &row).unwrap();
        agencies::add_member(&mut conn, row.id.0, agency.id.0).unwrap();
        task_forces.push(row.id.0);
    }
    tokens::revoke(
        &mut conn,
        jti,
        interdict_persistence::now() + chrono::Duration::minutes(5),
    )
    .unwrap();
    let mut session = users::find_session(&mut conn, alice.id.0, jti)
        .unwrap()
        .unwrap();
    assert!(session.revoked);
    session.task_forces.sort();
    assert_eq!(session.task_forces, task_forces);
    assert_eq!(
        session.principal.user.id, alice.id,
        "one user however many task forces"
    );
    assert!(
        !users::find_session(&mut conn, alice.id.0, Uuid::now_v7())
            .unwrap()
            .unwrap()
            .revoked
    );
    assert!(users::find_session(&mut conn, Uuid::now_v7(), jti)
        .unwrap()
        .is_none());
}

fn timestamps_and_ids_round_trip(backend: Backend) {
    let (_database, db, writer, agency) = setup(backend);
    let mut conn = db.get().unwrap();
    let stored = agencies::find(&mut conn, agency.id.0).unwrap().unwrap();
    assert_eq!(stored.id, agency.id);
    assert_eq!(stored.created_at, agency.created_at);
    let mut event = AuditEvent::now(AuditAction::AuditVerify);
    event.occurred_at = Utc::now().trunc_subsecs(6);
    event.user_id = Some(Uuid::now_v7());
    event.detail = Some("{\"ünïcode\":\"✓\"}".into());
    block_on(writer.record(event.clone())).unwrap();
    let back = &entries(&db)[0];
    assert_eq!(back.event, event);
}

#[derive(diesel::QueryableByName)]
struct Setting {
    #[diesel(sql_type = diesel::sql_types::Text)]
    value: String,
}

fn setting(conn: &mut interdict_persistence::DbConnection, sql: &str) -> String {
    use diesel::RunQueryDsl;
    diesel::sql_query(sql)
        .get_result::<Setting>(conn)
        .unwrap()
        .value
}

/// What every connection the pool hands out is set up with: SQLite in WAL
/// with foreign keys enforced, a page cache of its own (not one shared
/// behind a process-wide lock), its memory bounded across connections and
/// its log checkpointed in small steps; PostgreSQL with one plan kept per
/// prepared statement (planning each execution afresh made the audit
/// writer's round of statements for a new shipment a quarter slower).
fn pooled_connections_are_configured(backend: Backend) {
    let (_database, db, _writer, _agency) = setup(backend);
    let mut conn = db.get().unwrap();
    match backend {
        Backend::Sqlite => {
            assert_eq!(
                setting(
                    &mut conn,
                    "SELECT journal_mode AS value FROM pragma_journal_mode"
                ),
                "wal"
            );
            assert_eq!(
                setting(
                    &mut conn,
                    "SELECT CAST(foreign_keys AS TEXT) AS value FROM pragma_foreign_keys"
                ),
                "1"
            );
            assert_eq!(
                setting(
                    &mut conn,
                    "SELECT CAST(soft_heap_limit AS TEXT) AS value FROM pragma_soft_heap_limit"
                ),
                interdict_persistence::db::SQLITE_HEAP_LIMIT.to_string()
            );
            #[derive(diesel::QueryableByName)]
            struct CompileOption {
                #[diesel(sql_type = diesel::sql_types::Text)]
                compile_options: String,
            }
            let options: Vec<CompileOption> =
                diesel::RunQueryDsl::load(diesel::sql_query("PRAGMA compile_options"), &mut **conn)
                    .unwrap();
            assert!(
                options
                    .iter()
                    .any(|o| o.compile_options.starts_with("THREADSAFE=1")),
                "the options were not read"
            );
            assert!(
                !options
                    .iter()
                    .any(|o| o.compile_options == "ENABLE_MEMORY_MANAGEMENT"),
                "SQLite shares one page cache between connections"
            );
            #[derive(diesel::QueryableByName)]
            struct Checkpoint {
                #[diesel(sql_type = diesel::sql_types::Integer)]
                wal_autocheckpoint: i32,
            }
            let checkpoint: Checkpoint = diesel::RunQueryDsl::get_result(
                diesel::sql_query("PRAGMA wal_autocheckpoint"),
                &mut **conn,
            )
            .unwrap();
            assert_eq!(
                checkpoint.wal_autocheckpoint as u32,
                interdict_persistence::db::SQLITE_CHECKPOINT_PAGES
            );
        }
        Backend::Postgres => assert_eq!(
            setting(
                &mut conn,
                "SELECT current_setting('plan_cache_mode') AS value"
            ),
            "force_generic_plan"
        ),
    }
}

/// The filter on origin country and destination state (the subquery the
/// shipment search writes for it) finds its ids in one index without
/// visiting the table: at a million shipments, looking up every shipment
/// from the origin country to check its state made the search time out.
fn the_route_filter_reads_one_index(backend: Backend) {
    let (_database, db, _writer, _agency) = setup(backend);
    let mut conn = db.get().unwrap();
    match backend {
        Backend::Sqlite => {
            #[derive(diesel::QueryableByName)]
            struct Step {
                #[diesel(sql_type = diesel::sql_types::Text)]
                detail: String,
            }
            use diesel::RunQueryDsl;
            let plan: Vec<String> = diesel::sql_query(
                "EXPLAIN QUERY PLAN SELECT record_id FROM shipment_facts \
                 WHERE origin_country = 'IN' AND destination_subdivision = 'US-AZ'",
            )
            .load::<Step>(&mut **conn)
            .unwrap()
            .into_iter()
            .map(|step| step.detail)
            .collect();
            assert!(
                plan.iter()
                    .any(|step| step.contains("COVERING INDEX shipment_facts_route")),
                "{plan:?}"
            );
        }
        // PostgreSQL plans by the table's statistics, so the test checks
        // that the index it can choose exists, with the id in it.
        Backend::Postgres => assert_eq!(
            setting(
                &mut conn,
                "SELECT indexdef AS value FROM pg_indexes WHERE indexname = 'shipment_facts_route'"
            ),
            "CREATE INDEX shipment_facts_route ON public.shipment_facts \
             USING btree (origin_country, destination_subdivision, record_id)"
        ),
    }
}

fn record_many(writer: &AuditWriter, n: usize) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        for i in 0..n {
            let mut event = AuditEvent::now(AuditAction::AuditSearch);
            event.object_id = Some(i.to_string());
            // One at a time, so batches are small and checkpoints regular.
            writer.record(event).await.unwrap();
        }
    });
}

fn tamper(database: &TestDatabase, sql: &str) {
    use diesel::connection::SimpleConnection;
    let unlock = match database.backend() {
        Backend::Postgres => "ALTER TABLE audit_entries DISABLE TRIGGER USER; ALTER TABLE audit_checkpoints DISABLE TRIGGER USER;",
        Backend::Sqlite => "DROP TRIGGER IF EXISTS audit_entries_no_update; DROP TRIGGER IF EXISTS audit_checkpoints_no_update;",
    };
    database
        .connect()
        .batch_execute(&format!("{unlock} {sql}"))
        .unwrap();
}

fn broken_at(report: interdict_domain::audit::VerifyReport) -> i64 {
    match report {
        interdict_domain::audit::VerifyReport::Broken { first_bad_seq, .. } => first_bad_seq,
        intact => panic!("not detected: {intact:?}"),
    }
}

fn checkpoints_are_signed_and_checked(backend: Backend) {
    let (database, db, writer, _agency) = setup(backend);
    record_many(&writer, 35);
    let mut conn = db.get().unwrap();
    let checkpoints = audit::checkpoints(&mut conn).unwrap();
    let seqs: Vec<i64> = checkpoints.iter().map(|c| c.seq).collect();
    assert_eq!(seqs, [10, 20, 30]);
    assert!(checkpoints.iter().all(|c| c.is_valid(AUDIT_KEY)));

    let full = audit::verify(&mut conn, AUDIT_KEY, VerifyMode::Full).unwrap();
    assert_eq!(
        serde_json::to_value(&full).unwrap(),
        serde_json::json!({ "ok": true, "entries": 35 })
    );
    let quick = audit::verify(&mut conn, AUDIT_KEY, VerifyMode::SinceCheckpoint).unwrap();
    assert_eq!(
        serde_json::to_value(&quick).unwrap(),
        serde_json::json!({ "ok": true, "entries": 35, "from_checkpoint": 30 })
    );
    // Checked with another key, the checkpoints do not hold.
    let wrong = audit::verify(
        &mut conn,
        b"not-the-audit-key-0123456789abcdef",
        VerifyMode::SinceCheckpoint,
    )
    .unwrap();
    assert_eq!(broken_at(wrong), 10);

    // An entry changed after the last checkpoint is caught by the quick check.
    tamper(
        &database,
        "UPDATE audit_entries SET object_id = 'x' WHERE seq = 33;",
    );
    assert_eq!(
        broken_at(audit::verify(&mut conn, AUDIT_KEY, VerifyMode::SinceCheckpoint).unwrap()),
        33
    );
    // One before it needs the full check, which names it.
    tamper(
        &database,
        "UPDATE audit_entries SET object_id = 'y' WHERE seq = 5;",
    );
    assert_eq!(
        broken_at(audit::verify(&mut conn, AUDIT_KEY, VerifyMode::Full).unwrap()),
        5
    );
    // A rewritten checkpoint is caught by its signature.
    tamper(
        &database,
        "UPDATE audit_checkpoints SET seq = 31 WHERE seq = 30;",
    );
    assert_eq!(
        broken_at(audit::verify(&mut conn, AUDIT_KEY, VerifyMode::SinceCheckpoint).unwrap()),
        31
    );
}

mod chain_graphs {
    use super::*;
    use interdict_domain::chain::{closes_cycle, Edge, Limits};
    use interdict_domain::record::{Facts, RecordIndex, RecordKind};
    use interdict_domain::sharing::Scope;
    use interdict_persistence::chains::{self, LinkRow};
    use interdict_persistence::records::{self, Write};
    use interdict_persistence::risk::settled;

    both_backends!(
        the_database_refuses_exactly_the_links_that_close_cycles,
        traces_match_the_graph
    );

    /// Random graphs from a fixed seed: the SQL cycle check must agree with
    /// the domain's on every offered link.
    fn the_database_refuses_exactly_the_links_that_close_cycles(backend: Backend) {
        let (_database, db, _writer, agency) = setup(backend);
        let mut conn = db.get().unwrap();
        let nodes = shipments(&mut conn, &agency, 12);
        let mut state: u64 = 42;
        let mut next = |n: usize| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((state >> 33) % n as u64) as usize
        };
        let mut accepted: Vec<Edge> = Vec::new();
        for _ in 0..60 {
            let (a, b) = (nodes[next(nodes.len())], nodes[next(nodes.len())]);
            let expected = closes_cycle(&accepted, a, b);
            let answer = chains::would_close_cycle(&mut conn, a, b, 64).unwrap();
            assert_eq!(answer, Some(expected), "{a} -> {b}");
            if !expected && !accepted.contains(&Edge { from: a, to: b }) {
                link(&mut conn, &agency, a, b);
                accepted.push(Edge { from: a, to: b });
            }
        }
        assert!(accepted.len() > 5, "the graph is not trivial");
    }

    fn traces_match_the_graph(backend: Backend) {
        let (_database, db, _writer, agency) = setup(backend);
        let mut conn = db.get().unwrap();
        let n = shipments(&mut conn, &agency, 6);
        // 0 → 1 → 2 → 3, 1 → 4, and 5 alone.
        for (a, b) in [(0, 1), (1, 2), (2, 3), (1, 4)] {
            link(&mut conn, &agency, n[a], n[b]);
        }
        let trace = chains::trace(&mut conn, n[2], &Limits::default()).unwrap();
        let mut got = trace.nodes.clone();
        got.sort();
        let mut want = vec![n[0], n[1], n[2], n[3], n[4]];
        want.sort();
        assert_eq!(got, want, "ancestors and everything downstream of them");
        assert_eq!(trace.links.len(), 4);
        assert!(!trace.depth_truncated && !trace.nodes_truncated);
        let shallow = chains::trace(
            &mut conn,
            n[0],
            &Limits {
                max_depth: 1,
                ..Limits::default()
            },
        )
        .unwrap();
        assert_eq!(shallow.nodes.len(), 2);
        assert!(shallow.depth_truncated);
        let capped = chains::trace(
            &mut conn,
            n[0],
            &Limits {
                max_nodes: 3,
                ..Limits::default()
            },
        )
        .unwrap();
        assert_eq!(capped.nodes.len(), 3);
        assert!(capped.nodes_truncated);
        let alone = chains::trace(&mut conn, n[5], &Limits::default()).unwrap();
        assert_eq!(alone.nodes, [n[5]]);
        assert!(alone.links.is_empty() && !alone.depth_truncated && !alone.nodes_truncated);
        // Capped at one node, the head of a chain still says it was cut.
        let one = chains::trace(
            &mut conn,
            n[0],
            &Limits {
                max_nodes: 1,
                ..Limits::default()
            },
        )
        .unwrap();
        assert_eq!(one.nodes, [n[0]]);
        assert!(one.nodes_truncated && one.links.is_empty());
    }

    fn shipments(
        conn: &mut interdict_persistence::DbConnection,
        agency: &AgencyRow,
        count: usize,
    ) -> Vec<Uuid> {
        let index = RecordIndex {
            identifiers: Vec::new(),
            references: Vec::new(),
            search_text: String::new(),
            facts: Facts::DieMold {
                shape: "round".into(),
            },
        };
        (0..count)
            .map(|_| {
                let id = Uuid::now_v7();
                let write = Write {
                    body: "{}".into(),
                    index: &index,
                    scope: Scope::Agency,
                    actor: Uuid::now_v7(),
                };
                settled(conn, |conn, refresh| {
                    records::create(
                        conn,
                        refresh,
                        id,
                        RecordKind::Shipment,
                        agency.id.0,
                        &write,
                        &Default::default(),
                    )
                })
                .unwrap();
                id
            })
            .collect()
    }

    fn link(
        conn: &mut interdict_persistence::DbConnection,
        agency: &AgencyRow,
        from: Uuid,
        to: Uuid,
    ) {
        settled(conn, |conn, refresh| {
            chains::insert(
                conn,
                refresh,
                &LinkRow {
                    id: Uuid::now_v7().into(),
                    from_shipment_id: from.into(),
                    to_shipment_id: to.into(),
                    relation: "transshipment".into(),
                    evidence: "test".into(),
                    owner_agency_id: agency.id,
                    created_by: agency.id,
                    created_at: interdict_persistence::now(),
                    withdrawn_at: None,
                    withdrawn_by: None,
                    withdrawn_reason: None,
                },
            )
        })
        .unwrap();
    }
}

mod profiles {
    use super::*;
    use diesel::prelude::*;
    use interdict_domain::equipment::EquipmentInput;
    use interdict_domain::party::PartyInput;
    use interdict_domain::policy::Visibility;
    use interdict_domain::record::Document;
    use interdict_domain::record::RecordKind;
    use interdict_domain::risk::{self, Finding};
    use interdict_domain::sharing::Scope;
    use interdict_domain::shipment::ShipmentInput;
    use interdict_persistence::chains::{self, LinkRow};
    use interdict_persistence::deconfliction;
    use interdict_persistence::records::{self, Write};
    use interdict_persistence::risk::{self as findings, settled, Profiler, Refresh};
    use interdict_persistence::search::Search;
    use interdict_persistence::{DbConnection, DbUuid};
    use std::collections::HashMap;

    both_backends!(
        a_consignor_is_first_seen_only_on_its_earliest_shipment,
        kept_findings_follow_every_write_that_moves_them,
        a_new_record_writes_its_rows_in_one_statement_on_postgres,
        a_shipment_is_read_with_its_lines_catalogue_entries_in_one_statement,
        a_new_shipment_prepared_before_its_write_is_profiled_without_a_statement,
    );

    /// The SQL `conn` runs from now on.
    fn recorded(conn: &mut DbConnection) -> std::sync::Arc<std::sync::Mutex<Vec<String>>> {
        use std::sync::{Arc, Mutex};
        let statements = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&statements);
        conn.set_instrumentation(move |event: diesel::connection::InstrumentationEvent<'_>| {
            if let diesel::connection::InstrumentationEvent::StartQuery { query, .. } = event {
                seen.lock().unwrap().push(query.to_string());
            }
        });
        statements
    }

    /// An audited read's round trips are most of its cost on PostgreSQL:
    /// the shipment, its kept findings and the entries its lines name (whose
    /// controls the reader is shown) come in one statement.
    fn a_shipment_is_read_with_its_lines_catalogue_entries_in_one_statement(backend: Backend) {
        let (_database, db, _writer, agency) = setup(backend);
        let mut conn = db.get().unwrap();
        let conn: &mut DbConnection = &mut conn;
        let consignor = company(conn, &agency, "Alpha Trading");
        let press = serde_json::json!({ "kind": "tableting_machine", "serial_number": "TDP-0001" });
        let (press_id, _) = create::<EquipmentInput>(conn, &agency, press);
        let die =
            serde_json::json!({ "front_imprint": "M", "back_imprint": "30", "shape": "round" });
        let (die_id, _) = create::<interdict_domain::die_mold::DieMoldInput>(conn, &agency, die);
        let lines = serde_json::json!([
            { "equipment_id": press_id, "count": 1 },
            { "die_mold_id": die_id, "count": 2 }
        ]);
        let (shipment, _) =
            create::<ShipmentInput>(conn, &agency, shipment_body(consignor, "AWB-1", lines));
        let (bare, _) = create::<ShipmentInput>(
            conn,
            &agency,
            shipment_body(consignor, "AWB-2", serde_json::json!([])),
        );

        let statements = recorded(conn);
        let mut profiler = Profiler::default();
        let (row, found) = findings::read_shipment(conn, shipment, &mut profiler)
            .unwrap()
            .expect("the shipment");
        assert_eq!(row.id.0, shipment);
        assert!(
            found.iter().any(|f| f.code.as_str() == "pill_press"),
            "{found:?}"
        );
        let input: ShipmentInput = serde_json::from_str(&row.body).unwrap();
        let profile = profiler.lines_of(conn, shipment, Some(&input)).unwrap();
        assert_eq!(profile.equipment.len(), 1, "{profile:?}");
        assert_eq!(profile.dies.len(), 1, "{profile:?}");
        assert_eq!(profile.dies[0].imprint, "M/30");
        assert_eq!(
            statements.lock().unwrap().len(),
            1,
            "{:#?}",
            statements.lock().unwrap()
        );

        // A shipment without lines is one row; anything else, none.
        let (row, _) = findings::read_shipment(conn, bare, &mut Profiler::default())
            .unwrap()
            .expect("the shipment without lines");
        assert_eq!(row.id.0, bare);
        assert!(
            findings::read_shipment(conn, press_id, &mut Profiler::default())
                .unwrap()
                .is_none()
        );
        assert!(
            findings::read_shipment(conn, Uuid::now_v7(), &mut Profiler::default())
                .unwrap()
                .is_none()
        );
    }

    /// A create reads what a new shipment's profile needs of committed
    /// records before its write joins the audit writer's batch, where each
    /// statement is a round trip every request queued behind it waits for:
    /// the profile inside the batch then asks nothing more, and scores the
    /// shipment as the kept findings do.
    fn a_new_shipment_prepared_before_its_write_is_profiled_without_a_statement(backend: Backend) {
        let (_database, db, _writer, agency) = setup(backend);
        let mut conn = db.get().unwrap();
        let conn: &mut DbConnection = &mut conn;
        let consignor = company(conn, &agency, "Alpha Trading");
        let press = serde_json::json!({ "kind": "tableting_machine", "serial_number": "TDP-0001", "markings_removed": true });
        let (press_id, _) = create::<EquipmentInput>(conn, &agency, press);
        create::<ShipmentInput>(
            conn,
            &agency,
            shipment_body(consignor, "AWB-1", serde_json::json!([])),
        );
        let body = shipment_body(
            consignor,
            "AWB-2",
            serde_json::json!([{ "equipment_id": press_id, "count": 1 }]),
        );
        let mut read = Profiler::default();
        read.prepare_new(conn, &serde_json::from_value(body.clone()).unwrap())
            .unwrap();

        let (shipment, scored) = settled(conn, |conn, refresh| {
            let (shipment, body, noticed) =
                create_noticed::<ShipmentInput>(conn, refresh, &agency, body);
            let statements = recorded(conn);
            let profile = read
                .profile_of_new(
                    conn,
                    shipment,
                    serde_json::from_str(&body).ok().as_ref(),
                    noticed,
                )
                .unwrap();
            let asked = statements.lock().unwrap().clone();
            assert!(asked.is_empty(), "{asked:#?}");
            Ok::<_, interdict_persistence::Error>((shipment, risk::findings(&profile)))
        })
        .unwrap();
        let codes = kept_match_live(conn);
        let scored: Vec<String> = scored.iter().map(|f| f.code.as_str().to_owned()).collect();
        assert_eq!(scored, codes[&shipment], "scored otherwise than kept");
        assert!(fires(&codes, shipment, "pill_press") && fires(&codes, shipment, "marks_removed"));
        assert!(!fires(&codes, shipment, "first_seen_consignor"));
    }

    /// A new shipment writes a row to five tables. On PostgreSQL they go
    /// in as one statement, one round trip on the audit writer's single
    /// connection instead of five; SQLite, with no round trip to save,
    /// runs one statement per table. Every row is there either way.
    fn a_new_record_writes_its_rows_in_one_statement_on_postgres(backend: Backend) {
        use interdict_persistence::schema::{
            self, record_identifiers, record_refs, record_versions, shipment_facts,
        };
        use std::sync::{Arc, Mutex};
        let (_database, db, _writer, agency) = setup(backend);
        let mut conn = db.get().unwrap();
        let conn: &mut DbConnection = &mut conn;
        let consignor = company(conn, &agency, "Alpha Trading");
        let statements = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&statements);
        conn.set_instrumentation(move |event: diesel::connection::InstrumentationEvent<'_>| {
            if let diesel::connection::InstrumentationEvent::StartQuery { query, .. } = event {
                seen.lock().unwrap().push(query.to_string());
            }
        });
        let (shipment, _) = create::<ShipmentInput>(
            conn,
            &agency,
            shipment_body(consignor, "AWB-1", serde_json::json!([])),
        );
        let tables = [
            "records",
            "record_versions",
            "record_identifiers",
            "record_refs",
            "shipment_facts",
        ];
        let writing: Vec<String> = statements
            .lock()
            .unwrap()
            .iter()
            .filter(|sql| {
                // Quoted "so" on PostgreSQL, `so` on SQLite.
                tables.iter().any(|t| {
                    sql.contains(&format!("INSERT INTO \"{t}\""))
                        || sql.contains(&format!("INSERT INTO `{t}`"))
                })
            })
            .cloned()
            .collect();
        let expected = match backend {
            Backend::Postgres => 1,
            Backend::Sqlite => tables.len(),
        };
        assert_eq!(writing.len(), expected, "{writing:#?}");

        let id = DbUuid(shipment);
        let rows: [QueryResult<i64>; 5] = [
            schema::records::table.find(id).count().get_result(conn),
            record_versions::table
                .filter(record_versions::record_id.eq(id))
                .count()
                .get_result(conn),
            record_identifiers::table
                .filter(record_identifiers::record_id.eq(id))
                .count()
                .get_result(conn),
            record_refs::table
                .filter(record_refs::record_id.eq(id))
                .count()
                .get_result(conn),
            shipment_facts::table.find(id).count().get_result(conn),
        ];
        for (table, rows) in tables.iter().zip(rows) {
            assert_eq!(rows, Ok(1), "rows in {table}");
        }
    }

    /// A company of `agency`, recorded as [`create`] does.
    fn company(conn: &mut DbConnection, agency: &AgencyRow, name: &str) -> Uuid {
        let body = serde_json::json!({ "kind": "company", "name": name });
        create::<PartyInput>(conn, agency, body).0
    }

    /// Writes a record, settling the refreshes it asks for, as a
    /// transaction of its own would.
    fn create<D: Document>(
        conn: &mut DbConnection,
        agency: &AgencyRow,
        body: serde_json::Value,
    ) -> (Uuid, String) {
        let created = settled(conn, |conn, refresh| {
            Ok(create_in::<D>(conn, refresh, agency, body))
        });
        created.unwrap()
    }

    /// Writes a record in a transaction whose refreshes wait in `refresh`.
    /// [`create`] inside a caller's transaction. Returns the record's id,
    /// its document and whether its write made a deconfliction notice.
    fn create_noticed<D: Document>(
        conn: &mut DbConnection,
        refresh: &mut Refresh,
        agency: &AgencyRow,
        body: serde_json::Value,
    ) -> (Uuid, String, bool) {
        let (document, index) = serde_json::from_value::<D>(body).unwrap().check().unwrap();
        let body = serde_json::to_string(&document).unwrap();
        let id = Uuid::now_v7();
        let write = Write {
            body: body.clone(),
            index: &index,
            scope: Scope::Agency,
            actor: Uuid::now_v7(),
        };
        let row = records::create(
            conn,
            refresh,
            id,
            D::KIND,
            agency.id.0,
            &write,
            &Default::default(),
        )
        .unwrap();
        let noticed = deconfliction::detect(conn, refresh, &row, &index.identifiers).unwrap() > 0;
        (id, body, noticed)
    }

    fn create_in<D: Document>(
        conn: &mut DbConnection,
        refresh: &mut Refresh,
        agency: &AgencyRow,
        body: serde_json::Value,
    ) -> (Uuid, String) {
        let (id, body, _) = create_noticed::<D>(conn, refresh, agency, body);
        (id, body)
    }

    /// Replaces a record's document, as an edit in a transaction of its
    /// own does.
    fn edit<D: Document>(conn: &mut DbConnection, id: Uuid, body: serde_json::Value) {
        settled(conn, |conn, refresh| {
            edit_in::<D>(conn, refresh, id, body);
            Ok(())
        })
        .unwrap();
    }

    /// Replaces a record's document in a transaction whose refreshes wait
    /// in `refresh`.
    fn edit_in<D: Document>(
        conn: &mut DbConnection,
        refresh: &mut Refresh,
        id: Uuid,
        body: serde_json::Value,
    ) {
        let (document, index) = serde_json::from_value::<D>(body).unwrap().check().unwrap();
        let current = records::find_visible(conn, D::KIND, id, &everything())
            .unwrap()
            .unwrap();
        let write = Write {
            body: serde_json::to_string(&document).unwrap(),
            index: &index,
            scope: Scope::Agency,
            actor: Uuid::now_v7(),
        };
        let row = records::update(conn, refresh, &current, current.version, &write)
            .unwrap()
            .unwrap();
        deconfliction::detect(conn, refresh, &row, &index.identifiers).unwrap();
    }

    fn everything() -> Visibility {
        Visibility::Everything {
            include_withdrawn: true,
        }
    }

    fn shipment_body(
        consignor: Uuid,
        tracking: &str,
        lines: serde_json::Value,
    ) -> serde_json::Value {
        serde_json::json!({
            "incident_type": "suspicious_shipment", "status": "reported", "mode": "air_express",
            "tracking_numbers": [{ "kind": "air_waybill", "value": tracking }],
            "parties": [{ "party_id": consignor, "role": "consignor" }],
            "lines": lines,
            "legs": [{ "from": { "country": "CN" }, "to": { "country": "US" } }]
        })
    }

    /// Every shipment has kept findings, and they are what the rules find
    /// on its profile now; returns the codes kept for each shipment.
    fn kept_match_live(conn: &mut DbConnection) -> HashMap<Uuid, Vec<String>> {
        use interdict_persistence::schema::{records as r, risk_findings as f};
        let rows: Vec<(DbUuid, String)> = r::table
            .filter(r::kind.eq("shipment"))
            .select((r::id, r::body))
            .load(conn)
            .unwrap();
        let bodies: Vec<(Uuid, &str)> = rows.iter().map(|(id, b)| (id.0, b.as_str())).collect();
        let profiles = Profiler::default().profiles(conn, &bodies).unwrap();
        let mut codes = HashMap::new();
        for ((id, _), profile) in bodies.iter().zip(&profiles) {
            let kept: String = f::table
                .find(DbUuid(*id))
                .select(f::findings)
                .get_result(conn)
                .unwrap_or_else(|e| panic!("no findings kept for {id}: {e}"));
            let kept: Vec<Finding> = serde_json::from_str(&kept).unwrap();
            assert_eq!(
                kept,
                risk::findings(profile),
                "kept findings of {id} are stale"
            );
            codes.insert(
                *id,
                kept.iter().map(|f| f.code.as_str().to_owned()).collect(),
            );
        }
        codes
    }

    fn fires(codes: &HashMap<Uuid, Vec<String>>, shipment: Uuid, code: &str) -> bool {
        codes[&shipment].iter().any(|c| c == code)
    }

    /// The findings kept beside each shipment stay equal to what the rules
    /// find on its profile through every kind of write that can move them.
    fn kept_findings_follow_every_write_that_moves_them(backend: Backend) {
        let (_database, db, writer, agency) = setup(backend);
        let mut conn = db.get().unwrap();
        let conn = &mut conn;
        let other = AgencyRow::new(
            &NewAgency::parse("Indiana SP", "state", "IN", "IN0000000", "duty desk").unwrap(),
            false,
        );
        agencies::insert(conn, &other).unwrap();
        let party = |conn: &mut DbConnection, name: &str| company(conn, &agency, name);
        let (a, b) = (party(conn, "Alpha Trading"), party(conn, "Beta Logistics"));
        let press = serde_json::json!({ "kind": "tableting_machine", "serial_number": "TDP-0001" });
        let (press_id, _) = create::<EquipmentInput>(conn, &agency, press.clone());
        let press_line = serde_json::json!([{ "equipment_id": press_id, "count": 1 }]);
        let (s1, _) =
            create::<ShipmentInput>(conn, &agency, shipment_body(a, "AWB-1", press_line.clone()));
        let (s2, _) = create::<ShipmentInput>(
            conn,
            &agency,
            shipment_body(a, "AWB-2", serde_json::json!([])),
        );
        let (s3, _) = create::<ShipmentInput>(
            conn,
            &agency,
            shipment_body(b, "AWB-3", serde_json::json!([])),
        );
        let (s4, _) = create::<ShipmentInput>(
            conn,
            &agency,
            shipment_body(b, "AWB-4", serde_json::json!([])),
        );
        let codes = kept_match_live(conn);
        assert!(fires(&codes, s1, "first_seen_consignor") && fires(&codes, s1, "pill_press"));
        assert!(!fires(&codes, s2, "first_seen_consignor"));

        // Withdrawing a consignor's first shipment makes the next one first.
        let first = records::find_visible(conn, RecordKind::Shipment, s1, &everything())
            .unwrap()
            .unwrap();
        settled(conn, |conn, refresh| {
            records::withdraw(conn, refresh, &first, "entered twice", Uuid::now_v7())
        })
        .unwrap();
        assert!(fires(&kept_match_live(conn), s2, "first_seen_consignor"));

        // Two onward links split the consignment; withdrawing one undoes it.
        let link = |conn: &mut DbConnection, to: Uuid| {
            let row = LinkRow {
                id: Uuid::now_v7().into(),
                from_shipment_id: s2.into(),
                to_shipment_id: to.into(),
                relation: "transshipment".into(),
                evidence: "same pallet".into(),
                owner_agency_id: agency.id,
                created_by: Uuid::now_v7().into(),
                created_at: interdict_persistence::now(),
                withdrawn_at: None,
                withdrawn_by: None,
                withdrawn_reason: None,
            };
            settled(conn, |conn, refresh| chains::insert(conn, refresh, &row)).unwrap();
            row.id.0
        };
        link(conn, s3);
        let second = link(conn, s4);
        assert!(fires(&kept_match_live(conn), s2, "split_consignment"));
        settled(conn, |conn, refresh| {
            chains::withdraw(conn, refresh, second, Uuid::now_v7(), "wrong shipment")
        })
        .unwrap();
        assert!(!fires(&kept_match_live(conn), s2, "split_consignment"));

        // An edited press is read again by the shipments carrying it.
        let mut filed = press.clone();
        filed["markings_removed"] = true.into();
        edit::<EquipmentInput>(conn, press_id, filed);
        assert!(fires(&kept_match_live(conn), s1, "marks_removed"));

        // Another agency files the same air waybill: a hit for s3.
        create::<ShipmentInput>(
            conn,
            &other,
            shipment_body(b, "AWB-3", serde_json::json!([])),
        );
        assert!(fires(&kept_match_live(conn), s3, "deconfliction_hit"));

        // s4 changes consignor: b's first is still s3, and s4 is no longer
        // a's first either (s2 is earlier).
        edit::<ShipmentInput>(conn, s4, shipment_body(a, "AWB-4", press_line.clone()));
        let codes = kept_match_live(conn);
        assert!(!fires(&codes, s4, "first_seen_consignor") && fires(&codes, s4, "pill_press"));
        assert!(fires(&codes, s4, "marks_removed"));
        // And s3 changes to a: b's next live shipment becomes its first.
        edit::<ShipmentInput>(conn, s3, shipment_body(a, "AWB-3", serde_json::json!([])));
        kept_match_live(conn);

        // A batch of writes refreshes what it affects once, at its end. A
        // shipment written in it is scored from its document meanwhile,
        // as it will be kept: here a first-seen consignor, a press with its
        // markings removed, and an air waybill another agency holds. What
        // its profile needs of committed records is read before the batch,
        // as a create does.
        let c = party(conn, "Gamma Chemicals");
        let body = shipment_body(c, "AWB-3", press_line.clone());
        let mut read = Profiler::default();
        read.prepare_new(conn, &serde_json::from_value(body.clone()).unwrap())
            .unwrap();
        let (s5, scored) = settled(conn, |conn, refresh| {
            let (s5, body, noticed) = create_noticed::<ShipmentInput>(conn, refresh, &agency, body);
            let waiting = interdict_persistence::schema::risk_findings::table
                .find(DbUuid(s5))
                .count()
                .get_result::<i64>(conn);
            assert_eq!(waiting, Ok(0), "refreshed before the batch ended");
            let scored = findings::of_new(conn, read, s5, &body, noticed)?;
            Ok((s5, scored))
        })
        .unwrap();
        let codes = kept_match_live(conn);
        let scored: Vec<String> = scored.iter().map(|f| f.code.as_str().to_owned()).collect();
        assert_eq!(
            scored, codes[&s5],
            "a new shipment scored otherwise than kept"
        );
        for code in [
            "first_seen_consignor",
            "pill_press",
            "marks_removed",
            "deconfliction_hit",
        ] {
            assert!(fires(&codes, s5, code), "{code} not found on {scored:?}");
        }

        // Inside a batch a read computes what the rules find now: the kept
        // findings, still waiting for the batch's end, would be stale.
        let unmarked = |found: &[Finding]| found.iter().all(|f| f.code.as_str() != "marks_removed");
        settled(conn, |conn, refresh| {
            edit_in::<EquipmentInput>(conn, refresh, press_id, press.clone());
            let (_, found) =
                findings::find_visible_shipment(conn, s4, &everything(), Some(refresh))?
                    .expect("s4 is visible");
            assert!(unmarked(&found), "a stale finding was read inside a batch");
            let listed = Search {
                limit: 1000,
                ..Search::default()
            };
            let rows = findings::search_kept(conn, &everything(), &listed)?;
            let kept = Profiler::default().findings_of_kept(conn, &rows, Some(refresh))?;
            let (_, found) = rows
                .iter()
                .zip(&kept)
                .find(|((row, _), _)| row.id == DbUuid(s4))
                .expect("s4 is listed");
            assert!(unmarked(found), "a stale finding was read inside a batch");
            Ok(())
        })
        .unwrap();
        assert!(!fires(&kept_match_live(conn), s4, "marks_removed"));

        // A step that settles what waits and is then rolled back to its
        // savepoint leaves it waiting again, as the audit writer does for
        // a failed action.
        settled(conn, |conn, refresh| {
            let mut marked = press.clone();
            marked["markings_removed"] = true.into();
            edit_in::<EquipmentInput>(conn, refresh, press_id, marked);
            let waiting = refresh.clone();
            let failed = conn.transaction::<(), interdict_persistence::Error, _>(|conn| {
                refresh.settle(conn)?;
                Err(diesel::result::Error::RollbackTransaction.into())
            });
            assert!(failed.is_err());
            refresh.rolled_back(waiting);
            Ok(())
        })
        .unwrap();
        assert!(fires(&kept_match_live(conn), s4, "marks_removed"));

        // The audit writer refreshes what its batch's actions affect.
        let d = party(conn, "Delta Freight");
        let filer = agency.clone();
        let filed = block_on(writer.perform(
            AuditEvent::now(AuditAction::Record(
                RecordKind::Shipment,
                RecordVerb::Create,
            )),
            move |conn, context| {
                let body = shipment_body(d, "AWB-6", serde_json::json!([]));
                Ok::<_, TestError>(
                    create_in::<ShipmentInput>(conn, context.refresh, &filer, body).0,
                )
            },
        ));
        let s6 = filed.unwrap();
        assert!(fires(&kept_match_live(conn), s6, "first_seen_consignor"));
    }

    fn shipment(conn: &mut DbConnection, agency: &AgencyRow, consignor: Uuid) -> (Uuid, String) {
        create::<ShipmentInput>(
            conn,
            agency,
            serde_json::json!({
                "incident_type": "suspicious_shipment", "status": "reported", "mode": "air_express",
                "parties": [{ "party_id": consignor, "role": "consignor" }],
                "lines": [],
                "legs": [{ "from": { "country": "CN" }, "to": { "country": "US" } }]
            }),
        )
    }

    /// Batched profiles (the export, imports) and single ones (a GET) agree:
    /// only a consignor's earliest live shipment counts as first seen.
    fn a_consignor_is_first_seen_only_on_its_earliest_shipment(backend: Backend) {
        let (_database, db, _writer, agency) = setup(backend);
        let mut conn = db.get().unwrap();
        let party = |conn: &mut DbConnection, name: &str| company(conn, &agency, name);
        let (a, b) = (
            party(&mut conn, "Alpha Trading"),
            party(&mut conn, "Beta Logistics"),
        );
        let _before = shipment(&mut conn, &agency, b);
        let batch = [
            shipment(&mut conn, &agency, a),
            shipment(&mut conn, &agency, b),
            shipment(&mut conn, &agency, a),
        ];
        let rows: Vec<(Uuid, &str)> = batch
            .iter()
            .map(|(id, body)| (*id, body.as_str()))
            .collect();
        let seen: Vec<bool> = Profiler::default()
            .profiles(&mut conn, &rows)
            .unwrap()
            .iter()
            .map(|p| p.consignor_first_seen)
            .collect();
        assert_eq!(seen, [true, false, false]);
        for (row, expected) in rows.iter().zip([true, false, false]) {
            let alone = Profiler::default().profiles(&mut conn, &[*row]).unwrap();
            assert_eq!(alone[0].consignor_first_seen, expected);
        }
        // The batch the other way round, as a page newest first reads it.
        let reversed: Vec<(Uuid, &str)> = rows.iter().rev().copied().collect();
        let seen: Vec<bool> = Profiler::default()
            .profiles(&mut conn, &reversed)
            .unwrap()
            .iter()
            .map(|p| p.consignor_first_seen)
            .collect();
        assert_eq!(seen, [false, false, true]);
    }
}

/// A pooled PostgreSQL connection in steady use is not pinged; if the
/// server drops the pool's connections, one statement fails and the pool
/// replaces them all.
#[test]
#[cfg_attr(
    not(interdict_postgres_tests),
    ignore = "needs PostgreSQL: set INTERDICT_TEST_POSTGRES_URL when building and running the tests"
)]
fn a_lost_postgres_connection_fails_once_and_is_replaced() {
    use diesel::prelude::*;
    use diesel::sql_types::Integer;
    use interdict_persistence::DbConnection;
    let database = TestDatabase::create(Backend::Postgres);
    let db = database.pool();
    let pid = |db: &Db| -> QueryResult<i32> {
        let mut pooled = db.get().unwrap();
        let conn: &mut DbConnection = &mut pooled;
        diesel::select(diesel::dsl::sql::<Integer>("pg_backend_pid()")).get_result(conn)
    };
    // Two sequential checkouts take the same idle connection.
    let first = pid(&db).unwrap();
    assert_eq!(pid(&db).unwrap(), first);
    // The server drops every connection of the pool (a restart): the first
    // statement to notice fails, and the pool checks the others.
    let mut other = database.connect();
    diesel::sql_query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .execute(&mut other)
    .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(100));
    let failures = (0..4).filter(|_| pid(&db).is_err()).count();
    assert_eq!(failures, 1, "statements failed on dead connections");
    let replaced = pid(&db).unwrap();
    assert_ne!(replaced, first);
}

/// Acceptance's batch store (`COPY` through a staging table on
/// PostgreSQL, prepared inserts on SQLite): a key repeated within a batch,
/// in a later batch or by another import is stored once, the first time,
/// and cells with quotes, commas, separators, line breaks, backslashes,
/// NUL-free control characters and any script come back as written.
fn accepted_lines_are_stored_once_each_with_their_cells_intact(backend: Backend) {
    use diesel::prelude::*;
    use interdict_persistence::imports::{self, AcceptedLine, Counts, ImportRow, Rejection};
    use interdict_persistence::schema::{import_lines, imports as import_rows};
    use interdict_persistence::DbUuid;

    let (_database, db, _writer, agency) = setup(backend);
    let mut pooled = db.get().unwrap();
    let conn: &mut interdict_persistence::DbConnection = &mut pooled;
    let ana = user(&agency, "ana");
    users::insert(conn, &ana).unwrap();
    let owner = agency.id.0;
    let first = ImportRow::start(owner, ana.id.0, "first.csv");
    let second = ImportRow::start(owner, ana.id.0, "second.csv");
    imports::insert(conn, &first).unwrap();
    imports::insert(conn, &second).unwrap();
    let awkward = "[\"Shenzhen \\\"Best\\\", Ltd.\",\"a,b;c\\td\\re\\nf \\\\N \\\\. \u{1F69A} 深圳 Ünïcødé\"]\t\r\n\\.";
    let line = |row: i64, key: &str, cells: &str| AcceptedLine {
        row_number: row,
        key: key.to_owned(),
        cells: cells.to_owned(),
    };
    let batch = vec![
        line(2, "1ZA|best|CN", awkward),
        line(3, "1ZB|best|CN", "[\"plain\"]"),
        // The same key again in the batch: the first one stays.
        line(4, "1ZA|best|CN", "[\"second of A\"]"),
        line(5, "1ZC|Ünïcødé 深圳|CN", "[]"),
    ];
    let refused = vec![Rejection {
        row_number: 6,
        field: "origin".into(),
        reason: "`XX` is not a country".into(),
    }];
    let counts = Counts {
        rows_read: 5,
        rejected: 1,
        ..Counts::default()
    };
    let stored =
        imports::store_accepted(conn, first.id.0, owner, &batch, &refused, counts, None).unwrap();
    assert_eq!((stored.accepted, stored.duplicates), (3, 1));
    // The next batch of the same import, then another import: only the
    // new key is stored.
    let two_more = |conn: &mut interdict_persistence::DbConnection, import: &ImportRow, lines| {
        let counts = Counts {
            rows_read: 2,
            ..Counts::default()
        };
        let stored =
            imports::store_accepted(conn, import.id.0, owner, lines, &[], counts, None).unwrap();
        (stored.accepted, stored.duplicates)
    };
    let again = [
        line(7, "1ZB|best|CN", "[\"again\"]"),
        line(8, "1ZD|best|CN", "[\"d\"]"),
    ];
    assert_eq!(two_more(conn, &first, &again), (1, 1));
    let other = [
        line(2, "1ZD|best|CN", "[\"d\"]"),
        line(3, "1ZA|best|CN", "[]"),
    ];
    assert_eq!(two_more(conn, &second, &other), (0, 2));

    let rows: Vec<(DbUuid, String, i64, String)> = import_lines::table
        .order(import_lines::id)
        .select((
            import_lines::import_id,
            import_lines::line_key,
            import_lines::row_number,
            import_lines::cells,
        ))
        .load(conn)
        .unwrap();
    let expected = [
        (first.id, "1ZA|best|CN", 2, awkward),
        (first.id, "1ZB|best|CN", 3, "[\"plain\"]"),
        (first.id, "1ZC|Ünïcødé 深圳|CN", 5, "[]"),
        (first.id, "1ZD|best|CN", 8, "[\"d\"]"),
    ];
    let rows: Vec<(DbUuid, &str, i64, &str)> = rows
        .iter()
        .map(|(id, key, row, cells)| (*id, key.as_str(), *row, cells.as_str()))
        .collect();
    assert_eq!(rows, expected);
    let totals: (i64, i64, i64, i64) = import_rows::table
        .find(first.id)
        .select((
            import_rows::rows_read,
            import_rows::accepted,
            import_rows::duplicates,
            import_rows::rejected,
        ))
        .get_result(conn)
        .unwrap();
    assert_eq!(totals, (7, 4, 2, 1));
    assert_eq!(
        imports::rejections(conn, first.id.0, 0, 10).unwrap(),
        refused
    );
}

/// Statements started on an instrumented connection and those it kept
/// prepared (diesel's cache), by their text.
#[derive(Default)]
struct Statements {
    started: Vec<String>,
    cached: Vec<String>,
}

fn instrument(conn: &mut interdict_persistence::DbConnection) -> Arc<Mutex<Statements>> {
    use diesel::connection::{Connection, InstrumentationEvent};
    let statements = Arc::new(Mutex::new(Statements::default()));
    let seen = Arc::clone(&statements);
    conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
        let mut seen = seen.lock().unwrap();
        match event {
            InstrumentationEvent::StartQuery { query, .. } => {
                let text = query.to_string();
                let sql = text.split(" -- binds").next().unwrap_or_default();
                seen.started.push(sql.trim().to_owned());
            }
            InstrumentationEvent::CacheQuery { sql, .. } => seen.cached.push(sql.trim().to_owned()),
            _ => {}
        }
    });
    statements
}

/// Transaction control, which diesel sends as plain text.
fn controls_the_transaction(sql: &str) -> bool {
    ["BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"]
        .iter()
        .any(|word| sql.to_ascii_uppercase().starts_with(word))
}

/// Every action and read waits for the audit writer's one connection, so
/// on SQLite its statements are the serial part of every request: each is
/// prepared on its first use and kept, not parsed and planned again for
/// every batch. Among them a lookup by three keys (the watches a write
/// matches) and the batch's own statements on the chain's head and entries,
/// which diesel would not have kept (an UPDATE, a multi-row INSERT).
fn the_audit_writers_statements_are_prepared_once(backend: Backend) {
    let database = TestDatabase::create(backend);
    // One connection, watched before the writer takes it.
    let db = Db::connect(
        &DatabaseUrl::parse(&database.url).unwrap(),
        PoolOptions::sized(1),
    )
    .unwrap();
    let statements = {
        let mut conn = db.get().unwrap();
        let agency = NewAgency::parse("Ohio BCI", "state", "OH", "OH0000000", "desk").unwrap();
        let agency = AgencyRow::new(&agency, false);
        agencies::insert(&mut conn, &agency).unwrap();
        users::insert(&mut conn, &user(&agency, "alice")).unwrap();
        instrument(&mut conn)
    };
    let alice = users::find_by_username(&mut db.get().unwrap(), "alice")
        .unwrap()
        .unwrap();
    let (writer, _thread) = AuditWriter::start(db.clone(), 64, checkpointing());
    let alice_id = alice.id.0;
    let round = || {
        block_on(writer.record(AuditEvent::now(AuditAction::UserRead))).unwrap();
        block_on(
            writer.perform(AuditEvent::now(AuditAction::UserRead), move |conn, _| {
                let keys = ["a".to_owned(), "b".to_owned(), "c".to_owned()];
                watches::matching(conn, &keys, interdict_persistence::now())?;
                users::find_session(conn, alice_id, Uuid::now_v7())?;
                Ok::<_, TestError>(())
            }),
        )
        .unwrap();
    };
    round();
    let warmed = std::mem::take(&mut *statements.lock().unwrap());
    round();
    round();
    let after = statements.lock().unwrap();
    assert!(
        after.cached.is_empty(),
        "prepared again after the first round: {:#?}",
        after.cached
    );
    let statements: Vec<&String> = after
        .started
        .iter()
        .filter(|sql| !controls_the_transaction(sql))
        .collect();
    for wanted in ["audit_head", "audit_entries", "watches", "revoked_tokens"] {
        assert!(
            statements.iter().any(|sql| sql.contains(wanted)),
            "{wanted} not asked: {statements:#?}"
        );
    }
    let unkept: Vec<&&String> = statements
        .iter()
        .filter(|sql| !warmed.cached.contains(sql))
        .collect();
    assert!(unkept.is_empty(), "not kept prepared: {unkept:#?}");
}

/// A lookup by a few keys is asked on SQLite as a fixed number of
/// equalities, the last key repeated in the places left over (`in_list!`),
/// on PostgreSQL as one array: whatever the number of keys, it finds what
/// each key finds and nothing else.
fn a_few_keys_find_what_each_finds(backend: Backend) {
    let (_database, db, _writer, agency) = setup(backend);
    let mut conn = db.get().unwrap();
    let alice = user(&agency, "alice");
    users::insert(&mut conn, &alice).unwrap();
    let at = interdict_persistence::now();
    let keys: Vec<String> = (0..7)
        .map(|i| format!("identifier:phone:+1555000{i}"))
        .collect();
    // Watches on the first six keys; the seventh is watched by no one.
    for key in &keys[..6] {
        let row = watches::WatchRow {
            id: Uuid::now_v7().into(),
            user_id: alice.id,
            kind: "identifier".into(),
            value: key.clone(),
            match_key: key.clone(),
            expires_at: None,
            muted: false,
            created_at: at,
            deleted_at: None,
        };
        watches::insert(&mut conn, &row).unwrap();
    }
    for n in 1..=keys.len() {
        // The last n keys: the unwatched one always among them.
        let asked = &keys[keys.len() - n..];
        let mut found: Vec<String> = watches::matching(&mut conn, asked, at)
            .unwrap()
            .into_iter()
            .map(|watch| watch.match_key)
            .collect();
        found.sort();
        let watched: Vec<String> = asked.iter().filter(|k| *k != &keys[6]).cloned().collect();
        assert_eq!(found, watched, "asked by {n} keys");
    }
}
