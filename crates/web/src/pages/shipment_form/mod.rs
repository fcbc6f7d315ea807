//! The shipment form: parties by name, lines that pick a chemical from
//! the catalogue or describe a press or a die mold, and several legs. The
//! form is read into an `interdict_app::shipment_entry::ShipmentEntry`
//! (`model`), recorded by that use case, and drawn by `markup`; a refused
//! form comes back with what was typed and each error beside its field.

mod markup;
mod model;

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use interdict_app::shipment_entry::{self, EntryError, EntryOptions};

use super::error::PageError;
use super::form::Errors;
use super::layout::see_other;
use super::session::{Posted, Session};

pub async fn new(session: Session) -> Result<HttpResponse, PageError> {
    let options = EntryOptions::load(&session).await?;
    Ok(markup::render(
        &session,
        &model::blank(),
        &options,
        &Errors::default(),
        StatusCode::OK,
    ))
}

pub async fn create(posted: Posted) -> Result<HttpResponse, PageError> {
    let Posted { session, fields } = posted;
    let mut form = model::read(&fields);
    let options = EntryOptions::load(&session).await?;
    if let Some(section) = fields.opt("add") {
        model::add_row(&mut form, &section);
        return Ok(markup::render(
            &session,
            &form,
            &options,
            &Errors::default(),
            StatusCode::OK,
        ));
    }
    let mut errors = Errors::default();
    match shipment_entry::record(&session, &form, &options).await {
        Ok(id) => return Ok(see_other(&format!("/shipments/{id}?done=recorded"))),
        Err(EntryError::Refused(refusals)) => {
            for refusal in &refusals {
                errors.absorb(refusal, str::to_owned);
            }
        }
        Err(EntryError::Failed(e)) => return Err(e.into()),
    }
    Ok(markup::render(
        &session,
        &form,
        &options,
        &errors,
        StatusCode::UNPROCESSABLE_ENTITY,
    ))
}
