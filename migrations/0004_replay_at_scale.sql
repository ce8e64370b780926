-- Replay at scale: a million shapes decided in seconds, a one-entry change replayed in under one.
--
-- * Callers: the distinct (principal, username, groups) a cluster's shapes come from — thousands,
--   where shapes are millions. A state change is matched against callers, and only the reached
--   callers' shapes are read (through `shapes_by_caller`).
-- * Decisions are interned: a handful of distinct outcomes repeat over a million shapes, so a shape's
--   decision is one integer, and writing a million of them is cheap.
-- * Every stored shape keeps a decision (not only the window's): a shape coming back into the window
--   is already decided, and new shapes are simply those above the watermark's `shapes_through`.
-- * Usage buckets: the window's requests per (caller, decision). Grant usage and the agreement with
--   recorded decisions are derived from them; a state change rebuilds only its callers' buckets.
--
-- Decisions, buckets and usage are derived data: they are rebuilt by the next replay.

CREATE TABLE callers (
    id        INTEGER PRIMARY KEY,
    cluster   TEXT    NOT NULL,
    principal TEXT    NOT NULL,
    iam       INTEGER NOT NULL,
    username  TEXT    NOT NULL,
    groups    TEXT    NOT NULL, -- JSON array, as in shapes
    UNIQUE (cluster, principal, iam, username, groups)
);
INSERT INTO callers (cluster, principal, iam, username, groups)
    SELECT DISTINCT cluster, principal, iam, username, groups FROM shapes;
ALTER TABLE shapes ADD COLUMN caller_id INTEGER REFERENCES callers (id);
UPDATE shapes SET caller_id = (
    SELECT c.id FROM callers c
    WHERE c.cluster = shapes.cluster AND c.principal = shapes.principal AND c.iam = shapes.iam
      AND c.username = shapes.username AND c.groups = shapes.groups);
CREATE INDEX shapes_by_caller ON shapes (caller_id);

CREATE TABLE decisions (
    id               INTEGER PRIMARY KEY,
    outcome          TEXT    NOT NULL, -- allowed | no-grant | unauthenticated | not-evaluated
    allowed          INTEGER,          -- 1, 0, NULL when not evaluated
    by_grant         TEXT,
    shadowed         TEXT    NOT NULL, -- JSON array of grant ids
    authenticated_by TEXT,
    undocumented     TEXT    NOT NULL  -- JSON array of grant ids
);

-- Written only by replay, a million rows at a time: no foreign keys, whose checks would cost three
-- lookups per row.
DROP TABLE shape_decisions;
CREATE TABLE shape_decisions (
    shape_id      INTEGER PRIMARY KEY, -- shapes.id
    caller_id     INTEGER NOT NULL,    -- the shape's callers.id, kept here so usage never reads shapes
    decision_id   INTEGER NOT NULL,    -- decisions.id
    state_version INTEGER NOT NULL     -- the version it was decided under
);

DROP TABLE replay_watermarks;
CREATE TABLE replay_watermarks (
    cluster          TEXT    PRIMARY KEY,
    state_version    INTEGER NOT NULL, -- the decisions reflect this version
    shapes_through   INTEGER NOT NULL, -- every shape of the cluster with an id up to this is decided
    usage_from_day   INTEGER NOT NULL, -- the buckets cover days from this one
    usage_generation INTEGER NOT NULL  -- ... and the cluster's ingest_generations value when built
) WITHOUT ROWID;

-- Bumped by every ingest transaction that adds requests to the cluster: usage built at an older
-- generation is stale.
CREATE TABLE ingest_generations (
    cluster    TEXT    PRIMARY KEY,
    generation INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE usage_buckets (
    cluster     TEXT    NOT NULL,
    caller_id   INTEGER NOT NULL,
    decision_id INTEGER NOT NULL,
    requests    INTEGER NOT NULL,
    allowed     INTEGER NOT NULL, -- recorded allows
    denied      INTEGER NOT NULL, -- recorded denials
    shapes      INTEGER NOT NULL,
    first_ms    INTEGER NOT NULL,
    last_ms     INTEGER NOT NULL,
    PRIMARY KEY (cluster, caller_id, decision_id)
) WITHOUT ROWID;

DELETE FROM grant_usage;
