//! The shipments export's pipeline and its reading of stored documents.

use super::*;
use interdict_domain::shipment::{
    LabInput, LegInput, LineInput, LocationInput, ProductInput, ShipmentInput, ShipmentPartyInput,
    TrackingNumberInput,
};

/// A reader that sends numbered pages until told to stop or `last`,
/// counting what it sent and what came back to be freed.
fn counting_reader<'a>(
    last: Option<u32>,
    sent: &'a std::sync::atomic::AtomicU32,
    freed: &'a std::sync::atomic::AtomicU32,
) -> impl FnOnce(mpsc::SyncSender<u32>, mpsc::Receiver<u32>) -> Result<(), AppError> + Send + 'a {
    use std::sync::atomic::Ordering;
    move |pages, written| {
        for n in 1.. {
            freed.fetch_add(written.try_iter().count() as u32, Ordering::SeqCst);
            if last.is_some_and(|last| n > last) {
                return Err(AppError::internal("the database went away"));
            }
            if pages.send(n).is_err() {
                break;
            }
            sent.fetch_add(1, Ordering::SeqCst);
        }
        Ok(())
    }
}

/// A client that leaves stops the reader, which would otherwise read
/// the whole export for no one.
#[test]
fn a_writer_that_stops_stops_the_reader() {
    use std::sync::atomic::{AtomicU32, Ordering};
    let (sent, freed) = (AtomicU32::new(0), AtomicU32::new(0));
    let mut written = Vec::new();
    let outcome = pipelined(
        "test-reader",
        counting_reader(None, &sent, &freed),
        |page: &mut u32| {
            written.push(*page);
            Ok(written.len() < 3)
        },
    );
    assert!(outcome.is_ok());
    assert_eq!(written, [1, 2, 3]);
    // Read ahead by at most the page waiting and the one being read.
    assert!(sent.load(Ordering::SeqCst) <= 5, "{sent:?}");
    assert!(freed.load(Ordering::SeqCst) <= 2, "{freed:?}");
}

/// Every page is written once, in order, and the reader's failure is
/// the export's.
#[test]
fn a_failing_reader_fails_the_export_after_its_pages() {
    let (sent, freed) = Default::default();
    let mut written = Vec::new();
    let outcome = pipelined(
        "test-reader",
        counting_reader(Some(4), &sent, &freed),
        |page: &mut u32| {
            written.push(*page);
            Ok(true)
        },
    );
    assert!(matches!(outcome, Err(AppError::Internal(_))), "{outcome:?}");
    assert_eq!(written, [1, 2, 3, 4]);
}

#[test]
fn a_failing_writer_fails_the_export_and_stops_the_reader() {
    let (sent, freed) = Default::default();
    let outcome = pipelined(
        "test-reader",
        counting_reader(None, &sent, &freed),
        |page: &mut u32| match *page {
            2 => Err(AppError::bad_request("page", "unwritable")),
            _ => Ok(true),
        },
    );
    assert!(
        matches!(outcome, Err(AppError::BadRequest { .. })),
        "{outcome:?}"
    );
}

/// Written pages go back to the reader, which frees them.
#[test]
fn written_pages_go_back_to_the_reader() {
    use std::sync::atomic::{AtomicU32, Ordering};
    let (sent, freed) = (AtomicU32::new(0), AtomicU32::new(0));
    let outcome = pipelined(
        "test-reader",
        counting_reader(Some(50), &sent, &freed),
        |_: &mut u32| {
            std::thread::sleep(std::time::Duration::from_millis(1));
            Ok(true)
        },
    );
    assert!(outcome.is_err());
    assert!(freed.load(Ordering::SeqCst) > 0, "none came back");
}

/// A key written inside a string is escaped in the stored document, so
/// it names no one; only the document's own keys do.
#[test]
fn a_key_quoted_in_text_names_nothing() {
    let (consignor, stranger, chemical) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let body = serde_json::to_string(&serde_json::json!({
        "parties": [{ "party_id": consignor, "role": "consignor" }],
        "narrative": format!(r#"he wrote "party_id":"{stranger}" and "chemical_id":"{stranger}""#),
        "lines": [{ "chemical_id": chemical }, { "chemical_id": null, "equipment_id": stranger }],
    }))
    .unwrap();
    assert!(body.contains(&stranger.to_string()));
    let parties: Vec<Uuid> = KeyFinder::parties().ids_in(&body).collect();
    assert_eq!(parties, [consignor]);
    let chemicals: Vec<Uuid> = KeyFinder::chemicals().ids_in(&body).collect();
    assert_eq!(chemicals, [chemical]);
}

fn place(country: &str, subdivision: Option<&str>, city: &str) -> LocationInput {
    let locode = match city {
        "Shanghai" => "CNSHA",
        "Guadalajara" => "MXGDL",
        "Phoenix" => "USPHX",
        _ => "XXXXX",
    };
    LocationInput {
        country: country.into(),
        subdivision: subdivision.map(Into::into),
        city: Some(city.into()),
        locode: Some(locode.into()),
    }
}

fn text(cell: &Cell) -> Option<String> {
    match cell {
        Cell::Text(text) => Some(text.to_string()),
        Cell::Json(Value::Null) => None,
        Cell::Json(other) => Some(other.to_string()),
    }
}

/// The export reads stored documents through its own borrowed view; a
/// field renamed in the input must not go missing from the export.
#[test]
fn a_stored_shipment_exports_every_field_it_shows() {
    let (consignor, consignee, broker, chemical) = (
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
    );
    let input = ShipmentInput {
        incident_type: "seizure".into(),
        status: "under_review".into(),
        mode: "air".into(),
        tracking_numbers: vec![
            TrackingNumberInput {
                kind: "air_waybill".into(),
                value: "176-1".into(),
            },
            TrackingNumberInput {
                kind: "courier_tracking".into(),
                value: "1Z\"9".into(),
            },
        ],
        parties: vec![
            ShipmentPartyInput {
                party_id: consignor,
                role: "consignor".into(),
            },
            ShipmentPartyInput {
                party_id: consignee,
                role: "consignee".into(),
            },
            ShipmentPartyInput {
                party_id: broker,
                role: "broker".into(),
            },
        ],
        declared_description: Some("industrial\n\"solvent\"".into()),
        declared_hs_code: Some("2933".into()),
        declared_value: Some("10.00".into()),
        declared_currency: Some("USD".into()),
        gross_weight_kg: Some(2.5),
        concealment_method: Some("false bottom".into()),
        narrative: Some("a long narrative".into()),
        lines: vec![
            LineInput {
                chemical_id: Some(chemical),
                quantity: Some(25.5),
                unit: Some("kg".into()),
                concentration: None,
                equipment_id: None,
                die_mold_id: None,
                count: 2,
            },
            LineInput {
                chemical_id: None,
                quantity: None,
                unit: None,
                concentration: None,
                equipment_id: Some(Uuid::now_v7()),
                die_mold_id: None,
                count: 3,
            },
        ],
        dea: None,
        products: vec![ProductInput {
            form: "tablet".into(),
            count: Some(500),
            grams: None,
            imprint: Some("M 30".into()),
            lab: Some(LabInput {
                substance: "fentanyl".into(),
                purity_percent: Some(2.1),
            }),
        }],
        advance_data: None,
        legs: vec![
            LegInput {
                from: place("CN", None, "Shanghai"),
                to: place("MX", Some("MX-JAL"), "Guadalajara"),
                carrier: Some("carrier".into()),
                departure_at: None,
                arrival_at: Some("2026-03-02T00:00:00Z".into()),
                document_number: Some("DOC".into()),
            },
            LegInput {
                from: place("MX", None, "Guadalajara"),
                to: place("US", Some("US-AZ"), "Phoenix"),
                carrier: None,
                departure_at: Some("2026-03-05T00:00:00Z".into()),
                arrival_at: None,
                document_number: None,
            },
        ],
    };
    let body = serde_json::to_string(&input).unwrap();
    let mentioned: Vec<Uuid> = KeyFinder::parties().ids_in(&body).collect();
    assert_eq!(mentioned, [consignor, consignee, broker]);
    let mentioned: Vec<Uuid> = KeyFinder::chemicals().ids_in(&body).collect();
    assert_eq!(mentioned, [chemical]);

    let mut names = NameBook::default();
    names.parties.insert(consignor, "Acme, Ltd.".into());
    names.parties.insert(consignee, "Beta".into());
    names.parties.insert(broker, "Gamma".into());
    names.chemicals.insert(chemical, "Piperidine".into());
    let row = ListedShipment {
        id: Uuid::now_v7().into(),
        owner_agency_id: Uuid::now_v7().into(),
        created_at: chrono::NaiveDateTime::default(),
        body: body.clone(),
        withdrawn_at: None,
        withdrawn_reason: None,
        reference: Some("TXHSI0100-2026-000007".into()),
    };
    let document = serde_json::from_str(&row.body).unwrap();
    let risk = Assessment {
        score: 35.0,
        indicators: vec![],
    };
    let cells: Vec<Option<String>> = row_values(&names, &row, document, &risk)
        .iter()
        .map(text)
        .collect();
    let shown: HashMap<&str, Option<&str>> = COLUMNS
        .iter()
        .copied()
        .zip(cells.iter().map(Option::as_deref))
        .collect();
    assert_eq!(cells.len(), COLUMNS.len());
    assert_eq!(shown["incident_type"], Some("seizure"));
    assert_eq!(shown["status"], Some("under_review"));
    assert_eq!(shown["mode"], Some("air"));
    assert_eq!(shown["origin_country"], Some("CN"));
    assert_eq!(shown["origin_city"], Some("Shanghai"));
    assert_eq!(shown["destination_country"], Some("US"));
    assert_eq!(shown["destination_subdivision"], Some("US-AZ"));
    assert_eq!(shown["destination_city"], Some("Phoenix"));
    assert_eq!(shown["shipped_at"], Some("2026-03-02T00:00:00Z"));
    assert_eq!(shown["reference"], Some("TXHSI0100-2026-000007"));
    // The route keeps its ports: where it started, ended and called.
    assert_eq!(shown["origin"], Some("CNSHA"));
    assert_eq!(shown["destination"], Some("USPHX"));
    assert_eq!(shown["via"], Some("MXGDL"));
    assert_eq!(shown["consignors"], Some("Acme, Ltd."));
    assert_eq!(shown["consignees"], Some("Beta"));
    assert_eq!(shown["other_parties"], Some("Gamma (broker)"));
    assert_eq!(shown["lines"], Some("25.5 kg Piperidine; 3× equipment"));
    assert_eq!(
        shown["products"],
        Some("500 tablet imprinted M 30, lab: fentanyl 2.1%")
    );
    assert_eq!(shown["tracking_numbers"], Some("176-1; 1Z\"9"));
    assert_eq!(
        shown["declared_description"],
        Some("industrial\n\"solvent\"")
    );
    assert_eq!(shown["risk_score"], Some("35.0"));
    assert_eq!(shown["withdrawn_at"], None);
}

/// A document with only what the input requires gets the input's
/// defaults.
#[test]
fn a_minimal_document_takes_the_inputs_defaults() {
    let body = r#"{"incident_type":"seizure","mode":"sea","lines":[{"die_mold_id":"00000000-0000-0000-0000-000000000001"}],"legs":[{"from":{"country":"IN"},"to":{"country":"US"}}]}"#;
    let document: Document = serde_json::from_str(body).unwrap();
    assert_eq!(document.status, "reported");
    assert_eq!(document.lines[0].count, 1);
    let input: interdict_domain::shipment::ShipmentInput = serde_json::from_str(body).unwrap();
    assert_eq!(document.status, input.status);
    assert_eq!(document.lines[0].count, input.lines[0].count);
}
