//! The carriers' advance data: what express and air-cargo manifests carry
//! beyond the goods and the route (pieces, waybills, the parties' phones
//! and e-mails, the shipper's account, where the booking came from and how
//! it was paid), each read into one canonical form with its identifier
//! key, the form in which two records' values compare.
//!
//! Phones live in [`crate::phone`], shared with parties and matching.

pub mod crypto;
pub mod email;
pub mod ip;
pub mod pieces;
pub mod shipper_account;
pub mod value;
pub mod waybill;

use serde::{Deserialize, Serialize};

use crate::codes::CountryCode;
use crate::phone::Phone;
use crate::validation::{optional, ValidationErrors};

pub use crypto::{crypto_address_key, Chain, CryptoAddress};
pub use email::{email_key, Email};
pub use ip::{ip_address_key, BookingIp};
pub use pieces::Pieces;
pub use shipper_account::{shipper_account_key, ShipperAccount};
pub use value::DeclaredValue;
pub use waybill::{HouseAwb, MasterAwb};

/// The manifest columns (issue 25), which are also the field names errors
/// are recorded under.
pub const COLUMNS: &[&str] = &[
    "pieces",
    "master_awb",
    "house_awb",
    "consignor_phone",
    "consignor_email",
    "consignee_phone",
    "consignee_email",
    "shipper_account",
    "booking_ip",
    "payment_crypto_address",
];

/// The fields as written; blank counts as absent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdvanceDataInput {
    pub pieces: Option<String>,
    pub master_awb: Option<String>,
    pub house_awb: Option<String>,
    pub consignor_phone: Option<String>,
    pub consignor_email: Option<String>,
    pub consignee_phone: Option<String>,
    pub consignee_email: Option<String>,
    pub shipper_account: Option<String>,
    pub booking_ip: Option<String>,
    pub payment_crypto_address: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct AdvanceData {
    pub pieces: Option<Pieces>,
    pub master_awb: Option<MasterAwb>,
    pub house_awb: Option<HouseAwb>,
    pub consignor_phone: Option<Phone>,
    pub consignor_email: Option<Email>,
    pub consignee_phone: Option<Phone>,
    pub consignee_email: Option<Email>,
    pub shipper_account: Option<ShipperAccount>,
    pub booking_ip: Option<BookingIp>,
    pub payment_crypto_address: Option<CryptoAddress>,
}

impl AdvanceData {
    /// Checks every field, each phone read in its party's country.
    pub fn validate(
        input: &AdvanceDataInput,
        consignor_country: Option<CountryCode>,
        consignee_country: Option<CountryCode>,
    ) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let data = Self::check(&mut errors, input, consignor_country, consignee_country);
        errors.into_result(|| data)
    }

    /// As `validate`, recording problems among a caller's other errors
    /// (a manifest line's), so one report names every bad cell.
    pub fn check(
        errors: &mut ValidationErrors,
        input: &AdvanceDataInput,
        consignor_country: Option<CountryCode>,
        consignee_country: Option<CountryCode>,
    ) -> Self {
        Self {
            pieces: optional(errors, "pieces", &input.pieces, Pieces::parse),
            master_awb: optional(errors, "master_awb", &input.master_awb, MasterAwb::parse),
            house_awb: optional(errors, "house_awb", &input.house_awb, HouseAwb::parse),
            consignor_phone: optional(errors, "consignor_phone", &input.consignor_phone, |p| {
                Phone::parse(p, consignor_country)
            }),
            consignor_email: optional(
                errors,
                "consignor_email",
                &input.consignor_email,
                Email::parse,
            ),
            consignee_phone: optional(errors, "consignee_phone", &input.consignee_phone, |p| {
                Phone::parse(p, consignee_country)
            }),
            consignee_email: optional(
                errors,
                "consignee_email",
                &input.consignee_email,
                Email::parse,
            ),
            shipper_account: optional(
                errors,
                "shipper_account",
                &input.shipper_account,
                ShipperAccount::parse,
            ),
            booking_ip: optional(errors, "booking_ip", &input.booking_ip, BookingIp::parse),
            payment_crypto_address: optional(
                errors,
                "payment_crypto_address",
                &input.payment_crypto_address,
                CryptoAddress::parse,
            ),
        }
    }

    /// The canonical values as text, to store and to validate again.
    pub fn to_input(&self) -> AdvanceDataInput {
        fn text<T: ToString>(value: &Option<T>) -> Option<String> {
            value.as_ref().map(T::to_string)
        }
        AdvanceDataInput {
            pieces: text(&self.pieces),
            master_awb: text(&self.master_awb),
            house_awb: text(&self.house_awb),
            consignor_phone: text(&self.consignor_phone),
            consignor_email: text(&self.consignor_email),
            consignee_phone: text(&self.consignee_phone),
            consignee_email: text(&self.consignee_email),
            shipper_account: text(&self.shipper_account),
            booking_ip: text(&self.booking_ip),
            payment_crypto_address: text(&self.payment_crypto_address),
        }
    }

    /// What deconfliction and watchlists match on, as (identifier kind,
    /// key): waybills as `tracking_number`, then `phone`, `email`,
    /// `shipper_account`, `ip_address` (public addresses only) and
    /// `crypto_address`. Sorted, without repeats.
    pub fn identifiers(&self) -> Vec<(&'static str, String)> {
        let keys = [
            (
                "tracking_number",
                self.master_awb.as_ref().and_then(MasterAwb::key),
            ),
            (
                "tracking_number",
                self.house_awb.as_ref().and_then(HouseAwb::key),
            ),
            ("phone", self.consignor_phone.as_ref().and_then(Phone::key)),
            ("phone", self.consignee_phone.as_ref().and_then(Phone::key)),
            ("email", self.consignor_email.as_ref().and_then(Email::key)),
            ("email", self.consignee_email.as_ref().and_then(Email::key)),
            (
                "shipper_account",
                self.shipper_account.as_ref().and_then(ShipperAccount::key),
            ),
            (
                "ip_address",
                self.booking_ip.as_ref().and_then(BookingIp::key),
            ),
            (
                "crypto_address",
                self.payment_crypto_address
                    .as_ref()
                    .and_then(CryptoAddress::key),
            ),
        ];
        let mut ids: Vec<(&'static str, String)> = keys
            .into_iter()
            .filter_map(|(kind, key)| Some((kind, key?)))
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }
}

/// Up to 35 characters, as UN/EDIFACT and the air cargo messages allow for
/// a document reference; carriers' account numbers and forwarders' house
/// waybill numbers fit with room to spare.
pub const MAX_REFERENCE: usize = 35;

/// A reference someone made up (an account, a house waybill): upper-case
/// letters and digits, without the spaces and `- . /` people add, so
/// `sha/2026-00417` and `SHA 2026 00417` are one reference. `what` names it
/// in the message (`an account number`).
fn compact_reference(value: &str, what: &str) -> Result<String, String> {
    if value.chars().count() > 2 * MAX_REFERENCE {
        return Err(format!("must be at most {MAX_REFERENCE} letters or digits"));
    }
    let mut reference = String::new();
    for c in value.trim().chars() {
        match c {
            ' ' | '-' | '.' | '/' => {}
            c if c.is_ascii_alphanumeric() => reference.push(c.to_ascii_uppercase()),
            c => {
                return Err(format!(
                    "`{value}` is not {what}: `{c}` is neither a letter, a digit nor one of - . /"
                ))
            }
        }
    }
    if !(3..=MAX_REFERENCE).contains(&reference.len()) {
        return Err(format!(
            "`{value}` is not {what}: it needs 3 to {MAX_REFERENCE} letters or digits"
        ));
    }
    Ok(reference)
}

#[cfg(test)]
mod tests;
