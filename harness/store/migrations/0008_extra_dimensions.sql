-- No silent loss by construction: every usage and costs table gets extra_dimensions, a key
-- column holding the values of the request's group_by dimensions the registry does not know
-- (canonical JSON, sorted keys; NULL when there are none), so that two results the API kept
-- apart never share a key. A later migration that teaches the registry such a dimension moves
-- its values out of extra_dimensions into their own column (docs/architecture.md).

-- usage_completions: extra_dimensions added
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
    extra_dimensions VARCHAR,
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
INSERT INTO usage_completions_rows SELECT window_start, window_end, group_by, project_id, user_id, api_key_id, model, batch, service_tier, api_source, CAST(NULL AS VARCHAR) AS extra_dimensions, input_tokens, output_tokens, input_cached_tokens, input_audio_tokens, output_audio_tokens, num_model_requests, input_cache_write_tokens, input_cache_write_30m_tokens, input_cache_write_12h_tokens, input_uncached_tokens, input_text_tokens, output_text_tokens, input_cached_text_tokens, input_cached_audio_tokens, input_image_tokens, input_cached_image_tokens, output_image_tokens, source_scenario, source_page, captured_at, synced_at FROM usage_completions_rows_old;
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
        || '|' || CASE WHEN api_source IS NULL THEN '~' ELSE CAST(strlen(api_source) AS VARCHAR) || ':' || api_source END
        || '|' || CASE WHEN extra_dimensions IS NULL THEN '~' ELSE CAST(strlen(extra_dimensions) AS VARCHAR) || ':' || extra_dimensions END)
    AS dedupe_key, *
FROM usage_completions_rows;

-- usage_embeddings: extra_dimensions added
DROP VIEW usage_embeddings;
ALTER TABLE usage_embeddings_rows RENAME TO usage_embeddings_rows_old;
CREATE TABLE usage_embeddings_rows (
    window_start TIMESTAMPTZ NOT NULL,
    window_end TIMESTAMPTZ NOT NULL,
    group_by VARCHAR NOT NULL,
    project_id VARCHAR,
    user_id VARCHAR,
    api_key_id VARCHAR,
    model VARCHAR,
    extra_dimensions VARCHAR,
    input_tokens BIGINT,
    num_model_requests BIGINT,
    source_scenario VARCHAR,
    source_page VARCHAR,
    captured_at TIMESTAMPTZ,
    synced_at TIMESTAMPTZ
);
INSERT INTO usage_embeddings_rows SELECT window_start, window_end, group_by, project_id, user_id, api_key_id, model, CAST(NULL AS VARCHAR) AS extra_dimensions, input_tokens, num_model_requests, source_scenario, source_page, captured_at, synced_at FROM usage_embeddings_rows_old;
DROP TABLE usage_embeddings_rows_old;
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

-- usage_moderations: extra_dimensions added
DROP VIEW usage_moderations;
ALTER TABLE usage_moderations_rows RENAME TO usage_moderations_rows_old;
CREATE TABLE usage_moderations_rows (
    window_start TIMESTAMPTZ NOT NULL,
    window_end TIMESTAMPTZ NOT NULL,
    group_by VARCHAR NOT NULL,
    project_id VARCHAR,
    user_id VARCHAR,
    api_key_id VARCHAR,
    model VARCHAR,
    extra_dimensions VARCHAR,
    input_tokens BIGINT,
    num_model_requests BIGINT,
    source_scenario VARCHAR,
    source_page VARCHAR,
    captured_at TIMESTAMPTZ,
    synced_at TIMESTAMPTZ
);
INSERT INTO usage_moderations_rows SELECT window_start, window_end, group_by, project_id, user_id, api_key_id, model, CAST(NULL AS VARCHAR) AS extra_dimensions, input_tokens, num_model_requests, source_scenario, source_page, captured_at, synced_at FROM usage_moderations_rows_old;
DROP TABLE usage_moderations_rows_old;
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

-- usage_images: extra_dimensions added
DROP VIEW usage_images;
ALTER TABLE usage_images_rows RENAME TO usage_images_rows_old;
CREATE TABLE usage_images_rows (
    window_start TIMESTAMPTZ NOT NULL,
    window_end TIMESTAMPTZ NOT NULL,
    group_by VARCHAR NOT NULL,
    project_id VARCHAR,
    user_id VARCHAR,
    api_key_id VARCHAR,
    model VARCHAR,
    source VARCHAR,
    size VARCHAR,
    extra_dimensions VARCHAR,
    images BIGINT,
    num_model_requests BIGINT,
    source_scenario VARCHAR,
    source_page VARCHAR,
    captured_at TIMESTAMPTZ,
    synced_at TIMESTAMPTZ
);
INSERT INTO usage_images_rows SELECT window_start, window_end, group_by, project_id, user_id, api_key_id, model, source, size, CAST(NULL AS VARCHAR) AS extra_dimensions, images, num_model_requests, source_scenario, source_page, captured_at, synced_at FROM usage_images_rows_old;
DROP TABLE usage_images_rows_old;
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

-- usage_audio_speeches: extra_dimensions added
DROP VIEW usage_audio_speeches;
ALTER TABLE usage_audio_speeches_rows RENAME TO usage_audio_speeches_rows_old;
CREATE TABLE usage_audio_speeches_rows (
    window_start TIMESTAMPTZ NOT NULL,
    window_end TIMESTAMPTZ NOT NULL,
    group_by VARCHAR NOT NULL,
    project_id VARCHAR,
    user_id VARCHAR,
    api_key_id VARCHAR,
    model VARCHAR,
    extra_dimensions VARCHAR,
    characters BIGINT,
    num_model_requests BIGINT,
    source_scenario VARCHAR,
    source_page VARCHAR,
    captured_at TIMESTAMPTZ,
    synced_at TIMESTAMPTZ
);
INSERT INTO usage_audio_speeches_rows SELECT window_start, window_end, group_by, project_id, user_id, api_key_id, model, CAST(NULL AS VARCHAR) AS extra_dimensions, characters, num_model_requests, source_scenario, source_page, captured_at, synced_at FROM usage_audio_speeches_rows_old;
DROP TABLE usage_audio_speeches_rows_old;
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

-- usage_audio_transcriptions: extra_dimensions added
DROP VIEW usage_audio_transcriptions;
ALTER TABLE usage_audio_transcriptions_rows RENAME TO usage_audio_transcriptions_rows_old;
CREATE TABLE usage_audio_transcriptions_rows (
    window_start TIMESTAMPTZ NOT NULL,
    window_end TIMESTAMPTZ NOT NULL,
    group_by VARCHAR NOT NULL,
    project_id VARCHAR,
    user_id VARCHAR,
    api_key_id VARCHAR,
    model VARCHAR,
    extra_dimensions VARCHAR,
    seconds BIGINT,
    num_model_requests BIGINT,
    source_scenario VARCHAR,
    source_page VARCHAR,
    captured_at TIMESTAMPTZ,
    synced_at TIMESTAMPTZ
);
INSERT INTO usage_audio_transcriptions_rows SELECT window_start, window_end, group_by, project_id, user_id, api_key_id, model, CAST(NULL AS VARCHAR) AS extra_dimensions, seconds, num_model_requests, source_scenario, source_page, captured_at, synced_at FROM usage_audio_transcriptions_rows_old;
DROP TABLE usage_audio_transcriptions_rows_old;
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

-- usage_vector_stores: extra_dimensions added
DROP VIEW usage_vector_stores;
ALTER TABLE usage_vector_stores_rows RENAME TO usage_vector_stores_rows_old;
CREATE TABLE usage_vector_stores_rows (
    window_start TIMESTAMPTZ NOT NULL,
    window_end TIMESTAMPTZ NOT NULL,
    group_by VARCHAR NOT NULL,
    project_id VARCHAR,
    extra_dimensions VARCHAR,
    usage_bytes BIGINT,
    source_scenario VARCHAR,
    source_page VARCHAR,
    captured_at TIMESTAMPTZ,
    synced_at TIMESTAMPTZ
);
INSERT INTO usage_vector_stores_rows SELECT window_start, window_end, group_by, project_id, CAST(NULL AS VARCHAR) AS extra_dimensions, usage_bytes, source_scenario, source_page, captured_at, synced_at FROM usage_vector_stores_rows_old;
DROP TABLE usage_vector_stores_rows_old;
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

-- usage_code_interpreter_sessions: extra_dimensions added
DROP VIEW usage_code_interpreter_sessions;
ALTER TABLE usage_code_interpreter_sessions_rows RENAME TO usage_code_interpreter_sessions_rows_old;
CREATE TABLE usage_code_interpreter_sessions_rows (
    window_start TIMESTAMPTZ NOT NULL,
    window_end TIMESTAMPTZ NOT NULL,
    group_by VARCHAR NOT NULL,
    project_id VARCHAR,
    extra_dimensions VARCHAR,
    num_sessions BIGINT,
    source_scenario VARCHAR,
    source_page VARCHAR,
    captured_at TIMESTAMPTZ,
    synced_at TIMESTAMPTZ
);
INSERT INTO usage_code_interpreter_sessions_rows SELECT window_start, window_end, group_by, project_id, CAST(NULL AS VARCHAR) AS extra_dimensions, num_sessions, source_scenario, source_page, captured_at, synced_at FROM usage_code_interpreter_sessions_rows_old;
DROP TABLE usage_code_interpreter_sessions_rows_old;
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

-- usage_web_search_calls: extra_dimensions added
DROP VIEW usage_web_search_calls;
ALTER TABLE usage_web_search_calls_rows RENAME TO usage_web_search_calls_rows_old;
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
    extra_dimensions VARCHAR,
    num_requests BIGINT,
    num_model_requests BIGINT,
    source_scenario VARCHAR,
    source_page VARCHAR,
    captured_at TIMESTAMPTZ,
    synced_at TIMESTAMPTZ
);
INSERT INTO usage_web_search_calls_rows SELECT window_start, window_end, group_by, project_id, user_id, api_key_id, model, context_level, api_source, CAST(NULL AS VARCHAR) AS extra_dimensions, num_requests, num_model_requests, source_scenario, source_page, captured_at, synced_at FROM usage_web_search_calls_rows_old;
DROP TABLE usage_web_search_calls_rows_old;
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

-- usage_file_search_calls: extra_dimensions added
DROP VIEW usage_file_search_calls;
ALTER TABLE usage_file_search_calls_rows RENAME TO usage_file_search_calls_rows_old;
CREATE TABLE usage_file_search_calls_rows (
    window_start TIMESTAMPTZ NOT NULL,
    window_end TIMESTAMPTZ NOT NULL,
    group_by VARCHAR NOT NULL,
    project_id VARCHAR,
    user_id VARCHAR,
    api_key_id VARCHAR,
    vector_store_id VARCHAR,
    extra_dimensions VARCHAR,
    num_requests BIGINT,
    source_scenario VARCHAR,
    source_page VARCHAR,
    captured_at TIMESTAMPTZ,
    synced_at TIMESTAMPTZ
);
INSERT INTO usage_file_search_calls_rows SELECT window_start, window_end, group_by, project_id, user_id, api_key_id, vector_store_id, CAST(NULL AS VARCHAR) AS extra_dimensions, num_requests, source_scenario, source_page, captured_at, synced_at FROM usage_file_search_calls_rows_old;
DROP TABLE usage_file_search_calls_rows_old;
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

-- usage_decisions: extra_dimensions added
DROP VIEW usage_decisions;
ALTER TABLE usage_decisions_rows RENAME TO usage_decisions_rows_old;
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
    extra_dimensions VARCHAR,
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
INSERT INTO usage_decisions_rows SELECT window_start, window_end, group_by, project_id, user_id, api_key_id, model, batch, service_tier, api_source, CAST(NULL AS VARCHAR) AS extra_dimensions, input_tokens, output_tokens, input_cached_tokens, input_audio_tokens, output_audio_tokens, num_model_requests, input_cache_write_tokens, input_cache_write_30m_tokens, input_cache_write_12h_tokens, input_uncached_tokens, input_text_tokens, output_text_tokens, input_cached_text_tokens, input_cached_audio_tokens, input_image_tokens, input_cached_image_tokens, output_image_tokens, source_scenario, source_page, captured_at, synced_at FROM usage_decisions_rows_old;
DROP TABLE usage_decisions_rows_old;
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

-- costs: extra_dimensions added
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
    extra_dimensions VARCHAR,
    amount_value DECIMAL(38,18),
    amount_currency VARCHAR,
    quantity DOUBLE,
    quantity_unit VARCHAR,
    source_scenario VARCHAR,
    source_page VARCHAR,
    captured_at TIMESTAMPTZ,
    synced_at TIMESTAMPTZ
);
INSERT INTO costs_rows SELECT window_start, window_end, group_by, project_id, line_item, api_key_id, user_id, api_source, CAST(NULL AS VARCHAR) AS extra_dimensions, amount_value, amount_currency, quantity, quantity_unit, source_scenario, source_page, captured_at, synced_at FROM costs_rows_old;
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
        || '|' || CASE WHEN api_source IS NULL THEN '~' ELSE CAST(strlen(api_source) AS VARCHAR) || ':' || api_source END
        || '|' || CASE WHEN extra_dimensions IS NULL THEN '~' ELSE CAST(strlen(extra_dimensions) AS VARCHAR) || ':' || extra_dimensions END)
    AS dedupe_key, *
FROM costs_rows;

