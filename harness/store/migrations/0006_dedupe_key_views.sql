-- Writing a row no longer pays for hashing its key. Each table's rows move to <table>_rows,
-- without the stored dedupe_key; <table> becomes a view that adds dedupe_key, computed from the
-- row's own key columns with the very text models.dedupe_key hashes. Readers see the same
-- columns as before, and DuckDB computes the hash only for queries that select it. (Hashing was
-- a third of a large first load, and a VIRTUAL column would not help: DuckDB evaluates those
-- on insert.) Keys 0003-0005 stored equal the computed ones; rows from 0001 (no window) keep
-- their 'legacy:' marker. Upserts and the uniqueness check match on the key columns.

ALTER TABLE usage_completions RENAME TO usage_completions_rows;
ALTER TABLE usage_completions_rows DROP COLUMN dedupe_key;
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
        || '|' || CASE WHEN service_tier IS NULL THEN '~' ELSE CAST(strlen(service_tier) AS VARCHAR) || ':' || service_tier END)
    AS dedupe_key, *
FROM usage_completions_rows;

ALTER TABLE usage_embeddings RENAME TO usage_embeddings_rows;
ALTER TABLE usage_embeddings_rows DROP COLUMN dedupe_key;
CREATE VIEW usage_embeddings AS SELECT
    CASE WHEN window_start IS NULL THEN 'legacy:' ELSE '' END || md5(
        'usage_embeddings'
        || '|' || coalesce(CAST(CAST(epoch(window_start) AS BIGINT) AS VARCHAR), '~')
        || '|' || coalesce(CAST(CAST(epoch(window_end) AS BIGINT) AS VARCHAR), '~')
        || '|' || CASE WHEN group_by IS NULL THEN '~' ELSE CAST(strlen(group_by) AS VARCHAR) || ':' || group_by END
        || '|' || CASE WHEN project_id IS NULL THEN '~' ELSE CAST(strlen(project_id) AS VARCHAR) || ':' || project_id END
        || '|' || CASE WHEN user_id IS NULL THEN '~' ELSE CAST(strlen(user_id) AS VARCHAR) || ':' || user_id END
        || '|' || CASE WHEN api_key_id IS NULL THEN '~' ELSE CAST(strlen(api_key_id) AS VARCHAR) || ':' || api_key_id END
        || '|' || CASE WHEN model IS NULL THEN '~' ELSE CAST(strlen(model) AS VARCHAR) || ':' || model END)
    AS dedupe_key, *
FROM usage_embeddings_rows;

ALTER TABLE usage_moderations RENAME TO usage_moderations_rows;
ALTER TABLE usage_moderations_rows DROP COLUMN dedupe_key;
CREATE VIEW usage_moderations AS SELECT
    CASE WHEN window_start IS NULL THEN 'legacy:' ELSE '' END || md5(
        'usage_moderations'
        || '|' || coalesce(CAST(CAST(epoch(window_start) AS BIGINT) AS VARCHAR), '~')
        || '|' || coalesce(CAST(CAST(epoch(window_end) AS BIGINT) AS VARCHAR), '~')
        || '|' || CASE WHEN group_by IS NULL THEN '~' ELSE CAST(strlen(group_by) AS VARCHAR) || ':' || group_by END
        || '|' || CASE WHEN project_id IS NULL THEN '~' ELSE CAST(strlen(project_id) AS VARCHAR) || ':' || project_id END
        || '|' || CASE WHEN user_id IS NULL THEN '~' ELSE CAST(strlen(user_id) AS VARCHAR) || ':' || user_id END
        || '|' || CASE WHEN api_key_id IS NULL THEN '~' ELSE CAST(strlen(api_key_id) AS VARCHAR) || ':' || api_key_id END
        || '|' || CASE WHEN model IS NULL THEN '~' ELSE CAST(strlen(model) AS VARCHAR) || ':' || model END)
    AS dedupe_key, *
FROM usage_moderations_rows;

ALTER TABLE usage_images RENAME TO usage_images_rows;
ALTER TABLE usage_images_rows DROP COLUMN dedupe_key;
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
        || '|' || CASE WHEN size IS NULL THEN '~' ELSE CAST(strlen(size) AS VARCHAR) || ':' || size END)
    AS dedupe_key, *
FROM usage_images_rows;

ALTER TABLE usage_audio_speeches RENAME TO usage_audio_speeches_rows;
ALTER TABLE usage_audio_speeches_rows DROP COLUMN dedupe_key;
CREATE VIEW usage_audio_speeches AS SELECT
    CASE WHEN window_start IS NULL THEN 'legacy:' ELSE '' END || md5(
        'usage_audio_speeches'
        || '|' || coalesce(CAST(CAST(epoch(window_start) AS BIGINT) AS VARCHAR), '~')
        || '|' || coalesce(CAST(CAST(epoch(window_end) AS BIGINT) AS VARCHAR), '~')
        || '|' || CASE WHEN group_by IS NULL THEN '~' ELSE CAST(strlen(group_by) AS VARCHAR) || ':' || group_by END
        || '|' || CASE WHEN project_id IS NULL THEN '~' ELSE CAST(strlen(project_id) AS VARCHAR) || ':' || project_id END
        || '|' || CASE WHEN user_id IS NULL THEN '~' ELSE CAST(strlen(user_id) AS VARCHAR) || ':' || user_id END
        || '|' || CASE WHEN api_key_id IS NULL THEN '~' ELSE CAST(strlen(api_key_id) AS VARCHAR) || ':' || api_key_id END
        || '|' || CASE WHEN model IS NULL THEN '~' ELSE CAST(strlen(model) AS VARCHAR) || ':' || model END)
    AS dedupe_key, *
FROM usage_audio_speeches_rows;

ALTER TABLE usage_audio_transcriptions RENAME TO usage_audio_transcriptions_rows;
ALTER TABLE usage_audio_transcriptions_rows DROP COLUMN dedupe_key;
CREATE VIEW usage_audio_transcriptions AS SELECT
    CASE WHEN window_start IS NULL THEN 'legacy:' ELSE '' END || md5(
        'usage_audio_transcriptions'
        || '|' || coalesce(CAST(CAST(epoch(window_start) AS BIGINT) AS VARCHAR), '~')
        || '|' || coalesce(CAST(CAST(epoch(window_end) AS BIGINT) AS VARCHAR), '~')
        || '|' || CASE WHEN group_by IS NULL THEN '~' ELSE CAST(strlen(group_by) AS VARCHAR) || ':' || group_by END
        || '|' || CASE WHEN project_id IS NULL THEN '~' ELSE CAST(strlen(project_id) AS VARCHAR) || ':' || project_id END
        || '|' || CASE WHEN user_id IS NULL THEN '~' ELSE CAST(strlen(user_id) AS VARCHAR) || ':' || user_id END
        || '|' || CASE WHEN api_key_id IS NULL THEN '~' ELSE CAST(strlen(api_key_id) AS VARCHAR) || ':' || api_key_id END
        || '|' || CASE WHEN model IS NULL THEN '~' ELSE CAST(strlen(model) AS VARCHAR) || ':' || model END)
    AS dedupe_key, *
FROM usage_audio_transcriptions_rows;

ALTER TABLE usage_vector_stores RENAME TO usage_vector_stores_rows;
ALTER TABLE usage_vector_stores_rows DROP COLUMN dedupe_key;
CREATE VIEW usage_vector_stores AS SELECT
    CASE WHEN window_start IS NULL THEN 'legacy:' ELSE '' END || md5(
        'usage_vector_stores'
        || '|' || coalesce(CAST(CAST(epoch(window_start) AS BIGINT) AS VARCHAR), '~')
        || '|' || coalesce(CAST(CAST(epoch(window_end) AS BIGINT) AS VARCHAR), '~')
        || '|' || CASE WHEN group_by IS NULL THEN '~' ELSE CAST(strlen(group_by) AS VARCHAR) || ':' || group_by END
        || '|' || CASE WHEN project_id IS NULL THEN '~' ELSE CAST(strlen(project_id) AS VARCHAR) || ':' || project_id END)
    AS dedupe_key, *
FROM usage_vector_stores_rows;

ALTER TABLE usage_code_interpreter_sessions RENAME TO usage_code_interpreter_sessions_rows;
ALTER TABLE usage_code_interpreter_sessions_rows DROP COLUMN dedupe_key;
CREATE VIEW usage_code_interpreter_sessions AS SELECT
    CASE WHEN window_start IS NULL THEN 'legacy:' ELSE '' END || md5(
        'usage_code_interpreter_sessions'
        || '|' || coalesce(CAST(CAST(epoch(window_start) AS BIGINT) AS VARCHAR), '~')
        || '|' || coalesce(CAST(CAST(epoch(window_end) AS BIGINT) AS VARCHAR), '~')
        || '|' || CASE WHEN group_by IS NULL THEN '~' ELSE CAST(strlen(group_by) AS VARCHAR) || ':' || group_by END
        || '|' || CASE WHEN project_id IS NULL THEN '~' ELSE CAST(strlen(project_id) AS VARCHAR) || ':' || project_id END)
    AS dedupe_key, *
FROM usage_code_interpreter_sessions_rows;

ALTER TABLE costs RENAME TO costs_rows;
ALTER TABLE costs_rows DROP COLUMN dedupe_key;
CREATE VIEW costs AS SELECT
    CASE WHEN window_start IS NULL THEN 'legacy:' ELSE '' END || md5(
        'costs'
        || '|' || coalesce(CAST(CAST(epoch(window_start) AS BIGINT) AS VARCHAR), '~')
        || '|' || coalesce(CAST(CAST(epoch(window_end) AS BIGINT) AS VARCHAR), '~')
        || '|' || CASE WHEN group_by IS NULL THEN '~' ELSE CAST(strlen(group_by) AS VARCHAR) || ':' || group_by END
        || '|' || CASE WHEN project_id IS NULL THEN '~' ELSE CAST(strlen(project_id) AS VARCHAR) || ':' || project_id END
        || '|' || CASE WHEN line_item IS NULL THEN '~' ELSE CAST(strlen(line_item) AS VARCHAR) || ':' || line_item END
        || '|' || CASE WHEN api_key_id IS NULL THEN '~' ELSE CAST(strlen(api_key_id) AS VARCHAR) || ':' || api_key_id END)
    AS dedupe_key, *
FROM costs_rows;

ALTER TABLE projects RENAME TO projects_rows;
ALTER TABLE projects_rows DROP COLUMN dedupe_key;
CREATE VIEW projects AS SELECT
    md5(
        'projects'
        || '|' || CASE WHEN id IS NULL THEN '~' ELSE CAST(strlen(id) AS VARCHAR) || ':' || id END)
    AS dedupe_key, *
FROM projects_rows;

ALTER TABLE users RENAME TO users_rows;
ALTER TABLE users_rows DROP COLUMN dedupe_key;
CREATE VIEW users AS SELECT
    md5(
        'users'
        || '|' || CASE WHEN id IS NULL THEN '~' ELSE CAST(strlen(id) AS VARCHAR) || ':' || id END)
    AS dedupe_key, *
FROM users_rows;

ALTER TABLE project_users RENAME TO project_users_rows;
ALTER TABLE project_users_rows DROP COLUMN dedupe_key;
CREATE VIEW project_users AS SELECT
    md5(
        'project_users'
        || '|' || CASE WHEN id IS NULL THEN '~' ELSE CAST(strlen(id) AS VARCHAR) || ':' || id END
        || '|' || CASE WHEN project_id IS NULL THEN '~' ELSE CAST(strlen(project_id) AS VARCHAR) || ':' || project_id END)
    AS dedupe_key, *
FROM project_users_rows;

ALTER TABLE project_service_accounts RENAME TO project_service_accounts_rows;
ALTER TABLE project_service_accounts_rows DROP COLUMN dedupe_key;
CREATE VIEW project_service_accounts AS SELECT
    md5(
        'project_service_accounts'
        || '|' || CASE WHEN id IS NULL THEN '~' ELSE CAST(strlen(id) AS VARCHAR) || ':' || id END
        || '|' || CASE WHEN project_id IS NULL THEN '~' ELSE CAST(strlen(project_id) AS VARCHAR) || ':' || project_id END)
    AS dedupe_key, *
FROM project_service_accounts_rows;

ALTER TABLE project_api_keys RENAME TO project_api_keys_rows;
ALTER TABLE project_api_keys_rows DROP COLUMN dedupe_key;
CREATE VIEW project_api_keys AS SELECT
    md5(
        'project_api_keys'
        || '|' || CASE WHEN id IS NULL THEN '~' ELSE CAST(strlen(id) AS VARCHAR) || ':' || id END
        || '|' || CASE WHEN project_id IS NULL THEN '~' ELSE CAST(strlen(project_id) AS VARCHAR) || ':' || project_id END)
    AS dedupe_key, *
FROM project_api_keys_rows;

ALTER TABLE admin_api_keys RENAME TO admin_api_keys_rows;
ALTER TABLE admin_api_keys_rows DROP COLUMN dedupe_key;
CREATE VIEW admin_api_keys AS SELECT
    md5(
        'admin_api_keys'
        || '|' || CASE WHEN id IS NULL THEN '~' ELSE CAST(strlen(id) AS VARCHAR) || ':' || id END)
    AS dedupe_key, *
FROM admin_api_keys_rows;

ALTER TABLE certificates RENAME TO certificates_rows;
ALTER TABLE certificates_rows DROP COLUMN dedupe_key;
CREATE VIEW certificates AS SELECT
    md5(
        'certificates'
        || '|' || CASE WHEN id IS NULL THEN '~' ELSE CAST(strlen(id) AS VARCHAR) || ':' || id END)
    AS dedupe_key, *
FROM certificates_rows;

ALTER TABLE project_certificates RENAME TO project_certificates_rows;
ALTER TABLE project_certificates_rows DROP COLUMN dedupe_key;
CREATE VIEW project_certificates AS SELECT
    md5(
        'project_certificates'
        || '|' || CASE WHEN id IS NULL THEN '~' ELSE CAST(strlen(id) AS VARCHAR) || ':' || id END
        || '|' || CASE WHEN project_id IS NULL THEN '~' ELSE CAST(strlen(project_id) AS VARCHAR) || ':' || project_id END)
    AS dedupe_key, *
FROM project_certificates_rows;
