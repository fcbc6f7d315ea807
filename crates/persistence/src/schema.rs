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
    use diesel::sql_types::*;
    use crate::uuid_type::PortableUuid;

    login_sources (user_id, source) {
        user_id -> PortableUuid,
        source -> Text,
        last_signed_in -> Timestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::uuid_type::PortableUuid;

    login_lockouts (user_id, source) {
        user_id -> PortableUuid,
        source -> Text,
        failed_logins -> Integer,
        locked_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::uuid_type::PortableUuid;

    user_mfa (user_id) {
        user_id -> PortableUuid,
        sealed -> Text,
        confirmed_at -> Nullable<Timestamp>,
        last_step -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::uuid_type::PortableUuid;

    mfa_recovery_codes (user_id, position) {
        user_id -> PortableUuid,
        position -> Integer,
        code_hash -> Text,
        used_at -> Nullable<Timestamp>,
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
    audit_checkpoints (seq) {
        seq -> BigInt,
        head_hash -> Binary,
        created_at -> Timestamp,
        signature -> Binary,
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

diesel::table! {
    use diesel::sql_types::*;
    use crate::uuid_type::PortableUuid;

    records (id) {
        id -> PortableUuid,
        kind -> Text,
        owner_agency_id -> PortableUuid,
        scope_kind -> Text,
        scope_task_force_id -> Nullable<PortableUuid>,
        version -> BigInt,
        body -> Text,
        search_text -> Text,
        related_text -> Text,
        created_by -> Nullable<PortableUuid>,
        created_at -> Timestamp,
        updated_by -> Nullable<PortableUuid>,
        updated_at -> Timestamp,
        withdrawn_at -> Nullable<Timestamp>,
        withdrawn_by -> Nullable<PortableUuid>,
        withdrawn_reason -> Nullable<Text>,
        reference -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::uuid_type::PortableUuid;

    reference_counters (agency_id, year) {
        agency_id -> PortableUuid,
        year -> Integer,
        last -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::uuid_type::PortableUuid;

    record_versions (record_id, version) {
        record_id -> PortableUuid,
        version -> BigInt,
        change -> Text,
        changed_by -> Nullable<PortableUuid>,
        changed_at -> Timestamp,
        reason -> Nullable<Text>,
        scope -> Text,
        body -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::uuid_type::PortableUuid;

    record_identifiers (record_id, kind, value) {
        record_id -> PortableUuid,
        kind -> Text,
        value -> Text,
        owner_agency_id -> PortableUuid,
        derived -> Bool,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::uuid_type::PortableUuid;

    record_refs (record_id, ref_id, role) {
        record_id -> PortableUuid,
        ref_kind -> Text,
        ref_id -> PortableUuid,
        role -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::uuid_type::PortableUuid;

    chemical_facts (record_id) {
        record_id -> PortableUuid,
        cas -> Text,
        us_control -> Text,
        un_table -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::uuid_type::PortableUuid;

    party_facts (record_id) {
        record_id -> PortableUuid,
        party_kind -> Text,
        country -> Nullable<Text>,
        name_key -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::uuid_type::PortableUuid;

    imports (id) {
        id -> PortableUuid,
        agency_id -> PortableUuid,
        user_id -> Nullable<PortableUuid>,
        file_name -> Text,
        state -> Text,
        rows_read -> BigInt,
        imported -> BigInt,
        duplicates -> BigInt,
        rejected -> BigInt,
        error -> Nullable<Text>,
        created_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        accepted -> BigInt,
        settled -> BigInt,
        accepted_at -> Nullable<Timestamp>,
        heartbeat_at -> Nullable<Timestamp>,
        read_digest -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::uuid_type::PortableUuid;

    import_lines (id) {
        id -> BigInt,
        import_id -> PortableUuid,
        owner_agency_id -> PortableUuid,
        line_key -> Text,
        row_number -> BigInt,
        cells -> Text,
        settled -> Bool,
        lease_owner -> Nullable<PortableUuid>,
        lease_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::uuid_type::PortableUuid;

    import_rejections (import_id, row_number, field) {
        import_id -> PortableUuid,
        row_number -> BigInt,
        field -> Text,
        reason -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::uuid_type::PortableUuid;

    import_keys (owner_agency_id, line_key) {
        owner_agency_id -> PortableUuid,
        line_key -> Text,
        shipment_id -> PortableUuid,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::uuid_type::PortableUuid;

    equipment_facts (record_id) {
        record_id -> PortableUuid,
        equipment_kind -> Text,
        markings_removed -> Bool,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::uuid_type::PortableUuid;

    die_mold_facts (record_id) {
        record_id -> PortableUuid,
        shape -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::uuid_type::PortableUuid;

    shipment_facts (record_id) {
        record_id -> PortableUuid,
        incident_type -> Text,
        status -> Text,
        mode -> Text,
        origin_country -> Text,
        destination_country -> Text,
        destination_subdivision -> Nullable<Text>,
        shipped_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::uuid_type::PortableUuid;

    risk_findings (record_id) {
        record_id -> PortableUuid,
        findings -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::uuid_type::PortableUuid;

    deconfliction_notices (id) {
        id -> PortableUuid,
        agency_id -> PortableUuid,
        record_id -> PortableUuid,
        other_agency_id -> PortableUuid,
        identifier_kind -> Text,
        identifier_value -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(record_versions -> records (record_id));
diesel::joinable!(record_identifiers -> records (record_id));
diesel::joinable!(chemical_facts -> records (record_id));
diesel::joinable!(party_facts -> records (record_id));
diesel::joinable!(equipment_facts -> records (record_id));
diesel::joinable!(die_mold_facts -> records (record_id));
diesel::joinable!(shipment_facts -> records (record_id));
diesel::joinable!(risk_findings -> records (record_id));

diesel::table! {
    use diesel::sql_types::*;
    use crate::uuid_type::PortableUuid;

    links (id) {
        id -> PortableUuid,
        from_shipment_id -> PortableUuid,
        to_shipment_id -> PortableUuid,
        relation -> Text,
        evidence -> Text,
        owner_agency_id -> PortableUuid,
        created_by -> PortableUuid,
        created_at -> Timestamp,
        withdrawn_at -> Nullable<Timestamp>,
        withdrawn_by -> Nullable<PortableUuid>,
        withdrawn_reason -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::uuid_type::PortableUuid;

    link_suggestion_decisions (shipment_id, candidate_id) {
        shipment_id -> PortableUuid,
        candidate_id -> PortableUuid,
        decision -> Text,
        decided_by -> PortableUuid,
        decided_at -> Timestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::uuid_type::PortableUuid;

    flags (id) {
        id -> PortableUuid,
        shipment_id -> PortableUuid,
        owner_agency_id -> PortableUuid,
        state -> Text,
        reason -> Text,
        score -> Double,
        indicators -> Text,
        raised_by -> Nullable<PortableUuid>,
        raised_at -> Timestamp,
        assigned_to -> Nullable<PortableUuid>,
        escalated_to -> Nullable<PortableUuid>,
        version -> BigInt,
        updated_at -> Timestamp,
        merged_into -> Nullable<PortableUuid>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::uuid_type::PortableUuid;

    flag_transitions (flag_id, version) {
        flag_id -> PortableUuid,
        version -> BigInt,
        action -> Text,
        from_state -> Nullable<Text>,
        to_state -> Text,
        by_user -> Nullable<PortableUuid>,
        at -> Timestamp,
        reason -> Nullable<Text>,
        detail -> Nullable<Text>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    task_forces,
    task_force_members,
    revoked_tokens,
    login_sources,
    login_lockouts,
    user_mfa,
    mfa_recovery_codes,
    settings,
    audit_entries,
    audit_head,
    audit_checkpoints,
    records,
    record_versions,
    record_identifiers,
    record_refs,
    chemical_facts,
    party_facts,
    imports,
    import_rejections,
    import_keys,
    import_lines,
    equipment_facts,
    die_mold_facts,
    shipment_facts,
    risk_findings,
    deconfliction_notices,
    agencies,
    users,
    links,
    link_suggestion_decisions,
    flags,
    flag_transitions,
    party_match_keys,
    party_judgements,
);

diesel::table! {
    use diesel::sql_types::*;
    use crate::uuid_type::PortableUuid;

    party_match_keys (match_key, party_id) {
        match_key -> Text,
        party_id -> PortableUuid,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::uuid_type::PortableUuid;

    party_judgements (party_a, party_b) {
        party_a -> PortableUuid,
        party_b -> PortableUuid,
        decision -> Text,
        note -> Text,
        judged_by -> PortableUuid,
        judged_at -> Timestamp,
    }
}
