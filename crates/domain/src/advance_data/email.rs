//! E-mail addresses of the consignor and consignee.

use std::fmt;

use crate::identifier::IdentifierKind;
use crate::party::parse_email;

/// Stored as written, trimmed, with the domain in lower case: domains are
/// case-insensitive (RFC 1035 §2.3.3), while the local part belongs to the
/// receiving host (RFC 5321 §2.4), so it stays as the carrier recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Email(String);

impl Email {
    /// The same check as a party's e-mail addresses.
    pub fn parse(value: &str) -> Result<Self, String> {
        let email = parse_email(value)?;
        // `parse_email` guarantees one `@` with text on both sides.
        let (local, domain) = email.split_once('@').unwrap_or((&email, ""));
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The identifier key: the whole address in lower case, as
    /// `IdentifierKind::Email` keys every e-mail. Hosts that tell
    /// `Sales@` from `sales@` are vanishingly rare; a link missed for it
    /// costs more than a contact made for it.
    pub fn key(&self) -> Option<String> {
        IdentifierKind::Email.normalise(&self.0)
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The identifier key of an address as written; `None` when it is not one.
pub fn email_key(value: &str) -> Option<String> {
    Email::parse(value).ok()?.key()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trimmed_with_the_domain_folded_and_the_local_part_kept() {
        let email = Email::parse("  Li.Wei@Shengxue-BIO.CN ").unwrap();
        assert_eq!(email.as_str(), "Li.Wei@shengxue-bio.cn");
        assert_eq!(email.key().as_deref(), Some("li.wei@shengxue-bio.cn"));
        assert_eq!(email_key("li.wei@SHENGXUE-bio.cn"), email.key());
        assert_ne!(email_key("wei.li@shengxue-bio.cn"), email.key());
    }

    #[test]
    fn what_is_not_an_address_is_refused() {
        for bad in [
            "",
            "sales",
            "sales@",
            "@example.cn",
            "sales@example",
            "a b@example.cn",
            "a@b@example.cn",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
            assert_eq!(email_key(bad), None, "{bad}");
        }
        assert!(Email::parse(&format!("{}@example.cn", "a".repeat(250))).is_err());
    }
}
