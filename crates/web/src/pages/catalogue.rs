//! The chemical catalogue with each chemical's control history and its
//! citations (`interdict_app::catalogue`).

use actix_web::HttpResponse;
use interdict_app::catalogue;
use maud::html;

use super::error::PageError;
use super::layout::page;
use super::session::Session;

pub async fn show(session: Session) -> Result<HttpResponse, PageError> {
    let chemicals = catalogue::controls(&session).await?;
    let body = html! {
        h1 { "Chemical catalogue" }
        p.muted { "Each control is dated and cited; a shipment is weighed by the control in force on its date." }
        table #catalogue { thead { tr { th { "Chemical" } th { "CAS" } th { "Control history" } } } tbody {
            @for c in &chemicals {
                tr {
                    td { (c.name) }
                    td { code { (c.cas) } }
                    td {
                        @if let Some(why) = &c.unknown { p.muted { "Recorded as " (c.recorded) ". " (why) } }
                        ul { @for e in &c.history {
                            li {
                                strong { (e.control) } " " (e.since) " — " (e.citation)
                                @if !e.confirmed { " " span.muted { "(not confirmed" @if let Some(n) = &e.note { ": " (n) } ")" } }
                            }
                        } }
                    }
                }
            }
        } }
    };
    Ok(page(&session, "Chemical catalogue", body))
}
