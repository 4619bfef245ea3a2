-- The other usage endpoints, in the shape 0003 gave usage_completions.

CREATE TABLE usage_embeddings (
    dedupe_key VARCHAR NOT NULL,
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

CREATE TABLE usage_moderations (
    dedupe_key VARCHAR NOT NULL,
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

CREATE TABLE usage_images (
    dedupe_key VARCHAR NOT NULL,
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

CREATE TABLE usage_audio_speeches (
    dedupe_key VARCHAR NOT NULL,
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

CREATE TABLE usage_audio_transcriptions (
    dedupe_key VARCHAR NOT NULL,
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

CREATE TABLE usage_vector_stores (
    dedupe_key VARCHAR NOT NULL,
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

CREATE TABLE usage_code_interpreter_sessions (
    dedupe_key VARCHAR NOT NULL,
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
