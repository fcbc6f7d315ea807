//! The second factor: TOTP (RFC 6238, 6 digits, 30-second steps, one
//! step of skew) and ten single-use recovery codes.
//!
//! Secrets: the TOTP secret is shown once, at enrolment, and stored sealed
//! (XORed with an HMAC-SHA256 keystream under a key derived from the token
//! key, with a random nonce and an HMAC tag), so a copy of the database
//! alone does not yield it; it is never logged, audited or answered again.
//! Recovery codes are stored as Argon2id hashes. A code, once accepted, is
//! never accepted again (the last time step is kept).

use chrono::NaiveDateTime;
use hmac::{Hmac, Mac};
use interdict_domain::audit::{AuditAction, Outcome};
use interdict_domain::policy::{self, MfaScope};
use interdict_persistence::{agencies, logins, mfa, users, DbConnection};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use totp_rs::{Algorithm, TOTP};
use utoipa::ToSchema;
use uuid::Uuid;

use super::login::{check_throttle, count_failure, source_of, throttle_keys};
use super::password;
use crate::context::Ctx;
use crate::error::AppError;

const ISSUER: &str = "Interdict";
const DIGITS: usize = 6;
const STEP_SECONDS: u64 = 30;
const SECRET_BYTES: usize = 20;
pub const RECOVERY_CODES: i32 = 10;
/// Recovery code characters: lower-case letters and digits without the
/// look-alikes (i, l, o, u), 32 of them, so each carries 5 bits.
const RECOVERY_ALPHABET: &[u8] = b"0123456789abcdefghjkmnpqrstvwxyz";

type HmacSha256 = Hmac<Sha256>;

fn keyed(key: &[u8]) -> HmacSha256 {
    match HmacSha256::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of every length"),
    }
}

/// The sealing key, derived from the token secret for this one purpose.
pub(crate) fn seal_key(secret: &[u8]) -> Vec<u8> {
    let mut mac = keyed(secret);
    mac.update(b"interdict totp secrets");
    mac.finalize().into_bytes().to_vec()
}

fn keystream(key: &[u8], nonce: &[u8], user: Uuid) -> Vec<u8> {
    let mut mac = keyed(key);
    mac.update(b"pad");
    mac.update(nonce);
    mac.update(user.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

fn tag(key: &[u8], nonce: &[u8], user: Uuid, sealed: &[u8]) -> HmacSha256 {
    let mut mac = keyed(key);
    mac.update(b"tag");
    mac.update(nonce);
    mac.update(user.as_bytes());
    mac.update(sealed);
    mac
}

/// Seals `secret` (at most 32 bytes) for `user`: `v1.<nonce>.<sealed>.<tag>`.
pub(crate) fn seal(key: &[u8], user: Uuid, secret: &[u8]) -> String {
    let mut nonce = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let pad = keystream(key, &nonce, user);
    let sealed: Vec<u8> = secret.iter().zip(pad).map(|(s, p)| s ^ p).collect();
    let tag = tag(key, &nonce, user, &sealed).finalize().into_bytes();
    format!(
        "v1.{}.{}.{}",
        hex::encode(nonce),
        hex::encode(&sealed),
        hex::encode(tag)
    )
}

/// Opens what [`seal`] sealed for the same user under the same key.
pub(crate) fn open(key: &[u8], user: Uuid, stored: &str) -> Result<Vec<u8>, AppError> {
    let corrupt = || AppError::internal(format!("the second factor of user {user} is unreadable"));
    let mut parts = stored.split('.');
    let (Some("v1"), Some(nonce), Some(sealed), Some(sent_tag), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(corrupt());
    };
    let (nonce, sealed, sent_tag) = (
        hex::decode(nonce).map_err(|_| corrupt())?,
        hex::decode(sealed).map_err(|_| corrupt())?,
        hex::decode(sent_tag).map_err(|_| corrupt())?,
    );
    tag(key, &nonce, user, &sealed)
        .verify_slice(&sent_tag)
        .map_err(|_| corrupt())?;
    let pad = keystream(key, &nonce, user);
    Ok(sealed.iter().zip(pad).map(|(s, p)| s ^ p).collect())
}

fn totp(secret: Vec<u8>, username: &str) -> Result<TOTP, AppError> {
    TOTP::new(
        Algorithm::SHA1,
        DIGITS,
        1,
        STEP_SECONDS,
        secret,
        Some(ISSUER.to_owned()),
        username.to_owned(),
    )
    .map_err(|e| AppError::internal(format!("TOTP setup failed: {e}")))
}

fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The time step whose code `code` is, at `unix_seconds` or one step
/// either side.
fn matching_step(totp: &TOTP, code: &str, unix_seconds: i64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let current = unix_seconds.div_euclid(STEP_SECONDS as i64);
    [current, current - 1, current + 1]
        .into_iter()
        .find(|&step| {
            u64::try_from(step)
                .is_ok_and(|s| same(totp.generate(s * STEP_SECONDS).as_bytes(), code.as_bytes()))
        })
}

/// New recovery codes, `<position>-xxxxx-xxxxx` (50 random bits each).
fn new_recovery_codes() -> Vec<String> {
    (1..=RECOVERY_CODES)
        .map(|position| {
            let mut bytes = [0u8; 10];
            rand::rngs::OsRng.fill_bytes(&mut bytes);
            let chars: String = bytes
                .iter()
                .map(|b| RECOVERY_ALPHABET[usize::from(b % 32)] as char)
                .collect();
            format!("{position}-{}-{}", &chars[..5], &chars[5..])
        })
        .collect()
}

/// A recovery code as typed: its position and the secret part, which is
/// what is hashed.
fn parse_recovery_code(code: &str) -> Option<(i32, String)> {
    let code = code.trim().to_ascii_lowercase();
    let (position, rest) = code.split_once('-')?;
    let position: i32 = position.parse().ok()?;
    let secret: String = rest.chars().filter(|c| !matches!(c, '-' | ' ')).collect();
    ((1..=RECOVERY_CODES).contains(&position) && secret.len() == 10).then_some((position, secret))
}

/// A second-factor code checked against the account, before it is spent.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Checked {
    Totp(i64),
    Recovery(i32),
    Wrong,
}

impl Checked {
    /// The `amr` value of the method (RFC 8176 `otp`; `rc` for a recovery
    /// code).
    pub(crate) fn method(self) -> &'static str {
        match self {
            Checked::Recovery(_) => "rc",
            _ => "otp",
        }
    }
}

/// Checks `code` (a TOTP code or a recovery code) for `user`, whose
/// active second factor is `row`. Nothing is spent yet: see [`spend`].
pub(crate) async fn check_code(
    ctx_app: &crate::App,
    user: Uuid,
    username: &str,
    row: &mfa::MfaRow,
    code: &str,
) -> Result<Checked, AppError> {
    if let Some((position, secret)) = parse_recovery_code(code) {
        let stored = ctx_app
            .db
            .run(move |conn| mfa::recovery_code(conn, user, position).map_err(AppError::from))
            .await?;
        let ok = password::verify_blocking(secret, stored.clone()).await? && stored.is_some();
        return Ok(if ok {
            Checked::Recovery(position)
        } else {
            Checked::Wrong
        });
    }
    let secret = open(&ctx_app.keys.mfa, user, &row.sealed)?;
    let totp = totp(secret, username)?;
    Ok(matching_step(&totp, code, ctx_app.now().timestamp()).map_or(Checked::Wrong, Checked::Totp))
}

/// Spends a checked code in the caller's transaction: a TOTP step only if
/// later than the last accepted, a recovery code only if unused. False if
/// it was wrong or already spent.
pub(crate) fn spend(
    conn: &mut DbConnection,
    user: Uuid,
    checked: Checked,
    at: NaiveDateTime,
) -> Result<bool, AppError> {
    Ok(match checked {
        Checked::Totp(step) => mfa::accept_step(conn, user, step)?,
        Checked::Recovery(position) => mfa::use_recovery_code(conn, user, position, at)?,
        Checked::Wrong => false,
    })
}

/// The caller's second factor.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MfaStatus {
    /// A second factor is active: sign-in asks for a code.
    pub enabled: bool,
    /// The caller's agency, or the installation, requires one.
    pub required: bool,
    /// An enrolment was started and awaits its confirming code.
    pub pending: bool,
    pub recovery_codes_left: i64,
}

pub async fn status(ctx: &Ctx) -> Result<MfaStatus, AppError> {
    let actor = ctx.actor()?.clone();
    let (user_id, agency_id) = (actor.user_id, actor.agency_id);
    let found = ctx
        .app
        .db
        .run(move |conn| -> Result<_, AppError> {
            let row = mfa::find(conn, user_id)?;
            Ok(MfaStatus {
                enabled: row.as_ref().is_some_and(mfa::MfaRow::active),
                pending: row.as_ref().is_some_and(|r| !r.active()),
                required: mfa::required_for(conn, agency_id)?,
                recovery_codes_left: mfa::unused_recovery_codes(conn, user_id)?,
            })
        })
        .await;
    ctx.audited(ctx.event_on(AuditAction::UserRead, "user", user_id), found)
        .await
}

/// What an authenticator app needs, shown once.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Enrolment {
    /// The TOTP secret, base32, for typing in by hand.
    pub secret: String,
    /// The same as an `otpauth://` URL, for a QR code.
    pub otpauth_url: String,
}

/// Starts enrolling a second factor: a new secret, shown once, that works
/// only once confirmed with a code from it. Not while one is active (an
/// administrator resets it first).
pub async fn start_enrolment(ctx: &Ctx) -> Result<Enrolment, AppError> {
    let user_id = ctx.actor()?.user_id;
    let event = ctx.event_on(AuditAction::UserMfaEnrol, "user", user_id);
    let (user, row) = ctx
        .app
        .db
        .run(move |conn| -> Result<_, AppError> {
            let user = users::find(conn, user_id)?.ok_or(AppError::NotFound)?;
            Ok((user, mfa::find(conn, user_id)?))
        })
        .await?;
    if row.is_some_and(|r| r.active()) {
        return ctx
            .reject(
                event,
                AppError::Conflict(
                    "a second factor is already active; an administrator can reset it".into(),
                ),
            )
            .await;
    }
    let mut secret = vec![0u8; SECRET_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let sealed = seal(&ctx.app.keys.mfa, user_id, &secret);
    let totp = totp(secret, &user.username)?;
    let at = ctx.now().naive_utc();
    ctx.app
        .audit
        .perform(event, move |conn, _| {
            mfa::start(conn, user_id, &sealed, at).map_err(AppError::from)
        })
        .await?;
    Ok(Enrolment {
        secret: totp.get_secret_base32(),
        otpauth_url: totp.get_url(),
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmEnrolmentRequest {
    /// The current 6-digit code from the authenticator app.
    #[schema(example = "123456")]
    pub code: String,
}

/// The recovery codes, shown once.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecoveryCodes {
    /// Each works once, instead of a code, when the authenticator is lost.
    pub recovery_codes: Vec<String>,
}

/// Confirms an enrolment with a code from the new secret; the second factor
/// is active from then on, and ten recovery codes are issued. Wrong codes
/// count toward the throttle like wrong passwords.
pub async fn confirm_enrolment(
    ctx: &Ctx,
    request: ConfirmEnrolmentRequest,
) -> Result<RecoveryCodes, AppError> {
    let user_id = ctx.actor()?.user_id;
    let event = ctx.event_on(AuditAction::UserMfaConfirm, "user", user_id);
    let (user, row) = ctx
        .app
        .db
        .run(move |conn| -> Result<_, AppError> {
            let user = users::find(conn, user_id)?.ok_or(AppError::NotFound)?;
            Ok((user, mfa::find(conn, user_id)?))
        })
        .await?;
    let Some(row) = row.filter(|r| !r.active()) else {
        return ctx
            .reject(
                event,
                AppError::Conflict("no enrolment is waiting for confirmation".into()),
            )
            .await;
    };
    let source = source_of(&ctx.caller().meta);
    let keys = throttle_keys(&source, &user.username, false);
    check_throttle(&ctx.app, &keys, event.clone()).await?;
    let secret = open(&ctx.app.keys.mfa, user_id, &row.sealed)?;
    let totp = totp(secret, &user.username)?;
    let Some(step) = matching_step(&totp, &request.code, ctx.now().timestamp()) else {
        ctx.app.throttle.failed(&keys, ctx.now());
        return ctx
            .reject(
                event,
                AppError::invalid("code", "is not the current code of the new secret"),
            )
            .await;
    };
    let codes = new_recovery_codes();
    let mut hashes = Vec::with_capacity(codes.len());
    for code in &codes {
        let secret = parse_recovery_code(code)
            .map(|(_, secret)| secret)
            .ok_or_else(|| AppError::internal("a generated recovery code does not parse"))?;
        hashes.push(password::hash_blocking(secret).await?);
    }
    let at = ctx.now().naive_utc();
    ctx.app
        .audit
        .perform(event, move |conn, _| {
            if mfa::confirm(conn, user_id, step, at, &hashes)? {
                Ok(())
            } else {
                Err(AppError::Conflict(
                    "no enrolment is waiting for confirmation".into(),
                ))
            }
        })
        .await?;
    Ok(RecoveryCodes {
        recovery_codes: codes,
    })
}

/// Removes a user's second factor (a lost phone), as their agency's
/// administrator or the system administrator; never one's own. If MFA is
/// required, the user's next sign-in reaches only enrolment.
pub async fn reset(ctx: &Ctx, id: Uuid) -> Result<(), AppError> {
    let event = ctx.event_on(AuditAction::UserMfaReset, "user", id);
    let actor = match ctx.actor() {
        Ok(actor) => actor.clone(),
        Err(e) => return ctx.reject(event, e).await,
    };
    if policy::user_directory(&actor) == policy::UserDirectory::Nothing {
        return ctx.reject(event, AppError::Forbidden).await;
    }
    ctx.app
        .audit
        .perform(event, move |conn, event| {
            let user = users::find(conn, id)?.ok_or(AppError::NotFound)?;
            AppError::from_decision(policy::decide_account_recovery(
                &actor,
                user.agency_id.0,
                user.id.0,
            ))?;
            let had = mfa::reset(conn, id)?;
            event.detail = Some(serde_json::json!({ "had_second_factor": had }).to_string());
            Ok(())
        })
        .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaRequirementRequest {
    /// Whether accounts must sign in with a second factor.
    pub required: bool,
}

/// Requires (or stops requiring) a second factor for an agency's accounts,
/// or with `agency` `None` for every account of the installation.
pub async fn set_requirement(
    ctx: &Ctx,
    agency: Option<Uuid>,
    request: MfaRequirementRequest,
) -> Result<(), AppError> {
    let mut event = ctx.event(AuditAction::MfaRequirement);
    match agency {
        Some(id) => {
            event.object_type = Some("agency".into());
            event.object_id = Some(id.to_string());
        }
        None => {
            event.object_type = Some("installation".into());
            event.object_id = Some("*".into());
        }
    }
    event.detail = Some(serde_json::json!({ "required": request.required }).to_string());
    let actor = match ctx.actor() {
        Ok(actor) => actor.clone(),
        Err(e) => return ctx.reject(event, e).await,
    };
    let scope = agency.map_or(MfaScope::Everywhere, MfaScope::Agency);
    if let Err(e) = AppError::from_decision(policy::decide_mfa_requirement(&actor, scope)) {
        return ctx.reject(event, e).await;
    }
    let required = request.required;
    ctx.app
        .audit
        .perform(event, move |conn, _| match agency {
            Some(id) => {
                agencies::find(conn, id)?.ok_or(AppError::NotFound)?;
                mfa::set_agency_requires(conn, id, required).map_err(AppError::from)
            }
            None => mfa::set_required_everywhere(conn, required).map_err(AppError::from),
        })
        .await
}

/// The second-factor part of the sign-in audit detail and lockout: counts
/// a wrong or spent code like a wrong password.
pub(crate) fn refuse_code(
    conn: &mut DbConnection,
    user: Uuid,
    source: &str,
    known_source: bool,
    at: NaiveDateTime,
) -> Result<String, AppError> {
    count_failure(
        conn,
        user,
        source,
        known_source,
        "wrong or used second-factor code",
        at,
    )
}

/// Whether `user` has signed in from `source` before.
pub(crate) fn known(conn: &mut DbConnection, user: Uuid, source: &str) -> Result<bool, AppError> {
    Ok(logins::is_known_source(conn, user, source)?)
}

/// Marks an audit event of a refused second step.
pub(crate) fn denied(event: &mut interdict_domain::audit::AuditEvent, reason: &str) {
    event.outcome = Outcome::Denied;
    event.detail =
        Some(serde_json::json!({ "reason": reason, "step": "second factor" }).to_string());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_for_their_user_and_key() {
        let key = seal_key(b"a token secret");
        let user = Uuid::now_v7();
        let secret = b"0123456789abcdefghij";
        let sealed = seal(&key, user, secret);
        assert!(!sealed.contains(&hex::encode(secret)));
        assert_eq!(open(&key, user, &sealed).unwrap(), secret);
        assert_ne!(seal(&key, user, secret), sealed, "a fresh nonce each time");
        assert!(open(&key, Uuid::now_v7(), &sealed).is_err());
        assert!(open(&seal_key(b"another secret"), user, &sealed).is_err());
        assert!(open(&key, user, "v1.00.00.00").is_err());
        assert!(open(&key, user, "garbage").is_err());
    }

    #[test]
    fn totp_codes_match_their_step_and_its_neighbours_only() {
        // RFC 6238 appendix B, SHA-1, truncated to 6 digits.
        let totp = totp(b"12345678901234567890".to_vec(), "jdoe").unwrap();
        assert_eq!(totp.generate(59), "287082");
        assert_eq!(matching_step(&totp, "287082", 59), Some(1));
        assert_eq!(matching_step(&totp, "287 082", 59), Some(1));
        assert_eq!(matching_step(&totp, "287082", 89), Some(1));
        assert_eq!(matching_step(&totp, "287082", 150), None);
        assert_eq!(matching_step(&totp, "28708", 59), None);
        assert_eq!(matching_step(&totp, "abcdef", 59), None);
    }

    #[test]
    fn recovery_codes_parse_as_typed() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES as usize);
        for (i, code) in codes.iter().enumerate() {
            let (position, secret) = parse_recovery_code(code).unwrap();
            assert_eq!(position, i as i32 + 1);
            assert_eq!(secret.len(), 10);
            assert_eq!(
                parse_recovery_code(&format!(" {} ", code.to_uppercase())),
                Some((position, secret))
            );
        }
        assert_eq!(parse_recovery_code("123456"), None);
        assert_eq!(parse_recovery_code("11-abcde-fghjk"), None);
        assert_eq!(parse_recovery_code("0-abcde-fghjk"), None);
    }
}
