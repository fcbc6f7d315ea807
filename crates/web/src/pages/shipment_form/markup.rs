//! The shipment form's markup: every section, each field with its label
//! and, after a refused submission, its error beside it.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use interdict_app::shipment_entry::{EntryOptions, ProductEntry, ShipmentEntry};
use interdict_domain::die_mold::Shape;
use interdict_domain::equipment::EquipmentKind;
use interdict_domain::party::PartyKind;
use interdict_domain::regulation::{self, ProductForm};
use interdict_domain::shipment::{
    IncidentType, Mode, PartyRole, ShipmentStatus, TrackingKind, Unit,
};
use maud::html;

use crate::pages::form::{choices, select, Errors, Input};
use crate::pages::layout::{csrf, page_with};
use crate::pages::session::Session;

fn words<T: Copy>(all: &[T], text: impl Fn(T) -> &'static str) -> Vec<(String, String)> {
    choices(&all.iter().map(|v| text(*v)).collect::<Vec<_>>())
}

pub fn render(
    session: &Session,
    form: &ShipmentEntry,
    options: &EntryOptions,
    errors: &Errors,
    status: StatusCode,
) -> HttpResponse {
    let mut scopes = vec![
        ("agency".to_owned(), "my agency only".to_owned()),
        ("all".to_owned(), "all agencies".to_owned()),
    ];
    scopes.extend(
        options
            .task_forces
            .iter()
            .map(|(id, name)| (id.to_string(), format!("task force: {name}"))),
    );
    // One blank product row when none is typed.
    let products = if form.products.is_empty() {
        vec![ProductEntry::default()]
    } else {
        form.products.clone()
    };
    let body = html! {
        h1 { "Record a shipment" }
        (errors.summary())
        form.stack method="post" action="/shipments/new" novalidate {
            (csrf(session))
            fieldset {
                legend { "What and how" }
                div.row {
                    (select("Incident type", "incident_type", &words(IncidentType::ALL, IncidentType::as_str), &form.incident_type, errors))
                    (select("Status", "status", &words(ShipmentStatus::ALL, ShipmentStatus::as_str), &form.status, errors))
                    (select("Mode", "mode", &words(Mode::ALL, Mode::as_str), &form.mode, errors))
                    (select("Shared with", "scope", &scopes, &form.scope, errors))
                }
                div.row {
                    (select("Tracking number type", "tracking_numbers[0].kind", &words(TrackingKind::ALL, TrackingKind::as_str), &form.tracking_kind, errors))
                    (Input::new("Tracking number", "tracking_numbers[0].value", &form.tracking_value).render(errors))
                    (Input::new("HS code declared", "declared_hs_code", &form.declared_hs_code).render(errors))
                    (Input::new("Gross weight (kg)", "gross_weight_kg", &form.gross_weight_kg).kind("text").render(errors))
                }
                div.row {
                    (Input::new("Declared description", "declared_description", &form.declared_description).render(errors))
                    (Input::new("Declared value", "declared_value", &form.declared_value).hint("e.g. 1250.00").render(errors))
                    (Input::new("Currency", "declared_currency", &form.declared_currency).hint("ISO 4217, e.g. USD").render(errors))
                    (Input::new("Concealment method", "concealment_method", &form.concealment_method).render(errors))
                }
                (Input::new("Narrative", "narrative", &form.narrative).kind("textarea").render(errors))
            }
            fieldset {
                legend { "Parties" }
                // Parties on file, found by typing part of a name.
                datalist #parties-on-file {
                    @for (name, country) in &options.parties {
                        option value=(name) { (name) @if let Some(c) = country { " (" (c) ")" } }
                    }
                }
                @for (i, party) in form.parties.iter().enumerate() {
                    div.row {
                        (select(&format!("Party {} role", i + 1), &format!("parties[{i}].role"), &words(PartyRole::ALL, PartyRole::as_str), &party.role, errors))
                        (select("Kind", &format!("parties[{i}].kind"), &words(PartyKind::ALL, PartyKind::as_str), &party.kind, errors))
                        (Input::new("Name", &format!("parties[{i}].name"), &party.name).list("parties-on-file").hint("type to find a party on file; same name and country reuses it").render(errors))
                        (Input::new("Country", &format!("parties[{i}].country"), &party.country).hint("ISO code, e.g. CN").render(errors))
                    }
                }
                div.actions { button.secondary type="submit" name="add" value="party" { "Add a party" } }
            }
            fieldset {
                legend { "Lines" }
                datalist #catalogue {
                    @for entry in &options.catalogue { option value={ (entry.name) " (CAS " (entry.cas) ")" } {} }
                }
                @for (i, line) in form.lines.iter().enumerate() {
                    fieldset {
                        legend { "Line " (i + 1) }
                        div.row {
                            (select("What", &format!("lines[{i}].kind"), &[("chemical".into(), "chemical".into()), ("equipment".into(), "press or equipment".into()), ("die_mold".into(), "die mold".into())], &line.kind, errors))
                            (Input::new("Count", &format!("lines[{i}].count"), &line.count).hint("packages or pieces; 1 if blank").render(errors))
                        }
                        div.row {
                            (Input::new("Chemical (name or CAS)", &format!("lines[{i}].chemical"), &line.chemical).list("catalogue").render(errors))
                            (Input::new("Quantity", &format!("lines[{i}].quantity"), &line.quantity).render(errors))
                            (select("Unit", &format!("lines[{i}].unit"), &words(Unit::ALL, Unit::as_str), &line.unit, errors))
                            (Input::new("Concentration", &format!("lines[{i}].concentration"), &line.concentration).hint("e.g. 35% w/w or 12% w/v; blank if undiluted").render(errors))
                        }
                        div.row {
                            (select("Equipment kind", &format!("lines[{i}].equipment.kind"), &words(EquipmentKind::ALL, EquipmentKind::as_str), &line.equipment_kind, errors))
                            (Input::new("Serial number", &format!("lines[{i}].equipment.serial_number"), &line.serial_number).render(errors))
                            (Input::new("Manufacturer", &format!("lines[{i}].equipment.manufacturer"), &line.manufacturer).render(errors))
                        }
                        div.row {
                            (Input::new("Die front imprint", &format!("lines[{i}].die_mold.front_imprint"), &line.front_imprint).render(errors))
                            (Input::new("Die back imprint", &format!("lines[{i}].die_mold.back_imprint"), &line.back_imprint).render(errors))
                            (select("Die shape", &format!("lines[{i}].die_mold.shape"), &words(Shape::ALL, Shape::as_str), &line.shape, errors))
                            (Input::new("Imitated product", &format!("lines[{i}].die_mold.imitated_product"), &line.imitated_product).render(errors))
                        }
                    }
                }
                div.actions { button.secondary type="submit" name="add" value="line" { "Add a line" } }
            }
            fieldset #products {
                legend { "Products (pills or powder)" }
                @for (i, product) in products.iter().enumerate() {
                    fieldset {
                        legend { "Product " (i + 1) }
                        div.row {
                            (select("Form", &format!("products[{i}].form"), &words(ProductForm::ALL, ProductForm::as_str), &product.form, errors))
                            (Input::new("Count", &format!("products[{i}].count"), &product.count).hint("pills").render(errors))
                            (Input::new("Mass (g)", &format!("products[{i}].grams"), &product.grams).render(errors))
                            (Input::new("Imprint", &format!("products[{i}].imprint"), &product.imprint).hint("as stamped, e.g. M 30").render(errors))
                        }
                        div.row {
                            (Input::new("Lab-confirmed substance", &format!("products[{i}].lab.substance"), &product.lab_substance).list("substances").hint("e.g. fentanyl").render(errors))
                            (Input::new("Purity (%)", &format!("products[{i}].lab.purity_percent"), &product.purity_percent).render(errors))
                        }
                    }
                }
                datalist #substances { @for c in regulation::controls().chemicals() { option value=(c.id) { (c.name) } } }
                div.actions { button.secondary type="submit" name="add" value="product" { "Add a product" } }
            }
            fieldset {
                legend { "DEA filing" }
                div.row {
                    (select("Form", "dea_form", &[("".into(), "none".into()), ("486".into(), "486 (listed chemical)".into()), ("452".into(), "452 (tableting or encapsulating machine)".into())], &form.dea_form, errors))
                    (Input::new("Transaction id", "dea_transaction_id", &form.dea_transaction_id).render(errors))
                    (Input::new("Filed on", "dea_filed_on", &form.dea_filed_on).kind("date").render(errors))
                    (Input::new("Released on", "dea_released_on", &form.dea_released_on).kind("date").hint("release by customs, or the transaction").render(errors))
                }
            }
            fieldset {
                legend { "Route" }
                @for (i, leg) in form.legs.iter().enumerate() {
                    fieldset {
                        legend { "Leg " (i + 1) }
                        div.row {
                            (Input::new("From country", &format!("legs[{i}].from.country"), &leg.from_country).hint("ISO code").render(errors))
                            (Input::new("From region", &format!("legs[{i}].from.subdivision"), &leg.from_subdivision).hint("e.g. TX or CN-GD").render(errors))
                            (Input::new("From city", &format!("legs[{i}].from.city"), &leg.from_city).render(errors))
                            (Input::new("Departed", &format!("legs[{i}].departure_at"), &leg.departure_at).kind("date").render(errors))
                        }
                        div.row {
                            (Input::new("To country", &format!("legs[{i}].to.country"), &leg.to_country).hint("ISO code").render(errors))
                            (Input::new("To region", &format!("legs[{i}].to.subdivision"), &leg.to_subdivision).render(errors))
                            (Input::new("To city", &format!("legs[{i}].to.city"), &leg.to_city).render(errors))
                            (Input::new("Arrived", &format!("legs[{i}].arrival_at"), &leg.arrival_at).kind("date").render(errors))
                        }
                        (Input::new("Carrier", &format!("legs[{i}].carrier"), &leg.carrier).render(errors))
                    }
                }
                div.actions { button.secondary type="submit" name="add" value="leg" { "Add a leg" } }
            }
            div.actions { button #record type="submit" { "Record shipment" } }
        }
    };
    page_with(status, session, "Record a shipment", body)
}
