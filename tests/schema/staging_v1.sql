-- The staging schema as stage.DDL wrote it by hand before the tables were generated from
-- the record definitions (dxplan.models / dxplan.schema). tests/schema compares against it.
CREATE SCHEMA IF NOT EXISTS staging;

CREATE TABLE IF NOT EXISTS staging.loads (
    load_id            VARCHAR PRIMARY KEY,
    source_path        VARCHAR NOT NULL,
    source_name        VARCHAR NOT NULL,
    sha256             VARCHAR NOT NULL,
    file_format        VARCHAR NOT NULL,
    encoding           VARCHAR,
    report_fiscal_year INTEGER NOT NULL,
    as_of_date         DATE,
    title              VARCHAR,
    row_count          INTEGER,
    kpi_count          INTEGER,
    loaded_at          TIMESTAMP NOT NULL,
    is_current         BOOLEAN NOT NULL,
    superseded_by      VARCHAR,
    superseded_at      TIMESTAMP
);

CREATE TABLE IF NOT EXISTS staging.report_rows (
    load_id            VARCHAR NOT NULL,
    report_fiscal_year INTEGER NOT NULL,
    source_row_no      INTEGER NOT NULL,
    page_no            INTEGER,
    line_start         INTEGER,
    line_end           INTEGER,
    is_relisted        BOOLEAN NOT NULL,
    project_no         INTEGER,
    pillar             VARCHAR,
    area_no            INTEGER,
    area_name          VARCHAR,
    item_no            VARCHAR,
    item_name          VARCHAR,
    department         VARCHAR,   -- several joined with '|' in printed order
    division           VARCHAR,   -- several joined with '|' in printed order
    project_name       VARCHAR,
    summary            VARCHAR,
    target_text        VARCHAR,
    kpi_no             INTEGER,
    kpi_is_relisted    BOOLEAN NOT NULL,
    evaluation_text    VARCHAR,
    evaluation         VARCHAR,
    status_text        VARCHAR,
    raw_text           VARCHAR,
    repair_count       INTEGER NOT NULL,
    repairs_json       VARCHAR,
    PRIMARY KEY (load_id, source_row_no)
);
-- a PDF row's place on its page ('p3 r5'); NULL for text files (added after v1: ALTER)
ALTER TABLE staging.report_rows ADD COLUMN IF NOT EXISTS source_cell VARCHAR;

CREATE TABLE IF NOT EXISTS staging.kpis (
    load_id             VARCHAR NOT NULL,
    report_fiscal_year  INTEGER NOT NULL,
    kpi_no              INTEGER NOT NULL,
    source_row_no       INTEGER,
    project_no          INTEGER,
    indicator_name      VARCHAR,
    unit                VARCHAR,
    direction           VARCHAR,
    baseline_text       VARCHAR,
    baseline_value      DOUBLE,
    baseline_comparator VARCHAR,
    actual_text         VARCHAR,
    actual_value        DOUBLE,
    actual_comparator   VARCHAR,
    actual_as_of        DATE,
    evaluation_text     VARCHAR,
    evaluation          VARCHAR,
    repair_count        INTEGER NOT NULL,
    repairs_json        VARCHAR
);

CREATE TABLE IF NOT EXISTS staging.kpi_targets (
    load_id            VARCHAR NOT NULL,
    report_fiscal_year INTEGER NOT NULL,
    kpi_no             INTEGER NOT NULL,
    fiscal_year        INTEGER NOT NULL,
    target_text        VARCHAR,
    target_value       DOUBLE,
    target_comparator  VARCHAR
);

CREATE TABLE IF NOT EXISTS staging.repairs (
    load_id            VARCHAR NOT NULL,
    report_fiscal_year INTEGER NOT NULL,
    source_row_no      INTEGER,
    kpi_no             INTEGER,
    field              VARCHAR NOT NULL,
    raw                VARCHAR,
    value              VARCHAR,
    rule               VARCHAR NOT NULL,
    note               VARCHAR
);
ALTER TABLE staging.repairs ADD COLUMN IF NOT EXISTS source_cell VARCHAR;
