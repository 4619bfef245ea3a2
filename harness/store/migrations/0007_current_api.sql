-- The current Admin API (SDK openai 3.51.0): completions' api_source dimension and eleven
-- token-split counters; costs' user_id and api_source dimensions; three new usage
-- endpoints (web_search_calls, file_search_calls, decisions); projects' external_key_id and
-- residency; users' flags; keys' owner_project_access and expires_at. Each changed table is
-- rebuilt in the registry's column order (rows kept, new columns NULL) and its view recomputes
-- dedupe_key over the new key columns; a row stored before holds NULL in a new dimension,
-- as the API answered when it was not grouped by it.

-- usage_completions: api_source, input_cache_write_tokens, input_cache_write_30m_tokens, input_cache_write_12h_tokens, input_uncached_tokens, input_text_tokens, output_text_tokens, input_cached_text_tokens, input_cached_audio_tokens, input_image_tokens, input_cached_image_tokens, output_image_tokens added
DROP VIEW usage_completions;
ALTER TABLE usage_completions_rows RENAME TO usage_completions_rows_old;
CREATE TABLE usage_completions_rows (
    window_start TIMESTAMPTZ,
    window_end TIMESTAMPTZ,
    group_by VARCHAR NOT NULL,
    project_id VARCHAR,
    user_id VARCHAR,
    api_key_id VARCHAR,
    model VARCHAR,
    batch BOOLEAN,
    service_tier VARCHAR,
    api_source VARCHAR,
    input_tokens BIGINT,
    output_tokens BIGINT,
    input_cached_tokens BIGINT,
    input_audio_tokens BIGINT,
    output_audio_tokens BIGINT,
    num_model_requests BIGINT,
    input_cache_write_tokens BIGINT,
    input_cache_write_30m_tokens BIGINT,
    input_cache_write_12h_tokens BIGINT,
    input_uncached_tokens BIGINT,
    input_text_tokens BIGINT,
    output_text_tokens BIGINT,
    input_cached_text_tokens BIGINT,
    input_cached_audio_tokens BIGINT,
    input_image_tokens BIGINT,
    input_cached_image_tokens BIGINT,
    output_image_tokens BIGINT,
    source_scenario VARCHAR,
    source_page VARCHAR,
    captured_at TIMESTAMPTZ,
    synced_at TIMESTAMPTZ
);
INSERT INTO usage_completions_rows SELECT window_start, window_end, group_by, project_id, user_id, api_key_id, model, batch, service_tier, CAST(NULL AS VARCHAR) AS api_source, input_tokens, output_tokens, input_cached_tokens, input_audio_tokens, output_audio_tokens, num_model_requests, CAST(NULL AS BIGINT) AS input_cache_write_tokens, CAST(NULL AS BIGINT) AS input_cache_write_30m_tokens, CAST(NULL AS BIGINT) AS input_cache_write_12h_tokens, CAST(NULL AS BIGINT) AS input_uncached_tokens, CAST(NULL AS BIGINT) AS input_text_tokens, CAST(NULL AS BIGINT) AS output_text_tokens, CAST(NULL AS BIGINT) AS input_cached_text_tokens, CAST(NULL AS BIGINT) AS input_cached_audio_tokens, CAST(NULL AS BIGINT) AS input_image_tokens, CAST(NULL AS BIGINT) AS input_cached_image_tokens, CAST(NULL AS BIGINT) AS output_image_tokens, source_scenario, source_page, captured_at, synced_at FROM usage_completions_rows_old;
DROP TABLE usage_completions_rows_old;
CREATE VIEW usage_completions AS SELECT
    CASE WHEN window_start IS NULL THEN 'legacy:' ELSE '' END || md5(
        'usage_completions'
        || '|' || coalesce(CAST(CAST(epoch(window_start) AS BIGINT) AS VARCHAR), '~')
        || '|' || coalesce(CAST(CAST(epoch(window_end) AS BIGINT) AS VARCHAR), '~')
        || '|' || CASE WHEN group_by IS NULL THEN '~' ELSE CAST(strlen(group_by) AS VARCHAR) || ':' || group_by END
        || '|' || CASE WHEN project_id IS NULL THEN '~' ELSE CAST(strlen(project_id) AS VARCHAR) || ':' || project_id END
        || '|' || CASE WHEN user_id IS NULL THEN '~' ELSE CAST(strlen(user_id) AS VARCHAR) || ':' || user_id END
        || '|' || CASE WHEN api_key_id IS NULL THEN '~' ELSE CAST(strlen(api_key_id) AS VARCHAR) || ':' || api_key_id END
        || '|' || CASE WHEN model IS NULL THEN '~' ELSE CAST(strlen(model) AS VARCHAR) || ':' || model END
        || '|' || CASE WHEN batch IS NULL THEN '~' WHEN batch THEN 't' ELSE 'f' END
        || '|' || CASE WHEN service_tier IS NULL THEN '~' ELSE CAST(strlen(service_tier) AS VARCHAR) || ':' || service_tier END
        || '|' || CASE WHEN api_source IS NULL THEN '~' ELSE CAST(strlen(api_source) AS VARCHAR) || ':' || api_source END)
    AS dedupe_key, *
FROM usage_completions_rows;

-- usage_web_search_calls: a new endpoint
CREATE TABLE usage_web_search_calls_rows (
    window_start TIMESTAMPTZ NOT NULL,
    window_end TIMESTAMPTZ NOT NULL,
    group_by VARCHAR NOT NULL,
    project_id VARCHAR,
    user_id VARCHAR,
    api_key_id VARCHAR,
    model VARCHAR,
    context_level VARCHAR,
    api_source VARCHAR,
    num_requests BIGINT,
    num_model_requests BIGINT,
    source_scenario VARCHAR,
    source_page VARCHAR,
    captured_at TIMESTAMPTZ,
    synced_at TIMESTAMPTZ
);
CREATE VIEW usage_web_search_calls AS SELECT
    CASE WHEN window_start IS NULL THEN 'legacy:' ELSE '' END || md5(
        'usage_web_search_calls'
        || '|' || coalesce(CAST(CAST(epoch(window_start) AS BIGINT) AS VARCHAR), '~')
        || '|' || coalesce(CAST(CAST(epoch(window_end) AS BIGINT) AS VARCHAR), '~')
        || '|' || CASE WHEN group_by IS NULL THEN '~' ELSE CAST(strlen(group_by) AS VARCHAR) || ':' || group_by END
        || '|' || CASE WHEN project_id IS NULL THEN '~' ELSE CAST(strlen(project_id) AS VARCHAR) || ':' || project_id END
        || '|' || CASE WHEN user_id IS NULL THEN '~' ELSE CAST(strlen(user_id) AS VARCHAR) || ':' || user_id END
        || '|' || CASE WHEN api_key_id IS NULL THEN '~' ELSE CAST(strlen(api_key_id) AS VARCHAR) || ':' || api_key_id END
        || '|' || CASE WHEN model IS NULL THEN '~' ELSE CAST(strlen(model) AS VARCHAR) || ':' || model END
        || '|' || CASE WHEN context_level IS NULL THEN '~' ELSE CAST(strlen(context_level) AS VARCHAR) || ':' || context_level END
        || '|' || CASE WHEN api_source IS NULL THEN '~' ELSE CAST(strlen(api_source) AS VARCHAR) || ':' || api_source END)
    AS dedupe_key, *
FROM usage_web_search_calls_rows;

-- usage_file_search_calls: a new endpoint
CREATE TABLE usage_file_search_calls_rows (
    window_start TIMESTAMPTZ NOT NULL,
    window_end TIMESTAMPTZ NOT NULL,
    group_by VARCHAR NOT NULL,
    project_id VARCHAR,
    user_id VARCHAR,
    api_key_id VARCHAR,
    vector_store_id VARCHAR,
    num_requests BIGINT,
    source_scenario VARCHAR,
    source_page VARCHAR,
    captured_at TIMESTAMPTZ,
    synced_at TIMESTAMPTZ
);
CREATE VIEW usage_file_search_calls AS SELECT
    CASE WHEN window_start IS NULL THEN 'legacy:' ELSE '' END || md5(
        'usage_file_search_calls'
        || '|' || coalesce(CAST(CAST(epoch(window_start) AS BIGINT) AS VARCHAR), '~')
        || '|' || coalesce(CAST(CAST(epoch(window_end) AS BIGINT) AS VARCHAR), '~')
        || '|' || CASE WHEN group_by IS NULL THEN '~' ELSE CAST(strlen(group_by) AS VARCHAR) || ':' || group_by END
        || '|' || CASE WHEN project_id IS NULL THEN '~' ELSE CAST(strlen(project_id) AS VARCHAR) || ':' || project_id END
        || '|' || CASE WHEN user_id IS NULL THEN '~' ELSE CAST(strlen(user_id) AS VARCHAR) || ':' || user_id END
        || '|' || CASE WHEN api_key_id IS NULL THEN '~' ELSE CAST(strlen(api_key_id) AS VARCHAR) || ':' || api_key_id END
        || '|' || CASE WHEN vector_store_id IS NULL THEN '~' ELSE CAST(strlen(vector_store_id) AS VARCHAR) || ':' || vector_store_id END)
    AS dedupe_key, *
FROM usage_file_search_calls_rows;

-- usage_decisions: a new endpoint
CREATE TABLE usage_decisions_rows (
    window_start TIMESTAMPTZ NOT NULL,
    window_end TIMESTAMPTZ NOT NULL,
    group_by VARCHAR NOT NULL,
    project_id VARCHAR,
    user_id VARCHAR,
    api_key_id VARCHAR,
    model VARCHAR,
    batch BOOLEAN,
    service_tier VARCHAR,
    api_source VARCHAR,
    input_tokens BIGINT,
    output_tokens BIGINT,
    input_cached_tokens BIGINT,
    input_audio_tokens BIGINT,
    output_audio_tokens BIGINT,
    num_model_requests BIGINT,
    input_cache_write_tokens BIGINT,
    input_cache_write_30m_tokens BIGINT,
    input_cache_write_12h_tokens BIGINT,
    input_uncached_tokens BIGINT,
    input_text_tokens BIGINT,
    output_text_tokens BIGINT,
    input_cached_text_tokens BIGINT,
    input_cached_audio_tokens BIGINT,
    input_image_tokens BIGINT,
    input_cached_image_tokens BIGINT,
    output_image_tokens BIGINT,
    source_scenario VARCHAR,
    source_page VARCHAR,
    captured_at TIMESTAMPTZ,
    synced_at TIMESTAMPTZ
);
CREATE VIEW usage_decisions AS SELECT
    CASE WHEN window_start IS NULL THEN 'legacy:' ELSE '' END || md5(
        'usage_decisions'
        || '|' || coalesce(CAST(CAST(epoch(window_start) AS BIGINT) AS VARCHAR), '~')
        || '|' || coalesce(CAST(CAST(epoch(window_end) AS BIGINT) AS VARCHAR), '~')
        || '|' || CASE WHEN group_by IS NULL THEN '~' ELSE CAST(strlen(group_by) AS VARCHAR) || ':' || group_by END
        || '|' || CASE WHEN project_id IS NULL THEN '~' ELSE CAST(strlen(project_id) AS VARCHAR) || ':' || project_id END
        || '|' || CASE WHEN user_id IS NULL THEN '~' ELSE CAST(strlen(user_id) AS VARCHAR) || ':' || user_id END
        || '|' || CASE WHEN api_key_id IS NULL THEN '~' ELSE CAST(strlen(api_key_id) AS VARCHAR) || ':' || api_key_id END
        || '|' || CASE WHEN model IS NULL THEN '~' ELSE CAST(strlen(model) AS VARCHAR) || ':' || model END
        || '|' || CASE WHEN batch IS NULL THEN '~' WHEN batch THEN 't' ELSE 'f' END
        || '|' || CASE WHEN service_tier IS NULL THEN '~' ELSE CAST(strlen(service_tier) AS VARCHAR) || ':' || service_tier END
        || '|' || CASE WHEN api_source IS NULL THEN '~' ELSE CAST(strlen(api_source) AS VARCHAR) || ':' || api_source END)
    AS dedupe_key, *
FROM usage_decisions_rows;

-- costs: user_id, api_source added
DROP VIEW costs;
ALTER TABLE costs_rows RENAME TO costs_rows_old;
CREATE TABLE costs_rows (
    window_start TIMESTAMPTZ NOT NULL,
    window_end TIMESTAMPTZ NOT NULL,
    group_by VARCHAR NOT NULL,
    project_id VARCHAR,
    line_item VARCHAR,
    api_key_id VARCHAR,
    user_id VARCHAR,
    api_source VARCHAR,
    amount_value DECIMAL(38,18),
    amount_currency VARCHAR,
    quantity DOUBLE,
    quantity_unit VARCHAR,
    source_scenario VARCHAR,
    source_page VARCHAR,
    captured_at TIMESTAMPTZ,
    synced_at TIMESTAMPTZ
);
INSERT INTO costs_rows SELECT window_start, window_end, group_by, project_id, line_item, api_key_id, CAST(NULL AS VARCHAR) AS user_id, CAST(NULL AS VARCHAR) AS api_source, amount_value, amount_currency, quantity, quantity_unit, source_scenario, source_page, captured_at, synced_at FROM costs_rows_old;
DROP TABLE costs_rows_old;
CREATE VIEW costs AS SELECT
    CASE WHEN window_start IS NULL THEN 'legacy:' ELSE '' END || md5(
        'costs'
        || '|' || coalesce(CAST(CAST(epoch(window_start) AS BIGINT) AS VARCHAR), '~')
        || '|' || coalesce(CAST(CAST(epoch(window_end) AS BIGINT) AS VARCHAR), '~')
        || '|' || CASE WHEN group_by IS NULL THEN '~' ELSE CAST(strlen(group_by) AS VARCHAR) || ':' || group_by END
        || '|' || CASE WHEN project_id IS NULL THEN '~' ELSE CAST(strlen(project_id) AS VARCHAR) || ':' || project_id END
        || '|' || CASE WHEN line_item IS NULL THEN '~' ELSE CAST(strlen(line_item) AS VARCHAR) || ':' || line_item END
        || '|' || CASE WHEN api_key_id IS NULL THEN '~' ELSE CAST(strlen(api_key_id) AS VARCHAR) || ':' || api_key_id END
        || '|' || CASE WHEN user_id IS NULL THEN '~' ELSE CAST(strlen(user_id) AS VARCHAR) || ':' || user_id END
        || '|' || CASE WHEN api_source IS NULL THEN '~' ELSE CAST(strlen(api_source) AS VARCHAR) || ':' || api_source END)
    AS dedupe_key, *
FROM costs_rows;

-- projects: external_key_id, residency added
DROP VIEW projects;
ALTER TABLE projects_rows RENAME TO projects_rows_old;
CREATE TABLE projects_rows (
    id VARCHAR NOT NULL,
    name VARCHAR,
    created_at TIMESTAMPTZ,
    archived_at TIMESTAMPTZ,
    status VARCHAR,
    external_key_id VARCHAR,
    residency VARCHAR,
    source_scenario VARCHAR,
    source_page VARCHAR,
    captured_at TIMESTAMPTZ,
    synced_at TIMESTAMPTZ
);
INSERT INTO projects_rows SELECT id, name, created_at, archived_at, status, CAST(NULL AS VARCHAR) AS external_key_id, CAST(NULL AS VARCHAR) AS residency, source_scenario, source_page, captured_at, synced_at FROM projects_rows_old;
DROP TABLE projects_rows_old;
CREATE VIEW projects AS SELECT
    md5(
        'projects'
        || '|' || CASE WHEN id IS NULL THEN '~' ELSE CAST(strlen(id) AS VARCHAR) || ':' || id END)
    AS dedupe_key, *
FROM projects_rows;

-- users: created, api_key_last_used_at, is_default, is_service_account, is_scim_managed, is_scale_tier_authorized_purchaser, technical_level, developer_persona added
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
    source_scenario VARCHAR,
    source_page VARCHAR,
    captured_at TIMESTAMPTZ,
    synced_at TIMESTAMPTZ
);
INSERT INTO users_rows SELECT id, name, email, role, added_at, CAST(NULL AS TIMESTAMPTZ) AS created, CAST(NULL AS TIMESTAMPTZ) AS api_key_last_used_at, CAST(NULL AS BOOLEAN) AS is_default, CAST(NULL AS BOOLEAN) AS is_service_account, CAST(NULL AS BOOLEAN) AS is_scim_managed, CAST(NULL AS BOOLEAN) AS is_scale_tier_authorized_purchaser, CAST(NULL AS VARCHAR) AS technical_level, CAST(NULL AS VARCHAR) AS developer_persona, source_scenario, source_page, captured_at, synced_at FROM users_rows_old;
DROP TABLE users_rows_old;
CREATE VIEW users AS SELECT
    md5(
        'users'
        || '|' || CASE WHEN id IS NULL THEN '~' ELSE CAST(strlen(id) AS VARCHAR) || ':' || id END)
    AS dedupe_key, *
FROM users_rows;

-- project_api_keys: owner_project_access, expires_at added
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
    source_scenario VARCHAR,
    source_page VARCHAR,
    captured_at TIMESTAMPTZ,
    synced_at TIMESTAMPTZ
);
INSERT INTO project_api_keys_rows SELECT id, project_id, name, redacted_value, created_at, last_used_at, owner_type, owner_id, CAST(NULL AS VARCHAR) AS owner_project_access, CAST(NULL AS TIMESTAMPTZ) AS expires_at, source_scenario, source_page, captured_at, synced_at FROM project_api_keys_rows_old;
DROP TABLE project_api_keys_rows_old;
CREATE VIEW project_api_keys AS SELECT
    md5(
        'project_api_keys'
        || '|' || CASE WHEN id IS NULL THEN '~' ELSE CAST(strlen(id) AS VARCHAR) || ':' || id END
        || '|' || CASE WHEN project_id IS NULL THEN '~' ELSE CAST(strlen(project_id) AS VARCHAR) || ':' || project_id END)
    AS dedupe_key, *
FROM project_api_keys_rows;

-- admin_api_keys: expires_at added
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
    source_scenario VARCHAR,
    source_page VARCHAR,
    captured_at TIMESTAMPTZ,
    synced_at TIMESTAMPTZ
);
INSERT INTO admin_api_keys_rows SELECT id, name, redacted_value, created_at, last_used_at, owner_type, owner_id, CAST(NULL AS TIMESTAMPTZ) AS expires_at, source_scenario, source_page, captured_at, synced_at FROM admin_api_keys_rows_old;
DROP TABLE admin_api_keys_rows_old;
CREATE VIEW admin_api_keys AS SELECT
    md5(
        'admin_api_keys'
        || '|' || CASE WHEN id IS NULL THEN '~' ELSE CAST(strlen(id) AS VARCHAR) || ':' || id END)
    AS dedupe_key, *
FROM admin_api_keys_rows;

