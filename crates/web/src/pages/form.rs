//! Reading submitted forms and drawing their fields, each with its label
//! and, after a refused submission, its error beside it.

use interdict_app::AppError;
use interdict_domain::FieldError;
use maud::{html, Markup};
use std::collections::BTreeMap;

use crate::error::{detail, field_errors, kind};

/// The fields of a submitted form, in order.
#[derive(Debug, Default)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    pub fn new(pairs: Vec<(String, String)>) -> Self {
        Self(pairs)
    }

    /// The first value of `name`, or "".
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// A trimmed value, or `None` when blank.
    pub fn opt(&self, name: &str) -> Option<String> {
        let value = self.get(name).trim();
        (!value.is_empty()).then(|| value.to_owned())
    }

    /// The version the page was read at, from its hidden field, for the
    /// service's `If-Match` check.
    pub fn version(&self) -> Result<i64, AppError> {
        self.text("version").parse().map_err(|_| {
            AppError::bad_request(
                "version",
                "the form lost the version it was read at; reload the page",
            )
        })
    }

    /// Every value of a repeated field (checkboxes).
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self, name: &str) -> String {
        self.get(name).trim().to_owned()
    }
}

/// A query parameter's value, or "".
pub fn param<'a>(pairs: &'a [(String, String)], key: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

/// Errors by form field name, plus those that belong to no one field.
#[derive(Debug, Default)]
pub struct Errors {
    by_field: BTreeMap<String, String>,
    general: Vec<String>,
}

impl Errors {
    pub fn is_empty(&self) -> bool {
        self.by_field.is_empty() && self.general.is_empty()
    }

    pub fn field(&mut self, name: impl Into<String>, message: impl Into<String>) {
        self.by_field.entry(name.into()).or_insert(message.into());
    }

    pub fn general(&mut self, message: impl Into<String>) {
        self.general.push(message.into());
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.by_field.get(name).map(String::as_str)
    }

    /// Takes a service's refusal apart: named fields go beside their
    /// inputs (through `rename`, which maps the document's field names to
    /// the form's), anything else to the summary.
    pub fn absorb(&mut self, error: &AppError, rename: impl Fn(&str) -> String) {
        let fields: Vec<FieldError> = field_errors(error);
        if fields.is_empty() {
            let (_, title) = kind(error);
            let text = detail(error).unwrap_or_else(|| title.to_owned());
            self.general(text);
        }
        for FieldError { field, message } in fields {
            self.field(rename(&field), message);
        }
    }

    /// A search's result; refused filters are noted beside their inputs
    /// and give `None`, anything else is the error page.
    pub fn filters<T>(&mut self, result: Result<T, AppError>) -> Result<Option<T>, AppError> {
        match result {
            Ok(found) => Ok(Some(found)),
            Err(e @ (AppError::BadRequest { .. } | AppError::Validation(_))) => {
                self.absorb(&e, str::to_owned);
                Ok(None)
            }
            Err(other) => Err(other),
        }
    }

    /// The list at the top of a refused form, each linked to its field.
    pub fn summary(&self) -> Markup {
        html! {
            @if !self.is_empty() {
                div.notice.error role="alert" {
                    p { strong { "Nothing was saved. Please correct the following:" } }
                    ul {
                        @for message in &self.general { li { (message) } }
                        @for (name, message) in &self.by_field {
                            li { a href={ "#" (field_id(name)) } { (label_of(name)) } ": " (message) }
                        }
                    }
                }
            }
        }
    }
}

/// An element id for a field name (`legs[0].from.country` →
/// `f-legs-0-from-country`).
pub fn field_id(name: &str) -> String {
    let mut id = String::from("f-");
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            id.push(c);
        } else if !id.ends_with('-') {
            id.push('-');
        }
    }
    id.trim_end_matches('-').to_owned()
}

/// A person's name for a field: `legs[1].arrival_at` → "Leg 2 arrival at".
fn label_of(name: &str) -> String {
    let mut words = Vec::new();
    for part in name.split('.') {
        match part.split_once('[') {
            Some((list, index)) => {
                let singular = match list {
                    "parties" => "Party",
                    "lines" => "Line",
                    "legs" => "Leg",
                    "tracking_numbers" => "Tracking number",
                    other => other,
                };
                let n = index.trim_end_matches(']').parse::<usize>().map(|i| i + 1);
                words.push(match n {
                    Ok(n) => format!("{singular} {n}"),
                    Err(_) => singular.to_owned(),
                });
            }
            None => words.push(part.replace('_', " ")),
        }
    }
    let label = words.join(" ");
    let mut chars = label.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => label,
    }
}

/// What a field needs to draw itself.
pub struct Input<'a> {
    pub label: &'a str,
    pub name: &'a str,
    pub value: &'a str,
    pub kind: &'a str,
    pub required: bool,
    pub hint: Option<&'a str>,
    pub list: Option<&'a str>,
}

impl<'a> Input<'a> {
    pub fn new(label: &'a str, name: &'a str, value: &'a str) -> Self {
        Self {
            label,
            name,
            value,
            kind: "text",
            required: false,
            hint: None,
            list: None,
        }
    }

    pub fn kind(mut self, kind: &'a str) -> Self {
        self.kind = kind;
        self
    }

    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    pub fn hint(mut self, hint: &'a str) -> Self {
        self.hint = Some(hint);
        self
    }

    pub fn list(mut self, list: &'a str) -> Self {
        self.list = Some(list);
        self
    }

    pub fn render(&self, errors: &Errors) -> Markup {
        let id = field_id(self.name);
        let error = errors.get(self.name);
        let described = error.map(|_| format!("{id}-error"));
        html! {
            div.field.invalid[error.is_some()] {
                label for=(id) { (self.label) @if self.required { " *" } }
                @if self.kind == "textarea" {
                    textarea id=(id) name=(self.name) aria-invalid=[error.map(|_| "true")] aria-describedby=[described.as_deref()] { (self.value) }
                } @else {
                    input id=(id) name=(self.name) type=(self.kind) value=(self.value) required[self.required] list=[self.list] aria-invalid=[error.map(|_| "true")] aria-describedby=[described.as_deref()];
                }
                @if let Some(hint) = self.hint { small.muted { (hint) } }
                @if let Some(message) = error { span.error id={ (id) "-error" } { (message) } }
            }
        }
    }
}

/// A labelled select; `options` are (value, text).
pub fn select(
    label: &str,
    name: &str,
    options: &[(String, String)],
    selected: &str,
    errors: &Errors,
) -> Markup {
    let id = field_id(name);
    let error = errors.get(name);
    html! {
        div.field.invalid[error.is_some()] {
            label for=(id) { (label) }
            select id=(id) name=(name) aria-invalid=[error.map(|_| "true")] {
                @for (value, text) in options {
                    option value=(value) selected[value == selected] { (text) }
                }
            }
            @if let Some(message) = error { span.error { (message) } }
        }
    }
}

/// Options for a closed set of values, shown as words.
pub fn choices(values: &[&str]) -> Vec<(String, String)> {
    values
        .iter()
        .map(|v| ((*v).to_owned(), super::labels::words(v)))
        .collect()
}

/// The same with an empty "any" choice first, for search filters.
pub fn any_of(values: &[&str]) -> Vec<(String, String)> {
    std::iter::once((String::new(), "any".to_owned()))
        .chain(choices(values))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_rows_as_people_count_them() {
        assert_eq!(label_of("legs[1].arrival_at"), "Leg 2 arrival at");
        assert_eq!(label_of("parties[0].name"), "Party 1 name");
        assert_eq!(label_of("declared_value"), "Declared value");
    }

    #[test]
    fn field_ids_are_stable_and_safe() {
        assert_eq!(field_id("legs[0].from.country"), "f-legs-0-from-country");
        assert_eq!(field_id("declared_value"), "f-declared_value");
    }

    #[test]
    fn a_refusal_lands_beside_the_renamed_field() {
        let mut errors = Errors::default();
        let refusal = AppError::Validation(interdict_domain::ValidationErrors::single(
            "address.country",
            "is not a country",
        ));
        errors.absorb(&refusal, |f| {
            format!("parties[1].{}", f.replace("address.", ""))
        });
        assert_eq!(errors.get("parties[1].country"), Some("is not a country"));
        let mut errors = Errors::default();
        errors.absorb(&AppError::Conflict("taken".into()), str::to_owned);
        assert!(!errors.is_empty());
        assert!(errors.summary().0.contains("taken"));
    }
}
