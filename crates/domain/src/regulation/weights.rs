//! How much each regulatory finding weighs: per control tier for the
//! chemical itself, and per indicator for the rest. The application's
//! `[risk]` configuration section fills this; the defaults are the law's
//! order of gravity.

use serde::Serialize;

use super::findings::{RegulatoryCode, RegulatoryFinding};
use super::tier::Tier;

/// Weights of the regulatory findings. A chemical line weighs its tier's
/// weight times a factor for its quantity; an uncontrolled line weighs 0.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RegulatoryWeights {
    pub schedule_i: f64,
    pub schedule_ii: f64,
    pub schedule_ii_immediate_precursor: f64,
    pub list_i: f64,
    pub list_ii: f64,
    pub threshold_exceeded: f64,
    pub cumulative_threshold: f64,
    pub unlisted_family_member: f64,
    pub counterfeit_pill: f64,
    pub missing_dea_notice: f64,
    pub late_dea_notice: f64,
}

impl Default for RegulatoryWeights {
    /// With the auto-flag threshold of 60: any quantity of a scheduled
    /// substance (ANPP, norfentanyl, fentanyl) is flagged on its own; a List I
    /// chemical needs ten times its threshold (or, without a threshold,
    /// 10 kg) or another sign; a List II solvent below its threshold weighs
    /// almost nothing, so solvent traffic does not fill the queue.
    fn default() -> Self {
        Self {
            schedule_i: 60.0,
            schedule_ii: 60.0,
            schedule_ii_immediate_precursor: 60.0,
            list_i: 35.0,
            list_ii: 12.0,
            threshold_exceeded: 15.0,
            cumulative_threshold: 20.0,
            unlisted_family_member: 10.0,
            counterfeit_pill: 60.0,
            missing_dea_notice: 30.0,
            late_dea_notice: 15.0,
        }
    }
}

impl RegulatoryWeights {
    pub fn tier(&self, tier: Tier) -> f64 {
        match tier {
            Tier::ScheduleI => self.schedule_i,
            Tier::ScheduleIi => self.schedule_ii,
            Tier::ScheduleIiImmediatePrecursor => self.schedule_ii_immediate_precursor,
            Tier::ListI => self.list_i,
            Tier::ListIi => self.list_ii,
        }
    }

    /// The weight of one finding: its base weight times its factor.
    pub fn weight(&self, finding: &RegulatoryFinding) -> f64 {
        let base = match finding.code {
            RegulatoryCode::ControlledChemical => finding.tier.map_or(0.0, |t| self.tier(t)),
            RegulatoryCode::ThresholdExceeded => self.threshold_exceeded,
            RegulatoryCode::CumulativeThreshold => self.cumulative_threshold,
            RegulatoryCode::UnlistedFamilyMember => self.unlisted_family_member,
            RegulatoryCode::CounterfeitPill => self.counterfeit_pill,
            RegulatoryCode::MissingDeaNotice => self.missing_dea_notice,
            RegulatoryCode::LateDeaNotice => self.late_dea_notice,
        };
        base * finding.factor
    }

    /// Refuses weights that would make the score meaningless.
    pub fn check(&self) -> Result<(), String> {
        let all = [
            ("schedule_i", self.schedule_i),
            ("schedule_ii", self.schedule_ii),
            (
                "schedule_ii_immediate_precursor",
                self.schedule_ii_immediate_precursor,
            ),
            ("list_i", self.list_i),
            ("list_ii", self.list_ii),
            ("threshold_exceeded", self.threshold_exceeded),
            ("cumulative_threshold", self.cumulative_threshold),
            ("unlisted_family_member", self.unlisted_family_member),
            ("counterfeit_pill", self.counterfeit_pill),
            ("missing_dea_notice", self.missing_dea_notice),
            ("late_dea_notice", self.late_dea_notice),
        ];
        match all.iter().find(|(_, w)| !(w.is_finite() && *w >= 0.0)) {
            Some((name, w)) => Err(format!("{name} = {w} must be a number of 0 or more")),
            None => Ok(()),
        }
    }
}
