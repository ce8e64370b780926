-- Replay: each request shape's decision under its cluster's current access-state version (the
-- version the decision was made under is kept: a later version that cannot change it leaves it), and how
-- much each grant was used in the analysis window: as `by` (it allowed the request), as `shadowed`
-- (it would also have), and as `authenticated` (the access entry or aws-auth mapping the caller was
-- admitted through, for allowed requests). Findings are read from these.

CREATE TABLE shape_decisions (
    shape_id         INTEGER PRIMARY KEY REFERENCES shapes (id),
    cluster          TEXT    NOT NULL,
    state_version    INTEGER NOT NULL,
    outcome          TEXT    NOT NULL, -- allowed | no-grant | unauthenticated | not-evaluated
    allowed          INTEGER,          -- 1, 0, NULL when not evaluated
    by_grant         TEXT,
    shadowed         TEXT    NOT NULL, -- JSON array of grant ids
    authenticated_by TEXT,
    undocumented     TEXT    NOT NULL  -- JSON array of grant ids
);
CREATE INDEX shape_decisions_by_cluster ON shape_decisions (cluster);

-- The state version a cluster's decisions reflect. Moving it is what makes a replay current: a
-- decision the change between two versions cannot reach is not rewritten, only this row is.
CREATE TABLE replay_watermarks (
    cluster       TEXT    PRIMARY KEY,
    state_version INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE grant_usage (
    cluster       TEXT    NOT NULL,
    grant_id      TEXT    NOT NULL,
    role          TEXT    NOT NULL, -- by | shadowed | authenticated
    state_version INTEGER NOT NULL,
    window_days   INTEGER NOT NULL,
    requests      INTEGER NOT NULL,
    shapes        INTEGER NOT NULL,
    principals    INTEGER NOT NULL,
    first_ms      INTEGER NOT NULL,
    last_ms       INTEGER NOT NULL,
    PRIMARY KEY (cluster, grant_id, role)
) WITHOUT ROWID;
