-- name: ClosePrice :exec
UPDATE prices SET valid_to = @valid_to WHERE id = @id;

-- name: CountPrices :one
SELECT count(*) FROM prices;

-- name: InsertPrice :one
INSERT INTO prices (model_key, valid_from, valid_to, entry, source)
VALUES (@model_key, @valid_from, @valid_to, @entry, @source)
RETURNING id;

-- name: ListModelTiers :many
SELECT * FROM model_tiers ORDER BY model_key;

-- name: ListPrices :many
SELECT * FROM prices ORDER BY model_key, valid_from NULLS FIRST, id;

-- name: SetDefaultModelTier :exec
INSERT INTO model_tiers (model_key, tier) VALUES (@model_key, @tier)
ON CONFLICT (model_key) DO NOTHING;

-- name: SetModelTier :exec
INSERT INTO model_tiers (model_key, tier, set_by, updated_at)
VALUES (@model_key, @tier, @set_by, now())
ON CONFLICT (model_key) DO UPDATE
SET tier = excluded.tier, set_by = excluded.set_by, updated_at = now();
