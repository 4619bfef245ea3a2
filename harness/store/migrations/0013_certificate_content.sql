-- Certificates keep their PEM content (certificate_details.content, SDK 3.51.0), which was
-- read by no column.
-- certificates: content added
DROP VIEW certificates;
ALTER TABLE certificates_rows RENAME TO certificates_rows_old;
CREATE TABLE certificates_rows (
    id VARCHAR NOT NULL,
    name VARCHAR,
    active BOOLEAN,
    created_at TIMESTAMPTZ,
    valid_at TIMESTAMPTZ,
    expires_at TIMESTAMPTZ,
    content VARCHAR,
    source_scenario VARCHAR,
    source_page VARCHAR,
    captured_at TIMESTAMPTZ,
    synced_at TIMESTAMPTZ,
    extra_fields JSON
);
INSERT INTO certificates_rows SELECT id, name, active, created_at, valid_at, expires_at, CAST(NULL AS VARCHAR) AS content, source_scenario, source_page, captured_at, synced_at, extra_fields FROM certificates_rows_old;
DROP TABLE certificates_rows_old;
CREATE VIEW certificates AS SELECT
    md5(
        'certificates'
        || '|' || CASE WHEN id IS NULL THEN '~' ELSE CAST(strlen(id) AS VARCHAR) || ':' || id END)
    AS dedupe_key, *
FROM certificates_rows;

-- project_certificates: content added
DROP VIEW project_certificates;
ALTER TABLE project_certificates_rows RENAME TO project_certificates_rows_old;
CREATE TABLE project_certificates_rows (
    id VARCHAR NOT NULL,
    project_id VARCHAR NOT NULL,
    name VARCHAR,
    active BOOLEAN,
    created_at TIMESTAMPTZ,
    valid_at TIMESTAMPTZ,
    expires_at TIMESTAMPTZ,
    content VARCHAR,
    source_scenario VARCHAR,
    source_page VARCHAR,
    captured_at TIMESTAMPTZ,
    synced_at TIMESTAMPTZ,
    extra_fields JSON
);
INSERT INTO project_certificates_rows SELECT id, project_id, name, active, created_at, valid_at, expires_at, CAST(NULL AS VARCHAR) AS content, source_scenario, source_page, captured_at, synced_at, extra_fields FROM project_certificates_rows_old;
DROP TABLE project_certificates_rows_old;
CREATE VIEW project_certificates AS SELECT
    md5(
        'project_certificates'
        || '|' || CASE WHEN id IS NULL THEN '~' ELSE CAST(strlen(id) AS VARCHAR) || ':' || id END
        || '|' || CASE WHEN project_id IS NULL THEN '~' ELSE CAST(strlen(project_id) AS VARCHAR) || ':' || project_id END)
    AS dedupe_key, *
FROM project_certificates_rows;

