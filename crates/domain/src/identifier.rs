//! Identifiers that tie records together across agencies, in the normalised
//! form used for search and deconfliction: `AB 123-456` and `ab123456` are
//! the same tracking number.

use crate::validation::Invalid;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum IdentifierKind {
    TrackingNumber,
    Serial,
    Imprint,
    Registration,
    Email,
    Phone,
    /// A carrier's account number of the shipper (advance data).
    ShipperAccount,
    /// The public IP address a booking came from (advance data).
    IpAddress,
    /// A cryptocurrency address a shipment was paid from or to.
    CryptoAddress,
}

impl IdentifierKind {
    pub const ALL: [IdentifierKind; 9] = [
        Self::TrackingNumber,
        Self::Serial,
        Self::Imprint,
        Self::Registration,
        Self::Email,
        Self::Phone,
        Self::ShipperAccount,
        Self::IpAddress,
        Self::CryptoAddress,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::TrackingNumber => "tracking_number",
            Self::Serial => "serial",
            Self::Imprint => "imprint",
            Self::Registration => "registration",
            Self::Email => "email",
            Self::Phone => "phone",
            Self::ShipperAccount => "shipper_account",
            Self::IpAddress => "ip_address",
            Self::CryptoAddress => "crypto_address",
        }
    }

    /// The matching form of a value of this kind; `None` when nothing
    /// meaningful is left to match on.
    pub fn normalise(self, value: &str) -> Option<String> {
        let normalised: String = match self {
            Self::Email => value.trim().to_lowercase(),
            Self::Phone => value.chars().filter(char::is_ascii_digit).collect(),
            Self::Imprint => value
                .split('|')
                .map(alphanumeric_upper)
                .collect::<Vec<_>>()
                .join("|"),
            Self::TrackingNumber | Self::Serial | Self::Registration | Self::ShipperAccount => {
                alphanumeric_upper(value)
            }
            // Keyed by `advance_data` (canonical address; base58 keeps its
            // case): only trimmed here.
            Self::IpAddress | Self::CryptoAddress => value.trim().to_owned(),
        };
        let meaningful = normalised.chars().filter(|c| c.is_alphanumeric()).count();
        // Too short to identify anything: "1" would match half the world.
        (meaningful >= 3 || (self == Self::Imprint && meaningful >= 1)).then_some(normalised)
    }
}

fn alphanumeric_upper(value: &str) -> String {
    value
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect()
}

impl FromStr for IdentifierKind {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| Invalid::new("is not an identifier kind"))
    }
}

impl fmt::Display for IdentifierKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One identifier of a record, normalised.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Identifier {
    pub kind: IdentifierKind,
    pub value: String,
}

impl Identifier {
    pub fn new(kind: IdentifierKind, raw: &str) -> Option<Self> {
        kind.normalise(raw).map(|value| Self { kind, value })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_numbers_and_serials_ignore_case_spaces_and_punctuation() {
        let a = Identifier::new(IdentifierKind::TrackingNumber, "1Z 999-AA1.01");
        let b = Identifier::new(IdentifierKind::TrackingNumber, "1z999aa101");
        assert_eq!(a, b);
        assert_eq!(a.unwrap().value, "1Z999AA101");
        assert_eq!(
            IdentifierKind::Serial
                .normalise("tdp-5 / 2023-0042")
                .as_deref(),
            Some("TDP520230042")
        );
    }

    #[test]
    fn emails_phones_and_imprints() {
        assert_eq!(
            IdentifierKind::Email
                .normalise(" Sales@Example.CN ")
                .as_deref(),
            Some("sales@example.cn")
        );
        assert_eq!(
            IdentifierKind::Phone
                .normalise("+86 (21) 5555-0100")
                .as_deref(),
            Some("862155550100")
        );
        assert_eq!(
            IdentifierKind::Imprint.normalise("m|30|Round").as_deref(),
            Some("M|30|ROUND")
        );
        assert_eq!(
            IdentifierKind::Imprint.normalise("M ||round").as_deref(),
            Some("M||ROUND")
        );
    }

    #[test]
    fn values_too_short_to_identify_are_dropped() {
        assert_eq!(IdentifierKind::Serial.normalise("--1--"), None);
        assert_eq!(IdentifierKind::Phone.normalise("+1"), None);
        assert_eq!(IdentifierKind::Imprint.normalise("|"), None);
    }
}
