-- name: ClosePrice :exec
UPDATE prices SET valid_to = @valid_to WHERE id = @id;

-- name: CountPrices :one
SELECT count(*) FROM prices;

-- name: GetModelTier :one
SELECT tier FROM model_tiers WHERE model_key = @model_key FOR UPDATE;

-- name: InsertPrices :copyfrom
INSERT INTO prices (model_key, valid_from, valid_to, entry, source)
VALUES (@model_key, @valid_from, @valid_to, @entry, @source);

-- name: ListPriceProviders :many
SELECT DISTINCT (entry->>'litellm_provider')::text AS provider
FROM prices
WHERE entry ? 'litellm_provider'
ORDER BY 1;

-- name: ListPricedModels :many
-- One row per model with a price: the version in force at the given time
-- (else the latest), how many versions it has and its tier, filtered and
-- paged.
WITH current AS (
    SELECT DISTINCT ON (model_key) model_key, valid_from, valid_to, entry
    FROM prices
    ORDER BY model_key,
        ((valid_from IS NULL OR valid_from <= @at::timestamptz)
            AND (valid_to IS NULL OR valid_to > @at::timestamptz)) DESC,
        valid_from DESC NULLS LAST
), versions AS (
    SELECT model_key, count(*) AS versions FROM prices GROUP BY model_key
)
SELECT c.model_key, c.valid_from, c.valid_to, c.entry,
    coalesce(t.tier, 'standard')::text AS tier, v.versions,
    count(*) OVER () AS total
FROM current c
JOIN versions v ON v.model_key = c.model_key
LEFT JOIN model_tiers t ON t.model_key = c.model_key
WHERE (@search::text = '' OR strpos(lower(c.model_key), lower(@search::text)) > 0)
    AND (@provider::text = '' OR c.entry->>'litellm_provider' = @provider::text)
    AND (@tier::text = '' OR coalesce(t.tier, 'standard') = @tier::text)
ORDER BY c.model_key
LIMIT @max_rows OFFSET @skip;

-- name: ListPrices :many
SELECT * FROM prices ORDER BY model_key, valid_from NULLS FIRST, id;

-- name: SetDefaultModelTiers :batchexec
INSERT INTO model_tiers (model_key, tier) VALUES (@model_key, @tier)
ON CONFLICT (model_key) DO NOTHING;

-- name: SetModelTier :exec
INSERT INTO model_tiers (model_key, tier, set_by, updated_at)
VALUES (@model_key, @tier, @set_by, now())
ON CONFLICT (model_key) DO UPDATE
SET tier = excluded.tier, set_by = excluded.set_by, updated_at = now();
