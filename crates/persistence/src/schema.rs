//! Table definitions, written by hand to use the portable UUID type.

diesel::table! {
    use diesel::sql_types::*;
    use crate::uuid_type::PortableUuid;

    agencies (id) {
        id -> PortableUuid,
        name -> Text,
        level -> Text,
        jurisdiction -> Text,
        ori -> Text,
        contact -> Text,
        is_system -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::uuid_type::PortableUuid;

    task_forces (id) {
        id -> PortableUuid,
        name -> Text,
        description -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::uuid_type::PortableUuid;

    task_force_members (task_force_id, agency_id) {
        task_force_id -> PortableUuid,
        agency_id -> PortableUuid,
        added_at -> Timestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::uuid_type::PortableUuid;

    users (id) {
        id -> PortableUuid,
        agency_id -> PortableUuid,
        username -> Text,
        display_name -> Text,
        role -> Text,
        active -> Bool,
        password_hash -> Text,
        session_version -> BigInt,
        failed_logins -> Integer,
        locked_until -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::uuid_type::PortableUuid;

    revoked_tokens (jti) {
        jti -> PortableUuid,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    settings (key) {
        key -> Text,
        value -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::uuid_type::PortableUuid;

    audit_entries (seq) {
        seq -> BigInt,
        occurred_at -> Timestamp,
        user_id -> Nullable<PortableUuid>,
        agency_id -> Nullable<PortableUuid>,
        role -> Nullable<Text>,
        action -> Text,
        object_type -> Nullable<Text>,
        object_id -> Nullable<Text>,
        outcome -> Text,
        request_id -> Nullable<Text>,
        source -> Nullable<Text>,
        detail -> Nullable<Text>,
        prev_hash -> Binary,
        hash -> Binary,
    }
}

diesel::table! {
    audit_head (id) {
        id -> SmallInt,
        seq -> BigInt,
        hash -> Binary,
    }
}

diesel::joinable!(users -> agencies (agency_id));
diesel::joinable!(task_force_members -> agencies (agency_id));
diesel::joinable!(task_force_members -> task_forces (task_force_id));

diesel::allow_tables_to_appear_in_same_query!(
    agencies,
    task_forces,
    task_force_members,
    users,
    revoked_tokens,
    settings,
    audit_entries,
    audit_head,
);
