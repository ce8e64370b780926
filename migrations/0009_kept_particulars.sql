-- Request shapes that do not grow with objects and sessions (issue #18; README, "Request shapes
-- on busy clusters"). A shape's *base* is everything a decision depends on but the object name and
-- the STS session name. A base keeps its first KEPT_PARTICULARS names and as many sessions; its
-- shapes are the combinations it saw of a kept name or an unkept one with a kept session or an
-- unkept one. `unkept` says which part a shape did not keep (bit 1: the name, stored empty; bit 2:
-- the session, stored empty and written as `{{SessionName}}` in the username and groups); replay
-- decides such a shape for every name and session it could stand for.
--
-- Shapes stored before this migration have no base (`base_key` NULL): each stays what it was, a
-- shape with one name and session, decided exactly. New events fold into bases beside them.
ALTER TABLE shapes ADD COLUMN base_key BLOB;
ALTER TABLE shapes ADD COLUMN unkept INTEGER NOT NULL DEFAULT 0; -- bit 1 name, bit 2 session
CREATE INDEX shapes_by_base ON shapes (base_key) WHERE base_key IS NOT NULL;

-- Grants that might allow an unkept shape's requests for some name or session, though not for
-- every one (its decision is then `undetermined`): never reported unused, never narrowed away.
ALTER TABLE decisions ADD COLUMN possibly TEXT NOT NULL DEFAULT '[]'; -- JSON array of grant ids
