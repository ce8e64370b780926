-- Agreement with recorded decisions measured against the state that held on each day (see
-- src/agreement.rs), kept with what it was computed from: it is recomputed only when the data,
-- the window, the state versions or the access changes moved (`basis`).
CREATE TABLE agreement_at_the_time (
    cluster  TEXT    PRIMARY KEY,
    basis    TEXT    NOT NULL,
    compared INTEGER NOT NULL, -- requests with a recorded decision on a day whose state is known
    agreeing INTEGER NOT NULL,
    excluded INTEGER NOT NULL  -- requests with a recorded decision on ambiguous days or uncertain principals
) WITHOUT ROWID;
