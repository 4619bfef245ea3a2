-- The original ingestion job's schema: completions usage keyed on group_by + dimensions only
-- (no window: every day overwrote the last, fixed by 0003) and the project directory.
CREATE TABLE usage_completions (
    dedupe_key VARCHAR PRIMARY KEY,
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
    num_model_requests BIGINT
);

CREATE TABLE projects (
    dedupe_key VARCHAR NOT NULL,
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
