//! Field-level validation errors, collected so a client learns about every
//! bad field at once rather than one per round trip.

use serde::Serialize;
use std::fmt;

/// Why one value was refused, in words fit to show beside its field
/// ("must be one of …"). Every parser in the domain answers with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(String);

impl Invalid {
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }

    pub fn message(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Invalid {}

impl From<String> for Invalid {
    fn from(message: String) -> Self {
        Self(message)
    }
}

impl From<Invalid> for String {
    fn from(invalid: Invalid) -> Self {
        invalid.0
    }
}

impl From<&str> for Invalid {
    fn from(message: &str) -> Self {
        Self(message.to_owned())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// JSON path of the offending field, e.g. `ori` or `legs[2].arrival`.
    pub field: String,
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidationErrors(Vec<FieldError>);

impl ValidationErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn single(field: impl Into<String>, message: impl Into<String>) -> Self {
        let mut errors = Self::new();
        errors.add(field, message);
        errors
    }

    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    /// Runs a parser and records its error under `field`, returning the
    /// parsed value when it succeeded.
    pub fn check<T, E: fmt::Display>(&mut self, field: &str, result: Result<T, E>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.add(field, error.to_string());
                None
            }
        }
    }

    /// These errors but those of `field`.
    pub fn without(self, field: &str) -> Self {
        Self(self.0.into_iter().filter(|e| e.field != field).collect())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn errors(&self) -> &[FieldError] {
        &self.0
    }

    /// `Ok(value)` when nothing was recorded, so callers can finish with
    /// `errors.finish(build())`.
    pub fn into_result<T>(self, value: impl FnOnce() -> T) -> Result<T, Self> {
        if self.is_empty() {
            Ok(value())
        } else {
            Err(self)
        }
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        f.write_str(&parts.join("; "))
    }
}

impl std::error::Error for ValidationErrors {}

/// Trims and bounds a free-text field; empty means missing.
pub fn bounded_text(value: &str, max_chars: usize) -> Result<String, Invalid> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err("must not be empty".into());
    }
    if trimmed.chars().count() > max_chars {
        return Err(format!("must be at most {max_chars} characters").into());
    }
    if trimmed.chars().any(|c| c.is_control()) {
        return Err("must not contain control characters".into());
    }
    Ok(trimmed.to_owned())
}

/// Declares a closed set of snake_case values as an enum with `ALL`,
/// `as_str`, `FromStr` (whose error lists the choices) and serde.
#[macro_export]
macro_rules! choice {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::validation::Invalid;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(format!("must be one of {}", [$($text),+].join(", ")).into()),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = <String as serde::Deserialize>::deserialize(d)?;
                raw.parse().map_err(serde::de::Error::custom)
            }
        }

        // The OpenAPI document lists the values, so clients need not learn
        // them from 422s; a field holding the value as a string refers to
        // this with `#[schema(value_type = …)]`.
        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($text),+]))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}
    };
}

/// Lower-cased names and descriptions joined for free-text search.
pub fn search_text<'a>(parts: impl IntoIterator<Item = &'a String>) -> String {
    parts
        .into_iter()
        .map(|s| s.to_lowercase())
        .collect::<Vec<_>>()
        .join(" | ")
}

/// Validates each element of a bounded list, naming failures `field[i]`.
pub fn each<T, E: fmt::Display>(
    errors: &mut ValidationErrors,
    field: &str,
    items: &[String],
    max_items: usize,
    parse: impl Fn(&str) -> Result<T, E>,
) -> Vec<T> {
    if items.len() > max_items {
        errors.add(field, format!("at most {max_items} entries"));
        return Vec::new();
    }
    items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| errors.check(&format!("{field}[{i}]"), parse(item)))
        .collect()
}

/// Validates an optional field; blank counts as absent.
pub fn optional<T, E: fmt::Display>(
    errors: &mut ValidationErrors,
    field: &str,
    value: &Option<String>,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Option<T> {
    match value.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => errors.check(field, parse(text)),
    }
}

/// Parses a closed-set value with `FromStr`, for use with `check`.
pub fn pick<T: std::str::FromStr<Err = Invalid>>(value: &str) -> Result<T, Invalid> {
    value.trim().parse()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_text_trims_and_limits() {
        assert_eq!(bounded_text("  Acme  ", 10).as_deref(), Ok("Acme"));
        assert!(bounded_text("   ", 10).is_err());
        assert!(bounded_text("abcdefghijk", 10).is_err());
        assert!(bounded_text("a\u{0}b", 10).is_err());
    }

    #[test]
    fn collects_every_error() {
        let mut errors = ValidationErrors::new();
        assert_eq!(errors.check("a", Ok::<_, String>(1)), Some(1));
        assert_eq!(errors.check::<i32, _>("b", Err("bad")), None);
        errors.add("c", "worse");
        assert_eq!(errors.errors().len(), 2);
        assert_eq!(errors.to_string(), "b: bad; c: worse");
        assert!(errors.into_result(|| ()).is_err());
    }
}
