//! Parties to a shipment: companies and people, with the identifiers that
//! let agencies recognise them again.

use serde::{Deserialize, Serialize};

use crate::choice;
use crate::codes::CountryCode;
use crate::identifier::{Identifier, IdentifierKind};
use crate::validation::{
    bounded_text, each, optional, pick, search_text, Invalid, ValidationErrors,
};

choice!(PartyKind { Company => "company", Person => "person" });

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AddressInput {
    #[serde(default)]
    pub street: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub postal_code: Option<String>,
    pub country: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "kind": "company",
    "name": "Wuhan Example Chemical Co., Ltd.",
    "aliases": ["WEC Trading"],
    "address": { "city": "Wuhan", "region": "Hubei", "country": "CN" },
    "phones": ["+86 27 5555 0100"],
    "emails": ["sales@example.cn"],
    "registration_numbers": ["91420100MA4KXXXX0X"]
})))]
pub struct PartyInput {
    #[cfg_attr(feature = "openapi", schema(value_type = PartyKind))]
    pub kind: String,
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub address: Option<AddressInput>,
    #[serde(default)]
    pub phones: Vec<String>,
    #[serde(default)]
    pub emails: Vec<String>,
    #[serde(default)]
    pub registration_numbers: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Address {
    pub street: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub country: CountryCode,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Party {
    pub kind: PartyKind,
    pub name: String,
    pub aliases: Vec<String>,
    pub address: Option<Address>,
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    pub registration_numbers: Vec<String>,
}

pub fn parse_email(value: &str) -> Result<String, Invalid> {
    let email = value.trim();
    let valid = email.len() <= 254
        && !email.contains(char::is_whitespace)
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
        });
    if valid {
        Ok(email.to_owned())
    } else {
        Err(format!("`{value}` is not an email address").into())
    }
}

pub fn parse_phone(value: &str) -> Result<String, Invalid> {
    let phone = value.trim();
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    let allowed = phone
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c));
    if allowed && (6..=20).contains(&digits) {
        Ok(phone.to_owned())
    } else {
        Err(
            format!("`{value}` is not a phone number (6 to 20 digits, with + - ( ) . or spaces)")
                .into(),
        )
    }
}

fn identifier_text(value: &str) -> Result<String, Invalid> {
    let text = bounded_text(value, 100)?;
    if IdentifierKind::Registration.normalise(&text).is_none() {
        return Err("needs at least 3 letters or digits".into());
    }
    Ok(text)
}

/// Legal forms dropped when comparing company names.
const LEGAL_FORMS: &[&str] = &[
    "co",
    "company",
    "corp",
    "corporation",
    "inc",
    "incorporated",
    "llc",
    "ltd",
    "limited",
    "gmbh",
    "sa",
    "sarl",
    "srl",
    "bv",
    "plc",
    "pte",
    "pty",
    "ag",
    "kg",
    "oy",
    "ab",
    "sl",
    "spa",
    "trading",
];

/// A name reduced to what identifies it: lower case, letters and digits
/// only, legal forms dropped — `Hebei Shengxue Trading Co., Ltd.` and
/// `HEBEI SHENGXUE` compare equal.
pub fn normalise_name(name: &str) -> String {
    name.split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
        .filter(|word| !word.is_empty() && !LEGAL_FORMS.contains(&word.as_str()))
        .collect::<Vec<_>>()
        .join(" ")
}

impl Party {
    pub fn validate(input: &PartyInput) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let kind = errors.check("kind", pick::<PartyKind>(&input.kind));
        let name = errors.check("name", bounded_text(&input.name, 300));
        let aliases = each(&mut errors, "aliases", &input.aliases, 50, |a| {
            bounded_text(a, 300)
        });
        let address = input.address.as_ref().and_then(|a| {
            let street = optional(&mut errors, "address.street", &a.street, |s| {
                bounded_text(s, 300)
            });
            let city = optional(&mut errors, "address.city", &a.city, |s| {
                bounded_text(s, 200)
            });
            let region = optional(&mut errors, "address.region", &a.region, |s| {
                bounded_text(s, 200)
            });
            let postal_code = optional(&mut errors, "address.postal_code", &a.postal_code, |s| {
                bounded_text(s, 20)
            });
            let country = errors.check("address.country", CountryCode::parse(&a.country))?;
            Some(Address {
                street,
                city,
                region,
                postal_code,
                country,
            })
        });
        let phones = each(&mut errors, "phones", &input.phones, 20, parse_phone);
        let emails = each(&mut errors, "emails", &input.emails, 20, parse_email);
        let registration_numbers = each(
            &mut errors,
            "registration_numbers",
            &input.registration_numbers,
            20,
            identifier_text,
        );
        match (kind, name) {
            (Some(kind), Some(name)) if errors.is_empty() => Ok(Self {
                kind,
                name,
                aliases,
                address,
                phones,
                emails,
                registration_numbers,
            }),
            _ => Err(errors),
        }
    }

    pub fn to_input(&self) -> PartyInput {
        PartyInput {
            kind: self.kind.as_str().to_owned(),
            name: self.name.clone(),
            aliases: self.aliases.clone(),
            address: self.address.as_ref().map(|a| AddressInput {
                street: a.street.clone(),
                city: a.city.clone(),
                region: a.region.clone(),
                postal_code: a.postal_code.clone(),
                country: a.country.to_string(),
            }),
            phones: self.phones.clone(),
            emails: self.emails.clone(),
            registration_numbers: self.registration_numbers.clone(),
        }
    }

    pub fn identifiers(&self) -> Vec<Identifier> {
        let tagged = self
            .registration_numbers
            .iter()
            .map(|v| (IdentifierKind::Registration, v))
            .chain(self.emails.iter().map(|v| (IdentifierKind::Email, v)))
            .chain(self.phones.iter().map(|v| (IdentifierKind::Phone, v)));
        let mut ids: Vec<Identifier> = tagged.filter_map(|(k, v)| Identifier::new(k, v)).collect();
        ids.sort();
        ids.dedup();
        ids
    }

    /// Name and aliases, lower-cased, for free-text search.
    pub fn search_text(&self) -> String {
        search_text(std::iter::once(&self.name).chain(&self.aliases))
    }

    pub fn country(&self) -> Option<CountryCode> {
        self.address.as_ref().map(|a| a.country)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> PartyInput {
        PartyInput {
            kind: "company".into(),
            name: "Hebei Shengxue Trading Co., Ltd.".into(),
            aliases: vec!["Shengxue Trade".into()],
            address: Some(AddressInput {
                street: Some("88 Industrial Rd".into()),
                city: Some("Shijiazhuang".into()),
                region: Some("Hebei".into()),
                postal_code: None,
                country: "cn".into(),
            }),
            phones: vec!["+86 311 5555 0100".into()],
            emails: vec!["Sales@Shengxue.example".into()],
            registration_numbers: vec!["91130100-MA0XYZ".into()],
        }
    }

    #[test]
    fn a_valid_party_round_trips_in_canonical_form() {
        let party = Party::validate(&input()).unwrap();
        assert_eq!(party.country().unwrap().as_str(), "CN");
        let again = Party::validate(&party.to_input()).unwrap();
        assert_eq!(party, again);
        let kinds: Vec<IdentifierKind> = party.identifiers().iter().map(|i| i.kind).collect();
        assert_eq!(
            kinds,
            [
                IdentifierKind::Registration,
                IdentifierKind::Email,
                IdentifierKind::Phone
            ]
        );
        assert!(party.search_text().contains("shengxue trade"));
    }

    #[test]
    fn names_compare_without_case_punctuation_or_legal_form() {
        assert_eq!(
            normalise_name("Hebei Shengxue Trading Co., Ltd."),
            "hebei shengxue"
        );
        assert_eq!(normalise_name("HEBEI  SHENGXUE"), "hebei shengxue");
        assert_ne!(
            normalise_name("Hebei Shengxue"),
            normalise_name("Hebei Shengda")
        );
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut bad = input();
        bad.kind = "ship".into();
        bad.name = "x".repeat(301);
        bad.address.as_mut().unwrap().country = "XX".into();
        bad.phones = vec!["call me".into()];
        bad.emails = vec!["nobody".into(), "a@b".into()];
        bad.registration_numbers = vec!["-".into()];
        let errors = Party::validate(&bad).unwrap_err();
        let fields: Vec<&str> = errors.errors().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "kind",
                "name",
                "address.country",
                "phones[0]",
                "emails[0]",
                "emails[1]",
                "registration_numbers[0]"
            ]
        );
    }
}
