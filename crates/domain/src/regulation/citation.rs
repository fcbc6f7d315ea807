//! Where a regulatory fact was read, and from when it holds.

use chrono::NaiveDate;
use serde::Serialize;

use crate::choice;

choice!(
    /// The kind of text a fact comes from.
    CitationKind {
        Interim => "interim",
        Temporary => "temporary",
        Final => "final",
        Proposed => "proposed",
        Statute => "statute",
        Cfr => "cfr",
        Un => "un",
        Ruling => "ruling",
        Agenda => "agenda",
        Reference => "reference",
    }
);

impl CitationKind {
    /// Documents published in the Federal Register, cited by volume and page.
    pub fn is_federal_register(self) -> bool {
        matches!(
            self,
            Self::Interim | Self::Temporary | Self::Final | Self::Proposed
        )
    }

    fn describe(self) -> &'static str {
        match self {
            Self::Interim => "interim rule",
            Self::Temporary => "temporary order",
            Self::Final => "final rule",
            Self::Proposed => "proposed rule",
            Self::Statute => "statute",
            Self::Cfr => "regulation text",
            Self::Un => "UN decision",
            Self::Ruling => "ruling",
            Self::Agenda => "Unified Agenda",
            Self::Reference => "reference",
        }
    }
}

/// A source: a Federal Register document (`fr`, `published`) or another text
/// (`reference`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Citation {
    pub kind: CitationKind,
    /// "72 FR 20039": volume, FR, first page.
    pub fr: Option<String>,
    pub reference: Option<String>,
    pub published: Option<NaiveDate>,
    pub docket: Option<String>,
    /// The Federal Register document number, e.g. 2020-07064.
    pub document: Option<String>,
    pub title: Option<String>,
    /// Where the text was read.
    pub seen: Option<String>,
}

impl Citation {
    /// One line for a page or a finding: "72 FR 20039, interim rule of 2007-04-23".
    pub fn short(&self) -> String {
        let what = self
            .fr
            .clone()
            .or_else(|| self.document.as_ref().map(|d| format!("FR doc. {d}")))
            .or_else(|| self.reference.clone())
            .unwrap_or_default();
        match (self.kind.is_federal_register(), self.published) {
            (true, Some(day)) => format!("{what}, {} of {day}", self.kind.describe()),
            (true, None) => format!("{what}, {}", self.kind.describe()),
            _ => what,
        }
    }
}

/// From when a fact holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "dating", content = "date", rename_all = "snake_case")]
pub enum Dating {
    /// The day it took legal effect.
    Effective(NaiveDate),
    /// The start could not be read; a text shows it in force on this day.
    /// Before it, the answer is "unknown", never "not in force".
    InForceBy(NaiveDate),
    /// Pending (a proposed rule) or of unknown date: never applied.
    Undated,
}

/// Whether a dated fact holds on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InForce {
    Yes,
    No,
    Unknown,
}

impl Dating {
    pub fn date(self) -> Option<NaiveDate> {
        match self {
            Self::Effective(d) | Self::InForceBy(d) => Some(d),
            Self::Undated => None,
        }
    }

    pub fn in_force_on(self, day: NaiveDate) -> InForce {
        match self {
            Self::Effective(d) | Self::InForceBy(d) if d <= day => InForce::Yes,
            Self::Effective(_) => InForce::No,
            Self::InForceBy(_) | Self::Undated => InForce::Unknown,
        }
    }

    /// "since 2020-05-15", "in force by 2021-07-25 (start not confirmed)".
    pub fn describe_since(self) -> String {
        match self {
            Self::Effective(d) => format!("since {d}"),
            Self::InForceBy(d) => format!("in force by {d} (start not confirmed)"),
            Self::Undated => "date unknown".into(),
        }
    }
}

/// A fact's citation and whether it was confirmed in the regulation itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Provenance {
    pub citation: Citation,
    pub confirmed: bool,
    /// What is uncertain, or context; required when not confirmed.
    pub note: Option<String>,
}

/// A value that holds from a date, with its source.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dated<T> {
    pub value: T,
    pub dating: Dating,
    pub source: Provenance,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn in_force_only_from_its_date_and_unknown_before_an_unconfirmed_start() {
        let effective = Dating::Effective(day("2023-05-12"));
        assert_eq!(effective.in_force_on(day("2023-05-11")), InForce::No);
        assert_eq!(effective.in_force_on(day("2023-05-12")), InForce::Yes);
        let seen = Dating::InForceBy(day("2021-07-25"));
        assert_eq!(seen.in_force_on(day("2021-07-25")), InForce::Yes);
        assert_eq!(seen.in_force_on(day("2020-01-01")), InForce::Unknown);
        assert_eq!(
            Dating::Undated.in_force_on(day("2999-01-01")),
            InForce::Unknown
        );
    }

    #[test]
    fn short_citation_names_volume_page_kind_and_date() {
        let c = Citation {
            kind: CitationKind::Interim,
            fr: Some("72 FR 20039".into()),
            reference: None,
            published: Some(day("2007-04-23")),
            docket: None,
            document: None,
            title: None,
            seen: None,
        };
        assert_eq!(c.short(), "72 FR 20039, interim rule of 2007-04-23");
    }
}
