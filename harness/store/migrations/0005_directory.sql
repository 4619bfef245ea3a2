-- Directory resources: users, per-project members, service accounts, API keys, certificates.

CREATE TABLE users (
    dedupe_key VARCHAR NOT NULL,
    id VARCHAR NOT NULL,
    name VARCHAR,
    email VARCHAR,
    role VARCHAR,
    added_at TIMESTAMPTZ,
    source_scenario VARCHAR,
    source_page VARCHAR,
    captured_at TIMESTAMPTZ,
    synced_at TIMESTAMPTZ
);

CREATE TABLE project_users (
    dedupe_key VARCHAR NOT NULL,
    id VARCHAR NOT NULL,
    project_id VARCHAR NOT NULL,
    name VARCHAR,
    email VARCHAR,
    role VARCHAR,
    added_at TIMESTAMPTZ,
    source_scenario VARCHAR,
    source_page VARCHAR,
    captured_at TIMESTAMPTZ,
    synced_at TIMESTAMPTZ
);

CREATE TABLE project_service_accounts (
    dedupe_key VARCHAR NOT NULL,
    id VARCHAR NOT NULL,
    project_id VARCHAR NOT NULL,
    name VARCHAR,
    role VARCHAR,
    created_at TIMESTAMPTZ,
    source_scenario VARCHAR,
    source_page VARCHAR,
    captured_at TIMESTAMPTZ,
    synced_at TIMESTAMPTZ
);

CREATE TABLE project_api_keys (
    dedupe_key VARCHAR NOT NULL,
    id VARCHAR NOT NULL,
    project_id VARCHAR NOT NULL,
    name VARCHAR,
    redacted_value VARCHAR,
    created_at TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ,
    owner_type VARCHAR,
    owner_id VARCHAR,
    source_scenario VARCHAR,
    source_page VARCHAR,
    captured_at TIMESTAMPTZ,
    synced_at TIMESTAMPTZ
);

CREATE TABLE admin_api_keys (
    dedupe_key VARCHAR NOT NULL,
    id VARCHAR NOT NULL,
    name VARCHAR,
    redacted_value VARCHAR,
    created_at TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ,
    owner_type VARCHAR,
    owner_id VARCHAR,
    source_scenario VARCHAR,
    source_page VARCHAR,
    captured_at TIMESTAMPTZ,
    synced_at TIMESTAMPTZ
);

CREATE TABLE certificates (
    dedupe_key VARCHAR NOT NULL,
    id VARCHAR NOT NULL,
    name VARCHAR,
    active BOOLEAN,
    created_at TIMESTAMPTZ,
    valid_at TIMESTAMPTZ,
    expires_at TIMESTAMPTZ,
    source_scenario VARCHAR,
    source_page VARCHAR,
    captured_at TIMESTAMPTZ,
    synced_at TIMESTAMPTZ
);

CREATE TABLE project_certificates (
    dedupe_key VARCHAR NOT NULL,
    id VARCHAR NOT NULL,
    project_id VARCHAR NOT NULL,
    name VARCHAR,
    active BOOLEAN,
    created_at TIMESTAMPTZ,
    valid_at TIMESTAMPTZ,
    expires_at TIMESTAMPTZ,
    source_scenario VARCHAR,
    source_page VARCHAR,
    captured_at TIMESTAMPTZ,
    synced_at TIMESTAMPTZ
);
