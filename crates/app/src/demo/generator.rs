//! Demonstration data: a deterministic generator of agencies, users,
//! parties, chemicals, presses, dies, shipments and the links between them
//! that look like what a national task force would hold.
//!
//! The same seed gives the same data, byte for byte: every choice comes
//! from one small PRNG, ids are time-ordered UUIDs built from it, and
//! shipments are produced case by case from a PRNG seeded by the case
//! number, so a million of them stream without being held in memory.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use uuid::Uuid;

use interdict_domain::agency::NewAgency;
use interdict_domain::chain::LinkRelation;
use interdict_domain::chemical::ChemicalInput;
use interdict_domain::die_mold::DieMoldInput;
use interdict_domain::equipment::EquipmentInput;
use interdict_domain::party::{AddressInput, PartyInput};
use interdict_domain::shipment::{
    DeaFilingInput, DeaInput, LabInput, LegInput, LineInput, LocationInput, ProductInput,
    ShipmentInput, ShipmentPartyInput, TrackingNumberInput,
};
use interdict_domain::user::Role;

use super::rng::{id_at, Rng};
use super::vocabulary::*;

/// 2025-01-01T00:00:00Z: generated activity starts here.
const EPOCH_MILLIS: u64 = 1_735_689_600_000;
/// How many days of activity the generated shipments span.
const SPAN_DAYS: u64 = 660;

/// Who may see a generated record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sharing {
    Agency,
    All,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Document {
    Party(PartyInput),
    Chemical(ChemicalInput),
    Equipment(EquipmentInput),
    DieMold(DieMoldInput),
    Shipment(ShipmentInput),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub id: Uuid,
    /// Index into [`Demo::agencies`].
    pub agency: usize,
    pub sharing: Sharing,
    pub document: Document,
}

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub agency: usize,
    pub username: String,
    pub display_name: String,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub id: Uuid,
    pub from: Uuid,
    pub to: Uuid,
    pub relation: LinkRelation,
    pub evidence: String,
    pub agency: usize,
}

/// One investigation's worth of shipments and the links between them.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub shipments: Vec<Record>,
    pub links: Vec<Link>,
}

/// Demonstration data for `shipments` shipments from `seed`.
#[derive(Debug, Clone)]
pub struct Demo {
    seed: u64,
    shipments: u64,
    /// Controlled chemicals of the catalogue the shipments may carry.
    controlled: Vec<Uuid>,
    /// Chemicals controlled only since a day, with the day: a few cases
    /// carry one shipped before it (`controlled_since`).
    recent: Vec<(Uuid, NaiveDate)>,
    reference: Vec<Record>,
    /// Per agency: indexes into `reference` of its parties, presses, dies.
    parties: Vec<Vec<usize>>,
    presses: Vec<Vec<usize>>,
    dies: Vec<Vec<usize>>,
    common: Vec<Uuid>,
}

/// Shipments per case, on average; cases are 1 to 5 shipments.
const CASE_SIZE: u64 = 3;
/// One case in this many predates the control of its chemical.
const HISTORIC: u64 = 40;

impl Demo {
    pub fn new(seed: u64, shipments: u64, controlled: Vec<Uuid>) -> Self {
        let mut rng = Rng::new(seed ^ 0x5eed_0000_0000_0001);
        let agencies = AGENCIES.len();
        let mut reference = Vec::new();
        let mut millis = EPOCH_MILLIS - 86_400_000;
        let mut next_id = |rng: &mut Rng| {
            millis += 1;
            id_at(rng, millis)
        };
        let mut common = Vec::new();
        for (name, cas, hs) in COMMON_CHEMICALS {
            let id = next_id(&mut rng);
            common.push(id);
            reference.push(Record {
                id,
                agency: 0,
                sharing: Sharing::All,
                document: Document::Chemical(ChemicalInput {
                    name: (*name).into(),
                    synonyms: Vec::new(),
                    cas: (*cas).into(),
                    us_control: "none".into(),
                    un_table: None,
                    hs_code: Some((*hs).into()),
                    note: Some("Uncontrolled; common on the same manifests.".into()),
                }),
            });
        }
        let mut parties = vec![Vec::new(); agencies];
        let mut presses = vec![Vec::new(); agencies];
        let mut dies = vec![Vec::new(); agencies];
        // Entities recur across agencies under variant spellings.
        let entities = (shipments / 25).max(24);
        for entity in 0..entities {
            let foreign = entity % 3 != 2;
            let base = if foreign {
                let mut given = String::new();
                for _ in 0..2 {
                    let syllable: &&str = rng.pick(SYLLABLES);
                    given.push_str(syllable);
                }
                let given = capitalise(&given);
                format!("{} {} {}", rng.pick(PROVINCES), given, rng.pick(TRADES))
            } else {
                format!("{} {}", rng.pick(US_NAMES), rng.pick(US_TRADES))
            };
            let holders = 1 + rng.below(3) as usize;
            for _ in 0..holders {
                let agency = rng.below(agencies as u64) as usize;
                let name = variant(&mut rng, &base, foreign);
                let (country, city) = if foreign {
                    let origin = rng.pick(ORIGINS);
                    (origin.0, origin.1)
                } else {
                    let destination = rng.pick(DESTINATIONS);
                    (&destination.0[..2], destination.1)
                };
                let phone = if foreign {
                    format!("+86 {} {}", rng.digits(3), rng.digits(8))
                } else {
                    format!("+1 {} {}", rng.digits(3), rng.digits(7))
                };
                parties[agency].push(reference.len());
                reference.push(Record {
                    id: next_id(&mut rng),
                    agency,
                    sharing: if rng.chance(0.3) {
                        Sharing::All
                    } else {
                        Sharing::Agency
                    },
                    document: Document::Party(PartyInput {
                        kind: "company".into(),
                        name,
                        aliases: Vec::new(),
                        address: Some(AddressInput {
                            street: Some(format!("{} Industrial Road", 1 + rng.below(900))),
                            city: Some(city.into()),
                            region: None,
                            postal_code: None,
                            country: country.into(),
                        }),
                        phones: vec![phone],
                        emails: Vec::new(),
                        registration_numbers: Vec::new(),
                    }),
                });
            }
        }
        let machines = (shipments / 200).max(6);
        for n in 0..machines {
            let agency = rng.below(agencies as u64) as usize;
            let (maker, model) = *rng.pick(PRESS_MAKERS);
            // A few presses are seen by two agencies: same serial.
            let serial = if n % 17 == 5 {
                format!("SN-{:06}", n - 1)
            } else {
                format!("SN-{n:06}")
            };
            presses[agency].push(reference.len());
            reference.push(Record {
                id: next_id(&mut rng),
                agency,
                sharing: Sharing::Agency,
                document: Document::Equipment(EquipmentInput {
                    kind: if rng.chance(0.8) {
                        "tableting_machine".into()
                    } else {
                        "die_set".into()
                    },
                    manufacturer: Some(maker.into()),
                    model: Some(model.into()),
                    serial_number: Some(serial),
                    power: Some("electric".into()),
                    capacity_per_hour: Some(3_000 + 1_000 * rng.below(20) as i64),
                    markings_removed: rng.chance(0.25),
                }),
            });
            let (front, back, product) = *rng.pick(IMPRINTS);
            dies[agency].push(reference.len());
            reference.push(Record {
                id: next_id(&mut rng),
                agency,
                sharing: Sharing::Agency,
                document: Document::DieMold(DieMoldInput {
                    front_imprint: Some(front.into()),
                    back_imprint: (!back.is_empty()).then(|| back.into()),
                    shape: "round".into(),
                    diameter_mm: Some(9.5),
                    colour: Some("blue".into()),
                    imitated_product: Some(product.into()),
                    equipment_id: None,
                }),
            });
        }
        Self {
            seed,
            shipments,
            controlled,
            recent: Vec::new(),
            reference,
            parties,
            presses,
            dies,
            common,
        }
    }

    /// Chemicals controlled only since a day: every `HISTORIC`th case
    /// carries one of them, shipped before that day, so the demonstration
    /// shows a control evaluated at the shipment's date ("not controlled
    /// then"). The other cases are as they were.
    pub fn controlled_since(mut self, recent: Vec<(Uuid, NaiveDate)>) -> Self {
        self.recent = recent;
        self
    }

    pub fn agencies(&self) -> Vec<NewAgency> {
        AGENCIES
            .iter()
            .filter_map(|(name, level, jurisdiction, ori)| {
                NewAgency::parse(name, level, jurisdiction, ori, "Duty desk, +1 202 555 0100").ok()
            })
            .collect()
    }

    /// One user of every role in every agency: `<role>.<ori>`.
    pub fn users(&self) -> Vec<User> {
        let mut users = Vec::new();
        for (agency, (name, _, _, ori)) in AGENCIES.iter().enumerate() {
            for role in [
                Role::Investigator,
                Role::Supervisor,
                Role::Auditor,
                Role::Admin,
            ] {
                users.push(User {
                    agency,
                    username: format!("{}.{}", role.as_str(), ori.to_ascii_lowercase()),
                    display_name: format!("{} {}", capitalise(role.as_str()), name),
                    role,
                });
            }
        }
        users
    }

    /// Chemicals, parties, presses and dies, which shipments refer to.
    pub fn reference_records(&self) -> &[Record] {
        &self.reference
    }

    pub fn case_count(&self) -> u64 {
        self.shipments.div_ceil(CASE_SIZE)
    }

    /// The cases, in order; their shipments add up to the number asked for.
    pub fn cases(&self) -> impl Iterator<Item = Case> + '_ {
        let cases = self.case_count();
        (0..cases).map(move |n| {
            let first = n * CASE_SIZE;
            let size = CASE_SIZE.min(self.shipments - first);
            self.case(n, size)
        })
    }

    fn case(&self, n: u64, size: u64) -> Case {
        let mut rng = Rng::new(self.seed.wrapping_mul(0x1000_0000_01b3) ^ n);
        let agency = self.agency_for(&mut rng);
        let day = rng.below(SPAN_DAYS);
        let minutes = Duration::minutes(rng.below(24 * 60) as i64);
        // Decided from the case number, not the generator, so the other
        // cases stay as they were for the same seed.
        let historic = (n % HISTORIC == HISTORIC / 2 && !self.recent.is_empty())
            .then(|| self.recent[(n / HISTORIC) as usize % self.recent.len()]);
        let shipped = match historic {
            // Two weeks to a year before the chemical was controlled.
            Some((_, since)) => {
                since.and_time(chrono::NaiveTime::MIN).and_utc()
                    - Duration::days(14 + (n / HISTORIC) as i64 % 350)
                    + minutes
            }
            None => {
                Utc.timestamp_millis_opt(EPOCH_MILLIS as i64)
                    .single()
                    .unwrap_or_default()
                    + Duration::days(day as i64)
                    + minutes
            }
        };
        // Ids follow the order of the cases, as if recorded one by one.
        let mut millis = EPOCH_MILLIS + n * CASE_SIZE * 10;
        let mut shipments = Vec::new();
        let mut links = Vec::new();
        let controlled = !self.controlled.is_empty() && rng.chance(0.2);
        let controlled = match historic {
            Some((id, _)) => Some(Some(id)),
            None => controlled.then_some(None),
        };
        let press_case = rng.chance(0.04);
        let hub = rng.chance(0.35).then(|| *rng.pick(HUBS));
        let origin = *rng.pick(ORIGINS);
        let destination = *rng.pick(DESTINATIONS);
        for k in 0..size {
            millis += 1;
            let id = id_at(&mut rng, millis);
            let when = shipped + Duration::days(3 * k as i64);
            let shipment = self.shipment(
                &mut rng,
                agency,
                when,
                origin,
                hub,
                destination,
                controlled,
                press_case && k == 0,
                self.tracking(if n % 97 == 1 { n - 1 } else { n }, k),
            );
            if let Some(previous) = shipments.last().map(|r: &Record| r.id) {
                millis += 1;
                links.push(Link {
                    id: id_at(&mut rng, millis),
                    from: previous,
                    to: id,
                    relation: if rng.chance(0.7) {
                        LinkRelation::SameGoods
                    } else {
                        LinkRelation::Reconsignment
                    },
                    evidence: "Same goods and consignee seen on the onward manifest.".into(),
                    agency,
                });
            }
            shipments.push(Record {
                id,
                agency,
                sharing: if rng.chance(0.2) {
                    Sharing::All
                } else {
                    Sharing::Agency
                },
                document: Document::Shipment(shipment),
            });
        }
        // Now and then a consignment splits: the first shipment also feeds
        // the last.
        if size >= 3 && rng.chance(0.1) {
            millis += 1;
            links.push(Link {
                id: id_at(&mut rng, millis),
                from: shipments[0].id,
                to: shipments[size as usize - 1].id,
                relation: LinkRelation::Transshipment,
                evidence: "Part of the consignment went on separately.".into(),
                agency,
            });
        }
        Case { shipments, links }
    }

    /// A courier tracking number from the case and the shipment's place in
    /// it. Every 97th case reuses its predecessor's numbers — the same
    /// parcels recorded again, usually by another agency — which is what
    /// deconfliction is for.
    fn tracking(&self, case: u64, k: u64) -> String {
        let mut rng = Rng::new(self.seed ^ case.wrapping_mul(0x9e37_79b9) ^ (k << 56));
        format!("1Z{}{}", rng.letters(3), rng.digits(13))
    }

    /// The federal and state agencies hold most of the shipments.
    fn agency_for(&self, rng: &mut Rng) -> usize {
        match rng.below(100) {
            0..=39 => 0,
            40..=59 => 1,
            60..=74 => 2,
            75..=82 => 3,
            83..=93 => 4,
            _ => 5,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn shipment(
        &self,
        rng: &mut Rng,
        agency: usize,
        shipped: chrono::DateTime<Utc>,
        origin: (&str, &str, &str),
        hub: Option<(&str, &str, &str)>,
        destination: (&str, &str, &str),
        // Some(None): a controlled chemical of the generator's choosing;
        // Some(Some(id)): that one.
        controlled: Option<Option<Uuid>>,
        press: bool,
        tracking: String,
    ) -> ShipmentInput {
        let chosen = controlled.flatten();
        let controlled = controlled.is_some();
        let parties = &self.parties[agency];
        let mut party_ids = Vec::new();
        if !parties.is_empty() {
            let consignor = self.reference[*rng.pick(parties)].id;
            let consignee = self.reference[*rng.pick(parties)].id;
            party_ids.push(ShipmentPartyInput {
                party_id: consignor,
                role: "consignor".into(),
            });
            if consignee != consignor {
                party_ids.push(ShipmentPartyInput {
                    party_id: consignee,
                    role: "consignee".into(),
                });
            }
        }
        let mut lines = vec![LineInput {
            chemical_id: Some(*rng.pick(&self.common)),
            quantity: Some((1 + rng.below(50)) as f64),
            unit: Some("kg".into()),
            concentration: None,
            equipment_id: None,
            die_mold_id: None,
            count: 1 + rng.below(10) as i64,
        }];
        // Decided from the tracking number, not the generator, so the rest
        // of the data stays as it was for the same seed.
        let mark = tracking
            .bytes()
            .fold(7u64, |a, b| a.wrapping_mul(31).wrapping_add(u64::from(b)));
        if controlled {
            let picked = *rng.pick(&self.controlled);
            lines.push(LineInput {
                chemical_id: Some(chosen.unwrap_or(picked)),
                quantity: Some((1 + rng.below(25)) as f64),
                unit: Some(if rng.chance(0.5) { "kg" } else { "g" }.into()),
                concentration: (mark % 3 == 0).then(|| format!("{}% w/w", 20 + mark % 79)),
                equipment_id: None,
                die_mold_id: None,
                count: 1,
            });
        }
        if press && !self.presses[agency].is_empty() {
            let which = rng.below(self.presses[agency].len() as u64) as usize;
            for (list, is_press) in [(&self.presses, true), (&self.dies, false)] {
                let id = self.reference[list[agency][which]].id;
                lines.push(LineInput {
                    chemical_id: None,
                    quantity: None,
                    unit: None,
                    concentration: None,
                    equipment_id: is_press.then_some(id),
                    die_mold_id: (!is_press).then_some(id),
                    count: 1,
                });
            }
        }
        let cover = (controlled || press) && rng.chance(0.4);
        let description = if cover {
            rng.pick(COVER_DESCRIPTIONS)
        } else {
            rng.pick(HONEST_DESCRIPTIONS)
        };
        let location = |place: (&str, &str, &str)| {
            let (country, subdivision) = match place.0.split_once('-') {
                Some((country, _)) => (country.to_owned(), Some(place.0.to_owned())),
                None => (place.0.to_owned(), None),
            };
            // San Juan is in Puerto Rico, which ISO lists as its own country.
            let (country, subdivision) = if place.2 == "PRSJU" {
                ("PR".to_owned(), None)
            } else {
                (country, subdivision)
            };
            LocationInput {
                country,
                subdivision,
                city: Some(place.1.into()),
                locode: Some(place.2.into()),
            }
        };
        let stops: Vec<(&str, &str, &str)> = std::iter::once(origin)
            .chain(hub)
            .chain(std::iter::once(destination))
            .collect();
        let carrier = *rng.pick(CARRIERS);
        let legs: Vec<LegInput> = stops
            .windows(2)
            .enumerate()
            .map(|(i, pair)| {
                let departed = shipped + Duration::days(2 * i as i64);
                LegInput {
                    from: location(pair[0]),
                    to: location(pair[1]),
                    carrier: Some(carrier.into()),
                    departure_at: Some(departed.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                    arrival_at: Some(
                        (departed + Duration::days(1))
                            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    ),
                    document_number: None,
                }
            })
            .collect();
        let dea = dea_details(mark, controlled, press, &legs);
        ShipmentInput {
            incident_type: rng
                .pick(&[
                    "suspicious_shipment",
                    "suspicious_shipment",
                    "stopped_shipment",
                    "seizure",
                    "controlled_delivery",
                ])
                .to_string(),
            status: rng
                .pick(&["reported", "in_transit", "held", "seized", "delivered"])
                .to_string(),
            mode: "air_express".into(),
            tracking_numbers: vec![TrackingNumberInput {
                kind: "courier_tracking".into(),
                value: tracking,
            }],
            parties: party_ids,
            declared_description: Some(description.to_string()),
            declared_hs_code: Some(if cover { "3204.17" } else { "2933.39" }.into()),
            declared_value: Some(format!("{}.00", 50 + rng.below(5_000))),
            declared_currency: Some("USD".into()),
            gross_weight_kg: Some((1 + rng.below(400)) as f64 / 4.0),
            concealment_method: None,
            narrative: None,
            lines,
            products: products(mark, press),
            dea,
            advance_data: None,
            legs,
        }
    }
}

/// DEA details for an import into the United States of a listed chemical
/// (Form 486) or a press (Form 452), released when the last leg arrives:
/// filed in time, filed late, not filed, or not recorded at all, a quarter
/// each.
/// Counterfeit pills on a quarter of the press shipments, decided from the
/// tracking number like the DEA details: tablets stamped with a legitimate
/// oxycodone imprint (`reference/imprints.toml`) that a laboratory found to
/// be fentanyl; one in three has no lab result yet.
fn products(mark: u64, press: bool) -> Vec<ProductInput> {
    if !press || !mark.is_multiple_of(4) {
        return Vec::new();
    }
    let imprint = ["M 30", "A215", "K 8"][(mark / 4 % 3) as usize];
    vec![ProductInput {
        form: "tablet".into(),
        count: Some(500 + mark % 9_500),
        grams: None,
        imprint: Some(imprint.into()),
        lab: (!mark.is_multiple_of(3)).then(|| LabInput {
            substance: "fentanyl".into(),
            purity_percent: Some((5 + mark % 40) as f64 / 10.0),
        }),
    }]
}

fn dea_details(mark: u64, controlled: bool, press: bool, legs: &[LegInput]) -> Option<DeaInput> {
    let last = legs.last()?;
    if last.to.country != "US" || !(controlled || press) {
        return None;
    }
    let released = chrono::DateTime::parse_from_rfc3339(last.arrival_at.as_deref()?)
        .ok()?
        .date_naive();
    let form = if controlled { "486" } else { "452" };
    let filed = |days_before: u64| DeaFilingInput {
        form: form.into(),
        transaction_id: Some(format!("DEA-{form}-{:06}", mark % 1_000_000)),
        filed_on: (released - chrono::Days::new(days_before)).to_string(),
    };
    let filings = match (mark / 3) % 4 {
        0 => vec![filed(20)],
        1 => vec![filed(5)],
        2 => Vec::new(),
        _ => return None,
    };
    Some(DeaInput {
        filings,
        released_on: Some(released.to_string()),
    })
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// How the same company gets written down by different people: case,
/// punctuation, legal form, and for romanised names, syllables split.
fn variant(rng: &mut Rng, base: &str, foreign: bool) -> String {
    let mut name = base.to_owned();
    if foreign && rng.chance(0.2) {
        // "Shengxue" → "Sheng Xue": a different romanisation.
        if let Some(given) = base.split(' ').nth(1) {
            if let Some((cut, _)) = given.char_indices().nth(given.len() / 2) {
                let split = format!("{} {}", &given[..cut], capitalise(&given[cut..]));
                name = name.replacen(given, &split, 1);
            }
        }
    }
    let form = if foreign {
        *rng.pick(FORMS)
    } else {
        *rng.pick(&["LLC", "Inc.", "Inc", "L.L.C."])
    };
    name = format!("{name} {form}");
    match rng.below(4) {
        0 => name.to_uppercase(),
        1 => name.replace(' ', "  ").replace("  ", " ").replace(',', ""),
        _ => name,
    }
}

#[cfg(test)]
#[path = "generator_tests.rs"]
mod tests;
