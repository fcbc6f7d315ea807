//! The number of pieces (packages) a shipment has, as the air waybill
//! states it.

use std::fmt;

/// The same bound as a shipment line's count.
pub const MAX_PIECES: u32 = 1_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pieces(u32);

impl Pieces {
    pub fn new(count: i64) -> Result<Self, String> {
        match u32::try_from(count) {
            Ok(n) if (1..=MAX_PIECES).contains(&n) => Ok(Self(n)),
            _ => Err(format!("must be between 1 and {MAX_PIECES}, not {count}")),
        }
    }

    /// A whole number as written in a manifest cell (`12`).
    pub fn parse(value: &str) -> Result<Self, String> {
        let text = value.trim();
        if text.is_empty() || text.len() > 9 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("`{value}` is not a whole number of pieces"));
        }
        // At most nine digits: fits.
        Self::new(text.parse().unwrap_or(0))
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Display for Pieces {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positive_whole_numbers_within_bounds() {
        assert_eq!(Pieces::parse(" 12 ").map(Pieces::get), Ok(12));
        assert_eq!(Pieces::parse("1000000").map(Pieces::get), Ok(1_000_000));
        assert_eq!(Pieces::new(3).map(Pieces::get), Ok(3));
        for bad in [
            "0",
            "-1",
            "1.5",
            "12 pcs",
            "",
            "1000001",
            "99999999999",
            "+3",
            "1e3",
        ] {
            assert!(Pieces::parse(bad).is_err(), "{bad}");
        }
        assert!(Pieces::new(0).is_err() && Pieces::new(-4).is_err());
        assert!(Pieces::new(i64::MAX).is_err());
    }
}
