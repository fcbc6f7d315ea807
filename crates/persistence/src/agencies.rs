//! Agencies and task forces.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use interdict_domain::agency::NewAgency;
use uuid::Uuid;

use crate::schema::{agencies, task_force_members, task_forces};
use crate::{now, DbConnection, DbUuid, Result};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = agencies, treat_none_as_default_value = false)]
pub struct AgencyRow {
    pub id: DbUuid,
    pub name: String,
    pub level: String,
    pub jurisdiction: String,
    pub ori: String,
    pub contact: String,
    pub is_system: bool,
    pub created_at: NaiveDateTime,
}

impl AgencyRow {
    pub fn new(agency: &NewAgency, is_system: bool) -> Self {
        Self {
            id: Uuid::now_v7().into(),
            name: agency.name.clone(),
            level: agency.level.as_str().to_owned(),
            jurisdiction: agency.jurisdiction.as_str().to_owned(),
            ori: agency.ori.as_str().to_owned(),
            contact: agency.contact.clone(),
            is_system,
            created_at: now(),
        }
    }
}

pub fn insert(conn: &mut DbConnection, row: &AgencyRow) -> Result<()> {
    diesel::insert_into(agencies::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, id: Uuid) -> Result<Option<AgencyRow>> {
    Ok(agencies::table
        .find(DbUuid(id))
        .select(AgencyRow::as_select())
        .get_result(conn)
        .optional()?)
}

pub fn find_system(conn: &mut DbConnection) -> Result<Option<AgencyRow>> {
    Ok(agencies::table
        .filter(agencies::is_system.eq(true))
        .select(AgencyRow::as_select())
        .get_result(conn)
        .optional()?)
}

/// Agencies ordered by id (creation order), after `cursor`.
pub fn list(conn: &mut DbConnection, cursor: Option<Uuid>, limit: i64) -> Result<Vec<AgencyRow>> {
    let mut query = agencies::table
        .select(AgencyRow::as_select())
        .order(agencies::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(cursor) = cursor {
        query = query.filter(agencies::id.gt(DbUuid(cursor)));
    }
    Ok(query.load(conn)?)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = task_forces, treat_none_as_default_value = false)]
pub struct TaskForceRow {
    pub id: DbUuid,
    pub name: String,
    pub description: String,
    pub created_at: NaiveDateTime,
}

pub fn insert_task_force(conn: &mut DbConnection, row: &TaskForceRow) -> Result<()> {
    diesel::insert_into(task_forces::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find_task_force(conn: &mut DbConnection, id: Uuid) -> Result<Option<TaskForceRow>> {
    Ok(task_forces::table
        .find(DbUuid(id))
        .select(TaskForceRow::as_select())
        .get_result(conn)
        .optional()?)
}

pub fn list_task_forces(
    conn: &mut DbConnection,
    cursor: Option<Uuid>,
    limit: i64,
) -> Result<Vec<TaskForceRow>> {
    let mut query = task_forces::table
        .select(TaskForceRow::as_select())
        .order(task_forces::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(cursor) = cursor {
        query = query.filter(task_forces::id.gt(DbUuid(cursor)));
    }
    Ok(query.load(conn)?)
}

/// Member agency ids of a task force.
pub fn members(conn: &mut DbConnection, task_force: Uuid) -> Result<Vec<Uuid>> {
    Ok(task_force_members::table
        .filter(task_force_members::task_force_id.eq(DbUuid(task_force)))
        .select(task_force_members::agency_id)
        .order(task_force_members::agency_id.asc())
        .load::<DbUuid>(conn)
        .map(|ids| ids.into_iter().map(Uuid::from).collect())?)
}

/// Adds an agency to a task force; returns false if it was already a member.
pub fn add_member(conn: &mut DbConnection, task_force: Uuid, agency: Uuid) -> Result<bool> {
    let exists = diesel::select(diesel::dsl::exists(
        task_force_members::table
            .filter(task_force_members::task_force_id.eq(DbUuid(task_force)))
            .filter(task_force_members::agency_id.eq(DbUuid(agency))),
    ))
    .get_result::<bool>(conn)?;
    if exists {
        return Ok(false);
    }
    diesel::insert_into(task_force_members::table)
        .values((
            task_force_members::task_force_id.eq(DbUuid(task_force)),
            task_force_members::agency_id.eq(DbUuid(agency)),
            task_force_members::added_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(true)
}

/// Removes an agency from a task force; returns false if it was not a member.
pub fn remove_member(conn: &mut DbConnection, task_force: Uuid, agency: Uuid) -> Result<bool> {
    Ok(diesel::delete(
        task_force_members::table
            .filter(task_force_members::task_force_id.eq(DbUuid(task_force)))
            .filter(task_force_members::agency_id.eq(DbUuid(agency))),
    )
    .execute(conn)
    .map(|n| n > 0)?)
}

/// Task forces an agency belongs to, for the access policy.
pub fn task_forces_of(conn: &mut DbConnection, agency: Uuid) -> Result<Vec<Uuid>> {
    Ok(task_force_members::table
        .filter(task_force_members::agency_id.eq(DbUuid(agency)))
        .select(task_force_members::task_force_id)
        .load::<DbUuid>(conn)
        .map(|ids| ids.into_iter().map(Uuid::from).collect())?)
}

pub fn find_by_ori(conn: &mut DbConnection, ori: &str) -> Result<Option<AgencyRow>> {
    Ok(agencies::table
        .filter(agencies::ori.eq(ori))
        .select(AgencyRow::as_select())
        .get_result(conn)
        .optional()?)
}
