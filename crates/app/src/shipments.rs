//! Shipments: what moved, between whom, by which route. Recorded, changed
//! and withdrawn like every record (`records`); read with the risk
//! indicators they fire, and searched by what they carry and where.

use interdict_domain::audit::RecordVerb;
use interdict_domain::chemical::ControlStatus;
use interdict_domain::identifier::IdentifierKind;
use interdict_domain::policy::{self, RecordAction};
use interdict_domain::record::RecordKind;
use interdict_domain::risk::Assessment;
use interdict_domain::shipment::{IncidentType, Mode, ShipmentInput, ShipmentStatus};
use interdict_persistence::search::{FactFilter, IdentifierMatch, Search, ShipmentFacts};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;
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
    pub control_status: Option<String>,
    pub origin_country: Option<String>,
    pub destination_country: Option<String>,
    /// US state or territory of the destination, e.g. `TX`.
    pub destination_state: Option<String>,
    pub incident_type: Option<String>,
    pub status: Option<String>,
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
}

impl Versioned for ShipmentDetail {
    fn version(&self) -> i64 {
        self.record.version
    }
}

/// One shipment, weighed: the record and its kept findings in one
/// statement.
pub async fn detail(ctx: &Ctx, id: Uuid) -> Result<ShipmentDetail, AppError> {
    let kind = RecordKind::Shipment;
    let actor = ctx.actor()?.clone();
    let weights = ctx.app.config.risk.clone();
    let found = ctx
        .app
        .db
        .run(move |conn| {
            let visibility = policy::visibility(&actor, kind);
            let (row, risk) = risk::visible_shipment(conn, id, &visibility, &weights, None)?
                .ok_or(AppError::NotFound)?;
            permitted(&actor, kind, RecordAction::Read, &row)?;
            Ok((row, risk))
        })
        .await;
    let (row, risk) = ctx
        .audited(record_event(ctx, kind, RecordVerb::Read, id), found)
        .await?;
    Ok(ShipmentDetail {
        record: Record::from_row(row)?,
        risk,
    })
}
