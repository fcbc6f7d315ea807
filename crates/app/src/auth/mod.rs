//! Who is asking: passwords, access tokens, signing in and out, the check
//! every request's token passes, and the pages' form tokens.

pub(crate) mod password;
pub mod tokens;

pub(crate) mod csrf;
mod login;
pub mod mfa;
mod session;
pub(crate) mod throttle;

pub use csrf::{csrf_matches, csrf_token, record_login_form_refusal, record_page_form_refusal};
pub use login::{
    change_own_password, login, login_second_step, logout, ChangePasswordRequest, LoginOutcome,
    LoginRequest, SecondFactorRequest, SignedIn,
};
pub use session::{authenticate, operator, reachable_before_enrolment};
