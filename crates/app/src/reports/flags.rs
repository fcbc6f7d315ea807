//! The flags export: each flag with its indicators and its history.

use interdict_domain::policy::{self, Actor};
use interdict_domain::record::RecordKind;
use interdict_domain::review::FlagState;
use interdict_persistence::flags::{self, FlagRow};
use serde_json::Value;

use super::{each, only_dates, pages, AgencyNames, Producer, ReportQuery, PAGE};
use crate::error::AppError;
use crate::filters::choice;
use crate::utc;

pub(super) const COLUMNS: &[&str] = &[
    "id",
    "shipment_id",
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
                let history: Vec<String> = flags::history(conn, flag.id.0)?
                    .into_iter()
                    .map(|t| {
                        let by = t.by_user.map_or("system".to_owned(), |u| u.0.to_string());
                        let at = utc(t.at).to_rfc3339();
                        let reason = t.reason.map(|r| format!(" ({r})")).unwrap_or_default();
                        format!("{} → {} by {by} at {at}{reason}", t.action, t.to_state)
                    })
                    .collect();
                let indicators: Vec<String> = serde_json::from_str::<Vec<Value>>(&flag.indicators)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|i| i["code"].as_str().map(str::to_owned))
                    .collect();
                let values = vec![
                    Value::String(flag.id.0.to_string()),
                    Value::String(flag.shipment_id.0.to_string()),
                    Value::String(names.get(conn, flag.owner_agency_id.0)?),
                    Value::String(flag.state.clone()),
                    Value::String(flag.reason.clone()),
                    serde_json::json!(flag.score),
                    Value::String(indicators.join("; ")),
                    Value::String(
                        flag.raised_by
                            .map_or("system".to_owned(), |u| u.0.to_string()),
                    ),
                    Value::String(utc(flag.raised_at).to_rfc3339()),
                    flag.assigned_to
                        .map(|u| Value::String(u.0.to_string()))
                        .unwrap_or_default(),
                    flag.escalated_to
                        .map(|u| Value::String(u.0.to_string()))
                        .unwrap_or_default(),
                    Value::String(history.join("; ")),
                ];
                Ok(values)
            }),
        )
    }))
}
