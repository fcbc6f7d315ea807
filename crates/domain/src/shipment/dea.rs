//! A shipment's DEA transaction details: the forms filed for it (486 for
//! listed chemicals, 452 for tableting and encapsulating machines), their
//! transaction ids and dates, and the date of release or transaction the
//! filing clocks count from (`regulation::obligations`).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::regulation::{DeaFiling, DeaForm, DeaTransaction};
use crate::validation::{bounded_text, optional, pick, Invalid, ValidationErrors};

pub const MAX_FILINGS: usize = 20;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeaFilingInput {
    /// `486` (listed chemicals), `452` (tableting and encapsulating
    /// machines) or `suspicious_order_report`.
    #[cfg_attr(feature = "openapi", schema(value_type = DeaForm))]
    pub form: String,
    /// The transaction identification number DEA issued, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    /// The day the filing was made, `YYYY-MM-DD`.
    pub filed_on: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeaInput {
    #[serde(default)]
    pub filings: Vec<DeaFilingInput>,
    /// Release by customs (import or export) or the domestic transaction,
    /// `YYYY-MM-DD`: the day the filing clocks count from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub released_on: Option<String>,
}

pub fn parse_day(value: &str) -> Result<NaiveDate, Invalid> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .map_err(|_| format!("`{value}` is not a date such as 2026-03-16").into())
}

pub(super) fn dea(errors: &mut ValidationErrors, input: &DeaInput) -> Option<DeaTransaction> {
    if input.filings.len() > MAX_FILINGS {
        errors.add("dea.filings", format!("at most {MAX_FILINGS} filings"));
    }
    let filings = input
        .filings
        .iter()
        .take(MAX_FILINGS)
        .enumerate()
        .filter_map(|(i, f)| {
            let field = format!("dea.filings[{i}]");
            let form = errors.check(&format!("{field}.form"), pick::<DeaForm>(&f.form));
            let transaction_id = optional(
                errors,
                &format!("{field}.transaction_id"),
                &f.transaction_id,
                |s| bounded_text(s, 60),
            );
            let filed_on = errors.check(&format!("{field}.filed_on"), parse_day(&f.filed_on));
            Some(DeaFiling {
                form: form?,
                transaction_id,
                filed_on: filed_on?,
            })
        })
        .collect();
    let event_date = optional(errors, "dea.released_on", &input.released_on, parse_day);
    Some(DeaTransaction {
        filings,
        event_date,
    })
}

impl DeaInput {
    pub fn from_transaction(dea: &DeaTransaction) -> Self {
        Self {
            filings: dea
                .filings
                .iter()
                .map(|f| DeaFilingInput {
                    form: f.form.as_str().to_owned(),
                    transaction_id: f.transaction_id.clone(),
                    filed_on: f.filed_on.to_string(),
                })
                .collect(),
            released_on: dea.event_date.map(|d| d.to_string()),
        }
    }
}
