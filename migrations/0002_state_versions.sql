-- Access states over time, per cluster: what `state import` (and later live sync) stored. Replay
-- evaluates against the current version and measures agreement against the version that held when
-- an event happened; findings say what changed between versions. A version is stored only when its
-- content differs from the cluster's latest.
CREATE TABLE state_versions (
    cluster      TEXT    NOT NULL,
    version      INTEGER NOT NULL, -- 1, 2, ... per cluster
    created_ms   INTEGER NOT NULL,
    content_hash BLOB    NOT NULL, -- of the canonical snapshot JSON
    source       TEXT    NOT NULL, -- where it came from: the files imported, or a sync
    snapshot     TEXT    NOT NULL, -- grantscope snapshot JSON
    PRIMARY KEY (cluster, version)
) WITHOUT ROWID;
