-- +goose Up

-- A price loaded with an effective date before that of the open version
-- replaces it from its start: the open version is then closed where it
-- begins, and kept, covering no time, as the record of what was loaded.
ALTER TABLE prices DROP CONSTRAINT prices_check;
ALTER TABLE prices ADD CONSTRAINT prices_check
    CHECK (valid_to IS NULL OR valid_from IS NULL OR valid_to >= valid_from);

-- +goose Down

DELETE FROM prices WHERE valid_to = valid_from;
ALTER TABLE prices DROP CONSTRAINT prices_check;
ALTER TABLE prices ADD CONSTRAINT prices_check
    CHECK (valid_to IS NULL OR valid_from IS NULL OR valid_to > valid_from);
