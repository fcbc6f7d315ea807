//! Access tokens: HS256 JWTs with a pinned algorithm, issuer, audience and
//! type, and a session version that lets the server end a user's sessions.

use chrono::Utc;
use interdict_domain::user::Role;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::AppError;

pub const TOKEN_TYPE: &str = "access";
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

    pub(crate) fn issue(&self, subject: &Subject) -> Result<(String, Claims), AppError> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: subject.user_id,
            agency: subject.agency_id,
            role: subject.role,
            iat: now,
            exp: now + self.ttl.num_seconds(),
            jti: Uuid::now_v7(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            typ: TOKEN_TYPE.to_owned(),
            sv: subject.session_version,
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
        let data = decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| format!("token rejected: {e}"))?;
        let claims = data.claims;
        if claims.typ != TOKEN_TYPE {
            return Err("token rejected: wrong type".into());
        }
        if claims.iat > Utc::now().timestamp() + LEEWAY_SECONDS as i64 {
            return Err("token rejected: issued in the future".into());
        }
        if claims.exp.saturating_sub(claims.iat) > self.ttl.num_seconds() {
            return Err("token rejected: lifetime longer than configured".into());
        }
        Ok(claims)
    }
}
