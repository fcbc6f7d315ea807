//! Sharing scope of a record: who besides the owner agency may see it.

use crate::validation::Invalid;
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Only the owner agency.
    Agency,
    /// The owner agency and every member agency of the task force.
    TaskForce(Uuid),
    /// Every participating agency.
    All,
}

impl Scope {
    /// Parses the wire form: `agency`, `all`, or a task force id.
    pub fn parse(value: &str) -> Result<Self, Invalid> {
        match value {
            "agency" => Ok(Self::Agency),
            "all" => Ok(Self::All),
            other => Uuid::parse_str(other)
                .map(Self::TaskForce)
                .map_err(|_| Invalid::new("must be `agency`, `all` or a task force id")),
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Agency => f.write_str("agency"),
            Self::All => f.write_str("all"),
            Self::TaskForce(id) => write!(f, "{id}"),
        }
    }
}

impl Serialize for Scope {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Scope {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Scope::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_form() {
        let tf = Uuid::now_v7();
        for scope in [Scope::Agency, Scope::All, Scope::TaskForce(tf)] {
            assert_eq!(Scope::parse(&scope.to_string()), Ok(scope));
        }
        assert!(Scope::parse("everyone").is_err());
    }
}
