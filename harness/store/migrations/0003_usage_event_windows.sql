-- Usage events gain their bucket window and capture metadata, and are re-keyed on the full dedupe
-- key (endpoint, group_by, window, every dimension). DuckDB cannot ALTER a table that carries an
-- index, so the table is rebuilt: create the new shape, copy, drop the old, rename.
-- Rows from 0001 have no known window; they are kept, marked with a 'legacy:' key prefix.
CREATE TABLE usage_completions_v3 (
    dedupe_key VARCHAR NOT NULL,
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

INSERT INTO usage_completions_v3
SELECT 'legacy:' || dedupe_key, NULL, NULL, group_by, project_id, user_id, api_key_id, model,
       batch, service_tier, input_tokens, output_tokens, input_cached_tokens, input_audio_tokens,
       output_audio_tokens, num_model_requests, NULL, NULL, NULL, NULL
FROM usage_completions;

DROP TABLE usage_completions;
ALTER TABLE usage_completions_v3 RENAME TO usage_completions;
