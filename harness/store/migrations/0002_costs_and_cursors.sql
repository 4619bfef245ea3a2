-- Billed costs per day and the cursors that record where each sync (or replayed chain) stopped.
CREATE TABLE costs (
    dedupe_key VARCHAR NOT NULL,
    window_start TIMESTAMPTZ NOT NULL,
    window_end TIMESTAMPTZ NOT NULL,
    group_by VARCHAR NOT NULL,
    project_id VARCHAR,
    line_item VARCHAR,
    api_key_id VARCHAR,
    amount_value DECIMAL(38, 18),
    amount_currency VARCHAR,
    quantity DOUBLE,
    quantity_unit VARCHAR,
    source_scenario VARCHAR,
    source_page VARCHAR,
    captured_at TIMESTAMPTZ,
    synced_at TIMESTAMPTZ
);

-- One row per (endpoint, project, request fingerprint): a next_page token is only valid for the
-- query that produced it. project_id is '' for organization-level endpoints.
CREATE TABLE sync_cursors (
    endpoint VARCHAR NOT NULL,
    project_id VARCHAR NOT NULL,
    request_fingerprint VARCHAR NOT NULL,
    next_page VARCHAR,
    has_more BOOLEAN NOT NULL,
    window_start TIMESTAMPTZ,
    window_end TIMESTAMPTZ,
    last_synced_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (endpoint, project_id, request_fingerprint)
);
