-- +goose Up

-- Keys are identifiers, compared byte for byte: the "C" collation keeps
-- their indexes from paying for the database's locale on every comparison,
-- which an import makes millions of.
ALTER TABLE usage_events ALTER COLUMN dedupe_key TYPE text COLLATE "C";
ALTER TABLE usage_events ALTER COLUMN session_id TYPE text COLLATE "C";
ALTER TABLE usage_event_keys ALTER COLUMN key TYPE text COLLATE "C";

-- +goose Down

ALTER TABLE usage_event_keys ALTER COLUMN key TYPE text COLLATE "default";
ALTER TABLE usage_events ALTER COLUMN session_id TYPE text COLLATE "default";
ALTER TABLE usage_events ALTER COLUMN dedupe_key TYPE text COLLATE "default";
