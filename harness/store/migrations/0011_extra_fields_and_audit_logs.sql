-- Unknown fields of every result and list item kept whole (extra_fields, canonical JSON),
-- and the audit log (SDK 3.51.0). Added at the end of each table: no table is rebuilt.

ALTER TABLE usage_completions_rows ADD COLUMN extra_fields JSON;
DROP VIEW usage_completions;
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
        || '|' || CASE WHEN api_source IS NULL THEN '~' ELSE CAST(strlen(api_source) AS VARCHAR) || ':' || api_source END
        || '|' || CASE WHEN extra_dimensions IS NULL THEN '~' ELSE CAST(strlen(extra_dimensions) AS VARCHAR) || ':' || extra_dimensions END)
    AS dedupe_key, *
FROM usage_completions_rows;

ALTER TABLE usage_embeddings_rows ADD COLUMN extra_fields JSON;
DROP VIEW usage_embeddings;
CREATE VIEW usage_embeddings AS SELECT
    CASE WHEN window_start IS NULL THEN 'legacy:' ELSE '' END || md5(
        'usage_embeddings'
        || '|' || coalesce(CAST(CAST(epoch(window_start) AS BIGINT) AS VARCHAR), '~')
        || '|' || coalesce(CAST(CAST(epoch(window_end) AS BIGINT) AS VARCHAR), '~')
        || '|' || CASE WHEN group_by IS NULL THEN '~' ELSE CAST(strlen(group_by) AS VARCHAR) || ':' || group_by END
        || '|' || CASE WHEN project_id IS NULL THEN '~' ELSE CAST(strlen(project_id) AS VARCHAR) || ':' || project_id END
        || '|' || CASE WHEN user_id IS NULL THEN '~' ELSE CAST(strlen(user_id) AS VARCHAR) || ':' || user_id END
        || '|' || CASE WHEN api_key_id IS NULL THEN '~' ELSE CAST(strlen(api_key_id) AS VARCHAR) || ':' || api_key_id END
        || '|' || CASE WHEN model IS NULL THEN '~' ELSE CAST(strlen(model) AS VARCHAR) || ':' || model END
        || '|' || CASE WHEN extra_dimensions IS NULL THEN '~' ELSE CAST(strlen(extra_dimensions) AS VARCHAR) || ':' || extra_dimensions END)
    AS dedupe_key, *
FROM usage_embeddings_rows;

ALTER TABLE usage_moderations_rows ADD COLUMN extra_fields JSON;
DROP VIEW usage_moderations;
CREATE VIEW usage_moderations AS SELECT
    CASE WHEN window_start IS NULL THEN 'legacy:' ELSE '' END || md5(
        'usage_moderations'
        || '|' || coalesce(CAST(CAST(epoch(window_start) AS BIGINT) AS VARCHAR), '~')
        || '|' || coalesce(CAST(CAST(epoch(window_end) AS BIGINT) AS VARCHAR), '~')
        || '|' || CASE WHEN group_by IS NULL THEN '~' ELSE CAST(strlen(group_by) AS VARCHAR) || ':' || group_by END
        || '|' || CASE WHEN project_id IS NULL THEN '~' ELSE CAST(strlen(project_id) AS VARCHAR) || ':' || project_id END
        || '|' || CASE WHEN user_id IS NULL THEN '~' ELSE CAST(strlen(user_id) AS VARCHAR) || ':' || user_id END
        || '|' || CASE WHEN api_key_id IS NULL THEN '~' ELSE CAST(strlen(api_key_id) AS VARCHAR) || ':' || api_key_id END
        || '|' || CASE WHEN model IS NULL THEN '~' ELSE CAST(strlen(model) AS VARCHAR) || ':' || model END
        || '|' || CASE WHEN extra_dimensions IS NULL THEN '~' ELSE CAST(strlen(extra_dimensions) AS VARCHAR) || ':' || extra_dimensions END)
    AS dedupe_key, *
FROM usage_moderations_rows;

ALTER TABLE usage_images_rows ADD COLUMN extra_fields JSON;
DROP VIEW usage_images;
CREATE VIEW usage_images AS SELECT
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
        || '|' || CASE WHEN size IS NULL THEN '~' ELSE CAST(strlen(size) AS VARCHAR) || ':' || size END
        || '|' || CASE WHEN extra_dimensions IS NULL THEN '~' ELSE CAST(strlen(extra_dimensions) AS VARCHAR) || ':' || extra_dimensions END)
    AS dedupe_key, *
FROM usage_images_rows;

ALTER TABLE usage_audio_speeches_rows ADD COLUMN extra_fields JSON;
DROP VIEW usage_audio_speeches;
CREATE VIEW usage_audio_speeches AS SELECT
    CASE WHEN window_start IS NULL THEN 'legacy:' ELSE '' END || md5(
        'usage_audio_speeches'
        || '|' || coalesce(CAST(CAST(epoch(window_start) AS BIGINT) AS VARCHAR), '~')
        || '|' || coalesce(CAST(CAST(epoch(window_end) AS BIGINT) AS VARCHAR), '~')
        || '|' || CASE WHEN group_by IS NULL THEN '~' ELSE CAST(strlen(group_by) AS VARCHAR) || ':' || group_by END
        || '|' || CASE WHEN project_id IS NULL THEN '~' ELSE CAST(strlen(project_id) AS VARCHAR) || ':' || project_id END
        || '|' || CASE WHEN user_id IS NULL THEN '~' ELSE CAST(strlen(user_id) AS VARCHAR) || ':' || user_id END
        || '|' || CASE WHEN api_key_id IS NULL THEN '~' ELSE CAST(strlen(api_key_id) AS VARCHAR) || ':' || api_key_id END
        || '|' || CASE WHEN model IS NULL THEN '~' ELSE CAST(strlen(model) AS VARCHAR) || ':' || model END
        || '|' || CASE WHEN extra_dimensions IS NULL THEN '~' ELSE CAST(strlen(extra_dimensions) AS VARCHAR) || ':' || extra_dimensions END)
    AS dedupe_key, *
FROM usage_audio_speeches_rows;

ALTER TABLE usage_audio_transcriptions_rows ADD COLUMN extra_fields JSON;
DROP VIEW usage_audio_transcriptions;
CREATE VIEW usage_audio_transcriptions AS SELECT
    CASE WHEN window_start IS NULL THEN 'legacy:' ELSE '' END || md5(
        'usage_audio_transcriptions'
        || '|' || coalesce(CAST(CAST(epoch(window_start) AS BIGINT) AS VARCHAR), '~')
        || '|' || coalesce(CAST(CAST(epoch(window_end) AS BIGINT) AS VARCHAR), '~')
        || '|' || CASE WHEN group_by IS NULL THEN '~' ELSE CAST(strlen(group_by) AS VARCHAR) || ':' || group_by END
        || '|' || CASE WHEN project_id IS NULL THEN '~' ELSE CAST(strlen(project_id) AS VARCHAR) || ':' || project_id END
        || '|' || CASE WHEN user_id IS NULL THEN '~' ELSE CAST(strlen(user_id) AS VARCHAR) || ':' || user_id END
        || '|' || CASE WHEN api_key_id IS NULL THEN '~' ELSE CAST(strlen(api_key_id) AS VARCHAR) || ':' || api_key_id END
        || '|' || CASE WHEN model IS NULL THEN '~' ELSE CAST(strlen(model) AS VARCHAR) || ':' || model END
        || '|' || CASE WHEN extra_dimensions IS NULL THEN '~' ELSE CAST(strlen(extra_dimensions) AS VARCHAR) || ':' || extra_dimensions END)
    AS dedupe_key, *
FROM usage_audio_transcriptions_rows;

ALTER TABLE usage_vector_stores_rows ADD COLUMN extra_fields JSON;
DROP VIEW usage_vector_stores;
CREATE VIEW usage_vector_stores AS SELECT
    CASE WHEN window_start IS NULL THEN 'legacy:' ELSE '' END || md5(
        'usage_vector_stores'
        || '|' || coalesce(CAST(CAST(epoch(window_start) AS BIGINT) AS VARCHAR), '~')
        || '|' || coalesce(CAST(CAST(epoch(window_end) AS BIGINT) AS VARCHAR), '~')
        || '|' || CASE WHEN group_by IS NULL THEN '~' ELSE CAST(strlen(group_by) AS VARCHAR) || ':' || group_by END
        || '|' || CASE WHEN project_id IS NULL THEN '~' ELSE CAST(strlen(project_id) AS VARCHAR) || ':' || project_id END
        || '|' || CASE WHEN extra_dimensions IS NULL THEN '~' ELSE CAST(strlen(extra_dimensions) AS VARCHAR) || ':' || extra_dimensions END)
    AS dedupe_key, *
FROM usage_vector_stores_rows;

ALTER TABLE usage_code_interpreter_sessions_rows ADD COLUMN extra_fields JSON;
DROP VIEW usage_code_interpreter_sessions;
CREATE VIEW usage_code_interpreter_sessions AS SELECT
    CASE WHEN window_start IS NULL THEN 'legacy:' ELSE '' END || md5(
        'usage_code_interpreter_sessions'
        || '|' || coalesce(CAST(CAST(epoch(window_start) AS BIGINT) AS VARCHAR), '~')
        || '|' || coalesce(CAST(CAST(epoch(window_end) AS BIGINT) AS VARCHAR), '~')
        || '|' || CASE WHEN group_by IS NULL THEN '~' ELSE CAST(strlen(group_by) AS VARCHAR) || ':' || group_by END
        || '|' || CASE WHEN project_id IS NULL THEN '~' ELSE CAST(strlen(project_id) AS VARCHAR) || ':' || project_id END
        || '|' || CASE WHEN extra_dimensions IS NULL THEN '~' ELSE CAST(strlen(extra_dimensions) AS VARCHAR) || ':' || extra_dimensions END)
    AS dedupe_key, *
FROM usage_code_interpreter_sessions_rows;

ALTER TABLE usage_web_search_calls_rows ADD COLUMN extra_fields JSON;
DROP VIEW usage_web_search_calls;
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
        || '|' || CASE WHEN api_source IS NULL THEN '~' ELSE CAST(strlen(api_source) AS VARCHAR) || ':' || api_source END
        || '|' || CASE WHEN extra_dimensions IS NULL THEN '~' ELSE CAST(strlen(extra_dimensions) AS VARCHAR) || ':' || extra_dimensions END)
    AS dedupe_key, *
FROM usage_web_search_calls_rows;

ALTER TABLE usage_file_search_calls_rows ADD COLUMN extra_fields JSON;
DROP VIEW usage_file_search_calls;
CREATE VIEW usage_file_search_calls AS SELECT
    CASE WHEN window_start IS NULL THEN 'legacy:' ELSE '' END || md5(
        'usage_file_search_calls'
        || '|' || coalesce(CAST(CAST(epoch(window_start) AS BIGINT) AS VARCHAR), '~')
        || '|' || coalesce(CAST(CAST(epoch(window_end) AS BIGINT) AS VARCHAR), '~')
        || '|' || CASE WHEN group_by IS NULL THEN '~' ELSE CAST(strlen(group_by) AS VARCHAR) || ':' || group_by END
        || '|' || CASE WHEN project_id IS NULL THEN '~' ELSE CAST(strlen(project_id) AS VARCHAR) || ':' || project_id END
        || '|' || CASE WHEN user_id IS NULL THEN '~' ELSE CAST(strlen(user_id) AS VARCHAR) || ':' || user_id END
        || '|' || CASE WHEN api_key_id IS NULL THEN '~' ELSE CAST(strlen(api_key_id) AS VARCHAR) || ':' || api_key_id END
        || '|' || CASE WHEN vector_store_id IS NULL THEN '~' ELSE CAST(strlen(vector_store_id) AS VARCHAR) || ':' || vector_store_id END
        || '|' || CASE WHEN extra_dimensions IS NULL THEN '~' ELSE CAST(strlen(extra_dimensions) AS VARCHAR) || ':' || extra_dimensions END)
    AS dedupe_key, *
FROM usage_file_search_calls_rows;

ALTER TABLE usage_decisions_rows ADD COLUMN extra_fields JSON;
DROP VIEW usage_decisions;
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
        || '|' || CASE WHEN api_source IS NULL THEN '~' ELSE CAST(strlen(api_source) AS VARCHAR) || ':' || api_source END
        || '|' || CASE WHEN extra_dimensions IS NULL THEN '~' ELSE CAST(strlen(extra_dimensions) AS VARCHAR) || ':' || extra_dimensions END)
    AS dedupe_key, *
FROM usage_decisions_rows;

ALTER TABLE costs_rows ADD COLUMN extra_fields JSON;
DROP VIEW costs;
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
        || '|' || CASE WHEN api_source IS NULL THEN '~' ELSE CAST(strlen(api_source) AS VARCHAR) || ':' || api_source END
        || '|' || CASE WHEN extra_dimensions IS NULL THEN '~' ELSE CAST(strlen(extra_dimensions) AS VARCHAR) || ':' || extra_dimensions END)
    AS dedupe_key, *
FROM costs_rows;

ALTER TABLE projects_rows ADD COLUMN extra_fields JSON;
DROP VIEW projects;
CREATE VIEW projects AS SELECT
    md5(
        'projects'
        || '|' || CASE WHEN id IS NULL THEN '~' ELSE CAST(strlen(id) AS VARCHAR) || ':' || id END)
    AS dedupe_key, *
FROM projects_rows;

ALTER TABLE users_rows ADD COLUMN extra_fields JSON;
DROP VIEW users;
CREATE VIEW users AS SELECT
    md5(
        'users'
        || '|' || CASE WHEN id IS NULL THEN '~' ELSE CAST(strlen(id) AS VARCHAR) || ':' || id END)
    AS dedupe_key, *
FROM users_rows;

ALTER TABLE project_users_rows ADD COLUMN extra_fields JSON;
DROP VIEW project_users;
CREATE VIEW project_users AS SELECT
    md5(
        'project_users'
        || '|' || CASE WHEN id IS NULL THEN '~' ELSE CAST(strlen(id) AS VARCHAR) || ':' || id END
        || '|' || CASE WHEN project_id IS NULL THEN '~' ELSE CAST(strlen(project_id) AS VARCHAR) || ':' || project_id END)
    AS dedupe_key, *
FROM project_users_rows;

ALTER TABLE project_service_accounts_rows ADD COLUMN extra_fields JSON;
DROP VIEW project_service_accounts;
CREATE VIEW project_service_accounts AS SELECT
    md5(
        'project_service_accounts'
        || '|' || CASE WHEN id IS NULL THEN '~' ELSE CAST(strlen(id) AS VARCHAR) || ':' || id END
        || '|' || CASE WHEN project_id IS NULL THEN '~' ELSE CAST(strlen(project_id) AS VARCHAR) || ':' || project_id END)
    AS dedupe_key, *
FROM project_service_accounts_rows;

ALTER TABLE project_api_keys_rows ADD COLUMN extra_fields JSON;
DROP VIEW project_api_keys;
CREATE VIEW project_api_keys AS SELECT
    md5(
        'project_api_keys'
        || '|' || CASE WHEN id IS NULL THEN '~' ELSE CAST(strlen(id) AS VARCHAR) || ':' || id END
        || '|' || CASE WHEN project_id IS NULL THEN '~' ELSE CAST(strlen(project_id) AS VARCHAR) || ':' || project_id END)
    AS dedupe_key, *
FROM project_api_keys_rows;

ALTER TABLE admin_api_keys_rows ADD COLUMN extra_fields JSON;
DROP VIEW admin_api_keys;
CREATE VIEW admin_api_keys AS SELECT
    md5(
        'admin_api_keys'
        || '|' || CASE WHEN id IS NULL THEN '~' ELSE CAST(strlen(id) AS VARCHAR) || ':' || id END)
    AS dedupe_key, *
FROM admin_api_keys_rows;

ALTER TABLE invites_rows ADD COLUMN extra_fields JSON;
DROP VIEW invites;
CREATE VIEW invites AS SELECT
    md5(
        'invites'
        || '|' || CASE WHEN id IS NULL THEN '~' ELSE CAST(strlen(id) AS VARCHAR) || ':' || id END)
    AS dedupe_key, *
FROM invites_rows;

ALTER TABLE certificates_rows ADD COLUMN extra_fields JSON;
DROP VIEW certificates;
CREATE VIEW certificates AS SELECT
    md5(
        'certificates'
        || '|' || CASE WHEN id IS NULL THEN '~' ELSE CAST(strlen(id) AS VARCHAR) || ':' || id END)
    AS dedupe_key, *
FROM certificates_rows;

ALTER TABLE project_certificates_rows ADD COLUMN extra_fields JSON;
DROP VIEW project_certificates;
CREATE VIEW project_certificates AS SELECT
    md5(
        'project_certificates'
        || '|' || CASE WHEN id IS NULL THEN '~' ELSE CAST(strlen(id) AS VARCHAR) || ':' || id END
        || '|' || CASE WHEN project_id IS NULL THEN '~' ELSE CAST(strlen(project_id) AS VARCHAR) || ':' || project_id END)
    AS dedupe_key, *
FROM project_certificates_rows;

ALTER TABLE project_rate_limits_rows ADD COLUMN extra_fields JSON;
DROP VIEW project_rate_limits;
CREATE VIEW project_rate_limits AS SELECT
    md5(
        'project_rate_limits'
        || '|' || CASE WHEN id IS NULL THEN '~' ELSE CAST(strlen(id) AS VARCHAR) || ':' || id END
        || '|' || CASE WHEN project_id IS NULL THEN '~' ELSE CAST(strlen(project_id) AS VARCHAR) || ':' || project_id END)
    AS dedupe_key, *
FROM project_rate_limits_rows;

-- audit_logs: a new endpoint
CREATE TABLE audit_logs_rows (
    id VARCHAR NOT NULL,
    effective_at TIMESTAMPTZ,
    type VARCHAR,
    actor_type VARCHAR,
    actor_session_user_id VARCHAR,
    actor_session_user_email VARCHAR,
    actor_session_ip_address VARCHAR,
    actor_api_key_id VARCHAR,
    actor_api_key_type VARCHAR,
    actor_api_key_user_id VARCHAR,
    actor_api_key_user_email VARCHAR,
    actor_api_key_service_account_id VARCHAR,
    project_id VARCHAR,
    project_name VARCHAR,
    actor JSON,
    payload JSON,
    source_scenario VARCHAR,
    source_page VARCHAR,
    captured_at TIMESTAMPTZ,
    synced_at TIMESTAMPTZ,
    extra_fields JSON
);
CREATE VIEW audit_logs AS SELECT
    md5(
        'audit_logs'
        || '|' || CASE WHEN id IS NULL THEN '~' ELSE CAST(strlen(id) AS VARCHAR) || ':' || id END)
    AS dedupe_key, *
FROM audit_logs_rows;

