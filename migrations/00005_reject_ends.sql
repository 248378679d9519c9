-- +goose Up

-- A reject that ended the reading of its file (a read error, a compression
-- ratio or byte budget passed) is shown first, so that the limit on the
-- rejects shown never hides why the rest of a file was not read.
ALTER TABLE import_rejects ADD COLUMN ends_file boolean NOT NULL DEFAULT false;

-- +goose Down

ALTER TABLE import_rejects DROP COLUMN ends_file;
