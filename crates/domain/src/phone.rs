//! Phone numbers in E.164 (`+862155550100`), the one form in which numbers
//! written different ways compare. Advance data reads numbers through
//! [`Phone::parse`]; parties' phones and the party matcher are to do the
//! same, so there is one rule for what a number is.

use crate::validation::Invalid;
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use crate::codes::CountryCode;
use crate::party::parse_phone;

/// ITU-T E.164 allows at most 15 digits; the shortest numbers in use (St
/// Helena, Niue, Tokelau: country code and four digits) have 7.
const DIGITS: std::ops::RangeInclusive<usize> = 7..=15;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Phone(String);

/// How many numbers as written (with the country they were read in) a
/// thread remembers; then it forgets them all and starts again. About
/// 100 bytes each.
pub const REMEMBERED: usize = 1 << 16;

/// Per thread: numbers read lately, by the country they were read in.
type Remembered = HashMap<Option<CountryCode>, HashMap<String, Result<Phone, Invalid>>>;

thread_local! {
    static READ: RefCell<Remembered> = RefCell::new(HashMap::new());
}

impl Phone {
    /// Reads a number written with its country code (`+86 21 5555 0100`),
    /// with `country`'s international prefix (`0086-21-55550100`), or the
    /// national way (`021 5555 0100`), which needs `country`: the party's.
    ///
    /// It refuses what cannot be read as a number of some country. It does
    /// not refuse numbers the numbering plan leaves unassigned: fake numbers
    /// recur across shipments and are evidence, and the plan metadata
    /// (libphonenumber's, through the `phonenumber` crate) lags new ranges.
    ///
    /// Each thread remembers the last numbers it read (up to
    /// [`REMEMBERED`]): manifests repeat their parties' numbers line after
    /// line, and reading one through the numbering plan cost a third of a
    /// manifest line's checks.
    pub fn parse(value: &str, country: Option<CountryCode>) -> Result<Self, Invalid> {
        READ.with(|read| {
            if let Some(known) = read.borrow().get(&country).and_then(|m| m.get(value)) {
                return known.clone();
            }
            let result = Self::read(value, country);
            let mut read = read.borrow_mut();
            if read.values().map(HashMap::len).sum::<usize>() >= REMEMBERED {
                read.clear();
            }
            read.entry(country)
                .or_default()
                .insert(value.to_owned(), result.clone());
            result
        })
    }

    fn read(value: &str, country: Option<CountryCode>) -> Result<Self, Invalid> {
        // The characters and digit count every phone in Interdict keeps to.
        let written = parse_phone(value)?;
        let region = country.and_then(|c| phonenumber::country::Id::from_str(c.as_str()).ok());
        let number = phonenumber::parse(region, &written).map_err(|_| match country {
            Some(country) if !written.starts_with('+') => format!(
                "`{value}` is neither a number in {country} nor one with its country code (+…)"
            ),
            _ => format!("`{value}` is not a phone number with a country code such as +86"),
        })?;
        let e164 = number.format().mode(phonenumber::Mode::E164).to_string();
        let digits = e164.strip_prefix('+').unwrap_or(&e164);
        if !(DIGITS.contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())) {
            return Err(format!(
                "`{value}` is not a phone number: with its country code it has {} digits, not 7 to 15",
                digits.len()
            ).into());
        }
        Ok(Self(e164))
    }

    /// `+862155550100`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The identifier key: the E.164 digits without the `+`, as
    /// `IdentifierKind::Phone` has always keyed phones, so keys stored
    /// before numbers were read with their country still match.
    pub fn key(&self) -> Option<String> {
        crate::identifier::IdentifierKind::Phone.normalise(&self.0)
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Loads the numbering-plan metadata that the first parse would otherwise
/// load: about 80 ms in a release build, so a server calls this once at
/// start-up, off the request path, instead of making a request wait.
pub fn preload() {
    let _ = Phone::parse("+1 202 555 0100", None);
}

/// The identifier key of a number as written, read with the party's
/// country; `None` when it is not a number.
pub fn phone_key(value: &str, country: Option<CountryCode>) -> Option<String> {
    Phone::parse(value, country).ok()?.key()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identifier::IdentifierKind;

    fn country(code: &str) -> Option<CountryCode> {
        CountryCode::parse(code).ok()
    }

    fn e164(value: &str, code: Option<&str>) -> Result<String, Invalid> {
        Phone::parse(value, code.and_then(country)).map(|p| p.to_string())
    }

    #[test]
    fn a_remembered_number_reads_as_it_did_in_its_own_country() {
        for _ in 0..3 {
            assert_eq!(
                e164("021 5555 0100", Some("CN")),
                Ok("+862155550100".to_owned())
            );
            // The same writing in another country, or in none, is read
            // afresh: not a number there.
            assert!(e164("021 5555 0100", None).is_err());
            assert_ne!(
                e164("021 5555 0100", Some("US")),
                Ok("+862155550100".to_owned())
            );
            assert_eq!(Phone::parse("+86 21", None), Phone::read("+86 21", None));
        }
        // Past the limit it forgets and starts again, still right.
        for n in 0..REMEMBERED + 10 {
            let written = format!("+1 202 {:03} {:04}", 200 + n / 10_000 % 800, n % 10_000);
            assert_eq!(Phone::parse(&written, None), Phone::read(&written, None));
        }
        let remembered: usize = READ.with(|read| read.borrow().values().map(HashMap::len).sum());
        assert!(remembered <= REMEMBERED, "{remembered}");
    }

    #[test]
    fn one_number_written_four_ways() {
        let shanghai = Ok("+862155550100".to_owned());
        assert_eq!(e164("+86 21 5555 0100", Some("CN")), shanghai);
        assert_eq!(e164("0086-21-55550100", Some("CN")), shanghai);
        assert_eq!(e164("021 5555 0100", Some("CN")), shanghai);
        assert_eq!(e164("+86 (21) 5555-0100", None), shanghai);
        // The US way of dialling out, for a US party.
        assert_eq!(
            e164("011 86 21 5555 0100", Some("US")),
            Ok("+862155550100".to_owned())
        );
        assert_eq!(
            e164("(202) 555-0100", Some("US")),
            Ok("+12025550100".to_owned())
        );
        assert_eq!(
            e164("55 1234 5678", Some("MX")),
            Ok("+525512345678".to_owned())
        );
    }

    #[test]
    fn a_national_number_is_read_in_the_partys_country() {
        assert_ne!(
            e164("021 5555 0100", Some("CN")),
            e164("021 5555 0100", Some("GB"))
        );
        let error = e164("021 5555 0100", None).unwrap_err();
        assert!(error.message().contains("country code"), "{error}");
    }

    #[test]
    fn what_is_not_a_number_is_refused() {
        for (bad, code) in [
            ("call me", Some("CN")),
            ("+1", None),
            ("12345", Some("US")),
            ("+999 1234 5678", None),
            ("+86 21 5555 0100 0000 0000", None),
        ] {
            assert!(e164(bad, code).is_err(), "{bad}");
        }
    }

    #[test]
    fn unassigned_but_well_formed_numbers_are_kept_as_evidence() {
        // Random digits after +86, as fake shipper numbers are.
        assert_eq!(
            e164("+86 311 55550100", None),
            Ok("+8631155550100".to_owned())
        );
    }

    #[test]
    fn the_key_is_what_the_phone_identifier_has_always_been() {
        let phone = Phone::parse("021 5555 0100", country("CN")).unwrap();
        assert_eq!(phone.key().as_deref(), Some("862155550100"));
        assert_eq!(
            phone.key(),
            IdentifierKind::Phone.normalise("+86 21 5555 0100")
        );
        assert_eq!(phone_key("0086-21-55550100", country("CN")), phone.key());
        assert_eq!(phone_key("nope", country("CN")), None);
    }
}
