-- API key owners kept whole (owner JSON): name, email, role and the rest, which the two
-- columns read from them (owner_type, owner_id) left out.
-- project_api_keys: owner added
DROP VIEW project_api_keys;
ALTER TABLE project_api_keys_rows RENAME TO project_api_keys_rows_old;
CREATE TABLE project_api_keys_rows (
    id VARCHAR NOT NULL,
    project_id VARCHAR NOT NULL,
    name VARCHAR,
    redacted_value VARCHAR,
    created_at TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ,
    owner_type VARCHAR,
    owner_id VARCHAR,
    owner_project_access VARCHAR,
    expires_at TIMESTAMPTZ,
    owner JSON,
    source_scenario VARCHAR,
    source_page VARCHAR,
    captured_at TIMESTAMPTZ,
    synced_at TIMESTAMPTZ,
    extra_fields JSON
);
INSERT INTO project_api_keys_rows SELECT id, project_id, name, redacted_value, created_at, last_used_at, owner_type, owner_id, owner_project_access, expires_at, CAST(NULL AS JSON) AS owner, source_scenario, source_page, captured_at, synced_at, extra_fields FROM project_api_keys_rows_old;
DROP TABLE project_api_keys_rows_old;
CREATE VIEW project_api_keys AS SELECT
    md5(
        'project_api_keys'
        || '|' || CASE WHEN id IS NULL THEN '~' ELSE CAST(strlen(id) AS VARCHAR) || ':' || id END
        || '|' || CASE WHEN project_id IS NULL THEN '~' ELSE CAST(strlen(project_id) AS VARCHAR) || ':' || project_id END)
    AS dedupe_key, *
FROM project_api_keys_rows;

-- admin_api_keys: owner added
DROP VIEW admin_api_keys;
ALTER TABLE admin_api_keys_rows RENAME TO admin_api_keys_rows_old;
CREATE TABLE admin_api_keys_rows (
    id VARCHAR NOT NULL,
    name VARCHAR,
    redacted_value VARCHAR,
    created_at TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ,
    owner_type VARCHAR,
    owner_id VARCHAR,
    expires_at TIMESTAMPTZ,
    owner JSON,
    source_scenario VARCHAR,
    source_page VARCHAR,
    captured_at TIMESTAMPTZ,
    synced_at TIMESTAMPTZ,
    extra_fields JSON
);
INSERT INTO admin_api_keys_rows SELECT id, name, redacted_value, created_at, last_used_at, owner_type, owner_id, expires_at, CAST(NULL AS JSON) AS owner, source_scenario, source_page, captured_at, synced_at, extra_fields FROM admin_api_keys_rows_old;
DROP TABLE admin_api_keys_rows_old;
CREATE VIEW admin_api_keys AS SELECT
    md5(
        'admin_api_keys'
        || '|' || CASE WHEN id IS NULL THEN '~' ELSE CAST(strlen(id) AS VARCHAR) || ':' || id END)
    AS dedupe_key, *
FROM admin_api_keys_rows;

