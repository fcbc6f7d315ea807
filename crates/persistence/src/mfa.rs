//! The second factor of each account: its sealed TOTP secret (the
//! application seals and opens it; this module never sees it in the
//! clear), whether it is confirmed, the last time step accepted, and the
//! single-use recovery codes as hashes. And whether MFA is required, per
//! agency or everywhere (in `settings`).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use uuid::Uuid;

use crate::schema::{mfa_recovery_codes, user_mfa};
use crate::{settings, DbConnection, DbUuid, Result};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = user_mfa)]
pub struct MfaRow {
    pub user_id: DbUuid,
    pub sealed: String,
    pub confirmed_at: Option<NaiveDateTime>,
    pub last_step: i64,
    pub created_at: NaiveDateTime,
}

impl MfaRow {
    pub fn active(&self) -> bool {
        self.confirmed_at.is_some()
    }
}

pub fn find(conn: &mut DbConnection, user: Uuid) -> Result<Option<MfaRow>> {
    Ok(user_mfa::table
        .find(DbUuid(user))
        .select(MfaRow::as_select())
        .get_result(conn)
        .optional()?)
}

/// Starts (or restarts) an enrolment that is not yet confirmed.
pub fn start(conn: &mut DbConnection, user: Uuid, sealed: &str, at: NaiveDateTime) -> Result<()> {
    reset(conn, user)?;
    diesel::insert_into(user_mfa::table)
        .values((
            user_mfa::user_id.eq(DbUuid(user)),
            user_mfa::sealed.eq(sealed),
            user_mfa::confirmed_at.eq(None::<NaiveDateTime>),
            user_mfa::last_step.eq(0_i64),
            user_mfa::created_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Activates the enrolment with the time step of the code that confirmed
/// it, and stores the recovery codes' hashes (position 1, 2, …).
pub fn confirm(
    conn: &mut DbConnection,
    user: Uuid,
    step: i64,
    at: NaiveDateTime,
    code_hashes: &[String],
) -> Result<bool> {
    let updated = diesel::update(
        user_mfa::table
            .find(DbUuid(user))
            .filter(user_mfa::confirmed_at.is_null()),
    )
    .set((
        user_mfa::confirmed_at.eq(Some(at)),
        user_mfa::last_step.eq(step),
    ))
    .execute(conn)?;
    if updated == 0 {
        return Ok(false);
    }
    diesel::delete(mfa_recovery_codes::table.filter(mfa_recovery_codes::user_id.eq(DbUuid(user))))
        .execute(conn)?;
    for (position, hash) in (1..).zip(code_hashes) {
        diesel::insert_into(mfa_recovery_codes::table)
            .values((
                mfa_recovery_codes::user_id.eq(DbUuid(user)),
                mfa_recovery_codes::position.eq(position),
                mfa_recovery_codes::code_hash.eq(hash),
                mfa_recovery_codes::used_at.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)?;
    }
    Ok(true)
}

/// Accepts TOTP time step `step` if it is later than any accepted before,
/// so a code (even one seen over a shoulder) works once. Atomic: of two
/// concurrent sign-ins with one code, one wins.
pub fn accept_step(conn: &mut DbConnection, user: Uuid, step: i64) -> Result<bool> {
    Ok(diesel::update(
        user_mfa::table
            .find(DbUuid(user))
            .filter(user_mfa::confirmed_at.is_not_null())
            .filter(user_mfa::last_step.lt(step)),
    )
    .set(user_mfa::last_step.eq(step))
    .execute(conn)?
        > 0)
}

/// The hash of unused recovery code `position`.
pub fn recovery_code(conn: &mut DbConnection, user: Uuid, position: i32) -> Result<Option<String>> {
    Ok(mfa_recovery_codes::table
        .find((DbUuid(user), position))
        .filter(mfa_recovery_codes::used_at.is_null())
        .select(mfa_recovery_codes::code_hash)
        .get_result(conn)
        .optional()?)
}

/// Spends recovery code `position`; false if it was already spent.
pub fn use_recovery_code(
    conn: &mut DbConnection,
    user: Uuid,
    position: i32,
    at: NaiveDateTime,
) -> Result<bool> {
    Ok(diesel::update(
        mfa_recovery_codes::table
            .find((DbUuid(user), position))
            .filter(mfa_recovery_codes::used_at.is_null()),
    )
    .set(mfa_recovery_codes::used_at.eq(Some(at)))
    .execute(conn)?
        > 0)
}

pub fn unused_recovery_codes(conn: &mut DbConnection, user: Uuid) -> Result<i64> {
    Ok(mfa_recovery_codes::table
        .filter(mfa_recovery_codes::user_id.eq(DbUuid(user)))
        .filter(mfa_recovery_codes::used_at.is_null())
        .count()
        .get_result(conn)?)
}

/// Removes the account's second factor and recovery codes. Returns
/// whether it had an active one.
pub fn reset(conn: &mut DbConnection, user: Uuid) -> Result<bool> {
    let had = find(conn, user)?.is_some_and(|row| row.active());
    diesel::delete(mfa_recovery_codes::table.filter(mfa_recovery_codes::user_id.eq(DbUuid(user))))
        .execute(conn)?;
    diesel::delete(user_mfa::table.find(DbUuid(user))).execute(conn)?;
    Ok(had)
}

const EVERYWHERE: &str = "mfa.required_everywhere";

fn agency_key(agency: Uuid) -> String {
    format!("mfa.required.agency.{agency}")
}

/// Whether accounts of `agency` must use a second factor: the agency
/// requires it, or the installation does.
pub fn required_for(conn: &mut DbConnection, agency: Uuid) -> Result<bool> {
    Ok(required_everywhere(conn)?
        || settings::get(conn, &agency_key(agency))?.as_deref() == Some("true"))
}

pub fn required_everywhere(conn: &mut DbConnection) -> Result<bool> {
    Ok(settings::get(conn, EVERYWHERE)?.as_deref() == Some("true"))
}

pub fn agency_requires(conn: &mut DbConnection, agency: Uuid) -> Result<bool> {
    Ok(settings::get(conn, &agency_key(agency))?.as_deref() == Some("true"))
}

pub fn set_required_everywhere(conn: &mut DbConnection, required: bool) -> Result<()> {
    settings::set(conn, EVERYWHERE, if required { "true" } else { "false" })
}

pub fn set_agency_requires(conn: &mut DbConnection, agency: Uuid, required: bool) -> Result<()> {
    settings::set(
        conn,
        &agency_key(agency),
        if required { "true" } else { "false" },
    )
}
