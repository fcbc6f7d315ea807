//! The tables in `reference/`, built into the program: every shipment is
//! weighed against the same rules, with no file to read at run time.
//!
//! They are parsed once. The unit tests parse them whole, and the
//! application refuses to start if they do not parse (`bundled_error`), so
//! the empty tables handed out after a failed parse are never used to
//! weigh anything; they only keep a request path free of panics.

use std::sync::OnceLock;

use super::filing::FilingRules;
use super::raw::TableError;
use super::table::ControlTable;

const CONTROLS: &str = include_str!("../../../../reference/controls.toml");
const FILING_RULES: &str = include_str!("../../../../reference/filing_rules.toml");

struct Bundled {
    controls: Result<ControlTable, TableError>,
    rules: Result<FilingRules, TableError>,
}

fn bundled() -> &'static Bundled {
    static BUNDLED: OnceLock<Bundled> = OnceLock::new();
    BUNDLED.get_or_init(|| Bundled {
        controls: ControlTable::parse(CONTROLS),
        rules: FilingRules::parse(FILING_RULES),
    })
}

/// The controls table of `reference/controls.toml`.
pub fn controls() -> &'static ControlTable {
    static EMPTY: ControlTable = ControlTable {
        chemicals: Vec::new(),
        families: Vec::new(),
    };
    bundled().controls.as_ref().unwrap_or(&EMPTY)
}

/// The filing rules of `reference/filing_rules.toml`.
pub fn filing_rules() -> &'static FilingRules {
    static EMPTY: FilingRules = FilingRules::empty();
    bundled().rules.as_ref().unwrap_or(&EMPTY)
}

/// Why a bundled table does not parse, if one does not: checked at start.
pub fn bundled_error() -> Option<&'static TableError> {
    let b = bundled();
    b.controls
        .as_ref()
        .err()
        .or(b.rules.as_ref().err())
        .or(super::imprints::imprints_error())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_bundled_tables_parse() {
        assert_eq!(super::bundled_error(), None);
        assert!(super::controls().chemical("anpp").is_some());
        assert!(!super::filing_rules().rules().is_empty());
    }
}
