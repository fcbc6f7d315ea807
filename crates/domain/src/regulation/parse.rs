//! Parsing `reference/controls.toml` into a validated [`ControlTable`].

use serde::Deserialize;

use super::citation::Dated;
use super::quantity::Density;
use super::raw::{dating_fields, document, entries, RawCitation, RawDate, TableError};
use super::table::{Chemical, ControlTable, Fact, Family, FamilyControl, Membership};
use super::threshold::{Limit, Threshold};
use super::tier::{ChemicalKind, Derivative, Tier};
use crate::chemical::{parse_hs_code, CasNumber, UnTable};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFamily {
    id: String,
    name: String,
    head: Option<String>,
    #[serde(default)]
    control: Vec<RawFamilyControl>,
    #[serde(default)]
    threshold: Vec<RawThreshold>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFamilyControl {
    tier: Tier,
    derivatives: Vec<Derivative>,
    effective: Option<RawDate>,
    in_force_by: Option<RawDate>,
    citation: RawCitation,
    confirmed: bool,
    note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawControl {
    tier: Tier,
    effective: Option<RawDate>,
    in_force_by: Option<RawDate>,
    citation: RawCitation,
    confirmed: bool,
    note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimit {
    kg: Option<f64>,
    litres: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawThreshold {
    any_quantity: Option<bool>,
    domestic: Option<RawLimit>,
    import_export: Option<RawLimit>,
    cumulative: Option<bool>,
    effective: Option<RawDate>,
    in_force_by: Option<RawDate>,
    citation: RawCitation,
    confirmed: bool,
    note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUn {
    table: UnTable,
    effective: Option<RawDate>,
    in_force_by: Option<RawDate>,
    citation: RawCitation,
    confirmed: bool,
    note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFact<T> {
    #[serde(alias = "code")]
    value: T,
    confirmed: bool,
    source: Option<String>,
    note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDensity {
    g_per_ml: f64,
    celsius: Option<f64>,
    source: String,
    seen: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMembership {
    id: String,
    derivative: Derivative,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChemical {
    id: String,
    name: String,
    #[serde(default)]
    synonyms: Vec<String>,
    cas: Option<String>,
    kind: ChemicalKind,
    class: Option<String>,
    dea_code: Option<RawFact<u32>>,
    hs: Option<RawFact<String>>,
    density: Option<RawDensity>,
    family: Option<RawMembership>,
    #[serde(default)]
    control: Vec<RawControl>,
    #[serde(default)]
    threshold: Vec<RawThreshold>,
    #[serde(default)]
    un: Vec<RawUn>,
}

impl ControlTable {
    /// Parses and checks the table; the first bad entry is refused with a
    /// message naming it and the field.
    pub fn parse(text: &str) -> Result<Self, TableError> {
        let doc = document(text)?;
        let mut families = Vec::new();
        for (entry, raw) in entries::<RawFamily>(&doc, "family")? {
            check_id(&entry, &raw.id)?;
            if families.iter().any(|f: &Family| f.id == raw.id) {
                return Err(TableError::new(&entry, "id", "is used twice"));
            }
            families.push(family(&entry, raw)?);
        }
        let mut chemicals: Vec<Chemical> = Vec::new();
        for (entry, raw) in entries::<RawChemical>(&doc, "chemical")? {
            let chemical = chemical(&entry, raw, &families)?;
            if chemicals.iter().any(|c| c.id == chemical.id) {
                return Err(TableError::new(&entry, "id", "is used twice"));
            }
            if chemical.cas.is_some() && chemicals.iter().any(|c| c.cas == chemical.cas) {
                return Err(TableError::new(&entry, "cas", "is used by another entry"));
            }
            chemicals.push(chemical);
        }
        for f in &families {
            if let Some(head) = &f.head {
                if !chemicals.iter().any(|c| &c.id == head) {
                    let entry = format!("family `{}`", f.id);
                    return Err(TableError::new(
                        &entry,
                        "head",
                        format!("no chemical `{head}`"),
                    ));
                }
            }
        }
        Ok(Self {
            chemicals,
            families,
        })
    }
}

fn check_id(entry: &str, id: &str) -> Result<(), TableError> {
    let ok = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(TableError::new(
            entry,
            "id",
            "use lowercase letters, digits and hyphens",
        ))
    }
}

fn nonempty(entry: &str, field: &str, value: &str) -> Result<(), TableError> {
    if value.trim().is_empty() {
        Err(TableError::new(entry, field, "must not be empty"))
    } else {
        Ok(())
    }
}

fn family(entry: &str, raw: RawFamily) -> Result<Family, TableError> {
    nonempty(entry, "name", &raw.name)?;
    let mut controls = Vec::new();
    for (i, c) in raw.control.iter().enumerate() {
        let field = format!("control[{i}]");
        if c.derivatives.is_empty() {
            return Err(TableError::new(
                entry,
                &format!("{field}.derivatives"),
                "must name at least one derivative kind",
            ));
        }
        let (dating, source) = dating_fields!(c).check(entry, &field)?;
        controls.push(Dated {
            value: FamilyControl {
                tier: c.tier,
                derivatives: c.derivatives.clone(),
            },
            dating,
            source,
        });
    }
    if controls.is_empty() {
        return Err(TableError::new(
            entry,
            "control",
            "a family needs a control",
        ));
    }
    Ok(Family {
        id: raw.id,
        name: raw.name,
        head: raw.head,
        controls: oldest_first(controls),
        thresholds: thresholds(entry, &raw.threshold)?,
    })
}

fn chemical(entry: &str, raw: RawChemical, families: &[Family]) -> Result<Chemical, TableError> {
    check_id(entry, &raw.id)?;
    nonempty(entry, "name", &raw.name)?;
    for (i, s) in raw.synonyms.iter().enumerate() {
        nonempty(entry, &format!("synonyms[{i}]"), s)?;
    }
    let cas = match (&raw.cas, raw.kind) {
        (Some(cas), _) => {
            Some(CasNumber::parse(cas).map_err(|m| TableError::new(entry, "cas", m))?)
        }
        (None, ChemicalKind::Class) => None,
        (None, _) => {
            return Err(TableError::new(
                entry,
                "cas",
                "is required except for a class",
            ))
        }
    };
    let dea_code = match raw.dea_code {
        Some(code) if !(1000..=9999).contains(&code.value) => {
            return Err(TableError::new(
                entry,
                "dea_code",
                "must be a four-digit code",
            ))
        }
        Some(code) => Some(fact(entry, "dea_code", code)?),
        None => None,
    };
    let hs = match raw.hs {
        Some(hs) => {
            parse_hs_code(&hs.value).map_err(|m| TableError::new(entry, "hs.code", m))?;
            Some(fact(entry, "hs", hs)?)
        }
        None => None,
    };
    let density = match raw.density {
        Some(d) if !(d.g_per_ml > 0.1 && d.g_per_ml < 25.0) => {
            return Err(TableError::new(
                entry,
                "density.g_per_ml",
                "must be between 0.1 and 25",
            ))
        }
        Some(d) => {
            nonempty(entry, "density.source", &d.source)?;
            Some(Density {
                g_per_ml: d.g_per_ml,
                celsius: d.celsius,
                source: d.source,
                seen: d.seen,
            })
        }
        None => None,
    };
    let family = match raw.family {
        Some(m) if !families.iter().any(|f| f.id == m.id) => {
            return Err(TableError::new(
                entry,
                "family.id",
                format!("no family `{}`", m.id),
            ))
        }
        Some(m) => Some(Membership {
            family: m.id,
            derivative: m.derivative,
        }),
        None => None,
    };
    let mut controls = Vec::new();
    for (i, c) in raw.control.iter().enumerate() {
        let (dating, source) = dating_fields!(c).check(entry, &format!("control[{i}]"))?;
        controls.push(Dated {
            value: c.tier,
            dating,
            source,
        });
    }
    if controls.is_empty() && family.is_none() {
        return Err(TableError::new(
            entry,
            "control",
            "needs a control, or a family that gives one",
        ));
    }
    let mut un = Vec::new();
    for (i, u) in raw.un.iter().enumerate() {
        let (dating, source) = dating_fields!(u).check(entry, &format!("un[{i}]"))?;
        un.push(Dated {
            value: u.table,
            dating,
            source,
        });
    }
    if let Some(class) = &raw.class {
        nonempty(entry, "class", class)?;
    }
    Ok(Chemical {
        thresholds: thresholds(entry, &raw.threshold)?,
        id: raw.id,
        name: raw.name,
        synonyms: raw.synonyms,
        cas,
        kind: raw.kind,
        class: raw.class,
        dea_code,
        hs,
        density,
        family,
        controls: oldest_first(controls),
        un: oldest_first(un),
    })
}

fn fact<T>(entry: &str, field: &str, raw: RawFact<T>) -> Result<Fact<T>, TableError> {
    if !raw.confirmed && raw.note.as_deref().is_none_or(|n| n.trim().is_empty()) {
        return Err(TableError::new(
            entry,
            &format!("{field}.note"),
            "an unconfirmed fact must say what is uncertain",
        ));
    }
    if raw.confirmed && raw.source.is_none() {
        return Err(TableError::new(
            entry,
            &format!("{field}.source"),
            "a confirmed fact needs its source",
        ));
    }
    Ok(Fact {
        value: raw.value,
        confirmed: raw.confirmed,
        source: raw.source,
        note: raw.note,
    })
}

fn thresholds(entry: &str, raw: &[RawThreshold]) -> Result<Vec<Dated<Threshold>>, TableError> {
    let mut out = Vec::new();
    for (i, t) in raw.iter().enumerate() {
        let field = format!("threshold[{i}]");
        let (dating, source) = dating_fields!(t).check(entry, &field)?;
        let value =
            match (t.any_quantity, &t.domestic, &t.import_export) {
                (Some(true), None, None) if t.cumulative.is_none() => Threshold::AnyQuantity,
                (None | Some(false), Some(domestic), Some(import_export)) => Threshold::Amount {
                    domestic: limit(entry, &format!("{field}.domestic"), domestic)?,
                    import_export: limit(entry, &format!("{field}.import_export"), import_export)?,
                    cumulative: t.cumulative.ok_or_else(|| {
                        TableError::new(
                            entry,
                            &format!("{field}.cumulative"),
                            "say whether the monthly cumulative threshold applies",
                        )
                    })?,
                },
                _ => return Err(TableError::new(
                    entry,
                    &field,
                    "give `any_quantity = true`, or `domestic`, `import_export` and `cumulative`",
                )),
            };
        out.push(Dated {
            value,
            dating,
            source,
        });
    }
    Ok(oldest_first(out))
}

fn limit(entry: &str, field: &str, raw: &RawLimit) -> Result<Limit, TableError> {
    let positive = |v: Option<f64>| v.is_none_or(|v| v.is_finite() && v > 0.0);
    if (raw.kg.is_none() && raw.litres.is_none()) || !positive(raw.kg) || !positive(raw.litres) {
        return Err(TableError::new(
            entry,
            field,
            "needs `kg` and/or `litres`, each more than 0",
        ));
    }
    Ok(Limit {
        kg: raw.kg,
        litres: raw.litres,
    })
}

/// Dated facts oldest first; undated (pending) ones last.
fn oldest_first<T>(mut facts: Vec<Dated<T>>) -> Vec<Dated<T>> {
    facts.sort_by_key(|f| (f.dating.date().is_none(), f.dating.date()));
    facts
}
