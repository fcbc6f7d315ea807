use super::*;

fn country(code: &str) -> Option<CountryCode> {
    CountryCode::parse(code).ok()
}

fn text(value: &str) -> Option<String> {
    Some(value.to_owned())
}

/// A consignment of "industrial dye" from Shanghai to Manzanillo, as an
/// express carrier's manifest would carry it.
fn line() -> AdvanceDataInput {
    AdvanceDataInput {
        pieces: text("3"),
        master_awb: text("176 1234 5675"),
        house_awb: text("sha-2026/00417"),
        consignor_phone: text("021 5555 0100"),
        consignor_email: text(" Sales@Shengxue-Bio.CN "),
        consignee_phone: text("+52 314 555 0199"),
        consignee_email: text("compras@importadora-pacifico.mx"),
        shipper_account: text("ACCT-00912-X"),
        booking_ip: text("2A00:1450:4001:0811::200E"),
        payment_crypto_address: text("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"),
    }
}

#[test]
fn a_full_line_is_read_into_canonical_values() {
    let data = AdvanceData::validate(&line(), country("CN"), country("MX")).unwrap();
    let canonical = data.to_input();
    assert_eq!(canonical.pieces.as_deref(), Some("3"));
    assert_eq!(canonical.master_awb.as_deref(), Some("176-12345675"));
    assert_eq!(canonical.house_awb.as_deref(), Some("SHA202600417"));
    assert_eq!(canonical.consignor_phone.as_deref(), Some("+862155550100"));
    assert_eq!(
        canonical.consignor_email.as_deref(),
        Some("Sales@shengxue-bio.cn")
    );
    assert_eq!(canonical.consignee_phone.as_deref(), Some("+523145550199"));
    assert_eq!(canonical.shipper_account.as_deref(), Some("ACCT00912X"));
    assert_eq!(
        canonical.booking_ip.as_deref(),
        Some("2a00:1450:4001:811::200e")
    );
    assert_eq!(
        data.payment_crypto_address
            .as_ref()
            .map(CryptoAddress::chain),
        Some(Chain::Tron)
    );
    // Canonical values read back as themselves.
    assert_eq!(
        AdvanceData::validate(&canonical, country("CN"), country("MX")),
        Ok(data)
    );
    assert_eq!(
        AdvanceData::validate(&AdvanceDataInput::default(), None, None),
        Ok(AdvanceData::default())
    );
}

#[test]
fn every_error_names_its_column() {
    let bad = AdvanceDataInput {
        pieces: text("0"),
        master_awb: text("176-12345670"),
        house_awb: text("H#1"),
        consignor_phone: text("call me"),
        consignor_email: text("sales at shengxue"),
        consignee_phone: text("314 555 0199"),
        consignee_email: text("compras@"),
        shipper_account: text("12"),
        booking_ip: text("127.0.0.1"),
        payment_crypto_address: text("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"),
    };
    // The consignee's national number cannot be read without a country.
    let errors = AdvanceData::validate(&bad, country("CN"), None).unwrap_err();
    let fields: Vec<&str> = errors.errors().iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, COLUMNS);
    let blank = AdvanceDataInput {
        pieces: text("  "),
        ..AdvanceDataInput::default()
    };
    assert!(AdvanceData::validate(&blank, None, None).is_ok());
}

#[test]
fn different_names_with_the_same_phone_or_email_share_keys() {
    let first = AdvanceData::validate(&line(), country("CN"), country("MX")).unwrap();
    let mut other = AdvanceDataInput {
        consignor_phone: text("+86 21 5555-0100"),
        consignor_email: text("sales@SHENGXUE-BIO.cn"),
        ..AdvanceDataInput::default()
    };
    let second = AdvanceData::validate(&other, country("CN"), None).unwrap();
    let shared: Vec<_> = second
        .identifiers()
        .into_iter()
        .filter(|id| first.identifiers().contains(id))
        .collect();
    assert_eq!(
        shared,
        [
            ("email", "sales@shengxue-bio.cn".to_owned()),
            ("phone", "862155550100".to_owned())
        ]
    );
    other.consignor_phone = text("021 5555 0101");
    let third = AdvanceData::validate(&other, country("CN"), None).unwrap();
    assert!(!third
        .identifiers()
        .contains(&("phone", "862155550100".to_owned())));
}

#[test]
fn identifiers_of_a_full_line() {
    let data = AdvanceData::validate(&line(), country("CN"), country("MX")).unwrap();
    let kinds: Vec<&str> = data.identifiers().iter().map(|(kind, _)| *kind).collect();
    assert_eq!(
        kinds,
        [
            "crypto_address",
            "email",
            "email",
            "ip_address",
            "phone",
            "phone",
            "shipper_account",
            "tracking_number",
            "tracking_number"
        ]
    );
    // A private booking address is kept but matches nothing.
    let mut private = line();
    private.booking_ip = text("192.168.1.20");
    let data = AdvanceData::validate(&private, country("CN"), country("MX")).unwrap();
    assert_eq!(
        data.booking_ip.map(|ip| ip.to_string()).as_deref(),
        Some("192.168.1.20")
    );
    assert!(data
        .identifiers()
        .iter()
        .all(|(kind, _)| *kind != "ip_address"));
}

/// The wiring keys stored values again (`IdentifierKind::normalise`), so a
/// key must be its own key: these are the functions the new kinds call.
#[test]
fn keys_are_their_own_keys() {
    use crate::identifier::IdentifierKind;
    let mut ethereum = line();
    ethereum.payment_crypto_address = text("0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359");
    let mut bitcoin = line();
    bitcoin.payment_crypto_address =
        text("BC1P0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQZK5JJ0");
    for input in [line(), ethereum, bitcoin] {
        let data = AdvanceData::validate(&input, country("CN"), country("MX")).unwrap();
        for (kind, key) in data.identifiers() {
            let again = match kind {
                "tracking_number" => IdentifierKind::TrackingNumber.normalise(&key),
                "phone" => IdentifierKind::Phone.normalise(&key),
                "email" => email_key(&key),
                "shipper_account" => shipper_account_key(&key),
                "ip_address" => ip_address_key(&key),
                "crypto_address" => crypto_address_key(&key),
                other => panic!("unexpected kind {other}"),
            };
            assert_eq!(again.as_deref(), Some(key.as_str()), "{kind}");
        }
    }
}
