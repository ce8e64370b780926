-- The foundation: request shapes with daily usage (kept for the analysis window), per-event rows
-- (kept only inside a short horizon, for exactly-once ingestion and drill-down), access-changing
-- CloudTrail events, source checkpoints and the record of bad input.
--
-- Why shapes: replay cost must grow with distinct behaviour, not log volume (DESIGN idea 1), and
-- the store must not grow per event beyond the horizon on clusters emitting 1,000+ events/s.

-- One row per distinct request shape. `key` is a 128-bit hash of all the other columns.
CREATE TABLE shapes (
    id           INTEGER PRIMARY KEY,
    key          BLOB    NOT NULL UNIQUE,
    cluster      TEXT    NOT NULL,
    principal    TEXT    NOT NULL,
    iam          INTEGER NOT NULL,
    username     TEXT    NOT NULL,
    groups       TEXT    NOT NULL, -- JSON array, as recorded
    session_name TEXT    NOT NULL,
    verb         TEXT    NOT NULL,
    api_group    TEXT    NOT NULL,
    resource     TEXT    NOT NULL,
    subresource  TEXT    NOT NULL,
    namespace    TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    path         TEXT    NOT NULL,
    examples     TEXT    NOT NULL  -- JSON array of up to 5 auditIDs
);
CREATE INDEX shapes_by_cluster_principal ON shapes (cluster, principal);

-- Recorded authorization reasons, interned: a handful per principal, repeated by every request.
CREATE TABLE reasons (
    id     INTEGER PRIMARY KEY,
    reason TEXT NOT NULL UNIQUE
);

-- Requests per shape, UTC day and recorded reason. `requests` counts every event; `allowed` and
-- `denied` count the recorded decisions (events without one count in neither).
CREATE TABLE shape_days (
    shape_id  INTEGER NOT NULL REFERENCES shapes (id),
    day       INTEGER NOT NULL, -- days since 1970-01-01, UTC
    reason_id INTEGER NOT NULL, -- 0: no reason recorded
    requests  INTEGER NOT NULL,
    allowed   INTEGER NOT NULL,
    denied    INTEGER NOT NULL,
    first_ms  INTEGER NOT NULL,
    last_ms   INTEGER NOT NULL,
    PRIMARY KEY (shape_id, day, reason_id)
) WITHOUT ROWID;

-- One row per audit event ingested inside the horizon: the dedupe key and the drill-down record.
-- Keyed by (request second, id), not id alone: an event's request time is as fixed as its auditID,
-- and a time-ordered key makes inserts land at the B-tree's right edge instead of at random pages,
-- which keeps ingest fast however large the horizon grows (1,000+ events/s for days). Seconds, not
-- milliseconds, so exports that print the timestamp with less precision still match.
-- `grantscope gc` deletes a row once it is older than both the dedupe horizon (by ingestion day)
-- and the retention (by event time).
CREATE TABLE events (
    time_s       INTEGER NOT NULL,
    id           BLOB    NOT NULL,    -- 16 bytes: the auditID's UUID
    time_ms      INTEGER NOT NULL,
    ingested_day INTEGER NOT NULL,
    shape_id     INTEGER NOT NULL,
    decision     INTEGER,             -- 1 allow, 0 forbid, NULL not recorded
    reason_id    INTEGER NOT NULL,
    code         INTEGER,
    source_ip    TEXT    NOT NULL,
    PRIMARY KEY (time_s, id)
) WITHOUT ROWID;

-- Access-relevant CloudTrail events. Few per day, so they are all kept; the eventID dedupes.
CREATE TABLE access_changes (
    id            BLOB    PRIMARY KEY,
    event_id      TEXT    NOT NULL,
    time_ms       INTEGER NOT NULL,
    source        TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    cluster       TEXT,             -- NULL for IAM events: they concern the whole account
    principal_arn TEXT,
    policy_arn    TEXT,
    account       TEXT,
    actor_arn     TEXT,
    raw           TEXT    NOT NULL
) WITHOUT ROWID;
CREATE INDEX access_changes_by_time ON access_changes (time_ms);

-- Where each source stopped. Written in the same transaction as the events it covers.
CREATE TABLE checkpoints (
    source     TEXT    NOT NULL,
    key        TEXT    NOT NULL,
    value      TEXT    NOT NULL, -- versioned JSON, owned by the source
    updated_ms INTEGER NOT NULL,
    PRIMARY KEY (source, key)
) WITHOUT ROWID;

-- Bad input: recorded with its position and skipped.
CREATE TABLE ingest_errors (
    id          INTEGER PRIMARY KEY,
    ingested_ms INTEGER NOT NULL,
    cluster     TEXT,
    source      TEXT    NOT NULL, -- audit | cloudtrail
    file        TEXT    NOT NULL,
    line        INTEGER,          -- 1-based, for line-oriented input
    record      INTEGER,          -- 0-based index inside a JSON document or envelope
    kind        TEXT    NOT NULL, -- stable machine-readable category
    reason      TEXT    NOT NULL,
    excerpt     TEXT    NOT NULL
);
-- A file read again from its start (it changed, or its format was forced differently) must not
-- record its bad records twice.
CREATE UNIQUE INDEX ingest_errors_once ON ingest_errors (source, file, coalesce(line, -1), coalesce(record, -1), kind);
