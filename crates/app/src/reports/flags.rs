//! The flags export: each flag with its indicators and its history.

use interdict_domain::policy::{self, Actor};
use interdict_domain::record::RecordKind;
use interdict_domain::review::FlagState;
use std::collections::HashMap;

use interdict_persistence::flags::{self, FlagRow};
use interdict_persistence::{names, records, DbConnection, DbUuid};
use serde_json::Value;
use uuid::Uuid;

use super::{each, only_dates, pages, AgencyNames, Producer, ReportQuery, PAGE};
use crate::error::AppError;
use crate::filters::choice;
use crate::utc;

pub(super) const COLUMNS: &[&str] = &[
    "id",
    "shipment_id",
    "shipment_reference",
    "owner_agency",
    "state",
    "reason",
    "score",
    "indicators",
    "raised_by",
    "raised_at",
    "assigned_to",
    "escalated_to",
    "history",
];

pub(super) fn producer(actor: Actor, query: &ReportQuery) -> Result<Producer, AppError> {
    only_dates(query, "flags")?;
    let state = choice::<FlagState>("flag_state", &query.flag_state)?;
    let raised = query.range()?;
    Ok(Box::new(move |conn, emit| {
        let visibility = policy::visibility(&actor, RecordKind::Shipment);
        let mut names = AgencyNames::default();
        let mut users: HashMap<Uuid, String> = HashMap::new();
        let mut username =
            move |conn: &mut DbConnection, id: Option<DbUuid>| -> Result<String, AppError> {
                let Some(id) = id.map(|u| u.0) else {
                    return Ok("system".to_owned());
                };
                if let Some(name) = users.get(&id) {
                    return Ok(name.clone());
                }
                let found = names::usernames(conn, &[id])?;
                let name = found.get(&id).cloned().unwrap_or_else(|| id.to_string());
                users.insert(id, name.clone());
                Ok(name)
            };
        pages(
            conn,
            emit,
            PAGE,
            |conn, after| {
                Ok(flags::visible_page(
                    conn,
                    &visibility,
                    state.as_deref(),
                    raised,
                    after,
                    PAGE,
                )?)
            },
            |flag| flag.id.0,
            each(|conn, flag: FlagRow| {
                let mut history = Vec::new();
                for t in flags::history(conn, flag.id.0)? {
                    let by = username(conn, t.by_user)?;
                    let at = utc(t.at).to_rfc3339();
                    let reason = t.reason.map(|r| format!(" ({r})")).unwrap_or_default();
                    history.push(format!(
                        "{} → {} by {by} at {at}{reason}",
                        t.action, t.to_state
                    ));
                }
                let reference =
                    records::references_visible(conn, &[flag.shipment_id.0], &visibility)?
                        .pop()
                        .map(|(_, r)| r);
                let indicators: Vec<String> = serde_json::from_str::<Vec<Value>>(&flag.indicators)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|i| i["code"].as_str().map(str::to_owned))
                    .collect();
                let values = vec![
                    Value::String(flag.id.0.to_string()),
                    Value::String(flag.shipment_id.0.to_string()),
                    reference.map(Value::String).unwrap_or_default(),
                    Value::String(names.get(conn, flag.owner_agency_id.0)?),
                    Value::String(flag.state.clone()),
                    Value::String(flag.reason.clone()),
                    serde_json::json!(flag.score),
                    Value::String(indicators.join("; ")),
                    Value::String(username(conn, flag.raised_by)?),
                    Value::String(utc(flag.raised_at).to_rfc3339()),
                    match flag.assigned_to {
                        Some(user) => Value::String(username(conn, Some(user))?),
                        None => Value::Null,
                    },
                    match flag.escalated_to {
                        Some(agency) => Value::String(names.get(conn, agency.0)?),
                        None => Value::Null,
                    },
                    Value::String(history.join("; ")),
                ];
                Ok(values)
            }),
        )
    }))
}
