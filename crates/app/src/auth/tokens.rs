//! Access tokens: HS256 JWTs with a pinned algorithm, issuer, audience and
//! type, and a session version that lets the server end a user's sessions.

use chrono::Utc;
use interdict_domain::user::Role;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::AppError;

pub const TOKEN_TYPE: &str = "access";
/// A password accepted, a second factor still due: good only for the
/// second step of signing in, never as a session.
pub const CHALLENGE_TYPE: &str = "mfa_pending";
/// How long the second step may take.
pub const CHALLENGE_TTL_SECONDS: i64 = 300;
/// Clock skew tolerated on `exp` and `iat`, between instances (which
/// share the signing key) and their clocks: small, so an expired token is
/// not good for long after.
pub const LEEWAY_SECONDS: u64 = 30;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Claims {
    pub sub: Uuid,
    pub agency: Uuid,
    pub role: Role,
    pub iat: i64,
    pub exp: i64,
    pub jti: Uuid,
    pub iss: String,
    pub aud: String,
    pub typ: String,
    /// The account's session version when the token was issued.
    pub sv: i64,
    /// How the user authenticated (RFC 8176): `pwd`, then `otp` for a TOTP
    /// code or `rc` for a recovery code.
    #[serde(default)]
    pub amr: Vec<String>,
    /// The account must enrol a second factor before anything else: this
    /// session reaches only enrolment, `/me` and sign-out.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub enrol_only: bool,
}

#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl: chrono::Duration,
}

/// Identity fields a token is issued for.
#[derive(Debug, Clone)]
pub struct Subject {
    pub user_id: Uuid,
    pub agency_id: Uuid,
    pub role: Role,
    pub session_version: i64,
}

impl TokenKeys {
    pub fn new(secret: &[u8], issuer: &str, audience: &str, ttl: chrono::Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iat", "sub", "iss", "aud"]);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_exp = true;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            ttl,
        }
    }

    pub fn ttl(&self) -> chrono::Duration {
        self.ttl
    }

    /// A session token for `subject`, who authenticated by `amr`.
    pub(crate) fn issue(
        &self,
        subject: &Subject,
        amr: &[&str],
        enrol_only: bool,
    ) -> Result<(String, Claims), AppError> {
        self.sign(subject, TOKEN_TYPE, self.ttl.num_seconds(), amr, enrol_only)
    }

    /// The token of a sign-in that still needs its second factor.
    pub(crate) fn issue_challenge(&self, subject: &Subject) -> Result<String, AppError> {
        self.sign(
            subject,
            CHALLENGE_TYPE,
            CHALLENGE_TTL_SECONDS,
            &["pwd"],
            false,
        )
        .map(|(token, _)| token)
    }

    fn sign(
        &self,
        subject: &Subject,
        typ: &str,
        lifetime: i64,
        amr: &[&str],
        enrol_only: bool,
    ) -> Result<(String, Claims), AppError> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: subject.user_id,
            agency: subject.agency_id,
            role: subject.role,
            iat: now,
            exp: now + lifetime,
            jti: Uuid::now_v7(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            typ: typ.to_owned(),
            sv: subject.session_version,
            amr: amr.iter().map(|&m| m.to_owned()).collect(),
            enrol_only,
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map(|token| (token, claims))
            .map_err(|e| AppError::internal(format!("cannot sign token: {e}")))
    }

    /// Checks signature, algorithm, issuer, audience, expiry, type and
    /// lifetime: a token made to live longer than the configured lifetime
    /// (`exp − iat`) was not issued here, whoever holds the key. The
    /// reason is for the audit log only; clients get one uniform 401.
    pub(crate) fn verify(&self, token: &str) -> Result<Claims, String> {
        self.verify_typed(token, TOKEN_TYPE, self.ttl.num_seconds())
    }

    /// Checks a second-step challenge token as [`Self::verify`] checks a
    /// session token.
    pub(crate) fn verify_challenge(&self, token: &str) -> Result<Claims, String> {
        self.verify_typed(token, CHALLENGE_TYPE, CHALLENGE_TTL_SECONDS)
    }

    fn verify_typed(&self, token: &str, typ: &str, lifetime: i64) -> Result<Claims, String> {
        let data = decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| format!("token rejected: {e}"))?;
        let claims = data.claims;
        if claims.typ != typ {
            return Err("token rejected: wrong type".into());
        }
        if claims.iat > Utc::now().timestamp() + LEEWAY_SECONDS as i64 {
            return Err("token rejected: issued in the future".into());
        }
        if claims.exp.saturating_sub(claims.iat) > lifetime {
            return Err("token rejected: lifetime longer than configured".into());
        }
        Ok(claims)
    }
}
