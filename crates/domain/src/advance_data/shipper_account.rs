//! The shipper's account number with the carrier, which the booking was
//! billed to.

use std::fmt;

/// Upper-case letters and digits, without the spaces and separators
/// people add (`123-456-789` is `123456789`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ShipperAccount(String);

impl ShipperAccount {
    pub fn parse(value: &str) -> Result<Self, String> {
        super::compact_reference(value, "an account number").map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The identifier key: the account alone, not scoped by carrier.
    /// Manifests name carriers in free text ("FedEx", "Federal Express"),
    /// so scoping would miss real links; two carriers' accounts sharing a
    /// number costs a contact notice, not a wrong record.
    pub fn key(&self) -> Option<String> {
        Some(self.0.clone())
    }
}

impl fmt::Display for ShipperAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The identifier key of an account as written; `None` when it is not one.
pub fn shipper_account_key(value: &str) -> Option<String> {
    ShipperAccount::parse(value).ok()?.key()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_account_are_one_account() {
        let account = ShipperAccount::parse(" 123-456-789 ").unwrap();
        assert_eq!(account.as_str(), "123456789");
        assert_eq!(shipper_account_key("123 456 789"), account.key());
        assert_eq!(shipper_account_key("ab12.cd/34"), Some("AB12CD34".into()));
    }

    #[test]
    fn bounded_and_plain() {
        assert!(ShipperAccount::parse("12").is_err());
        assert!(ShipperAccount::parse(&"9".repeat(35)).is_ok());
        assert!(ShipperAccount::parse(&"9".repeat(36)).is_err());
        assert!(ShipperAccount::parse(&" ".repeat(1000)).is_err());
        let error = ShipperAccount::parse("ACCT#42").unwrap_err();
        assert!(error.contains("`#`"), "{error}");
        assert!(ShipperAccount::parse("счёт123").is_err());
    }
}
