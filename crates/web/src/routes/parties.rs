//! `/api/v1/parties`: consignors, consignees, forwarders and the rest.

use interdict_app::records::PartyQuery;
use interdict_domain::party::PartyInput;

use super::records::record_endpoints;

record_endpoints! {
    document: PartyInput,
    query: PartyQuery,
    show: interdict_app::records::show::<PartyInput>,
    tag: "parties",
    operation_prefix: "parties",
    collection: "/api/v1/parties",
    item: "/api/v1/parties/{id}",
    withdraw: "/api/v1/parties/{id}/withdraw",
    history: "/api/v1/parties/{id}/history",
}

/// Party resolution: candidates for the same actor, and judgements on them.
pub mod matching {
    use actix_web::{web, HttpResponse};
    use interdict_app::party_matching::{self, JudgementRequest, JudgementView, MatchesView};
    use uuid::Uuid;

    use crate::caller::Caller;
    use crate::error::ApiError;

    /// Parties that may be the same actor, best first, with the signals
    /// behind each score; a strong match on a record you may not see is a
    /// notice naming only the agency that holds it.
    #[utoipa::path(get, operation_id = "parties_matches", path = "/api/v1/parties/{id}/matches", tag = "parties", security(("bearer" = [])),
        params(("id" = Uuid, Path)), responses((status = 200, body = MatchesView), (status = 404, content_type = "application/problem+json")))]
    pub async fn matches(
        caller: Caller,
        path: web::Path<Uuid>,
    ) -> Result<web::Json<MatchesView>, ApiError> {
        Ok(web::Json(
            party_matching::matches(&caller, path.into_inner()).await?,
        ))
    }

    /// Judges whether two parties are the same actor: `same` joins their
    /// profiles, `different` keeps the pair from being proposed again.
    #[utoipa::path(post, operation_id = "parties_judge", path = "/api/v1/parties/{id}/judgements", tag = "parties", security(("bearer" = [])),
        params(("id" = Uuid, Path)), request_body = JudgementRequest, responses(
        (status = 201, body = JudgementView), (status = 403, content_type = "application/problem+json"), (status = 404, content_type = "application/problem+json"), (status = 422, content_type = "application/problem+json")))]
    pub async fn judge(
        caller: Caller,
        path: web::Path<Uuid>,
        body: web::Json<JudgementRequest>,
    ) -> Result<HttpResponse, ApiError> {
        let view = party_matching::judge(&caller, path.into_inner(), body.into_inner()).await?;
        Ok(HttpResponse::Created().json(view))
    }
}
