-- invites, and users' nested user{} and projects{} kept whole as JSON (SDK 3.51.0).

-- users: user, projects added
DROP VIEW users;
ALTER TABLE users_rows RENAME TO users_rows_old;
CREATE TABLE users_rows (
    id VARCHAR NOT NULL,
    name VARCHAR,
    email VARCHAR,
    role VARCHAR,
    added_at TIMESTAMPTZ,
    created TIMESTAMPTZ,
    api_key_last_used_at TIMESTAMPTZ,
    is_default BOOLEAN,
    is_service_account BOOLEAN,
    is_scim_managed BOOLEAN,
    is_scale_tier_authorized_purchaser BOOLEAN,
    technical_level VARCHAR,
    developer_persona VARCHAR,
    user JSON,
    projects JSON,
    source_scenario VARCHAR,
    source_page VARCHAR,
    captured_at TIMESTAMPTZ,
    synced_at TIMESTAMPTZ
);
INSERT INTO users_rows SELECT id, name, email, role, added_at, created, api_key_last_used_at, is_default, is_service_account, is_scim_managed, is_scale_tier_authorized_purchaser, technical_level, developer_persona, CAST(NULL AS JSON) AS user, CAST(NULL AS JSON) AS projects, source_scenario, source_page, captured_at, synced_at FROM users_rows_old;
DROP TABLE users_rows_old;
CREATE VIEW users AS SELECT
    md5(
        'users'
        || '|' || CASE WHEN id IS NULL THEN '~' ELSE CAST(strlen(id) AS VARCHAR) || ':' || id END)
    AS dedupe_key, *
FROM users_rows;

-- invites: a new endpoint
CREATE TABLE invites_rows (
    id VARCHAR NOT NULL,
    email VARCHAR,
    role VARCHAR,
    status VARCHAR,
    created_at TIMESTAMPTZ,
    expires_at TIMESTAMPTZ,
    accepted_at TIMESTAMPTZ,
    projects JSON,
    source_scenario VARCHAR,
    source_page VARCHAR,
    captured_at TIMESTAMPTZ,
    synced_at TIMESTAMPTZ
);
CREATE VIEW invites AS SELECT
    md5(
        'invites'
        || '|' || CASE WHEN id IS NULL THEN '~' ELSE CAST(strlen(id) AS VARCHAR) || ':' || id END)
    AS dedupe_key, *
FROM invites_rows;

