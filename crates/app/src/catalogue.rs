//! The chemical catalogue with each chemical's control history: the
//! catalogue entries the caller may see (an audited search), each with its
//! row of the rules table (`reference/controls.toml`, found by CAS number):
//! every dated control, by name and through a family, with its citation.

use interdict_domain::chemical::{CasNumber, ChemicalInput};
use interdict_domain::regulation::{self, Dated, Dating};
use serde::Serialize;
use uuid::Uuid;

use crate::context::Ctx;
use crate::error::AppError;
use crate::pagination::MAX_LIMIT;
use crate::records::{self, ChemicalQuery};

/// One dated entry of a control history.
#[derive(Debug, Clone, Serialize)]
pub struct ControlEntry {
    /// "List I", or "List I (its amides, carbamates, salts)" for a family.
    pub control: String,
    /// "since 2023-05-12", or "in force by 2023-11-30 (start not confirmed)".
    pub since: String,
    pub citation: String,
    pub confirmed: bool,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChemicalControls {
    pub id: Uuid,
    pub name: String,
    pub cas: String,
    /// What the catalogue entry records, undated.
    pub recorded: String,
    /// Dated controls, oldest first; empty if the table has no row for it.
    pub history: Vec<ControlEntry>,
    /// Why there is no history, when there is none.
    pub unknown: Option<String>,
}

fn entry(control: String, dated: &Dated<impl Sized>) -> ControlEntry {
    ControlEntry {
        control,
        since: match dated.dating {
            Dating::Effective(d) => format!("since {d}"),
            other => other.describe_since(),
        },
        citation: dated.source.citation.short(),
        confirmed: dated.source.confirmed,
        note: dated.source.note.clone(),
    }
}

/// The first page of the catalogue (up to 500 entries) with histories.
pub async fn controls(ctx: &Ctx) -> Result<Vec<ChemicalControls>, AppError> {
    let query = ChemicalQuery {
        limit: Some(MAX_LIMIT),
        ..ChemicalQuery::default()
    };
    let page = records::search::<ChemicalInput, _>(ctx, &query).await?;
    let table = regulation::controls();
    Ok(page
        .items
        .into_iter()
        .map(|record| {
            let chemical = record.document;
            let row = CasNumber::parse(&chemical.cas)
                .ok()
                .and_then(|cas| table.by_cas(&cas));
            let mut history = Vec::new();
            if let Some(row) = row {
                for c in &row.controls {
                    history.push(entry(c.value.label().to_owned(), c));
                }
                if let Some(m) = &row.family {
                    if let Some(family) = table.family(&m.family) {
                        for c in family
                            .controls
                            .iter()
                            .filter(|c| c.value.derivatives.contains(&m.derivative))
                        {
                            history.push(entry(
                                format!(
                                    "{} as a {} of {}",
                                    c.value.tier.label(),
                                    m.derivative.as_str(),
                                    family.name
                                ),
                                c,
                            ));
                        }
                    }
                }
            }
            history.sort_by_key(|e| e.since.clone());
            ChemicalControls {
                id: record.id,
                unknown: row.is_none().then(|| {
                    "Not in the rules table: no dated control or citation is recorded.".to_owned()
                }),
                name: chemical.name,
                cas: chemical.cas,
                recorded: chemical.us_control.replace('_', " "),
                history,
            }
        })
        .collect())
}
