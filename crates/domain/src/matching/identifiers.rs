//! Identifiers in the form in which two records' values compare: phones in
//! E.164, e-mails trimmed and lower-cased, registration numbers without
//! punctuation, addresses as sets of folded words.

use std::collections::BTreeSet;

use crate::codes::CountryCode;
use crate::identifier::IdentifierKind;
use crate::phone::Phone;

use super::fold::fold_words;

/// A phone number in E.164 (`+862155550100`), read by the one rule for
/// phone numbers (`crate::phone::Phone::parse`) with the party's country for
/// numbers written the national way (`021 5555 0100`) or with the
/// country's international prefix (`0086-21-55550100`).
///
/// Falls back to the bare digits when the number cannot be read, so two
/// records that wrote the same unreadable number still agree.
pub fn phone_e164(phone: &str, country: Option<CountryCode>) -> Option<String> {
    match Phone::parse(phone, country) {
        Ok(number) => Some(number.as_str().to_owned()),
        Err(_) => IdentifierKind::Phone.normalise(phone),
    }
}

/// An e-mail address as it compares: without surrounding space and in
/// lower case. Provider-specific rules (dots and `+tags` at one provider)
/// are left alone: applied to every domain they would merge addresses that
/// other providers keep apart.
pub fn email_key(email: &str) -> Option<String> {
    let key = email.trim().to_lowercase();
    key.contains('@').then_some(key)
}

/// A registration number (company register, tax id, …) as it compares:
/// letters and digits only, upper case.
pub fn registration_key(number: &str) -> Option<String> {
    IdentifierKind::Registration.normalise(number)
}

/// Street-address words that mean the same thing spelt short.
const ADDRESS_WORDS: &[(&str, &str)] = &[
    ("st", "street"),
    ("str", "street"),
    ("strasse", "street"),
    ("rd", "road"),
    ("ave", "avenue"),
    ("av", "avenue"),
    ("avenida", "avenue"),
    ("blvd", "boulevard"),
    ("bldg", "building"),
    ("fl", "floor"),
    ("flr", "floor"),
    ("no", "number"),
    ("nr", "number"),
    ("dist", "district"),
    ("rm", "room"),
    ("ste", "suite"),
    ("hwy", "highway"),
    ("ind", "industrial"),
    ("indus", "industrial"),
    ("calle", "street"),
];

/// The words of an address, folded and with common abbreviations spelt out.
pub fn address_words(address: &str) -> BTreeSet<String> {
    fold_words(address)
        .into_iter()
        .map(|w| {
            ADDRESS_WORDS
                .iter()
                .find(|(short, _)| *short == w)
                .map_or(w, |(_, long)| (*long).to_owned())
        })
        .collect()
}

/// Dice overlap of two addresses' words: 1 when they are the same words.
pub fn address_similarity(a: &BTreeSet<String>, b: &BTreeSet<String>) -> f32 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let shared = a.intersection(b).count();
    2.0 * shared as f32 / (a.len() + b.len()) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cn() -> Option<CountryCode> {
        CountryCode::parse("CN").ok()
    }

    #[test]
    fn phones_written_three_ways_are_one_e164_number() {
        let expected = Some("+862155550100".to_owned());
        assert_eq!(phone_e164("+86 21 5555 0100", cn()), expected);
        assert_eq!(phone_e164("0086-21-55550100", cn()), expected);
        assert_eq!(phone_e164("021 5555 0100", cn()), expected);
        assert_eq!(phone_e164("+86 (21) 5555-0100", None), expected);
    }

    #[test]
    fn a_national_number_needs_its_country() {
        let us = CountryCode::parse("US").ok();
        assert_ne!(
            phone_e164("021 5555 0100", us),
            phone_e164("021 5555 0100", cn())
        );
    }

    #[test]
    fn emails_compare_without_case_or_surrounding_space() {
        assert_eq!(
            email_key("  Sales@Shengxue-Bio.CN "),
            email_key("sales@shengxue-bio.cn")
        );
        assert_ne!(
            email_key("sales@shengxue-bio.cn"),
            email_key("info@shengxue-bio.cn")
        );
        assert_eq!(email_key("not an address"), None);
    }

    #[test]
    fn registration_numbers_compare_without_punctuation() {
        assert_eq!(
            registration_key("R.F.C. AAL-980225 9P1"),
            registration_key("rfcaal9802259p1")
        );
    }

    #[test]
    fn addresses_compare_by_words_with_abbreviations_spelt_out() {
        let a = address_words("12 Zhongshan Rd., Bldg 3, Shanghai");
        let b = address_words("Building 3, 12 Zhongshan Road, SHANGHAI");
        assert_eq!(address_similarity(&a, &b), 1.0);
        let c = address_words("99 Nanjing Road, Shanghai");
        assert!(address_similarity(&a, &c) < 0.5);
    }
}
