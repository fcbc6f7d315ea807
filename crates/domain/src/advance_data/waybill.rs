//! Air waybill numbers. The carrier's master air waybill (MAWB) has a
//! fixed form with a check digit; a forwarder's house air waybill (HAWB)
//! is its own free reference.

use std::fmt;

use crate::identifier::IdentifierKind;

/// `176-12345675`: the airline's three-digit IATA prefix and an eight-digit
/// serial whose last digit is the first seven taken modulo 7. (The rule of
/// IATA Resolution 600a on the air waybill, as carriers and Cargo-IMP apply
/// it; we could not read the resolution itself here.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MasterAwb([u8; 11]);

impl MasterAwb {
    /// Accepts the common spellings: `176-12345675`, `176 1234 5675`,
    /// `17612345675`.
    pub fn parse(value: &str) -> Result<Self, String> {
        let digits: String = value
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '-'))
            .collect();
        let bytes: [u8; 11] = match digits.as_bytes().try_into() {
            Ok(bytes) if digits.bytes().all(|b| b.is_ascii_digit()) => bytes,
            _ => {
                return Err(format!(
                "`{value}` is not an air waybill number: a 3-digit airline prefix and an 8-digit serial, e.g. 176-12345675"
            ))
            }
        };
        let first_seven = bytes[3..10]
            .iter()
            .fold(0u32, |n, b| n * 10 + u32::from(b - b'0'));
        let check = (first_seven % 7) as u8;
        if bytes[10] - b'0' != check {
            return Err(format!(
                "`{value}` has a wrong check digit: the serial's last digit must be {check}, the first seven digits modulo 7"
            ));
        }
        Ok(Self(bytes))
    }

    fn digits(&self) -> &str {
        // Only ASCII digits, checked in `parse`.
        std::str::from_utf8(&self.0).unwrap_or("")
    }

    /// The airline's IATA accounting prefix, e.g. `176`.
    pub fn airline_prefix(&self) -> &str {
        &self.digits()[..3]
    }

    pub fn serial(&self) -> &str {
        &self.digits()[3..]
    }

    /// The eleven digits, as tracking numbers are keyed.
    pub fn key(&self) -> Option<String> {
        IdentifierKind::TrackingNumber.normalise(self.digits())
    }
}

impl fmt::Display for MasterAwb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.airline_prefix(), self.serial())
    }
}

/// A house air waybill number, which each forwarder makes up: kept as upper
/// case letters and digits, without the spaces and separators people add.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HouseAwb(String);

impl HouseAwb {
    pub fn parse(value: &str) -> Result<Self, String> {
        super::compact_reference(value, "a house air waybill number").map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// As tracking numbers are keyed.
    pub fn key(&self) -> Option<String> {
        IdentifierKind::TrackingNumber.normalise(&self.0)
    }
}

impl fmt::Display for HouseAwb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn master_awbs_in_their_common_spellings() {
        // 1234567 mod 7 = 5.
        for written in [
            "176-12345675",
            "176 1234 5675",
            "17612345675",
            " 176-1234-5675 ",
        ] {
            let awb = MasterAwb::parse(written).unwrap();
            assert_eq!(awb.to_string(), "176-12345675", "{written}");
            assert_eq!(awb.airline_prefix(), "176");
            assert_eq!(awb.key().as_deref(), Some("17612345675"));
        }
        // Check digit 0 and 6, the ends of the range.
        assert!(MasterAwb::parse("020-00000070").is_ok());
        assert!(MasterAwb::parse("057-00000066").is_ok());
        assert!(MasterAwb::parse("057-99999992").is_ok());
    }

    #[test]
    fn a_wrong_check_digit_says_which_it_should_be() {
        let error = MasterAwb::parse("176-12345670").unwrap_err();
        assert!(error.contains("must be 5"), "{error}");
    }

    #[test]
    fn malformed_master_awbs_are_refused() {
        for bad in [
            "",
            "176-1234567",
            "176-123456755",
            "1761234567A",
            "176/12345675",
            "١٧٦١٢٣٤٥٦٧٥",
        ] {
            let error = MasterAwb::parse(bad).unwrap_err();
            assert!(
                error.contains("not an air waybill number"),
                "{bad}: {error}"
            );
        }
    }

    #[test]
    fn house_awbs_are_bounded_and_normalised() {
        let hawb = HouseAwb::parse(" sha/2026-00417 ").unwrap();
        assert_eq!(hawb.as_str(), "SHA202600417");
        assert_eq!(hawb.key().as_deref(), Some("SHA202600417"));
        assert_eq!(HouseAwb::parse("SHA 2026.00417"), Ok(hawb));
        assert!(HouseAwb::parse("H1").is_err());
        assert!(HouseAwb::parse(&"A".repeat(36)).is_err());
        assert!(HouseAwb::parse(&"A".repeat(35)).is_ok());
        assert!(HouseAwb::parse(&"-".repeat(500)).is_err());
        let error = HouseAwb::parse("HAWB#123").unwrap_err();
        assert!(error.contains("`#`"), "{error}");
    }
}
