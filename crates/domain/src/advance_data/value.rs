//! The declared value of a shipment and its currency, which only mean
//! something together.

use crate::codes::CurrencyCode;
use crate::validation::ValidationErrors;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DeclaredValue {
    /// A non-negative decimal as written (`1250.00`), kept as text so no
    /// precision is lost.
    pub amount: String,
    pub currency: CurrencyCode,
}

impl DeclaredValue {
    /// Checks an amount and its currency, recording each problem under the
    /// caller's field names (`value`/`currency` in a manifest,
    /// `declared_value`/`declared_currency` in the API). Either both are
    /// given or neither; blank counts as not given.
    pub fn check(
        errors: &mut ValidationErrors,
        (amount_field, amount): (&str, Option<&str>),
        (currency_field, currency): (&str, Option<&str>),
    ) -> Option<Self> {
        fn given(value: Option<&str>) -> Option<&str> {
            value.map(str::trim).filter(|v| !v.is_empty())
        }
        let (amount, currency) = (given(amount), given(currency));
        let parsed_amount = amount.and_then(|a| errors.check(amount_field, parse_amount(a)));
        let parsed_currency =
            currency.and_then(|c| errors.check(currency_field, CurrencyCode::parse(c)));
        match (amount, currency) {
            (Some(_), None) => {
                errors.add(currency_field, format!("is required with {amount_field}"))
            }
            (None, Some(_)) => {
                errors.add(amount_field, format!("is required with {currency_field}"))
            }
            _ => {}
        }
        Some(Self {
            amount: parsed_amount?,
            currency: parsed_currency?,
        })
    }
}

/// `1250`, `1250.5`, `0.0001`: up to 15 digits before the point and 4
/// after, no sign, no thousands separators (`1,250.00` and `1.250,00` mean
/// different things in different countries, so neither is guessed).
pub fn parse_amount(value: &str) -> Result<String, String> {
    let text = value.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let valid = !whole.is_empty()
        && whole.len() <= 15
        && whole.chars().all(|c| c.is_ascii_digit())
        && fraction.len() <= 4
        && fraction.chars().all(|c| c.is_ascii_digit())
        && !(text.contains('.') && fraction.is_empty());
    if valid {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "`{value}` is not a non-negative decimal amount such as 1250.00"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(amount: Option<&str>, currency: Option<&str>) -> Result<DeclaredValue, Vec<String>> {
        let mut errors = ValidationErrors::new();
        let value = DeclaredValue::check(&mut errors, ("value", amount), ("currency", currency));
        match value {
            Some(v) if errors.is_empty() => Ok(v),
            _ => Err(errors.errors().iter().map(|e| e.field.clone()).collect()),
        }
    }

    #[test]
    fn an_amount_with_its_currency() {
        let value = check(Some(" 1250.00 "), Some("usd")).unwrap();
        assert_eq!(value.amount, "1250.00");
        assert_eq!(value.currency.as_str(), "USD");
        assert!(check(Some("0"), Some("JPY")).is_ok());
        assert_eq!(check(None, Some("  ")), Err(Vec::new()));
    }

    #[test]
    fn each_error_names_its_field() {
        assert_eq!(
            check(Some("1,250.00"), Some("USD")),
            Err(vec!["value".into()])
        );
        assert_eq!(
            check(Some("12"), Some("DOLLARS")),
            Err(vec!["currency".into()])
        );
        assert_eq!(check(Some("12"), None), Err(vec!["currency".into()]));
        assert_eq!(check(None, Some("EUR")), Err(vec!["value".into()]));
        assert_eq!(
            check(Some("-1"), Some("XXX")),
            Err(vec!["value".into(), "currency".into()])
        );
        for bad in [
            "-1",
            "1.",
            ".5",
            "1.23456",
            "1e3",
            "1 250",
            "1234567890123456",
            "NCV",
        ] {
            assert!(parse_amount(bad).is_err(), "{bad}");
        }
    }
}
