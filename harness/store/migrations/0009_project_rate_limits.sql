-- project_rate_limits: a project's rate limits per model (SDK 3.51.0), the context of its usage.

-- project_rate_limits: a new endpoint
CREATE TABLE project_rate_limits_rows (
    id VARCHAR NOT NULL,
    project_id VARCHAR NOT NULL,
    model VARCHAR,
    max_requests_per_1_minute BIGINT,
    max_tokens_per_1_minute BIGINT,
    max_images_per_1_minute BIGINT,
    max_audio_megabytes_per_1_minute BIGINT,
    max_requests_per_1_day BIGINT,
    batch_1_day_max_input_tokens BIGINT,
    source_scenario VARCHAR,
    source_page VARCHAR,
    captured_at TIMESTAMPTZ,
    synced_at TIMESTAMPTZ
);
CREATE VIEW project_rate_limits AS SELECT
    md5(
        'project_rate_limits'
        || '|' || CASE WHEN id IS NULL THEN '~' ELSE CAST(strlen(id) AS VARCHAR) || ':' || id END
        || '|' || CASE WHEN project_id IS NULL THEN '~' ELSE CAST(strlen(project_id) AS VARCHAR) || ':' || project_id END)
    AS dedupe_key, *
FROM project_rate_limits_rows;

