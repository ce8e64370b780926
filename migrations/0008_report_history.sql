-- What each assessment found, in counts, for the report's trend chart: the last assessment of each
-- hour (the daemon assesses every few minutes; an hour's row is replaced, so a year is 8,760 rows
-- per cluster).
CREATE TABLE assessment_history (
    cluster         TEXT    NOT NULL,
    hour            INTEGER NOT NULL, -- hours since 1970-01-01, UTC
    at_ms           INTEGER NOT NULL,
    state_version   INTEGER NOT NULL,
    grants_used     INTEGER NOT NULL,
    grants_unused   INTEGER NOT NULL,
    findings_high   INTEGER NOT NULL,
    findings_medium INTEGER NOT NULL,
    findings_low    INTEGER NOT NULL,
    PRIMARY KEY (cluster, hour)
) WITHOUT ROWID;

-- The last scheduled report of each cluster, as its JSON: what the next report says changed since.
CREATE TABLE last_reports (
    cluster TEXT PRIMARY KEY,
    report  TEXT NOT NULL
) WITHOUT ROWID;
