-- +goose Up

-- Every key of a stored Claude Code call, its dedupe key too, lives in
-- usage_event_keys; its primary key is then what keeps two imports that
-- run at once from storing one call twice: the second to write a key waits
-- for the first, and fails, to be run again, if the first commits. A call
-- of a format whose calls carry one key only (Codex, generic) is kept
-- apart by the unique dedupe key alone: keys begin with their format, so
-- no other call can hold its key.
INSERT INTO usage_event_keys (key, event_id)
SELECT dedupe_key, id FROM usage_events WHERE source_format = 'claude-code'
ON CONFLICT (key) DO NOTHING;

COMMENT ON TABLE usage_event_keys IS
    'Every natural key of every stored call of a format whose calls carry several.';

-- A writer that read a call updates it only if its revision is unchanged,
-- so that two imports merging copies into one call cannot lose either copy.
ALTER TABLE usage_events ADD COLUMN revision integer NOT NULL DEFAULT 0;

COMMENT ON COLUMN usage_events.revision IS 'Raised by every update of the call.';

-- +goose Down

ALTER TABLE usage_events DROP COLUMN revision;

DELETE FROM usage_event_keys k
USING usage_events e
WHERE e.id = k.event_id AND e.dedupe_key = k.key;

COMMENT ON TABLE usage_event_keys IS NULL;
