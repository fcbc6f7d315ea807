//! The risk rules' side of storage: what they need to know about a
//! shipment (its profile, gathered from the records it names), what they
//! found on it (kept beside it), and keeping that current as writes change
//! what it depends on.

mod kept;
mod profile;
mod refresh;

pub use kept::{
    current, find_visible_shipment, of_new, read_shipment, search_kept, ListedShipment,
};
pub use profile::Profiler;
pub(crate) use refresh::{consignors_of, referring};
pub use refresh::{settled, Refresh};
