-- Request shapes that do not grow with objects and sessions (issue #18; README, "Request shapes
-- on busy clusters"). A shape's *base* is everything a decision depends on but the object name and
-- the STS session name. Per base, at most KEPT_PARTICULARS shapes keep a (name, session) pair each;
-- requests with any other pair are counted in the base's one *unkept* shape (`unkept` = 1: no name,
-- no session, the session written as `{{SessionName}}` in the username and groups), which replay
-- decides for every name and session it could stand for.
--
-- Shapes stored before this migration have no base (`base_key` NULL): each stays what it was, a
-- shape with one name and session, decided exactly. New events fold into bases beside them.
ALTER TABLE shapes ADD COLUMN base_key BLOB;
ALTER TABLE shapes ADD COLUMN unkept INTEGER NOT NULL DEFAULT 0;
CREATE INDEX shapes_by_base ON shapes (base_key) WHERE base_key IS NOT NULL;

-- Grants that might allow an unkept shape's requests for some name or session, though not for
-- every one (its decision is then `undetermined`): never reported unused, never narrowed away.
ALTER TABLE decisions ADD COLUMN possibly TEXT NOT NULL DEFAULT '[]'; -- JSON array of grant ids
