//! The oversight report: a PDF of what was recorded in the auditor's scope
//! over a period, what was flagged and decided, and the state of the audit
//! trail.

use chrono::Utc;
use interdict_domain::audit::{AuditAction, VerifyReport};
use interdict_domain::labels;
use interdict_domain::policy::{self, Report, Visibility};
use interdict_domain::record::RecordKind;
use interdict_domain::review::{self, FlagState};
use interdict_persistence::audit::{self, VerifyMode};
use interdict_persistence::summary::{self, Period};
use interdict_persistence::DbConnection;
use serde::Deserialize;
use std::collections::BTreeMap;
use utoipa::IntoParams;

use super::pdf::{Document, Page, HEIGHT, WIDTH};
use crate::context::Ctx;
use crate::error::AppError;
use crate::filters::parse_time;

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SummaryQuery {
    /// Start of the period, inclusive: RFC 3339, or a date for midnight UTC.
    /// Required; optional here so that a caller who may not have the
    /// report hears so (403) before hearing what is wrong with the dates.
    pub from: Option<String>,
    /// End of the period, exclusive: RFC 3339, or a date for midnight UTC at its start.
    /// Required, as `from`.
    pub to: Option<String>,
}

/// The figures the report shows.
#[derive(Debug, Default)]
pub struct Summary {
    pub shipments: u64,
    pub by_incident: BTreeMap<String, u64>,
    pub by_control: BTreeMap<String, u64>,
    pub by_origin: BTreeMap<String, u64>,
    pub by_state: BTreeMap<String, u64>,
    /// Shipments per week, keyed by the Monday that starts it.
    pub per_week: BTreeMap<String, u64>,
    pub flags_raised: u64,
    pub flags_by_state: BTreeMap<String, u64>,
    pub median_hours_to_decision: Option<f64>,
    /// The 90th percentile of the hours from raised to decided.
    pub p90_hours_to_decision: Option<f64>,
    /// Flags raised in the period and still undecided
    /// `[review] overdue_after_days` after they were raised, when the
    /// report was made.
    pub overdue: u64,
    pub overdue_after_days: i64,
    pub audit: Option<VerifyReport>,
    pub audit_head: String,
}

/// When the report is made, and when a flag counts as overdue.
#[derive(Debug, Clone, Copy)]
struct Clocks {
    now: chrono::DateTime<Utc>,
    overdue_after: chrono::Duration,
}

fn gather(
    conn: &mut DbConnection,
    visibility: &Visibility,
    period: Period,
    audit_key: &[u8],
    clocks: Clocks,
) -> Result<Summary, AppError> {
    let figures = summary::figures(conn, visibility, period)?;
    let map = |counts: Vec<(String, u64)>| counts.into_iter().collect::<BTreeMap<_, _>>();
    let mut hours: Vec<f64> = figures
        .decisions
        .iter()
        .map(|(raised, decided)| (*decided - *raised).num_seconds() as f64 / 3600.0)
        .collect();
    hours.sort_by(f64::total_cmp);
    Ok(Summary {
        shipments: figures.shipments,
        by_incident: map(figures.by_incident),
        by_control: map(figures.by_control),
        by_origin: map(figures.by_origin),
        by_state: map(figures.by_state),
        per_week: figures
            .per_week
            .into_iter()
            .map(|(monday, n)| (monday.to_string(), n))
            .collect(),
        flags_raised: figures.flags_by_state.iter().map(|(_, n)| n).sum(),
        flags_by_state: map(figures.flags_by_state),
        median_hours_to_decision: median(&hours),
        p90_hours_to_decision: review::percentile(&hours, 90.0),
        overdue: figures
            .undecided_raised
            .iter()
            .filter(|raised| {
                review::is_overdue(
                    FlagState::Open,
                    raised.and_utc(),
                    clocks.now,
                    clocks.overdue_after,
                )
            })
            .count() as u64,
        overdue_after_days: clocks.overdue_after.num_days(),
        audit: Some(audit::verify(conn, audit_key, VerifyMode::Full)?),
        audit_head: hex::encode(audit::head(conn)?.1),
    })
}

/// The middle of sorted `values`, or the mean of the middle two.
fn median(values: &[f64]) -> Option<f64> {
    match values.len() {
        0 => None,
        n if n % 2 == 1 => Some(values[n / 2]),
        n => Some((values[n / 2 - 1] + values[n / 2]) / 2.0),
    }
}

fn table(
    page: &mut Page<'_>,
    y: &mut f64,
    title: &str,
    rows: &BTreeMap<String, u64>,
    label: fn(&str) -> String,
) {
    page.text(72.0, *y, 12.0, true, title);
    *y -= 16.0;
    if rows.is_empty() {
        page.text(84.0, *y, 10.0, false, "none");
        *y -= 14.0;
    }
    let mut sorted: Vec<(&String, &u64)> = rows.iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for (name, count) in sorted.into_iter().take(12) {
        page.text(84.0, *y, 10.0, false, &label(name));
        page.text(360.0, *y, 10.0, false, &count.to_string());
        *y -= 14.0;
    }
    *y -= 8.0;
}

pub fn render(summary: &Summary, from: &str, to: &str, scope: &str) -> Vec<u8> {
    let mut doc = Document::new();
    let mut page = doc.page();
    let mut y = HEIGHT - 72.0;
    page.text(72.0, y, 18.0, true, "Interdict oversight report");
    y -= 22.0;
    page.text(72.0, y, 10.0, false, &format!("Period: {from} to {to}"));
    y -= 14.0;
    page.text(72.0, y, 10.0, false, &format!("Scope: {scope}"));
    y -= 14.0;
    page.text(
        72.0,
        y,
        10.0,
        false,
        &format!("Generated: {}", Utc::now().format("%Y-%m-%d %H:%M UTC")),
    );
    y -= 26.0;
    page.text(
        72.0,
        y,
        12.0,
        true,
        &format!("Shipments recorded: {}", summary.shipments),
    );
    y -= 24.0;
    let as_is: fn(&str) -> String = str::to_owned;
    table(
        &mut page,
        &mut y,
        "By incident type",
        &summary.by_incident,
        labels::words,
    );
    table(
        &mut page,
        &mut y,
        "By control status of chemicals carried",
        &summary.by_control,
        labels::control,
    );
    table(
        &mut page,
        &mut y,
        "By origin country",
        &summary.by_origin,
        as_is,
    );
    table(
        &mut page,
        &mut y,
        "By destination state",
        &summary.by_state,
        as_is,
    );

    let mut page = doc.page();
    let mut y = HEIGHT - 72.0;
    page.text(72.0, y, 12.0, true, "Flags and review");
    y -= 18.0;
    page.text(
        84.0,
        y,
        10.0,
        false,
        &format!("Flags raised: {}", summary.flags_raised),
    );
    y -= 14.0;
    for state in [
        "open",
        "under_review",
        "confirmed",
        "dismissed",
        "escalated",
        "merged",
    ] {
        let count = summary.flags_by_state.get(state).copied().unwrap_or(0);
        page.text(
            84.0,
            y,
            10.0,
            false,
            &format!("{}: {count}", labels::words(state)),
        );
        y -= 14.0;
    }
    let median = summary
        .median_hours_to_decision
        .map_or("no decisions yet".to_owned(), |h| format!("{h:.1} hours"));
    page.text(
        84.0,
        y,
        10.0,
        false,
        &format!("Median time to decision: {median}"),
    );
    y -= 14.0;
    let p90 = summary
        .p90_hours_to_decision
        .map_or("no decisions yet".to_owned(), |h| format!("{h:.1} hours"));
    page.text(
        84.0,
        y,
        10.0,
        false,
        &format!("90th percentile time to decision: {p90}"),
    );
    y -= 14.0;
    page.text(
        84.0,
        y,
        10.0,
        false,
        &format!(
            "Overdue, undecided after {} days: {}",
            summary.overdue_after_days, summary.overdue
        ),
    );
    y -= 30.0;

    page.text(72.0, y, 12.0, true, "Shipments per week");
    y -= 16.0;
    let max = summary.per_week.values().copied().max().unwrap_or(0).max(1) as f64;
    let weeks: Vec<(&String, &u64)> = summary
        .per_week
        .iter()
        .rev()
        .take(26)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let bar_width = ((WIDTH - 144.0) / weeks.len().max(1) as f64).min(40.0);
    let base = y - 160.0;
    page.line(72.0, base, WIDTH - 72.0, base);
    for (i, (week, count)) in weeks.iter().enumerate() {
        let x = 72.0 + i as f64 * bar_width;
        let height = 150.0 * (**count as f64) / max;
        page.rect(x + 2.0, base, bar_width - 4.0, height, 0.45);
        page.text(x + 2.0, base + height + 3.0, 7.0, false, &count.to_string());
        if weeks.len() <= 13 || i % 2 == 0 {
            page.text(x + 2.0, base - 10.0, 6.0, false, &week[5..]);
        }
    }
    y = base - 40.0;

    page.text(72.0, y, 12.0, true, "Audit trail");
    y -= 16.0;
    let verdict = match &summary.audit {
        Some(VerifyReport::Intact { entries, .. }) => {
            format!("Verified: intact, {entries} entries re-hashed")
        }
        Some(VerifyReport::Broken {
            first_bad_seq,
            reason,
            ..
        }) => {
            format!("BROKEN at entry {first_bad_seq}: {reason}")
        }
        None => "not checked".into(),
    };
    page.text(84.0, y, 10.0, false, &verdict);
    y -= 14.0;
    page.text(
        84.0,
        y,
        8.0,
        false,
        &format!("Head hash: {}", summary.audit_head),
    );
    doc.finish("Interdict oversight report")
}

/// The oversight report for a period, as a PDF (auditors).
pub async fn summary(ctx: &Ctx, query: &SummaryQuery) -> Result<Vec<u8>, AppError> {
    let mut event = ctx.event_on(AuditAction::ReportExport, "report", "summary.pdf");
    event.detail = Some(
        serde_json::json!({ "from": query.from, "to": query.to, "format": "pdf" }).to_string(),
    );
    let key = ctx.app.keys.audit.clone();
    let clocks = Clocks {
        now: ctx.app.now(),
        overdue_after: ctx.app.config.overdue_after,
    };
    let built = async {
        let actor = ctx.actor()?;
        AppError::from_decision(policy::decide_export(actor, Report::Summary))?;
        let from = parse_time("from", query.from.as_deref())?
            .ok_or_else(|| AppError::bad_request("from", "is required"))?;
        let to = parse_time("to", query.to.as_deref())?
            .ok_or_else(|| AppError::bad_request("to", "is required"))?;
        if from >= to {
            return Err(AppError::bad_request("to", "must be after `from`"));
        }
        let visibility = policy::visibility(actor, RecordKind::Shipment);
        let scope = if actor.system_agency {
            "all agencies' shared records"
        } else {
            "your agency and what is shared with it"
        };
        let summary = ctx
            .app
            .db
            .run(move |conn| {
                let period = Period {
                    from: from.naive_utc(),
                    to: to.naive_utc(),
                };
                gather(conn, &visibility, period, &key, clocks)
            })
            .await?;
        let (from, to) = (query.from.as_deref(), query.to.as_deref());
        Ok(render(
            &summary,
            from.unwrap_or_default(),
            to.unwrap_or_default(),
            scope,
        ))
    }
    .await;
    ctx.audited(event, built).await
}
