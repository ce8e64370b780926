-- What changed in each stored access-state version, against the one before it (a StateDiff as
-- JSON; absent for a cluster's first version).
CREATE TABLE state_diffs (
    cluster TEXT NOT NULL,
    version INTEGER NOT NULL,
    diff TEXT NOT NULL,
    PRIMARY KEY (cluster, version)
);

-- Where each part of a cluster's state (`eks`: access entries and mode; `kubernetes`: RBAC and
-- aws-auth; `files`: state import) was last read from its source, and whether the last attempt
-- failed: a part kept from an older sync is shown as such, never as current.
CREATE TABLE state_parts (
    cluster TEXT NOT NULL,
    part TEXT NOT NULL,
    -- The last successful read (Unix ms); NULL if none yet.
    synced_ms INTEGER,
    attempted_ms INTEGER NOT NULL,
    -- The last attempt's error; NULL when it succeeded.
    error TEXT,
    PRIMARY KEY (cluster, part)
);
