-- dedupe_key becomes a VIRTUAL generated column: DuckDB computes it from the row's own key
-- columns when it is read, with the very text models.dedupe_key hashes, so writing a row no
-- longer pays for hashing it (the hash was a third of a large first load; see README,
-- Performance). Stored keys of rows from 0003/0004/0005 equal the computed ones; rows from 0001
-- (no window) keep their 'legacy:' marker. Upserts match on the key columns themselves.
-- DuckDB cannot turn a stored column into a generated one, so each table is rebuilt.

CREATE TABLE usage_completions_v6 (
    dedupe_key VARCHAR GENERATED ALWAYS AS (
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
        || '|' || CASE WHEN service_tier IS NULL THEN '~' ELSE CAST(strlen(service_tier) AS VARCHAR) || ':' || service_tier END)
    ) VIRTUAL,
    window_start TIMESTAMPTZ,
    window_end TIMESTAMPTZ,
    group_by VARCHAR NOT NULL,
    project_id VARCHAR,
    user_id VARCHAR,
    api_key_id VARCHAR,
    model VARCHAR,
    batch BOOLEAN,
    service_tier VARCHAR,
    input_tokens BIGINT,
    output_tokens BIGINT,
    input_cached_tokens BIGINT,
    input_audio_tokens BIGINT,
    output_audio_tokens BIGINT,
    num_model_requests BIGINT,
    source_scenario VARCHAR,
    source_page VARCHAR,
    captured_at TIMESTAMPTZ,
    synced_at TIMESTAMPTZ
);
INSERT INTO usage_completions_v6 (window_start, window_end, group_by, project_id, user_id, api_key_id, model, batch, service_tier, input_tokens, output_tokens, input_cached_tokens, input_audio_tokens, output_audio_tokens, num_model_requests, source_scenario, source_page, captured_at, synced_at)
SELECT window_start, window_end, group_by, project_id, user_id, api_key_id, model, batch, service_tier, input_tokens, output_tokens, input_cached_tokens, input_audio_tokens, output_audio_tokens, num_model_requests, source_scenario, source_page, captured_at, synced_at FROM usage_completions;
DROP TABLE usage_completions;
ALTER TABLE usage_completions_v6 RENAME TO usage_completions;

CREATE TABLE usage_embeddings_v6 (
    dedupe_key VARCHAR GENERATED ALWAYS AS (
        CASE WHEN window_start IS NULL THEN 'legacy:' ELSE '' END || md5(
        'usage_embeddings'
        || '|' || coalesce(CAST(CAST(epoch(window_start) AS BIGINT) AS VARCHAR), '~')
        || '|' || coalesce(CAST(CAST(epoch(window_end) AS BIGINT) AS VARCHAR), '~')
        || '|' || CASE WHEN group_by IS NULL THEN '~' ELSE CAST(strlen(group_by) AS VARCHAR) || ':' || group_by END
        || '|' || CASE WHEN project_id IS NULL THEN '~' ELSE CAST(strlen(project_id) AS VARCHAR) || ':' || project_id END
        || '|' || CASE WHEN user_id IS NULL THEN '~' ELSE CAST(strlen(user_id) AS VARCHAR) || ':' || user_id END
        || '|' || CASE WHEN api_key_id IS NULL THEN '~' ELSE CAST(strlen(api_key_id) AS VARCHAR) || ':' || api_key_id END
        || '|' || CASE WHEN model IS NULL THEN '~' ELSE CAST(strlen(model) AS VARCHAR) || ':' || model END)
    ) VIRTUAL,
    window_start TIMESTAMPTZ NOT NULL,
    window_end TIMESTAMPTZ NOT NULL,
    group_by VARCHAR NOT NULL,
    project_id VARCHAR,
    user_id VARCHAR,
    api_key_id VARCHAR,
    model VARCHAR,
    input_tokens BIGINT,
    num_model_requests BIGINT,
    source_scenario VARCHAR,
    source_page VARCHAR,
    captured_at TIMESTAMPTZ,
    synced_at TIMESTAMPTZ
);
INSERT INTO usage_embeddings_v6 (window_start, window_end, group_by, project_id, user_id, api_key_id, model, input_tokens, num_model_requests, source_scenario, source_page, captured_at, synced_at)
SELECT window_start, window_end, group_by, project_id, user_id, api_key_id, model, input_tokens, num_model_requests, source_scenario, source_page, captured_at, synced_at FROM usage_embeddings;
DROP TABLE usage_embeddings;
ALTER TABLE usage_embeddings_v6 RENAME TO usage_embeddings;

CREATE TABLE usage_moderations_v6 (
    dedupe_key VARCHAR GENERATED ALWAYS AS (
        CASE WHEN window_start IS NULL THEN 'legacy:' ELSE '' END || md5(
        'usage_moderations'
        || '|' || coalesce(CAST(CAST(epoch(window_start) AS BIGINT) AS VARCHAR), '~')
        || '|' || coalesce(CAST(CAST(epoch(window_end) AS BIGINT) AS VARCHAR), '~')
        || '|' || CASE WHEN group_by IS NULL THEN '~' ELSE CAST(strlen(group_by) AS VARCHAR) || ':' || group_by END
        || '|' || CASE WHEN project_id IS NULL THEN '~' ELSE CAST(strlen(project_id) AS VARCHAR) || ':' || project_id END
        || '|' || CASE WHEN user_id IS NULL THEN '~' ELSE CAST(strlen(user_id) AS VARCHAR) || ':' || user_id END
        || '|' || CASE WHEN api_key_id IS NULL THEN '~' ELSE CAST(strlen(api_key_id) AS VARCHAR) || ':' || api_key_id END
        || '|' || CASE WHEN model IS NULL THEN '~' ELSE CAST(strlen(model) AS VARCHAR) || ':' || model END)
    ) VIRTUAL,
    window_start TIMESTAMPTZ NOT NULL,
    window_end TIMESTAMPTZ NOT NULL,
    group_by VARCHAR NOT NULL,
    project_id VARCHAR,
    user_id VARCHAR,
    api_key_id VARCHAR,
    model VARCHAR,
    input_tokens BIGINT,
    num_model_requests BIGINT,
    source_scenario VARCHAR,
    source_page VARCHAR,
    captured_at TIMESTAMPTZ,
    synced_at TIMESTAMPTZ
);
INSERT INTO usage_moderations_v6 (window_start, window_end, group_by, project_id, user_id, api_key_id, model, input_tokens, num_model_requests, source_scenario, source_page, captured_at, synced_at)
SELECT window_start, window_end, group_by, project_id, user_id, api_key_id, model, input_tokens, num_model_requests, source_scenario, source_page, captured_at, synced_at FROM usage_moderations;
DROP TABLE usage_moderations;
ALTER TABLE usage_moderations_v6 RENAME TO usage_moderations;

CREATE TABLE usage_images_v6 (
    dedupe_key VARCHAR GENERATED ALWAYS AS (
        CASE WHEN window_start IS NULL THEN 'legacy:' ELSE '' END || md5(
        'usage_images'
        || '|' || coalesce(CAST(CAST(epoch(window_start) AS BIGINT) AS VARCHAR), '~')
        || '|' || coalesce(CAST(CAST(epoch(window_end) AS BIGINT) AS VARCHAR), '~')
        || '|' || CASE WHEN group_by IS NULL THEN '~' ELSE CAST(strlen(group_by) AS VARCHAR) || ':' || group_by END
        || '|' || CASE WHEN project_id IS NULL THEN '~' ELSE CAST(strlen(project_id) AS VARCHAR) || ':' || project_id END
        || '|' || CASE WHEN user_id IS NULL THEN '~' ELSE CAST(strlen(user_id) AS VARCHAR) || ':' || user_id END
        || '|' || CASE WHEN api_key_id IS NULL THEN '~' ELSE CAST(strlen(api_key_id) AS VARCHAR) || ':' || api_key_id END
        || '|' || CASE WHEN model IS NULL THEN '~' ELSE CAST(strlen(model) AS VARCHAR) || ':' || model END
        || '|' || CASE WHEN source IS NULL THEN '~' ELSE CAST(strlen(source) AS VARCHAR) || ':' || source END
        || '|' || CASE WHEN size IS NULL THEN '~' ELSE CAST(strlen(size) AS VARCHAR) || ':' || size END)
    ) VIRTUAL,
    window_start TIMESTAMPTZ NOT NULL,
    window_end TIMESTAMPTZ NOT NULL,
    group_by VARCHAR NOT NULL,
    project_id VARCHAR,
    user_id VARCHAR,
    api_key_id VARCHAR,
    model VARCHAR,
    source VARCHAR,
    size VARCHAR,
    images BIGINT,
    num_model_requests BIGINT,
    source_scenario VARCHAR,
    source_page VARCHAR,
    captured_at TIMESTAMPTZ,
    synced_at TIMESTAMPTZ
);
INSERT INTO usage_images_v6 (window_start, window_end, group_by, project_id, user_id, api_key_id, model, source, size, images, num_model_requests, source_scenario, source_page, captured_at, synced_at)
SELECT window_start, window_end, group_by, project_id, user_id, api_key_id, model, source, size, images, num_model_requests, source_scenario, source_page, captured_at, synced_at FROM usage_images;
DROP TABLE usage_images;
ALTER TABLE usage_images_v6 RENAME TO usage_images;

CREATE TABLE usage_audio_speeches_v6 (
    dedupe_key VARCHAR GENERATED ALWAYS AS (
        CASE WHEN window_start IS NULL THEN 'legacy:' ELSE '' END || md5(
        'usage_audio_speeches'
        || '|' || coalesce(CAST(CAST(epoch(window_start) AS BIGINT) AS VARCHAR), '~')
        || '|' || coalesce(CAST(CAST(epoch(window_end) AS BIGINT) AS VARCHAR), '~')
        || '|' || CASE WHEN group_by IS NULL THEN '~' ELSE CAST(strlen(group_by) AS VARCHAR) || ':' || group_by END
        || '|' || CASE WHEN project_id IS NULL THEN '~' ELSE CAST(strlen(project_id) AS VARCHAR) || ':' || project_id END
        || '|' || CASE WHEN user_id IS NULL THEN '~' ELSE CAST(strlen(user_id) AS VARCHAR) || ':' || user_id END
        || '|' || CASE WHEN api_key_id IS NULL THEN '~' ELSE CAST(strlen(api_key_id) AS VARCHAR) || ':' || api_key_id END
        || '|' || CASE WHEN model IS NULL THEN '~' ELSE CAST(strlen(model) AS VARCHAR) || ':' || model END)
    ) VIRTUAL,
    window_start TIMESTAMPTZ NOT NULL,
    window_end TIMESTAMPTZ NOT NULL,
    group_by VARCHAR NOT NULL,
    project_id VARCHAR,
    user_id VARCHAR,
    api_key_id VARCHAR,
    model VARCHAR,
    characters BIGINT,
    num_model_requests BIGINT,
    source_scenario VARCHAR,
    source_page VARCHAR,
    captured_at TIMESTAMPTZ,
    synced_at TIMESTAMPTZ
);
INSERT INTO usage_audio_speeches_v6 (window_start, window_end, group_by, project_id, user_id, api_key_id, model, characters, num_model_requests, source_scenario, source_page, captured_at, synced_at)
SELECT window_start, window_end, group_by, project_id, user_id, api_key_id, model, characters, num_model_requests, source_scenario, source_page, captured_at, synced_at FROM usage_audio_speeches;
DROP TABLE usage_audio_speeches;
ALTER TABLE usage_audio_speeches_v6 RENAME TO usage_audio_speeches;

CREATE TABLE usage_audio_transcriptions_v6 (
    dedupe_key VARCHAR GENERATED ALWAYS AS (
        CASE WHEN window_start IS NULL THEN 'legacy:' ELSE '' END || md5(
        'usage_audio_transcriptions'
        || '|' || coalesce(CAST(CAST(epoch(window_start) AS BIGINT) AS VARCHAR), '~')
        || '|' || coalesce(CAST(CAST(epoch(window_end) AS BIGINT) AS VARCHAR), '~')
        || '|' || CASE WHEN group_by IS NULL THEN '~' ELSE CAST(strlen(group_by) AS VARCHAR) || ':' || group_by END
        || '|' || CASE WHEN project_id IS NULL THEN '~' ELSE CAST(strlen(project_id) AS VARCHAR) || ':' || project_id END
        || '|' || CASE WHEN user_id IS NULL THEN '~' ELSE CAST(strlen(user_id) AS VARCHAR) || ':' || user_id END
        || '|' || CASE WHEN api_key_id IS NULL THEN '~' ELSE CAST(strlen(api_key_id) AS VARCHAR) || ':' || api_key_id END
        || '|' || CASE WHEN model IS NULL THEN '~' ELSE CAST(strlen(model) AS VARCHAR) || ':' || model END)
    ) VIRTUAL,
    window_start TIMESTAMPTZ NOT NULL,
    window_end TIMESTAMPTZ NOT NULL,
    group_by VARCHAR NOT NULL,
    project_id VARCHAR,
    user_id VARCHAR,
    api_key_id VARCHAR,
    model VARCHAR,
    seconds BIGINT,
    num_model_requests BIGINT,
    source_scenario VARCHAR,
    source_page VARCHAR,
    captured_at TIMESTAMPTZ,
    synced_at TIMESTAMPTZ
);
INSERT INTO usage_audio_transcriptions_v6 (window_start, window_end, group_by, project_id, user_id, api_key_id, model, seconds, num_model_requests, source_scenario, source_page, captured_at, synced_at)
SELECT window_start, window_end, group_by, project_id, user_id, api_key_id, model, seconds, num_model_requests, source_scenario, source_page, captured_at, synced_at FROM usage_audio_transcriptions;
DROP TABLE usage_audio_transcriptions;
ALTER TABLE usage_audio_transcriptions_v6 RENAME TO usage_audio_transcriptions;

CREATE TABLE usage_vector_stores_v6 (
    dedupe_key VARCHAR GENERATED ALWAYS AS (
        CASE WHEN window_start IS NULL THEN 'legacy:' ELSE '' END || md5(
        'usage_vector_stores'
        || '|' || coalesce(CAST(CAST(epoch(window_start) AS BIGINT) AS VARCHAR), '~')
        || '|' || coalesce(CAST(CAST(epoch(window_end) AS BIGINT) AS VARCHAR), '~')
        || '|' || CASE WHEN group_by IS NULL THEN '~' ELSE CAST(strlen(group_by) AS VARCHAR) || ':' || group_by END
        || '|' || CASE WHEN project_id IS NULL THEN '~' ELSE CAST(strlen(project_id) AS VARCHAR) || ':' || project_id END)
    ) VIRTUAL,
    window_start TIMESTAMPTZ NOT NULL,
    window_end TIMESTAMPTZ NOT NULL,
    group_by VARCHAR NOT NULL,
    project_id VARCHAR,
    usage_bytes BIGINT,
    source_scenario VARCHAR,
    source_page VARCHAR,
    captured_at TIMESTAMPTZ,
    synced_at TIMESTAMPTZ
);
INSERT INTO usage_vector_stores_v6 (window_start, window_end, group_by, project_id, usage_bytes, source_scenario, source_page, captured_at, synced_at)
SELECT window_start, window_end, group_by, project_id, usage_bytes, source_scenario, source_page, captured_at, synced_at FROM usage_vector_stores;
DROP TABLE usage_vector_stores;
ALTER TABLE usage_vector_stores_v6 RENAME TO usage_vector_stores;

CREATE TABLE usage_code_interpreter_sessions_v6 (
    dedupe_key VARCHAR GENERATED ALWAYS AS (
        CASE WHEN window_start IS NULL THEN 'legacy:' ELSE '' END || md5(
        'usage_code_interpreter_sessions'
        || '|' || coalesce(CAST(CAST(epoch(window_start) AS BIGINT) AS VARCHAR), '~')
        || '|' || coalesce(CAST(CAST(epoch(window_end) AS BIGINT) AS VARCHAR), '~')
        || '|' || CASE WHEN group_by IS NULL THEN '~' ELSE CAST(strlen(group_by) AS VARCHAR) || ':' || group_by END
        || '|' || CASE WHEN project_id IS NULL THEN '~' ELSE CAST(strlen(project_id) AS VARCHAR) || ':' || project_id END)
    ) VIRTUAL,
    window_start TIMESTAMPTZ NOT NULL,
    window_end TIMESTAMPTZ NOT NULL,
    group_by VARCHAR NOT NULL,
    project_id VARCHAR,
    num_sessions BIGINT,
    source_scenario VARCHAR,
    source_page VARCHAR,
    captured_at TIMESTAMPTZ,
    synced_at TIMESTAMPTZ
);
INSERT INTO usage_code_interpreter_sessions_v6 (window_start, window_end, group_by, project_id, num_sessions, source_scenario, source_page, captured_at, synced_at)
SELECT window_start, window_end, group_by, project_id, num_sessions, source_scenario, source_page, captured_at, synced_at FROM usage_code_interpreter_sessions;
DROP TABLE usage_code_interpreter_sessions;
ALTER TABLE usage_code_interpreter_sessions_v6 RENAME TO usage_code_interpreter_sessions;

CREATE TABLE costs_v6 (
    dedupe_key VARCHAR GENERATED ALWAYS AS (
        CASE WHEN window_start IS NULL THEN 'legacy:' ELSE '' END || md5(
        'costs'
        || '|' || coalesce(CAST(CAST(epoch(window_start) AS BIGINT) AS VARCHAR), '~')
        || '|' || coalesce(CAST(CAST(epoch(window_end) AS BIGINT) AS VARCHAR), '~')
        || '|' || CASE WHEN group_by IS NULL THEN '~' ELSE CAST(strlen(group_by) AS VARCHAR) || ':' || group_by END
        || '|' || CASE WHEN project_id IS NULL THEN '~' ELSE CAST(strlen(project_id) AS VARCHAR) || ':' || project_id END
        || '|' || CASE WHEN line_item IS NULL THEN '~' ELSE CAST(strlen(line_item) AS VARCHAR) || ':' || line_item END
        || '|' || CASE WHEN api_key_id IS NULL THEN '~' ELSE CAST(strlen(api_key_id) AS VARCHAR) || ':' || api_key_id END)
    ) VIRTUAL,
    window_start TIMESTAMPTZ NOT NULL,
    window_end TIMESTAMPTZ NOT NULL,
    group_by VARCHAR NOT NULL,
    project_id VARCHAR,
    line_item VARCHAR,
    api_key_id VARCHAR,
    amount_value DECIMAL(38,18),
    amount_currency VARCHAR,
    quantity DOUBLE,
    quantity_unit VARCHAR,
    source_scenario VARCHAR,
    source_page VARCHAR,
    captured_at TIMESTAMPTZ,
    synced_at TIMESTAMPTZ
);
INSERT INTO costs_v6 (window_start, window_end, group_by, project_id, line_item, api_key_id, amount_value, amount_currency, quantity, quantity_unit, source_scenario, source_page, captured_at, synced_at)
SELECT window_start, window_end, group_by, project_id, line_item, api_key_id, amount_value, amount_currency, quantity, quantity_unit, source_scenario, source_page, captured_at, synced_at FROM costs;
DROP TABLE costs;
ALTER TABLE costs_v6 RENAME TO costs;

CREATE TABLE projects_v6 (
    dedupe_key VARCHAR GENERATED ALWAYS AS (
        md5(
        'projects'
        || '|' || CASE WHEN id IS NULL THEN '~' ELSE CAST(strlen(id) AS VARCHAR) || ':' || id END)
    ) VIRTUAL,
    id VARCHAR NOT NULL,
    name VARCHAR,
    created_at TIMESTAMPTZ,
    archived_at TIMESTAMPTZ,
    status VARCHAR,
    source_scenario VARCHAR,
    source_page VARCHAR,
    captured_at TIMESTAMPTZ,
    synced_at TIMESTAMPTZ
);
INSERT INTO projects_v6 (id, name, created_at, archived_at, status, source_scenario, source_page, captured_at, synced_at)
SELECT id, name, created_at, archived_at, status, source_scenario, source_page, captured_at, synced_at FROM projects;
DROP TABLE projects;
ALTER TABLE projects_v6 RENAME TO projects;

CREATE TABLE users_v6 (
    dedupe_key VARCHAR GENERATED ALWAYS AS (
        md5(
        'users'
        || '|' || CASE WHEN id IS NULL THEN '~' ELSE CAST(strlen(id) AS VARCHAR) || ':' || id END)
    ) VIRTUAL,
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
INSERT INTO users_v6 (id, name, email, role, added_at, source_scenario, source_page, captured_at, synced_at)
SELECT id, name, email, role, added_at, source_scenario, source_page, captured_at, synced_at FROM users;
DROP TABLE users;
ALTER TABLE users_v6 RENAME TO users;

CREATE TABLE project_users_v6 (
    dedupe_key VARCHAR GENERATED ALWAYS AS (
        md5(
        'project_users'
        || '|' || CASE WHEN id IS NULL THEN '~' ELSE CAST(strlen(id) AS VARCHAR) || ':' || id END
        || '|' || CASE WHEN project_id IS NULL THEN '~' ELSE CAST(strlen(project_id) AS VARCHAR) || ':' || project_id END)
    ) VIRTUAL,
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
INSERT INTO project_users_v6 (id, project_id, name, email, role, added_at, source_scenario, source_page, captured_at, synced_at)
SELECT id, project_id, name, email, role, added_at, source_scenario, source_page, captured_at, synced_at FROM project_users;
DROP TABLE project_users;
ALTER TABLE project_users_v6 RENAME TO project_users;

CREATE TABLE project_service_accounts_v6 (
    dedupe_key VARCHAR GENERATED ALWAYS AS (
        md5(
        'project_service_accounts'
        || '|' || CASE WHEN id IS NULL THEN '~' ELSE CAST(strlen(id) AS VARCHAR) || ':' || id END
        || '|' || CASE WHEN project_id IS NULL THEN '~' ELSE CAST(strlen(project_id) AS VARCHAR) || ':' || project_id END)
    ) VIRTUAL,
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
INSERT INTO project_service_accounts_v6 (id, project_id, name, role, created_at, source_scenario, source_page, captured_at, synced_at)
SELECT id, project_id, name, role, created_at, source_scenario, source_page, captured_at, synced_at FROM project_service_accounts;
DROP TABLE project_service_accounts;
ALTER TABLE project_service_accounts_v6 RENAME TO project_service_accounts;

CREATE TABLE project_api_keys_v6 (
    dedupe_key VARCHAR GENERATED ALWAYS AS (
        md5(
        'project_api_keys'
        || '|' || CASE WHEN id IS NULL THEN '~' ELSE CAST(strlen(id) AS VARCHAR) || ':' || id END
        || '|' || CASE WHEN project_id IS NULL THEN '~' ELSE CAST(strlen(project_id) AS VARCHAR) || ':' || project_id END)
    ) VIRTUAL,
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
INSERT INTO project_api_keys_v6 (id, project_id, name, redacted_value, created_at, last_used_at, owner_type, owner_id, source_scenario, source_page, captured_at, synced_at)
SELECT id, project_id, name, redacted_value, created_at, last_used_at, owner_type, owner_id, source_scenario, source_page, captured_at, synced_at FROM project_api_keys;
DROP TABLE project_api_keys;
ALTER TABLE project_api_keys_v6 RENAME TO project_api_keys;

CREATE TABLE admin_api_keys_v6 (
    dedupe_key VARCHAR GENERATED ALWAYS AS (
        md5(
        'admin_api_keys'
        || '|' || CASE WHEN id IS NULL THEN '~' ELSE CAST(strlen(id) AS VARCHAR) || ':' || id END)
    ) VIRTUAL,
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
INSERT INTO admin_api_keys_v6 (id, name, redacted_value, created_at, last_used_at, owner_type, owner_id, source_scenario, source_page, captured_at, synced_at)
SELECT id, name, redacted_value, created_at, last_used_at, owner_type, owner_id, source_scenario, source_page, captured_at, synced_at FROM admin_api_keys;
DROP TABLE admin_api_keys;
ALTER TABLE admin_api_keys_v6 RENAME TO admin_api_keys;

CREATE TABLE certificates_v6 (
    dedupe_key VARCHAR GENERATED ALWAYS AS (
        md5(
        'certificates'
        || '|' || CASE WHEN id IS NULL THEN '~' ELSE CAST(strlen(id) AS VARCHAR) || ':' || id END)
    ) VIRTUAL,
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
INSERT INTO certificates_v6 (id, name, active, created_at, valid_at, expires_at, source_scenario, source_page, captured_at, synced_at)
SELECT id, name, active, created_at, valid_at, expires_at, source_scenario, source_page, captured_at, synced_at FROM certificates;
DROP TABLE certificates;
ALTER TABLE certificates_v6 RENAME TO certificates;

CREATE TABLE project_certificates_v6 (
    dedupe_key VARCHAR GENERATED ALWAYS AS (
        md5(
        'project_certificates'
        || '|' || CASE WHEN id IS NULL THEN '~' ELSE CAST(strlen(id) AS VARCHAR) || ':' || id END
        || '|' || CASE WHEN project_id IS NULL THEN '~' ELSE CAST(strlen(project_id) AS VARCHAR) || ':' || project_id END)
    ) VIRTUAL,
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
INSERT INTO project_certificates_v6 (id, project_id, name, active, created_at, valid_at, expires_at, source_scenario, source_page, captured_at, synced_at)
SELECT id, project_id, name, active, created_at, valid_at, expires_at, source_scenario, source_page, captured_at, synced_at FROM project_certificates;
DROP TABLE project_certificates;
ALTER TABLE project_certificates_v6 RENAME TO project_certificates;
