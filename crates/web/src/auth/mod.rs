//! Authentication: password hashing, access tokens, and the extractor that
//! turns a bearer token into a checked caller.

pub mod caller;
pub mod password;
pub mod token;

pub use caller::Caller;
