use super::*;

fn place(code: &str) -> Place {
    Locode::parse(code)
        .unwrap()
        .place()
        .unwrap_or_else(|| panic!("{code} is not in the table"))
}

fn near(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn the_route_of_issue_26_is_named() {
    let wuhan = place("CNWUH");
    assert_eq!(wuhan.name, "Wuhan Tianhe International Apt");
    assert_eq!(wuhan.subdivision_name, Some("Hubei Sheng"));
    assert_eq!(wuhan.kinds(), [PlaceKind::Airport]);
    assert_eq!(
        wuhan.label(),
        "Wuhan Tianhe International Apt, Hubei Sheng, CN (CNWUH)"
    );

    let manzanillo = place("MXZLO");
    assert_eq!(manzanillo.label(), "Manzanillo, Colima, MX (MXZLO)");
    assert_eq!(
        manzanillo.kinds(),
        [PlaceKind::Port, PlaceKind::RoadTerminal, PlaceKind::Airport]
    );
    let at = manzanillo.coordinates.unwrap();
    assert!(
        near(at.latitude, 19.05) && near(at.longitude, -104.3),
        "{at:?}"
    );

    let nuevo_laredo = place("MXNLD");
    assert_eq!(nuevo_laredo.label(), "Nuevo Laredo, Tamaulipas, MX (MXNLD)");
    assert!(nuevo_laredo.is(PlaceKind::RailTerminal) && !nuevo_laredo.is(PlaceKind::Port));
}

#[test]
fn major_ports_and_airports() {
    let la = place("USLAX");
    assert_eq!(la.label(), "Los Angeles, California, US (USLAX)");
    assert_eq!(la.kinds(), [PlaceKind::Port, PlaceKind::Airport]);
    let rotterdam = place("NLRTM");
    assert_eq!(rotterdam.label(), "Rotterdam, Zuid-Holland, NL (NLRTM)");
    assert_eq!(rotterdam.kinds(), PlaceKind::ALL);
    // Diacritics survive the release's Windows-1252.
    assert_eq!(place("DENUE").name, "Nürnberg");
    let gothenburg = place("SEGOT");
    assert_eq!(gothenburg.subdivision_name, Some("Västra Götalands län"));
    assert_eq!(gothenburg.iata, Some("GSP"));
}

#[test]
fn codes_are_read_as_people_write_them() {
    assert_eq!(place("mx zlo"), place("MXZLO"));
    assert_eq!(display(" cn wuh "), place("CNWUH").label());
    assert_eq!(Locode::parse("CN SHA").unwrap().as_str(), "CNSHA");
    assert_eq!(Locode::parse("USNY2").unwrap().country(), "US");
}

#[test]
fn a_subdivision_without_a_name_shows_its_code() {
    let brno = place("CZBRQ");
    assert_eq!(brno.subdivision, Some("JM"));
    assert_eq!(brno.subdivision_name, None);
    assert_eq!(brno.label(), "Brno, CZ-JM (CZBRQ)");
    assert_eq!(place("CZPRG").label(), "Praha, CZ (CZPRG)");
}

#[test]
fn a_well_formed_code_the_list_lacks_is_unknown_not_an_error() {
    let unknown = Locode::parse("MXZZZ").unwrap();
    assert_eq!(unknown.place(), None);
    assert_eq!(display("MXZZZ"), "MXZZZ");
    // Listed in the release, but only as an inland depot: not kept.
    assert_eq!(Locode::parse("DEWUH").unwrap().place(), None);
    // Before the first and after the last line.
    assert_eq!(Locode::parse("AAAAA").unwrap().place(), None);
    assert_eq!(Locode::parse("ZZZZZ").unwrap().place(), None);
}

#[test]
fn malformed_codes_are_refused() {
    // `XÄZL` is five bytes; `shipment.rs` and `manifest.rs` panic on it
    // today (they slice `code[..2]` inside the `Ä`).
    for bad in [
        "", "MXZL", "MXZLOO", "MXZL0", "MXZL1", "MX-ZLO", "M2ZLO", "MXZ.O", "ÄXZLO", "XÄZL", "MXÄZ",
    ] {
        let error = Locode::parse(bad).unwrap_err();
        assert!(error.contains("is not a UN/LOCODE"), "{bad}: {error}");
    }
    // Display never fails: what was stored is shown as stored.
    assert_eq!(display("MX-ZLO"), "MX-ZLO");
}

#[test]
fn coordinates_are_degrees_and_minutes() {
    let at = parse_coordinates("5155N 00430E").unwrap();
    assert!(near(at.latitude, 51.0 + 55.0 / 60.0) && near(at.longitude, 4.5));
    let at = parse_coordinates("3352S 15112W").unwrap();
    assert!(at.latitude < 0.0 && at.longitude < 0.0);
    for bad in [
        "",
        "2444N 05045",
        "5160N 00430E",
        "9130N 00430E",
        "5155X 00430E",
        "515N 00430E",
    ] {
        assert_eq!(parse_coordinates(bad), None, "{bad}");
    }
}

/// The generated files are what the lookup assumes: every line a place,
/// codes unique and ascending, every subdivision a place uses known or
/// shown as a code.
#[test]
fn the_table_is_well_formed_and_sorted() {
    assert_eq!(edition(), "2023-1");
    let mut previous = String::new();
    let mut count = 0;
    for line in PLACE_LINES.lines() {
        let place = Place::from_line(line).unwrap_or_else(|| panic!("bad line `{line}`"));
        assert!(!place.kinds().is_empty(), "{line}");
        assert!(
            place.locode.as_str() > previous.as_str(),
            "{line} out of order"
        );
        assert_eq!(place.locode.as_str(), &line[..5], "{line}");
        previous = place.locode.as_str().to_owned();
        count += 1;
    }
    // The README's count of the kept places.
    assert_eq!(count, 106_294);

    let mut previous = (String::new(), String::new());
    for line in SUBDIVISION_LINES.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        assert_eq!(fields.len(), 3, "{line}");
        let key = (fields[0].to_owned(), fields[1].to_owned());
        assert!(key > previous, "{line} out of order");
        assert_eq!(subdivision_name(fields[0], fields[1]), Some(fields[2]));
        previous = key;
    }
}
