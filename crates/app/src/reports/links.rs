//! The links export: each link with both ends' agencies and countries.

use interdict_domain::policy::{self, Actor, Visibility};
use interdict_domain::record::RecordKind;
use interdict_domain::shipment::ShipmentInput;
use interdict_persistence::chains::{self, LinkRow};
use interdict_persistence::{records, DbConnection};
use serde_json::Value;
use uuid::Uuid;

use super::{each, no_flag_state, only_dates, pages, AgencyNames, Producer, ReportQuery, PAGE};
use crate::error::AppError;
use crate::utc;

pub(super) const COLUMNS: &[&str] = &[
    "id",
    "relation",
    "evidence",
    "created_at",
    "created_by",
    "withdrawn_at",
    "withdrawn_reason",
    "from_shipment",
    "from_agency",
    "from_origin_country",
    "from_destination_country",
    "to_shipment",
    "to_agency",
    "to_origin_country",
    "to_destination_country",
];

/// Origin and destination countries of a shipment the caller may see.
fn ends(
    conn: &mut DbConnection,
    visibility: &Visibility,
    id: Uuid,
) -> Result<Option<(String, String)>, AppError> {
    Ok(
        records::find_visible(conn, RecordKind::Shipment, id, visibility)?
            .and_then(|row| serde_json::from_str::<ShipmentInput>(&row.body).ok())
            .and_then(|input| {
                let origin = input.legs.first()?.from.country.clone();
                let destination = input.legs.last()?.to.country.clone();
                Some((origin, destination))
            }),
    )
}

pub(super) fn producer(actor: Actor, query: &ReportQuery) -> Result<Producer, AppError> {
    only_dates(query, "links")?;
    no_flag_state(query)?;
    let created = query.range()?;
    Ok(Box::new(move |conn, emit| {
        let visibility = policy::visibility(&actor, RecordKind::Shipment);
        let mut names = AgencyNames::default();
        pages(
            conn,
            emit,
            PAGE,
            |conn, after| {
                Ok(chains::visible_links_page(
                    conn,
                    &visibility,
                    created,
                    after,
                    PAGE,
                )?)
            },
            |link| link.id.0,
            each(|conn, link: LinkRow| {
                let mut values = vec![
                    Value::String(link.id.0.to_string()),
                    Value::String(link.relation.clone()),
                    Value::String(link.evidence.clone()),
                    Value::String(utc(link.created_at).to_rfc3339()),
                    Value::String(link.created_by.0.to_string()),
                    link.withdrawn_at
                        .map(|t| Value::String(utc(t).to_rfc3339()))
                        .unwrap_or_default(),
                    link.withdrawn_reason
                        .clone()
                        .map(Value::String)
                        .unwrap_or_default(),
                ];
                for end in [link.from_shipment_id.0, link.to_shipment_id.0] {
                    let owner = records::owner_of(conn, end)?;
                    let agency = match owner {
                        Some(owner) => names.get(conn, owner)?,
                        None => String::new(),
                    };
                    let (origin, destination) = ends(conn, &visibility, end)?.unwrap_or_default();
                    values.extend([
                        Value::String(end.to_string()),
                        Value::String(agency),
                        Value::String(origin),
                        Value::String(destination),
                    ]);
                }
                Ok(values)
            }),
        )
    }))
}
