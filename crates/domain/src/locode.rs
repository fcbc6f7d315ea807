//! UN/LOCODE, the five-character codes (`MXZLO`) carriers and customs use
//! for places, and the names of the world's ports, rail and road terminals
//! and airports from the release in `reference/unlocode/` (its README says
//! which release, where from and on what terms).
//!
//! The table is compiled in (3.9 MB). It is not parsed up front: the first
//! lookup indexes where each line starts (one pass, 420 KB of offsets), and
//! each lookup binary-searches that index and reads one line. A process
//! that never names a place pays nothing; one that does pays about 4 ms
//! once, then about a microsecond a lookup (release build, 2-core EPYC).

use std::fmt;
use std::sync::LazyLock;

use crate::choice;

const PLACES: &str = include_str!("../../../reference/unlocode/places.tsv");
const SUBDIVISIONS: &str = include_str!("../../../reference/unlocode/subdivisions.tsv");

/// A syntactically valid UN/LOCODE: two letters of country, three letters
/// or digits 2-9 of location. Whether the code list has it is a separate
/// question ([`Locode::place`]): an unlisted code is unknown, not wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Locode([u8; 5]);

impl Locode {
    /// Reads a code as people write it: any case, with spaces (`cn sha`,
    /// `CN SHA`). The code list uses the digits 2-9 only, never 0 or 1,
    /// which read as O and I.
    pub fn parse(value: &str) -> Result<Self, String> {
        let code: String = value
            .trim()
            .to_ascii_uppercase()
            .chars()
            .filter(|c| *c != ' ')
            .collect();
        // ASCII first: slicing `code[..2]` inside a multi-byte letter
        // (`XÄZL` is five bytes) would panic.
        let valid = code.len() == 5
            && code.is_ascii()
            && code[..2].chars().all(|c| c.is_ascii_uppercase())
            && code[2..]
                .chars()
                .all(|c| c.is_ascii_uppercase() || ('2'..='9').contains(&c));
        match code.as_bytes().try_into() {
            Ok(bytes) if valid => Ok(Self(bytes)),
            _ => Err(format!("`{value}` is not a UN/LOCODE such as CNSHA")),
        }
    }

    pub fn as_str(&self) -> &str {
        // Built only from the ASCII checked in `parse`.
        std::str::from_utf8(&self.0).unwrap_or("?????")
    }

    /// The ISO 3166-1 alpha-2 part, e.g. `MX`.
    pub fn country(&self) -> &str {
        &self.as_str()[..2]
    }

    /// The port, terminal or airport with this code, or `None` when the
    /// release does not list it as one.
    pub fn place(&self) -> Option<Place> {
        let line = PLACE_LINES.find(self.as_str(), |line| line.get(..5))?;
        Place::from_line(line)
    }
}

impl fmt::Display for Locode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

choice!(
    /// What the code list says a place is used for (function positions 1-4).
    PlaceKind {
        Port => "port",
        RailTerminal => "rail_terminal",
        RoadTerminal => "road_terminal",
        Airport => "airport",
    }
);

impl PlaceKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::Port => "port",
            Self::RailTerminal => "rail terminal",
            Self::RoadTerminal => "road terminal",
            Self::Airport => "airport",
        }
    }
}

/// Latitude and longitude in decimal degrees (north and east positive),
/// to the minute the code list gives.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coordinates {
    pub latitude: f64,
    pub longitude: f64,
}

/// One place of the code list.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Place {
    pub locode: Locode,
    /// As the code list writes it, with diacritics (`Nürnberg`) and its
    /// abbreviations (`Apt` for airport).
    pub name: &'static str,
    /// The ISO 3166-2 code after the hyphen (`COL` of `MX-COL`).
    pub subdivision: Option<&'static str>,
    pub subdivision_name: Option<&'static str>,
    /// The IATA code where the code list gives one that differs from the
    /// location part.
    pub iata: Option<&'static str>,
    pub coordinates: Option<Coordinates>,
    kinds: [bool; 4],
}

impl Place {
    fn from_line(line: &'static str) -> Option<Self> {
        let mut fields = line.split('\t');
        let (code, name, sub, functions, iata, coordinates) = (
            fields.next()?,
            fields.next()?,
            fields.next()?,
            fields.next()?,
            fields.next()?,
            fields.next()?,
        );
        let functions = functions.as_bytes();
        if fields.next().is_some() || name.is_empty() || functions.len() != 4 {
            return None;
        }
        let locode = Locode::parse(code).ok()?;
        let present = |s: &'static str| (!s.is_empty()).then_some(s);
        let subdivision = present(sub);
        Some(Self {
            locode,
            name,
            subdivision,
            subdivision_name: subdivision.and_then(|s| subdivision_name(locode.country(), s)),
            iata: present(iata),
            coordinates: parse_coordinates(coordinates),
            kinds: [b'1', b'2', b'3', b'4'].map(|k| functions.contains(&k)),
        })
    }

    pub fn country(&self) -> &str {
        self.locode.country()
    }

    /// What the place is used for, in the code list's order.
    pub fn kinds(&self) -> Vec<PlaceKind> {
        PlaceKind::ALL
            .iter()
            .zip(self.kinds)
            .filter_map(|(kind, present)| present.then_some(*kind))
            .collect()
    }

    pub fn is(&self, kind: PlaceKind) -> bool {
        self.kinds().contains(&kind)
    }

    /// `Manzanillo, Colima, MX (MXZLO)`; a subdivision without a name in
    /// the release shows as its ISO code: `Brno, CZ-JM (CZBRQ)`.
    pub fn label(&self) -> String {
        let country = self.country();
        match (self.subdivision_name, self.subdivision) {
            (Some(sub), _) => format!("{}, {sub}, {country} ({})", self.name, self.locode),
            (None, Some(sub)) => format!("{}, {country}-{sub} ({})", self.name, self.locode),
            (None, None) => format!("{}, {country} ({})", self.name, self.locode),
        }
    }
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

/// How pages and exports show a stored code: the place's label when the
/// code list knows it, otherwise the code as stored, so an unlisted or
/// legacy value is still shown, never dropped.
pub fn display(code: &str) -> String {
    match Locode::parse(code).ok().and_then(|c| c.place()) {
        Some(place) => place.label(),
        None => code.trim().to_owned(),
    }
}

/// The release the table comes from, e.g. `2023-1`.
pub fn edition() -> &'static str {
    PLACES
        .strip_prefix("# UN/LOCODE ")
        .and_then(|rest| rest.split(':').next())
        .unwrap_or("unknown")
}

fn subdivision_name(country: &str, code: &str) -> Option<&'static str> {
    let line = SUBDIVISION_LINES.find((country, code), |line| {
        let mut fields = line.split('\t');
        Some((fields.next()?, fields.next()?))
    })?;
    line.split('\t').nth(2).filter(|name| !name.is_empty())
}

/// `1903N 10418W` → 19.05, -104.3.
fn parse_coordinates(text: &str) -> Option<Coordinates> {
    let (lat, lon) = text.split_once(' ')?;
    let angle = |value: &str, degree_digits: usize, positive: char, negative: char| {
        let (digits, hemisphere) = value.split_at_checked(value.len().checked_sub(1)?)?;
        if digits.len() != degree_digits + 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let degrees: f64 = digits[..degree_digits].parse().ok()?;
        let minutes: f64 = digits[degree_digits..].parse().ok()?;
        let sign = match hemisphere.chars().next()? {
            c if c == positive => 1.0,
            c if c == negative => -1.0,
            _ => return None,
        };
        (minutes < 60.0).then_some(sign * (degrees + minutes / 60.0))
    };
    Some(Coordinates {
        latitude: angle(lat, 2, 'N', 'S').filter(|v| v.abs() <= 90.0)?,
        longitude: angle(lon, 3, 'E', 'W').filter(|v| v.abs() <= 180.0)?,
    })
}

/// A sorted, tab-separated table compiled into the binary, indexed by
/// where its lines start. The `#` header line is skipped.
struct SortedLines {
    text: &'static str,
    starts: Vec<u32>,
}

impl SortedLines {
    fn index(text: &'static str) -> Self {
        let mut starts = Vec::with_capacity(text.len() / 32);
        let mut at = 0;
        for line in text.split_inclusive('\n') {
            if !line.starts_with('#') && !line.trim_end().is_empty() {
                // The tables are a few megabytes: offsets fit in u32.
                starts.push(at as u32);
            }
            at += line.len();
        }
        Self { text, starts }
    }

    fn line(&self, i: usize) -> &'static str {
        let start = self.starts[i] as usize;
        let rest = &self.text[start..];
        rest.split('\n').next().unwrap_or(rest)
    }

    #[cfg(test)]
    fn lines(&self) -> impl Iterator<Item = &'static str> + '_ {
        (0..self.starts.len()).map(|i| self.line(i))
    }

    /// The line whose key equals `key`, with lines in ascending key order.
    fn find<K: Ord>(
        &self,
        key: K,
        key_of: impl Fn(&'static str) -> Option<K>,
    ) -> Option<&'static str> {
        let i = self
            .starts
            .binary_search_by(|start| {
                let line = self.text[*start as usize..]
                    .split('\n')
                    .next()
                    .unwrap_or("");
                match key_of(line) {
                    Some(k) => k.cmp(&key),
                    // A malformed line cannot be the one sought.
                    None => std::cmp::Ordering::Less,
                }
            })
            .ok()?;
        Some(self.line(i))
    }
}

static PLACE_LINES: LazyLock<SortedLines> = LazyLock::new(|| SortedLines::index(PLACES));
static SUBDIVISION_LINES: LazyLock<SortedLines> =
    LazyLock::new(|| SortedLines::index(SUBDIVISIONS));

#[cfg(test)]
mod tests;
