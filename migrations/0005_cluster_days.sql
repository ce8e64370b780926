-- Requests per cluster and UTC day: what the report's requests-per-day chart, the observed days
-- and the coverage gaps are read from, without scanning every shape's days. Kept by ingest in the
-- same transaction as shape_days.
CREATE TABLE cluster_days (
    cluster  TEXT    NOT NULL,
    day      INTEGER NOT NULL, -- days since 1970-01-01, UTC
    requests INTEGER NOT NULL,
    allowed  INTEGER NOT NULL, -- recorded allows
    denied   INTEGER NOT NULL, -- recorded denials
    PRIMARY KEY (cluster, day)
) WITHOUT ROWID;

INSERT INTO cluster_days (cluster, day, requests, allowed, denied)
    SELECT s.cluster, u.day, sum(u.requests), sum(u.allowed), sum(u.denied)
    FROM shape_days u JOIN shapes s ON s.id = u.shape_id
    GROUP BY s.cluster, u.day;
