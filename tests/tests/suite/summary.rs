//! The oversight report's figures, which the database counts with
//! `GROUP BY`, against the same figures counted by hand from the stored
//! documents, the way the report used to page through them, on both
//! backends: demonstration data from several agencies, some shipments
//! withdrawn, some flags decided.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use interdict_domain::chemical::ChemicalInput;
use interdict_domain::policy::Visibility;
use interdict_domain::shipment::ShipmentInput;
use interdict_persistence::schema::{flag_transitions, flags, records};
use interdict_persistence::summary::{self, Figures, Period};
use interdict_persistence::DbUuid;
use interdict_tests::{both_backends, test_config, Backend, TestDatabase};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

both_backends!(the_summary_figures_match_counting_by_hand);

/// One stored shipment, as the hand count reads it.
struct Stored {
    owner: Uuid,
    shared_with_all: bool,
    withdrawn: bool,
    input: ShipmentInput,
    shipped_at: Option<NaiveDateTime>,
}

/// The figures as maps, so the order rows come back in does not matter.
#[derive(Debug, Default, PartialEq)]
struct Counted {
    shipments: u64,
    by_incident: BTreeMap<String, u64>,
    by_origin: BTreeMap<String, u64>,
    by_state: BTreeMap<String, u64>,
    by_control: BTreeMap<String, u64>,
    per_week: BTreeMap<NaiveDate, u64>,
    flags_by_state: BTreeMap<String, u64>,
    decisions: Vec<(NaiveDateTime, NaiveDateTime)>,
    undecided_raised: Vec<NaiveDateTime>,
}

impl From<Figures> for Counted {
    fn from(f: Figures) -> Self {
        let mut decisions = f.decisions;
        decisions.sort();
        let mut undecided_raised = f.undecided_raised;
        undecided_raised.sort();
        Self {
            shipments: f.shipments,
            by_incident: f.by_incident.into_iter().collect(),
            by_origin: f.by_origin.into_iter().collect(),
            by_state: f.by_state.into_iter().collect(),
            by_control: f.by_control.into_iter().collect(),
            per_week: f.per_week.into_iter().collect(),
            flags_by_state: f.flags_by_state.into_iter().collect(),
            decisions,
            undecided_raised,
        }
    }
}

fn the_summary_figures_match_counting_by_hand(backend: Backend) {
    let database = TestDatabase::create(backend);
    load_demo(&database);
    let mut conn = database.connect();

    // Flags are raised as the demonstration loads; put each a day after
    // its shipment, so the period cuts through them as through shipments.
    let shipped: HashMap<Uuid, NaiveDateTime> = stored_shipments(&mut conn)
        .into_iter()
        .filter_map(|(id, s)| Some((id, s.shipped_at?)))
        .collect();
    let flagged: Vec<(DbUuid, DbUuid)> = flags::table
        .select((flags::id, flags::shipment_id))
        .load(&mut conn)
        .unwrap();
    for (flag, shipment) in &flagged {
        if let Some(at) = shipped.get(&shipment.0) {
            diesel::update(flags::table.find(*flag))
                .set(flags::raised_at.eq(*at + Duration::days(1)))
                .execute(&mut conn)
                .unwrap();
        }
    }
    // Withdraw every seventh shipment, and decide every third flag, an
    // hour more after raising for each.
    let ids: Vec<DbUuid> = records::table
        .filter(records::kind.eq("shipment"))
        .order(records::id)
        .select(records::id)
        .load(&mut conn)
        .unwrap();
    let now = Utc::now().naive_utc();
    for id in ids.iter().step_by(7) {
        diesel::update(records::table.find(*id))
            .set(records::withdrawn_at.eq(Some(now)))
            .execute(&mut conn)
            .unwrap();
    }
    let raised: Vec<(DbUuid, i64, NaiveDateTime)> = flags::table
        .order(flags::id)
        .select((flags::id, flags::version, flags::raised_at))
        .load(&mut conn)
        .unwrap();
    for (i, (id, version, raised_at)) in raised.iter().enumerate().step_by(3) {
        let state = if i % 2 == 0 { "confirmed" } else { "dismissed" };
        let at = *raised_at + Duration::hours(i as i64 + 1);
        diesel::update(flags::table.find(*id))
            .set((flags::state.eq(state), flags::version.eq(version + 1)))
            .execute(&mut conn)
            .unwrap();
        diesel::insert_into(flag_transitions::table)
            .values((
                flag_transitions::flag_id.eq(*id),
                flag_transitions::version.eq(version + 1),
                flag_transitions::action.eq(if state == "confirmed" {
                    "confirm"
                } else {
                    "dismiss"
                }),
                flag_transitions::from_state.eq(Some("open")),
                flag_transitions::to_state.eq(state),
                flag_transitions::at.eq(at),
            ))
            .execute(&mut conn)
            .unwrap();
    }

    let shipments = stored_shipments(&mut conn);
    let controls = catalogue_controls(&mut conn);
    let flag_rows: Vec<(DbUuid, DbUuid, String, NaiveDateTime)> = flags::table
        .select((
            flags::id,
            flags::shipment_id,
            flags::state,
            flags::raised_at,
        ))
        .load(&mut conn)
        .unwrap();
    let decided_at: HashMap<Uuid, NaiveDateTime> = flag_transitions::table
        .select((flag_transitions::flag_id, flag_transitions::at))
        .load::<(DbUuid, NaiveDateTime)>(&mut conn)
        .unwrap()
        .into_iter()
        .fold(HashMap::new(), |mut last, (flag, at)| {
            let entry = last.entry(flag.0).or_insert(at);
            *entry = (*entry).max(at);
            last
        });

    // The middle half of the shipping dates, so some fall either side.
    let mut days: Vec<NaiveDateTime> = shipments.values().filter_map(|s| s.shipped_at).collect();
    days.sort();
    let period = Period {
        from: days[days.len() / 4],
        to: days[days.len() * 3 / 4],
    };

    let mut agencies: Vec<Uuid> = shipments.values().map(|s| s.owner).collect();
    agencies.sort();
    agencies.dedup();
    assert!(agencies.len() > 1, "the demonstration has several agencies");
    for (agency, include_withdrawn) in [(agencies[0], true), (agencies[1], false)] {
        let visibility = Visibility::Scoped {
            agency_id: agency,
            task_forces: Vec::new(),
            include_withdrawn,
        };
        let sees = |s: &Stored| {
            (s.owner == agency || s.shared_with_all) && (include_withdrawn || !s.withdrawn)
        };
        let by_hand = count_by_hand(
            &shipments,
            &controls,
            &flag_rows,
            &decided_at,
            &sees,
            period,
        );
        // The counts have something in them to compare.
        assert!(by_hand.shipments > 0 && by_hand.shipments < shipments.len() as u64);
        assert!(by_hand.by_incident.len() > 1, "{by_hand:?}");
        assert!(!by_hand.by_control.is_empty(), "{by_hand:?}");
        assert!(by_hand.per_week.len() > 1, "{by_hand:?}");
        assert!(!by_hand.decisions.is_empty(), "{by_hand:?}");
        assert!(!by_hand.undecided_raised.is_empty(), "{by_hand:?}");
        let in_sql = Counted::from(summary::figures(&mut conn, &visibility, period).unwrap());
        assert_eq!(
            in_sql, by_hand,
            "agency {agency}, withdrawn {include_withdrawn}"
        );
    }
    // Nobody sees nothing.
    assert_eq!(
        summary::figures(&mut conn, &Visibility::Nothing, period).unwrap(),
        Figures::default()
    );
}

fn load_demo(database: &TestDatabase) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let opened = interdict_app::open(test_config(&database.url, &[]))
            .await
            .expect("open");
        interdict_app::demo::load(&opened.app, 240, 11, false, |_| {})
            .await
            .expect("demo data");
        drop(opened.app);
        opened.audit_thread.join();
    });
}

fn stored_shipments(conn: &mut interdict_persistence::DbConnection) -> HashMap<Uuid, Stored> {
    let rows: Vec<(DbUuid, DbUuid, String, Option<NaiveDateTime>, String)> = records::table
        .filter(records::kind.eq("shipment"))
        .select((
            records::id,
            records::owner_agency_id,
            records::scope_kind,
            records::withdrawn_at,
            records::body,
        ))
        .load(conn)
        .unwrap();
    rows.into_iter()
        .map(|(id, owner, scope, withdrawn_at, body)| {
            let input: ShipmentInput = serde_json::from_str(&body).unwrap();
            let shipped_at = input
                .legs
                .iter()
                .find_map(|l| l.departure_at.clone().or_else(|| l.arrival_at.clone()))
                .map(|t| {
                    DateTime::parse_from_rfc3339(&t)
                        .unwrap()
                        .with_timezone(&Utc)
                        .naive_utc()
                });
            let stored = Stored {
                owner: owner.0,
                shared_with_all: scope == "all",
                withdrawn: withdrawn_at.is_some(),
                input,
                shipped_at,
            };
            (id.0, stored)
        })
        .collect()
}

fn catalogue_controls(conn: &mut interdict_persistence::DbConnection) -> HashMap<Uuid, String> {
    records::table
        .filter(records::kind.eq("chemical"))
        .select((records::id, records::body))
        .load::<(DbUuid, String)>(conn)
        .unwrap()
        .into_iter()
        .map(|(id, body)| {
            let chemical: ChemicalInput = serde_json::from_str(&body).unwrap();
            (id.0, chemical.us_control)
        })
        .collect()
}

fn count_by_hand(
    shipments: &HashMap<Uuid, Stored>,
    controls: &HashMap<Uuid, String>,
    flag_rows: &[(DbUuid, DbUuid, String, NaiveDateTime)],
    decided_at: &HashMap<Uuid, NaiveDateTime>,
    sees: &dyn Fn(&Stored) -> bool,
    period: Period,
) -> Counted {
    let mut counted = Counted::default();
    let mut counted_ids = Vec::new();
    for (id, shipment) in shipments {
        let Some(at) = shipment.shipped_at else {
            continue;
        };
        if !sees(shipment) || at < period.from || at >= period.to {
            continue;
        }
        counted_ids.push(*id);
        let input = &shipment.input;
        counted.shipments += 1;
        *counted
            .by_incident
            .entry(input.incident_type.clone())
            .or_default() += 1;
        let origin = &input.legs.first().unwrap().from.country;
        *counted.by_origin.entry(origin.clone()).or_default() += 1;
        if let Some(state) = input.legs.last().and_then(|l| l.to.subdivision.clone()) {
            *counted.by_state.entry(state).or_default() += 1;
        }
        let mut carried: Vec<&String> = input
            .lines
            .iter()
            .filter_map(|l| l.chemical_id)
            .map(|c| &controls[&c])
            .collect();
        carried.sort();
        carried.dedup();
        for control in carried {
            *counted.by_control.entry(control.clone()).or_default() += 1;
        }
        let day = at.date();
        let monday = day - Duration::days(i64::from(day.weekday().num_days_from_monday()));
        *counted.per_week.entry(monday).or_default() += 1;
    }
    for (id, shipment, state, raised_at) in flag_rows {
        if !counted_ids.contains(&shipment.0) || *raised_at < period.from || *raised_at >= period.to
        {
            continue;
        }
        *counted.flags_by_state.entry(state.clone()).or_default() += 1;
        if matches!(state.as_str(), "confirmed" | "dismissed" | "escalated") {
            counted.decisions.push((*raised_at, decided_at[&id.0]));
        } else {
            counted.undecided_raised.push(*raised_at);
        }
    }
    counted.decisions.sort();
    counted.undecided_raised.sort();
    counted
}
