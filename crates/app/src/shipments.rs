//! Shipments: what moved, between whom, by which route. Recorded, changed
//! and withdrawn like every record (`records`); read with the risk
//! indicators they fire, and searched by what they carry and where.

use std::collections::HashMap;

use chrono::NaiveDate;
use interdict_domain::audit::RecordVerb;
use interdict_domain::chemical::ControlStatus;
use interdict_domain::identifier::IdentifierKind;
use interdict_domain::policy::{self, RecordAction};
use interdict_domain::record::RecordKind;
use interdict_domain::risk::{self as rules, Assessment, LineControl, ShipmentProfile};
use interdict_domain::shipment::{IncidentType, Mode, ShipmentInput, ShipmentStatus};
use interdict_persistence::records;
use interdict_persistence::risk::{self as kept, Profiler};
use interdict_persistence::search::{FactFilter, IdentifierMatch, Search, ShipmentFacts};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::context::Ctx;
use crate::error::AppError;
use crate::filters::{self, chemical_ref, choice, country, destination_state, ChemicalRef};
use crate::records::{
    base_search, imprint_match, permitted, record_event, serial_match, Record, SearchQuery,
    Versioned,
};
use crate::risk;

#[derive(Debug, Default, Deserialize, Serialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ShipmentQuery {
    /// Text in the declared description, concealment or the names of
    /// parties the caller may see (at most 200 characters).
    pub q: Option<String>,
    pub tracking_number: Option<String>,
    /// Serial number of equipment on a line that the caller may see.
    pub serial: Option<String>,
    /// Imprint of a die mold on a line that the caller may see, `M|30` or
    /// `M|30|round`.
    pub imprint: Option<String>,
    /// A chemical on a line, by catalogue id or CAS number.
    pub chemical: Option<String>,
    /// US control status of a chemical on a line.
    #[param(value_type = Option<interdict_domain::chemical::ControlStatus>)]
    pub control_status: Option<String>,
    pub origin_country: Option<String>,
    pub destination_country: Option<String>,
    /// US state or territory of the destination, e.g. `TX`.
    pub destination_state: Option<String>,
    #[param(value_type = Option<interdict_domain::shipment::IncidentType>)]
    pub incident_type: Option<String>,
    #[param(value_type = Option<interdict_domain::shipment::ShipmentStatus>)]
    pub status: Option<String>,
    #[param(value_type = Option<interdict_domain::shipment::Mode>)]
    pub mode: Option<String>,
    /// Shipped on or after (RFC 3339).
    pub from: Option<String>,
    /// Shipped before (RFC 3339).
    pub to: Option<String>,
    pub owner_agency_id: Option<Uuid>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

impl SearchQuery for ShipmentQuery {
    fn search(&self) -> Result<Search, AppError> {
        let mut search = base_search(&self.q, self.owner_agency_id, self.limit, &self.cursor)?;
        if let Some(raw) = filters::text("tracking_number", self.tracking_number.as_deref())? {
            let value = IdentifierKind::TrackingNumber
                .normalise(raw)
                .ok_or_else(|| {
                    AppError::bad_request("tracking_number", "needs at least 3 letters or digits")
                })?;
            search.identifiers.push(IdentifierMatch {
                any_of: vec![(IdentifierKind::TrackingNumber, value)],
                prefix: false,
            });
        }
        search.identifiers.extend(serial_match(&self.serial)?);
        search.identifiers.extend(imprint_match(&self.imprint)?);
        let destination_subdivision = destination_state(&self.destination_state)?;
        let (shipped_from, shipped_to) = filters::range(self.from.as_deref(), self.to.as_deref())?;
        let (chemical, chemical_cas) = match chemical_ref(&self.chemical)? {
            Some(ChemicalRef::Id(id)) => (Some(id), None),
            Some(ChemicalRef::Cas(cas)) => (None, Some(cas)),
            None => (None, None),
        };
        search.facts = FactFilter::Shipment(ShipmentFacts {
            incident_type: choice::<IncidentType>("incident_type", &self.incident_type)?,
            status: choice::<ShipmentStatus>("status", &self.status)?,
            mode: choice::<Mode>("mode", &self.mode)?,
            origin_country: country("origin_country", &self.origin_country)?,
            destination_country: country("destination_country", &self.destination_country)?,
            destination_subdivision,
            shipped_from,
            shipped_to,
            chemical,
            chemical_cas,
            control_status: choice::<ControlStatus>("control_status", &self.control_status)?,
        });
        Ok(search)
    }
}

/// A shipment with the risk indicators it fires.
#[derive(Debug, Clone, Serialize)]
pub struct ShipmentDetail {
    #[serde(flatten)]
    pub record: Record<ShipmentInput>,
    pub risk: Assessment,
    /// The day controls and rules are taken at: departure, else arrival,
    /// else the day the shipment was recorded.
    pub control_day: NaiveDate,
    /// Each chemical line's control on `control_day`, with its citation:
    /// "4-piperidone: not controlled then (List I from 2023-05-12)".
    pub controls: Vec<LineControl>,
}

impl Versioned for ShipmentDetail {
    fn version(&self) -> i64 {
        self.record.version
    }
}

/// One shipment, weighed: the record and its kept findings in one
/// statement, with each chemical line's control on the shipment's date.
pub async fn detail(ctx: &Ctx, id: Uuid) -> Result<ShipmentDetail, AppError> {
    let (row, risk, profile) = profiled(ctx, id, Profile::Lines).await?;
    Ok(ShipmentDetail {
        record: Record::from_row(row)?,
        risk,
        control_day: profile.day,
        controls: rules::line_controls(&profile),
    })
}

/// How much of a shipment's profile a read needs.
#[derive(Clone, Copy)]
enum Profile {
    /// Its date and lines: enough to show each line's control.
    Lines,
    /// Everything the rules weigh (links, deconfliction, monthly totals).
    Full,
}

/// A visible shipment's row, assessment and profile; the read is audited,
/// also when the answer is 404.
async fn profiled(
    ctx: &Ctx,
    id: Uuid,
    depth: Profile,
) -> Result<
    (
        interdict_persistence::records::RecordRow,
        Assessment,
        ShipmentProfile,
    ),
    AppError,
> {
    let kind = RecordKind::Shipment;
    let actor = ctx.actor()?.clone();
    let weights = ctx.app.config.risk.clone();
    let found = ctx
        .app
        .db
        .run(move |conn| match depth {
            Profile::Lines => {
                let mut profiler = Profiler::default();
                let (row, findings) =
                    kept::read_shipment(conn, id, &mut profiler)?.ok_or(AppError::NotFound)?;
                permitted(&actor, kind, RecordAction::Read, &row)?;
                let input = serde_json::from_str::<ShipmentInput>(&row.body).ok();
                let profile = profiler.lines_of(conn, id, input.as_ref())?;
                Ok((row, rules::weigh(findings, &weights), profile))
            }
            Profile::Full => {
                let visibility = policy::visibility(&actor, kind);
                let (row, risk) = risk::visible_shipment(conn, id, &visibility, &weights, None)?
                    .ok_or(AppError::NotFound)?;
                permitted(&actor, kind, RecordAction::Read, &row)?;
                let profile = Profiler::default()
                    .profiles(conn, &[(id, row.body.as_str())])?
                    .pop()
                    .unwrap_or_default();
                Ok((row, risk, profile))
            }
        })
        .await;
    ctx.audited(record_event(ctx, kind, RecordVerb::Read, id), found)
        .await
}

/// One DEA filing obligation of a shipment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ObligationView {
    /// The rule's id in reference/filing_rules.toml.
    pub rule: String,
    /// e.g. "21 CFR 1313.12(a)-(b)".
    pub citation: String,
    /// What is due: the form, for what, and its clock.
    pub what: String,
    pub due: Option<NaiveDate>,
    /// `met`, `late`, `missing` or `not_yet_due`.
    #[schema(value_type = interdict_domain::regulation::ObligationStatus)]
    pub status: String,
    pub explanation: String,
    /// False when the rule or its clock could not be confirmed in the regulation.
    pub confirmed: bool,
}

/// The DEA filing obligations of a shipment, as of today.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ObligationsView {
    pub shipment_id: Uuid,
    /// The shipment's date, at which the rules that applied are chosen.
    pub control_day: NaiveDate,
    /// `import`, `export` or `domestic`.
    #[schema(value_type = interdict_domain::regulation::Direction)]
    pub direction: String,
    /// The day statuses are judged on: a filing not yet due today is `not_yet_due`.
    pub as_of: NaiveDate,
    pub obligations: Vec<ObligationView>,
    /// Rules that may apply but could not be decided, and why.
    pub undetermined: Vec<String>,
}

/// `GET /shipments/{id}/obligations`: every DEA filing obligation that
/// applies to a shipment the caller may read (`domain::regulation`), with
/// its due date and status today.
pub async fn obligations(ctx: &Ctx, id: Uuid) -> Result<ObligationsView, AppError> {
    let (_, _, profile) = profiled(ctx, id, Profile::Full).await?;
    let today = ctx.now().date_naive();
    let report = rules::obligations_of(&profile, today);
    Ok(ObligationsView {
        shipment_id: id,
        control_day: profile.day,
        direction: profile.direction.as_str().to_owned(),
        as_of: today,
        obligations: report
            .obligations
            .into_iter()
            .map(|o| ObligationView {
                rule: o.rule,
                citation: o.citation,
                what: o.what,
                due: o.due,
                status: o.status.as_str().to_owned(),
                explanation: o.explanation,
                confirmed: o.confirmed,
            })
            .collect(),
        undetermined: report.undetermined,
    })
}

/// The references of those of `ids` the caller may see, to name them on a
/// page; the others are left out. Audited as a search of shipments.
pub async fn references(ctx: &Ctx, ids: Vec<Uuid>) -> Result<HashMap<Uuid, String>, AppError> {
    let kind = RecordKind::Shipment;
    let mut event = record_event(ctx, kind, RecordVerb::Search, "*");
    event.detail = Some(serde_json::json!({ "references_of": ids.len() }).to_string());
    let found = async {
        let visibility = policy::visibility(ctx.actor()?, kind);
        ctx.app
            .db
            .run(move |conn| {
                Ok::<_, AppError>(records::references_visible(conn, &ids, &visibility)?)
            })
            .await
    }
    .await;
    Ok(ctx.audited(event, found).await?.into_iter().collect())
}
