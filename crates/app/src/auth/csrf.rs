//! The pages' form tokens. A signed-in page's forms carry a token derived
//! from its session's token id; the login form, before there is a session,
//! repeats a random value from a cookie (double submit). A form without
//! its token is refused, and the refusal audited, here.

use hmac::{Hmac, Mac};
use interdict_domain::audit::{AuditAction, Outcome};
use sha2::Sha256;
use uuid::Uuid;

use crate::context::{App, Ctx, RequestMeta};
use crate::error::AppError;

/// The key for form tokens, derived from the token secret so that forms
/// stay valid across restarts exactly as long as their session does.
pub(crate) fn form_key(secret: &[u8]) -> Vec<u8> {
    let mut mac = keyed(secret);
    mac.update(b"interdict page forms");
    mac.finalize().into_bytes().to_vec()
}

fn keyed(key: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length.
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of every length"),
    }
}

/// The form token of one session (one access token id).
pub fn csrf_token(app: &App, jti: Uuid) -> String {
    token_under(&app.keys.forms, jti)
}

fn token_under(key: &[u8], jti: Uuid) -> String {
    let mut mac = keyed(key);
    mac.update(jti.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Whether `sent` is the form token of session `jti`.
pub fn csrf_matches(app: &App, jti: Uuid, sent: &str) -> bool {
    matches_under(&app.keys.forms, jti, sent)
}

fn matches_under(key: &[u8], jti: Uuid, sent: &str) -> bool {
    let Ok(sent) = hex::decode(sent) else {
        return false;
    };
    let mut mac = keyed(key);
    mac.update(jti.as_bytes());
    mac.verify_slice(&sent).is_ok()
}

/// Records a signed-in page's form refused for its missing or wrong token.
pub async fn record_page_form_refusal(ctx: &Ctx, path: &str) -> Result<(), AppError> {
    let mut event = ctx.event_on(AuditAction::PageForm, "route", path);
    event.outcome = Outcome::Denied;
    event.detail = Some(r#"{"reason":"missing or wrong CSRF token"}"#.into());
    Ok(ctx.app.audit.record(event).await?)
}

/// Records a login form refused for the cookie it did not repeat.
pub async fn record_login_form_refusal(app: &App, meta: RequestMeta) -> Result<(), AppError> {
    let mut event = Ctx::anonymous(app, meta).event(AuditAction::AuthLogin);
    event.outcome = Outcome::Denied;
    event.detail = Some(r#"{"reason":"login form without its CSRF cookie"}"#.into());
    Ok(app.audit.record(event).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csrf_token_belongs_to_one_session_and_one_key() {
        let key = form_key(b"secret one");
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let token = token_under(&key, a);
        assert!(matches_under(&key, a, &token));
        assert!(!matches_under(&key, b, &token));
        assert!(!matches_under(&form_key(b"secret two"), a, &token));
        assert!(!matches_under(&key, a, ""));
        assert!(!matches_under(&key, a, "not hex"));
    }
}
