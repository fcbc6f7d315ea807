//! Sanctions lists and screening.
