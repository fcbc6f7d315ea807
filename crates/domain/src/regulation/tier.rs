//! Control tiers and the derivative kinds a family control names.

use crate::choice;

choice!(
    /// How a substance is controlled, weakest first: the derived order ranks
    /// tiers, so the strictest of two controls is the greater.
    Tier {
        ListIi => "list_ii",
        ListI => "list_i",
        ScheduleIiImmediatePrecursor => "schedule_ii_immediate_precursor",
        ScheduleIi => "schedule_ii",
        ScheduleI => "schedule_i",
    }
);

impl Tier {
    /// The name a supervisor reads.
    pub fn label(self) -> &'static str {
        match self {
            Self::ListIi => "List II",
            Self::ListI => "List I",
            Self::ScheduleIiImmediatePrecursor => "Schedule II immediate precursor",
            Self::ScheduleIi => "Schedule II",
            Self::ScheduleI => "Schedule I",
        }
    }

    /// List I and List II chemicals are "listed chemicals" (21 CFR 1310.02):
    /// thresholds, Form 486 declarations and suspicious-order reports concern
    /// them, not scheduled substances, whose imports need a permit instead.
    pub fn is_listed_chemical(self) -> bool {
        matches!(self, Self::ListI | Self::ListIi)
    }
}

choice!(
    /// The derivatives a family listing names ("4-AP, its amides, its
    /// carbamates, its halides and its salts").
    Derivative {
        Acetal => "acetal",
        Amide => "amide",
        Carbamate => "carbamate",
        Ester => "ester",
        Halide => "halide",
        Salt => "salt",
    }
);

choice!(
    /// What a table row describes.
    ChemicalKind {
        Precursor => "precursor",
        Drug => "drug",
        Class => "class",
    }
);
