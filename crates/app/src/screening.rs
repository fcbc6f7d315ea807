//! Sanctions screening: lists loaded as dated versions, every party
//! screened on write against the list in force (held in memory as a
//! [`ScreeningIndex`], so a write never scans a table), a newer list
//! re-screening every party in the background, supervisors disposing of
//! false positives, and names screened ad hoc.

use chrono::{NaiveDate, NaiveDateTime};
use interdict_domain::audit::AuditAction;
use interdict_domain::matching::{facts_of, NameKind, PartyFacts};
use interdict_domain::party::{Party, PartyInput};
use interdict_domain::policy::{self, Actor};
use interdict_domain::record::RecordKind;
use interdict_domain::sanctions::{parse_sdn, Disposition, Hit, ScreeningIndex};
use interdict_persistence::audit::AuditContext;
use interdict_persistence::screening::{self, FoundHit, HitRow, ListMeta, NewList};
use interdict_persistence::{records, DbConnection, DbUuid};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, RwLock};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::context::{App, Ctx, RequestMeta};
use crate::error::AppError;
use crate::utc;
use crate::watchlists;

/// The list date given to the bundled snapshot: its files carry none; it
/// holds no designation after early August 2021 (reference/ofac/README.md).
pub const BUILTIN_DATE: &str = "2021-07-01";
const BUILTIN_SOURCE: &str = "OFAC SDN (built-in snapshot, mid-2021)";
const BUILTIN_SDN: &[u8] = include_bytes!("../../../reference/ofac/sdn.csv");
const BUILTIN_ALT: &[u8] = include_bytes!("../../../reference/ofac/alt.csv");
const BUILTIN_ADD: &[u8] = include_bytes!("../../../reference/ofac/add.csv");
/// Days after which the list in force is called stale.
pub const STALE_AFTER_DAYS: i64 = 30;
/// Parties re-screened per audited transaction.
const RESCREEN_PAGE: i64 = 500;

/// The list in force, indexed.
pub struct LoadedList {
    pub id: Uuid,
    pub source: String,
    pub list_date: String,
    pub index: ScreeningIndex,
}

/// The list in force in this process; swapped whole when a newer one loads.
#[derive(Clone, Default)]
pub struct Screener(Arc<RwLock<Option<Arc<LoadedList>>>>);

impl Screener {
    pub fn current(&self) -> Option<Arc<LoadedList>> {
        self.0.read().ok().and_then(|list| list.clone())
    }

    fn set(&self, list: Arc<LoadedList>) {
        if let Ok(mut slot) = self.0.write() {
            *slot = Some(list);
        }
    }
}

fn parse(
    sdn: &[u8],
    alt: &[u8],
    add: &[u8],
) -> Result<interdict_domain::sanctions::SanctionsList, AppError> {
    parse_sdn(sdn, alt, add).map_err(|e| {
        let field = match e.file {
            "sdn.csv" => "sdn",
            "alt.csv" => "alt",
            _ => "add",
        };
        AppError::invalid(field, e.to_string())
    })
}

fn index_of(
    meta: &ListMeta,
    files: Option<(String, String, String)>,
    threshold: f32,
) -> Result<LoadedList, AppError> {
    let list = match files {
        Some((sdn, alt, add)) if !meta.builtin => {
            parse(sdn.as_bytes(), alt.as_bytes(), add.as_bytes())?
        }
        _ => parse(BUILTIN_SDN, BUILTIN_ALT, BUILTIN_ADD)?,
    };
    Ok(LoadedList {
        id: meta.id.0,
        source: meta.source.clone(),
        list_date: meta.list_date.clone(),
        index: ScreeningIndex::new(list).with_threshold(threshold),
    })
}

/// At start: on first start stores the built-in snapshot as the first
/// version (when configured), then indexes the list in force.
pub async fn start(app: &App) -> Result<(), AppError> {
    if app.config.sanctions_builtin {
        let any = app
            .db
            .run(|conn| Ok::<_, AppError>(screening::latest(conn)?.is_some()))
            .await?;
        if !any {
            let list = tokio::task::spawn_blocking(|| parse(BUILTIN_SDN, BUILTIN_ALT, BUILTIN_ADD))
                .await
                .map_err(AppError::internal)??;
            let ctx = Ctx::system(app, RequestMeta::local("startup"));
            let new = NewList {
                id: DbUuid(Uuid::now_v7()),
                source: BUILTIN_SOURCE.into(),
                list_date: BUILTIN_DATE.into(),
                loaded_at: naive(ctx.now()),
                loaded_by: None,
                builtin: true,
                entry_count: list.entries.len() as i32,
                name_count: list.name_count() as i32,
                sdn_csv: String::new(),
                alt_csv: String::new(),
                add_csv: String::new(),
                rescreened: 0,
                rescreen_done_at: Some(naive(ctx.now())),
            };
            let mut event = ctx.event_on(AuditAction::SanctionsLoad, "sanctions_list", new.id.0);
            event.detail = Some(
                serde_json::json!({ "builtin": true, "list_date": BUILTIN_DATE, "entries": new.entry_count })
                    .to_string(),
            );
            app.audit
                .perform(event, move |conn, _| -> Result<(), AppError> {
                    // Re-checked in the audit transaction: instances
                    // starting together store it once.
                    if screening::latest(conn)?.is_none() {
                        screening::insert_list(conn, &new)?;
                    }
                    Ok(())
                })
                .await?;
        }
    }
    refresh_index(app).await
}

/// Indexes the list in force if it is not the one held already (another
/// instance may have loaded a newer one).
pub async fn refresh_index(app: &App) -> Result<(), AppError> {
    let held = app.screener.current().map(|l| l.id);
    let threshold = app.config.sanctions_threshold;
    let loaded = app
        .db
        .run(move |conn| -> Result<Option<LoadedList>, AppError> {
            let Some(meta) = screening::latest(conn)? else {
                return Ok(None);
            };
            if Some(meta.id.0) == held {
                return Ok(None);
            }
            let files = if meta.builtin {
                None
            } else {
                screening::files(conn, meta.id.0)?
            };
            Ok(Some(index_of(&meta, files, threshold)?))
        })
        .await?;
    if let Some(list) = loaded {
        tracing::info!(list = %list.id, date = %list.list_date, "sanctions list indexed");
        app.screener.set(Arc::new(list));
    }
    Ok(())
}

/// Every `every`, indexes a newer list another instance loaded. Holds the
/// list only weakly: it ends once the services are dropped.
pub fn follow_newer_lists(
    app: &App,
    every: std::time::Duration,
) -> impl std::future::Future<Output = ()> + Send + 'static {
    let screener = Arc::downgrade(&app.screener.0);
    let db = app.db.clone();
    let threshold = app.config.sanctions_threshold;
    async move {
        let mut ticks = tokio::time::interval(every);
        ticks.tick().await;
        loop {
            ticks.tick().await;
            let Some(slot) = screener.upgrade() else {
                return;
            };
            let held = Screener(slot.clone()).current().map(|l| l.id);
            let loaded = db
                .run(move |conn| -> Result<Option<LoadedList>, AppError> {
                    let Some(meta) = screening::latest(conn)? else {
                        return Ok(None);
                    };
                    if Some(meta.id.0) == held {
                        return Ok(None);
                    }
                    let files = screening::files(conn, meta.id.0)?;
                    Ok(Some(index_of(&meta, files, threshold)?))
                })
                .await;
            match loaded {
                Ok(Some(list)) => {
                    tracing::info!(list = %list.id, date = %list.list_date, "newer sanctions list indexed");
                    Screener(slot).set(Arc::new(list));
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "could not check for a newer sanctions list"),
            }
        }
    }
}

fn naive(at: chrono::DateTime<chrono::Utc>) -> NaiveDateTime {
    use chrono::SubsecRound;
    at.naive_utc().trunc_subsecs(6)
}

/// A party document's facts, for the matcher; `None` if unreadable.
fn party_facts(body: &str) -> Option<PartyFacts> {
    let input: PartyInput = serde_json::from_str(body).ok()?;
    let party = Party::validate(&input).ok()?;
    Some(facts_of(&party))
}

fn found(hits: Vec<Hit>) -> Vec<FoundHit> {
    hits.into_iter()
        .map(|h| FoundHit {
            entry_id: i64::from(h.entry_id),
            listed_name: h.listed_name,
            entry_name: h.entry_name,
            programs: serde_json::to_string(&h.programs).unwrap_or_else(|_| "[]".into()),
            score: f64::from(h.score),
            signals: serde_json::to_string(&h.signals).unwrap_or_else(|_| "[]".into()),
        })
        .collect()
}

/// Screens a party written in the running transaction against the list
/// in force and keeps its hits there too. Returns the new hits.
pub(crate) fn screen_written(
    conn: &mut DbConnection,
    context: &mut AuditContext<'_>,
    screener: &Screener,
    party: Uuid,
    body: &str,
    new_party: bool,
) -> Result<Vec<HitRow>, AppError> {
    let Some(list) = screener.current() else {
        return Ok(Vec::new());
    };
    let Some(facts) = party_facts(body) else {
        return Ok(Vec::new());
    };
    let hits = found(list.index.screen(&facts));
    Ok(screening::record(
        conn,
        context.refresh,
        party,
        list.id,
        &hits,
        interdict_persistence::now(),
        new_party,
    )?)
}

/// A list version as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ListView {
    pub id: Uuid,
    pub source: String,
    pub list_date: String,
    pub loaded_at: chrono::DateTime<chrono::Utc>,
    pub builtin: bool,
    pub entries: i32,
    pub names: i32,
    /// Parties re-screened against it so far.
    pub rescreened: i64,
    pub rescreen_done: bool,
    /// More than 30 days older than today.
    pub stale: bool,
}

fn list_view(meta: ListMeta, today: NaiveDate) -> ListView {
    let stale = NaiveDate::parse_from_str(&meta.list_date, "%Y-%m-%d")
        .map(|d| (today - d).num_days() > STALE_AFTER_DAYS)
        .unwrap_or(true);
    ListView {
        id: meta.id.0,
        source: meta.source,
        list_date: meta.list_date,
        loaded_at: utc(meta.loaded_at),
        builtin: meta.builtin,
        entries: meta.entry_count,
        names: meta.name_count,
        rescreened: meta.rescreened,
        rescreen_done: meta.rescreen_done_at.is_some(),
        stale,
    }
}

/// The list in force, for `/readyz` details and pages: no audit entry.
pub async fn in_force(app: &App) -> Result<Option<ListView>, AppError> {
    let today = app.now().date_naive();
    app.db
        .run(move |conn| Ok::<_, AppError>(screening::latest(conn)?.map(|m| list_view(m, today))))
        .await
}

/// Every list version loaded, newest first (signed-in users).
pub async fn lists(ctx: &Ctx) -> Result<Vec<ListView>, AppError> {
    let today = ctx.now().date_naive();
    let result = async {
        ctx.actor()?;
        ctx.app
            .db
            .run(move |conn| {
                Ok::<_, AppError>(
                    screening::lists(conn)?
                        .into_iter()
                        .map(|m| list_view(m, today))
                        .collect(),
                )
            })
            .await
    }
    .await;
    ctx.audited(
        ctx.event_on(AuditAction::SanctionsList, "sanctions_list", "*"),
        result,
    )
    .await
}

/// An upload of a list: OFAC's three files as text, and the list's date.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoadRequest {
    /// The list's publication date, `YYYY-MM-DD`.
    pub list_date: String,
    pub sdn: String,
    pub alt: String,
    pub add: String,
}

/// Loads a list as a new version (administrators), makes it the list in
/// force if it is the newest, and re-screens every party against it in
/// the background.
pub async fn load(ctx: &Ctx, request: LoadRequest) -> Result<ListView, AppError> {
    let event = ctx.event_on(AuditAction::SanctionsLoad, "sanctions_list", "*");
    let checked = ctx.actor().and_then(|actor| {
        AppError::from_decision(policy::decide_sanctions_load(actor))?;
        NaiveDate::parse_from_str(request.list_date.trim(), "%Y-%m-%d")
            .map_err(|_| AppError::invalid("list_date", "must be a date, YYYY-MM-DD"))?;
        Ok(actor.user_id)
    });
    let user = match checked {
        Ok(user) => user,
        Err(e) => return ctx.reject(event, e).await,
    };
    store(ctx, event, request, Some(user)).await
}

/// Loads a list from the installation's command line (`interdict lists
/// load`): its operator acts for the system, as `migrate` does.
pub async fn load_local(app: &App, request: LoadRequest) -> Result<ListView, AppError> {
    let ctx = Ctx::system(app, RequestMeta::local("cli"));
    let event = ctx.event_on(AuditAction::SanctionsLoad, "sanctions_list", "*");
    if NaiveDate::parse_from_str(request.list_date.trim(), "%Y-%m-%d").is_err() {
        return ctx
            .reject(
                event,
                AppError::invalid("list_date", "must be a date, YYYY-MM-DD"),
            )
            .await;
    }
    store(&ctx, event, request, None).await
}

async fn store(
    ctx: &Ctx,
    event: interdict_domain::audit::AuditEvent,
    request: LoadRequest,
    user: Option<Uuid>,
) -> Result<ListView, AppError> {
    let parsed = {
        let request = request.clone();
        tokio::task::spawn_blocking(move || {
            parse(
                request.sdn.as_bytes(),
                request.alt.as_bytes(),
                request.add.as_bytes(),
            )
        })
        .await
        .map_err(AppError::internal)?
    };
    let list = match parsed {
        Ok(list) => list,
        Err(e) => return ctx.reject(event, e).await,
    };
    let id = Uuid::now_v7();
    let new = NewList {
        id: DbUuid(id),
        source: "OFAC SDN".into(),
        list_date: request.list_date.trim().to_owned(),
        loaded_at: naive(ctx.now()),
        loaded_by: user.map(DbUuid),
        builtin: false,
        entry_count: list.entries.len() as i32,
        name_count: list.name_count() as i32,
        sdn_csv: request.sdn,
        alt_csv: request.alt,
        add_csv: request.add,
        rescreened: 0,
        rescreen_done_at: None,
    };
    let mut event = event;
    event.object_id = Some(id.to_string());
    event.detail = Some(
        serde_json::json!({ "list_date": new.list_date, "entries": new.entry_count, "names": new.name_count })
            .to_string(),
    );
    let today = ctx.now().date_naive();
    let meta = ctx
        .app
        .audit
        .perform(event, move |conn, _| -> Result<ListMeta, AppError> {
            screening::insert_list(conn, &new)?;
            screening::lists(conn)?
                .into_iter()
                .find(|m| m.id.0 == id)
                .ok_or(AppError::NotFound)
        })
        .await?;
    refresh_index(&ctx.app).await?;
    let in_force = ctx.app.screener.current().is_some_and(|l| l.id == id);
    if in_force {
        let app = ctx.app.clone();
        ctx.app
            .jobs
            .spawn(format!("rescreen against list {id}"), async move {
                rescreen(&app, id).await
            });
    }
    Ok(list_view(meta, today))
}

/// Re-screens every live party against list `id` (if still in force), a
/// page per audited transaction, recording progress on the list's row.
pub async fn rescreen(app: &App, id: Uuid) -> Result<(), AppError> {
    let ctx = Ctx::system(app, RequestMeta::local("rescreen"));
    let mut after: Option<Uuid> = None;
    let mut done: i64 = 0;
    loop {
        let Some(list) = app.screener.current().filter(|l| l.id == id) else {
            return Ok(());
        };
        let page = app
            .db
            .run(move |conn| {
                Ok::<_, AppError>(screening::parties_page(conn, after, RESCREEN_PAGE)?)
            })
            .await?;
        let last = page.last().map(|(id, _, _)| id.0);
        let count = page.len() as i64;
        // Screening is pure and in memory: done before the transaction.
        let screened: Vec<(Uuid, Uuid, Vec<FoundHit>)> = tokio::task::spawn_blocking({
            let list = list.clone();
            move || {
                page.into_iter()
                    .map(|(party, body, owner)| {
                        let hits = party_facts(&body)
                            .map(|f| found(list.index.screen(&f)))
                            .unwrap_or_default();
                        (party.0, owner.0, hits)
                    })
                    .collect()
            }
        })
        .await
        .map_err(AppError::internal)?;
        done += count;
        let finished = last.is_none() || count < RESCREEN_PAGE;
        let mut event = ctx.event_on(AuditAction::SanctionsRescreen, "sanctions_list", id);
        event.detail = Some(serde_json::json!({ "parties": done }).to_string());
        let at = naive(ctx.now());
        app.audit
            .perform(event, move |conn, context| -> Result<(), AppError> {
                let mut new_hits = 0;
                for (party, owner, hits) in &screened {
                    let fresh =
                        screening::record(conn, context.refresh, *party, id, hits, at, false)?;
                    if !fresh.is_empty() {
                        new_hits += fresh.len();
                        watchlists::notify_rescreen(conn, *party, *owner, at)?;
                    }
                }
                context.detail =
                    Some(serde_json::json!({ "parties": done, "new_hits": new_hits }).to_string());
                screening::set_progress(conn, id, done, finished.then_some(at))?;
                Ok(())
            })
            .await?;
        if finished {
            return Ok(());
        }
        after = last;
    }
}

/// A hit as shown: which list and version, which entry, its programs,
/// score and signals, and what a supervisor decided.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HitView {
    pub id: Uuid,
    pub party_id: Uuid,
    pub list_id: Uuid,
    /// The date of the list version it was found in.
    pub list_date: String,
    pub entry_id: i64,
    pub listed_name: String,
    pub entry_name: String,
    pub programs: Vec<String>,
    pub score: f64,
    #[schema(value_type = Vec<Object>)]
    pub signals: serde_json::Value,
    /// Whether the party's latest screening still finds it.
    pub active: bool,
    #[schema(value_type = Option<interdict_domain::sanctions::Disposition>)]
    pub disposition: Option<String>,
    pub disposition_reason: Option<String>,
    pub disposed_by: Option<Uuid>,
    pub disposed_at: Option<chrono::DateTime<chrono::Utc>>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// The party's name, where listed with others (the queue).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub party_name: Option<String>,
}

fn hit_view(hit: HitRow, list_date: String) -> HitView {
    HitView {
        id: hit.id.0,
        party_id: hit.party_id.0,
        list_id: hit.list_id.0,
        list_date,
        entry_id: hit.entry_id,
        listed_name: hit.listed_name,
        entry_name: hit.entry_name,
        programs: serde_json::from_str(&hit.programs).unwrap_or_default(),
        score: (hit.score * 1000.0).round() / 1000.0,
        signals: serde_json::from_str(&hit.signals).unwrap_or(serde_json::Value::Null),
        active: hit.active,
        disposition: hit.disposition,
        disposition_reason: hit.disposition_reason,
        disposed_by: hit.disposed_by.map(|u| u.0),
        disposed_at: hit.disposed_at.map(utc),
        created_at: utc(hit.created_at),
        party_name: None,
    }
}

/// A party's screening: the list in force and every hit, disposed or not.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PartyScreening {
    pub party_id: Uuid,
    pub list: Option<ListView>,
    pub hits: Vec<HitView>,
}

/// The hits of a party the caller may see (404 otherwise).
pub async fn party(ctx: &Ctx, id: Uuid) -> Result<PartyScreening, AppError> {
    let today = ctx.now().date_naive();
    let result = async {
        let actor = ctx.actor()?.clone();
        ctx.app
            .db
            .run(move |conn| -> Result<PartyScreening, AppError> {
                let visibility = policy::visibility(&actor, RecordKind::Party);
                records::find_visible(conn, RecordKind::Party, id, &visibility)?
                    .ok_or(AppError::NotFound)?;
                let hits = screening::for_party(conn, id)?
                    .into_iter()
                    .map(|(hit, date)| hit_view(hit, date))
                    .collect();
                Ok(PartyScreening {
                    party_id: id,
                    list: screening::latest(conn)?.map(|m| list_view(m, today)),
                    hits,
                })
            })
            .await
    }
    .await;
    ctx.audited(
        ctx.event_on(AuditAction::ScreeningRead, "party", id),
        result,
    )
    .await
}

/// Open hits (active, not disposed of) on the parties the caller may see:
/// the supervisor's queue shows them.
pub async fn open_hits(ctx: &Ctx, limit: i64) -> Result<Vec<HitView>, AppError> {
    let result = async {
        let actor = ctx.actor()?.clone();
        ctx.app
            .db
            .run(move |conn| -> Result<Vec<HitView>, AppError> {
                let visibility = policy::visibility(&actor, RecordKind::Party);
                Ok(screening::open_visible(conn, &visibility, limit)?
                    .into_iter()
                    .map(|(hit, body, date)| {
                        let name = serde_json::from_str::<PartyInput>(&body)
                            .map(|p| p.name)
                            .ok();
                        let mut view = hit_view(hit, date);
                        view.party_name = name;
                        view
                    })
                    .collect())
            })
            .await
    }
    .await;
    ctx.audited(
        ctx.event_on(AuditAction::ScreeningHits, "screening_hit", "*"),
        result,
    )
    .await
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisposeRequest {
    /// Only `false_positive`.
    #[schema(value_type = interdict_domain::sanctions::Disposition)]
    pub disposition: String,
    pub reason: String,
}

/// Disposes of a hit as a false positive (supervisors who see the party):
/// it stays in the party's history, and no longer raises
/// `sanctioned_party` on the shipments naming the party.
pub async fn dispose(ctx: &Ctx, hit: Uuid, request: DisposeRequest) -> Result<HitView, AppError> {
    let mut event = ctx.event_on(AuditAction::ScreeningDispose, "screening_hit", hit);
    let reason = request.reason.trim().to_owned();
    let checked = ctx.actor().and_then(|actor| {
        if request.disposition.parse::<Disposition>().is_err() {
            return Err(AppError::invalid("disposition", "must be false_positive"));
        }
        if reason.is_empty() || reason.chars().count() > 2000 {
            return Err(AppError::invalid(
                "reason",
                "must be given, at most 2000 characters",
            ));
        }
        Ok(actor.clone())
    });
    let actor: Actor = match checked {
        Ok(actor) => actor,
        Err(e) => return ctx.reject(event, e).await,
    };
    event.detail = Some(serde_json::json!({ "reason": reason }).to_string());
    let at = naive(ctx.now());
    ctx.app
        .audit
        .perform(event, move |conn, context| -> Result<HitView, AppError> {
            let row = screening::find(conn, hit)?.ok_or(AppError::NotFound)?;
            let visibility = policy::visibility(&actor, RecordKind::Party);
            let party =
                records::find_visible(conn, RecordKind::Party, row.party_id.0, &visibility)?
                    .ok_or(AppError::NotFound)?;
            AppError::from_decision(policy::decide_hit_disposition(&actor, &party.meta()?))?;
            if !screening::dispose(conn, context.refresh, &row, &reason, actor.user_id, at)? {
                return Err(AppError::Conflict("the hit is already disposed of".into()));
            }
            let row = screening::find(conn, hit)?.ok_or(AppError::NotFound)?;
            let date = screening::for_party(conn, row.party_id.0)?
                .into_iter()
                .find(|(h, _)| h.id == row.id)
                .map(|(_, d)| d)
                .unwrap_or_default();
            Ok(hit_view(row, date))
        })
        .await
}

/// A name screened without being stored.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScreenRequest {
    pub name: String,
    /// ISO 3166 alpha-2.
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Phones, e-mails, registration numbers.
    #[serde(default)]
    pub identifiers: Vec<String>,
    /// `person` or `company`.
    #[serde(default)]
    #[schema(value_type = Option<interdict_domain::party::PartyKind>)]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScreenResult {
    pub list: Option<ListView>,
    #[schema(value_type = Vec<Object>)]
    pub hits: Vec<Hit>,
}

/// Screens a name against the list in force, storing nothing but the
/// audit entry (which records the name asked about).
pub async fn screen(ctx: &Ctx, request: ScreenRequest) -> Result<ScreenResult, AppError> {
    let mut event = ctx.event_on(AuditAction::ScreeningRun, "screening", "*");
    let checked = ctx.actor().and_then(|actor| {
        AppError::from_decision(policy::decide_screening(actor))?;
        let name = request.name.trim();
        if name.is_empty() || name.chars().count() > 300 {
            return Err(AppError::invalid(
                "name",
                "must be given, at most 300 characters",
            ));
        }
        if request.aliases.len() > 50 || request.identifiers.len() > 50 {
            return Err(AppError::invalid(
                "aliases",
                "at most 50 aliases and 50 identifiers",
            ));
        }
        let country = match request
            .country
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            None => None,
            Some(code) => Some(
                interdict_domain::codes::CountryCode::parse(code)
                    .map_err(|e| AppError::invalid("country", e.to_string()))?,
            ),
        };
        let kind = match request.kind.as_deref() {
            None => None,
            Some("person") => Some(NameKind::Person),
            Some("company") => Some(NameKind::Organisation),
            Some(_) => return Err(AppError::invalid("kind", "must be person or company")),
        };
        let mut facts = PartyFacts {
            kind,
            names: std::iter::once(name.to_owned())
                .chain(request.aliases.iter().map(|a| a.trim().to_owned()))
                .filter(|n| !n.is_empty())
                .collect(),
            countries: country.into_iter().collect(),
            ..PartyFacts::default()
        };
        for identifier in &request.identifiers {
            let identifier = identifier.trim();
            if identifier.contains('@') {
                facts.emails.push(identifier.to_owned());
            } else if identifier.starts_with('+') {
                facts.phones.push(identifier.to_owned());
            } else {
                facts.registration_numbers.push(identifier.to_owned());
                facts.phones.push(identifier.to_owned());
            }
        }
        Ok(facts)
    });
    let facts = match checked {
        Ok(facts) => facts,
        Err(e) => return ctx.reject(event, e).await,
    };
    event.detail = Some(serde_json::json!({ "name": request.name.trim() }).to_string());
    let list = ctx.app.screener.current();
    let hits = match &list {
        Some(list) => {
            let list = list.clone();
            tokio::task::spawn_blocking(move || list.index.screen(&facts))
                .await
                .map_err(AppError::internal)?
        }
        None => Vec::new(),
    };
    let in_force = in_force(&ctx.app).await?;
    if let Some(list) = &in_force {
        event.detail = Some(
            serde_json::json!({ "name": request.name.trim(), "list_date": list.list_date, "hits": hits.len() })
                .to_string(),
        );
    }
    ctx.audited(
        event,
        Ok(ScreenResult {
            list: in_force,
            hits,
        }),
    )
    .await
}
