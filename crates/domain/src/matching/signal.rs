//! The reasons behind a match score, each one a fact a person can check
//! ("name tokens 3/3", "phone equal", "country differs").

use serde::{Deserialize, Serialize};
use std::fmt;

/// What one comparison found. Serialised with its kind in `signal` and its
/// data beside it; `Display` gives the sentence shown to people.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "signal", rename_all = "snake_case")]
pub enum SignalKind {
    /// How many of the longer name's significant words found a pair.
    NameTokens {
        matched: usize,
        total: usize,
    },
    /// The name on the other record that matched best.
    NameMatched {
        name: String,
    },
    NameTransliteration,
    NameTypo,
    NameCompound,
    NameAbbreviation,
    NameInitialism,
    NameInitials,
    /// The names differ only in their legal forms.
    LegalFormDiffers {
        ours: String,
        theirs: String,
    },
    PhoneEqual {
        e164: String,
    },
    EmailEqual {
        email: String,
    },
    RegistrationEqual {
        number: String,
    },
    /// Both give registration numbers in the same country and none agree:
    /// registers tell companies apart.
    RegistrationDiffers,
    AddressEqual,
    AddressSimilar,
    CountryEqual {
        country: String,
    },
    CountryDiffers {
        ours: String,
        theirs: String,
    },
    /// One record is a person and the other an organisation.
    KindDiffers,
}

/// A signal and its sentence, as serialised for clients.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    #[serde(flatten)]
    pub kind: SignalKind,
    pub text: String,
}

impl From<SignalKind> for Signal {
    fn from(kind: SignalKind) -> Self {
        let text = kind.to_string();
        Self { kind, text }
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Display for SignalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NameTokens { matched, total } => write!(f, "name tokens {matched}/{total}"),
            Self::NameMatched { name } => write!(f, "matched name \"{name}\""),
            Self::NameTransliteration => f.write_str("name spelt in another transliteration"),
            Self::NameTypo => f.write_str("name differs by a typo"),
            Self::NameCompound => f.write_str("name words split or joined"),
            Self::NameAbbreviation => f.write_str("name word abbreviated"),
            Self::NameInitialism => f.write_str("name given as initials"),
            Self::NameInitials => f.write_str("given names as initials"),
            Self::LegalFormDiffers { ours, theirs } => {
                write!(f, "legal form differs ({ours} / {theirs})")
            }
            Self::PhoneEqual { e164 } => write!(f, "phone equal ({e164})"),
            Self::EmailEqual { email } => write!(f, "email equal ({email})"),
            Self::RegistrationEqual { number } => write!(f, "registration number equal ({number})"),
            Self::RegistrationDiffers => f.write_str("registration numbers differ"),
            Self::AddressEqual => f.write_str("address equal"),
            Self::AddressSimilar => f.write_str("address similar"),
            Self::CountryEqual { country } => write!(f, "country equal ({country})"),
            Self::CountryDiffers { ours, theirs } => {
                write!(f, "country differs ({ours} / {theirs})")
            }
            Self::KindDiffers => f.write_str("one is a person, the other an organisation"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signal_serialises_with_its_sentence_and_reads_back() {
        let signal = Signal::from(SignalKind::NameTokens {
            matched: 3,
            total: 3,
        });
        let json = serde_json::to_value(&signal).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"signal": "name_tokens", "matched": 3, "total": 3, "text": "name tokens 3/3"})
        );
        let back: Signal = serde_json::from_value(json).unwrap();
        assert_eq!(back, signal);
        assert_eq!(
            Signal::from(SignalKind::RegistrationDiffers).to_string(),
            "registration numbers differ"
        );
    }
}
