//! What OFAC packs into an entry's Remarks: weak aliases
//! (`a.k.a. 'BNC'`) and identifiers (`Passport 1084010 (Egypt)`,
//! `Digital Currency Address - XBT 12QtD5…`), separated by semicolons.

use super::list::ListedIdentifier;

/// Labels of the identifiers worth matching on, longest first where one
/// starts another. Remarks the list writes in other ways (dates and places
/// of birth, positions, "Linked To") stay in the remarks text.
const LABELS: &[&str] = &[
    "Aircraft Construction Number (also called L/N or S/N or F/N)",
    "Aircraft Manufacturer's Serial Number (MSN)",
    "Aircraft Tail Number",
    "Business Registration Document #",
    "Business Registration Number",
    "C.R. No.",
    "C.U.R.P.",
    "Cedula No.",
    "Chamber of Commerce Number",
    "Commercial Registry Number",
    "Company Number",
    "Credencial electoral",
    "D-U-N-S Number",
    "D.N.I.",
    "Diplomatic Passport",
    "Driver's License No.",
    "Electoral Registry No.",
    "Email Address",
    "Fax No.",
    "Fax",
    "Folio Mercantil No.",
    "Government Gazette Number",
    "Identification Number",
    "Italian Fiscal Code",
    "Matricula Mercantil No",
    "MMSI",
    "National ID No.",
    "NIT #",
    "Passport",
    "Personal ID Card",
    "Phone No.",
    "Phone Number",
    "Public Registration Number",
    "R.F.C.",
    "RFC",
    "RIF #",
    "RUC #",
    "Registration ID",
    "Registration Number",
    "SSN",
    "SWIFT/BIC",
    "Tax ID No.",
    "Telephone No.",
    "Telephone",
    "Trade License No.",
    "UK Company Number",
    "US FEIN",
    "V.A.T. Number",
    "Vessel Registration Identification",
    "Website",
];

const CURRENCY_PREFIX: &str = "Digital Currency Address - ";

/// The weak aliases written in remarks as `a.k.a. '…'`.
pub fn weak_aliases(remarks: &str) -> Vec<String> {
    let mut aliases = Vec::new();
    let mut rest = remarks;
    while let Some(start) = rest.find("a.k.a. '") {
        let after = &rest[start + "a.k.a. '".len()..];
        // Names contain apostrophes (AL-'ULUM): the alias ends at a quote
        // followed by the end, a semicolon, a full stop or a comma.
        let end = after
            .char_indices()
            .find(|&(i, c)| {
                c == '\''
                    && after[i + 1..]
                        .chars()
                        .next()
                        .is_none_or(|n| matches!(n, ';' | '.' | ','))
            })
            .map(|(i, _)| i);
        let Some(end) = end else { break };
        let alias = after[..end].trim();
        if !alias.is_empty() {
            aliases.push(alias.to_owned());
        }
        rest = &after[end + 1..];
    }
    aliases
}

/// The identifiers among an entry's remarks.
pub fn identifiers(remarks: &str) -> Vec<ListedIdentifier> {
    remarks
        .split(';')
        .filter_map(|item| {
            let item = item.trim().trim_end_matches('.').trim();
            let item = item.strip_prefix("alt. ").unwrap_or(item);
            identifier(item)
        })
        .collect()
}

fn identifier(item: &str) -> Option<ListedIdentifier> {
    let (label, rest) = if let Some(rest) = item.strip_prefix(CURRENCY_PREFIX) {
        let (currency, value) = rest.split_once(' ')?;
        (format!("{CURRENCY_PREFIX}{currency}"), value)
    } else {
        let label = LABELS
            .iter()
            .find(|l| item.starts_with(*l) && item[l.len()..].starts_with(' '))?;
        ((*label).to_owned(), &item[label.len()..])
    };
    let rest = rest.trim();
    // "1084010 (Egypt) issued 1999" / "AO 2879097 (Italy) expires 2012".
    let (value, country_name) = match rest.find(" (") {
        Some(open) => {
            let after = &rest[open + 2..];
            let country = after
                .find(')')
                .map(|close| after[..close].trim().to_owned());
            (rest[..open].trim(), country)
        }
        None => (rest, None),
    };
    let value = value.split(" issued ").next().unwrap_or(value);
    let value = value.split(" expires ").next().unwrap_or(value).trim();
    (!value.is_empty()).then(|| ListedIdentifier {
        label,
        value: value.to_owned(),
        country_name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_aliases_are_read_from_remarks_even_with_apostrophes_inside() {
        assert_eq!(weak_aliases("a.k.a. 'BNC'."), ["BNC"]);
        assert_eq!(
            weak_aliases("DOB 1960; a.k.a. 'DAR AL-'ULUM'; a.k.a. 'CHAPPORI, Petit'."),
            ["DAR AL-'ULUM", "CHAPPORI, Petit"]
        );
        assert!(weak_aliases("Linked To: HIZBALLAH.").is_empty());
    }

    #[test]
    fn identifiers_with_their_labels_values_and_countries() {
        let ids = identifiers(
            "Passport 1084010 (Egypt) issued 1999; R.F.C. AAL9802259P1 (Mexico); \
             Digital Currency Address - XBT 12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h; \
             alt. Digital Currency Address - XBT 1AbC; Email Address dam.d.free@net.sy; \
             DOB 10 Dec 1948; Linked To: HIZBALLAH.",
        );
        let got: Vec<(&str, &str, Option<&str>)> = ids
            .iter()
            .map(|i| {
                (
                    i.label.as_str(),
                    i.value.as_str(),
                    i.country_name.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("Passport", "1084010", Some("Egypt")),
                ("R.F.C.", "AAL9802259P1", Some("Mexico")),
                (
                    "Digital Currency Address - XBT",
                    "12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h",
                    None
                ),
                ("Digital Currency Address - XBT", "1AbC", None),
                ("Email Address", "dam.d.free@net.sy", None),
            ]
        );
    }
}
