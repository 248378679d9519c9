-- name: InsertEventKeys :copyfrom
INSERT INTO usage_event_keys (key, event_id) VALUES (@key, @event_id);

-- name: InsertUsageEvents :copyfrom
INSERT INTO usage_events (
    id, import_id, source_format, source_file, source_line, dedupe_key, rank,
    occurred_at, day, month, provider, model_reported, model_key, service_tier,
    speed, inference_geo, region, input_uncached, cache_read, cache_write_5m,
    cache_write_1h, output, reasoning, requests, web_search_requests,
    web_fetch_requests, flags, cost, cache_read_cost, price_id, evidence,
    session_id, host, os_user, cwd, uploader_id, principal_id, attribution,
    attributed_by, attributed_at
) VALUES (
    @id, @import_id, @source_format, @source_file, @source_line, @dedupe_key, @rank,
    @occurred_at, @day, @month, @provider, @model_reported, @model_key, @service_tier,
    @speed, @inference_geo, @region, @input_uncached, @cache_read, @cache_write_5m,
    @cache_write_1h, @output, @reasoning, @requests, @web_search_requests,
    @web_fetch_requests, @flags, @cost, @cache_read_cost, @price_id, @evidence,
    @session_id, @host, @os_user, @cwd, @uploader_id, @principal_id, @attribution,
    @attributed_by, @attributed_at
);

-- name: ListCallsByKey :many
-- The stored calls that hold any of keys (of formats whose calls carry
-- several) or whose dedupe key is one of dedupe_keys (the rest), each with
-- the key that found it. The lateral join keeps the planner on the primary
-- key: a hash join over every event of a large import in progress would be
-- read in full for each file.
WITH found AS (
    SELECT key, event_id AS id FROM usage_event_keys WHERE key = ANY(@keys::text[])
    UNION ALL
    SELECT dedupe_key, id FROM usage_events WHERE dedupe_key = ANY(@dedupe_keys::text[])
)
SELECT f.key::text AS found_key, sqlc.embed(usage_events)
FROM found f
CROSS JOIN LATERAL (SELECT * FROM usage_events e WHERE e.id = f.id) usage_events;

-- name: ListUnpricedEvents :many
SELECT * FROM usage_events WHERE model_key IS NULL ORDER BY id;

-- name: ListSupersededEvents :many
-- The calls, from from_day on, priced by a version of a price that a later
-- one has replaced since before they happened.
SELECT e.* FROM usage_events e
JOIN prices p ON p.id = e.price_id
WHERE e.day >= @from_day AND p.valid_to IS NOT NULL AND p.valid_to <= e.occurred_at
ORDER BY e.id;

-- name: NextEventIDs :many
-- The identity sequence is named once, not looked up for every row.
SELECT nextval('usage_events_id_seq'::regclass)::bigint AS id
FROM generate_series(1, @n::int);

-- name: SetEventPrices :batchone
-- Prices a call read at revision, unless it has changed since.
UPDATE usage_events
SET model_key = @model_key, cost = @cost, cache_read_cost = @cache_read_cost,
    price_id = @price_id, flags = @flags, revision = revision + 1
WHERE id = @id AND revision = @revision
RETURNING id;

-- name: SummarizeImportModels :many
SELECT coalesce(model_key, model_reported)::text AS model,
       (model_key IS NOT NULL)::boolean AS priced,
       count(*) AS events,
       sum(input_uncached)::bigint AS input_uncached,
       sum(cache_read)::bigint AS cache_read,
       sum(cache_write_5m)::bigint AS cache_write_5m,
       sum(cache_write_1h)::bigint AS cache_write_1h,
       sum(output)::bigint AS output,
       coalesce(sum(cost), 0)::numeric AS cost
FROM usage_events
WHERE import_id = @import_id
GROUP BY 1, 2
ORDER BY 1;

-- name: UpdateUsageEvents :batchone
-- Stores a merged call read at revision, unless it has changed since.
UPDATE usage_events SET
    import_id = @import_id, source_file = @source_file, source_line = @source_line,
    rank = @rank, occurred_at = @occurred_at, day = @day, month = @month,
    model_reported = @model_reported, model_key = @model_key,
    service_tier = @service_tier, speed = @speed, inference_geo = @inference_geo,
    input_uncached = @input_uncached, cache_read = @cache_read,
    cache_write_5m = @cache_write_5m, cache_write_1h = @cache_write_1h,
    output = @output, reasoning = @reasoning,
    web_search_requests = @web_search_requests, web_fetch_requests = @web_fetch_requests,
    flags = @flags, cost = @cost, cache_read_cost = @cache_read_cost,
    price_id = @price_id, evidence = @evidence, session_id = @session_id,
    principal_id = @principal_id, attribution = @attribution,
    attributed_by = coalesce(sqlc.narg(attributed_by), attributed_by),
    attributed_at = coalesce(sqlc.narg(attributed_at), attributed_at),
    revision = revision + 1
WHERE id = @id AND revision = @revision
RETURNING id;

-- name: DeleteJoinedEvents :batchone
-- Deletes a call read at revision that a copy showed to be another call,
-- unless it has changed since.
DELETE FROM usage_events WHERE id = @id AND revision = @revision
RETURNING id;

-- name: MoveEventKeys :batchexec
-- Gives the keys of a call that was joined into another to that other.
UPDATE usage_event_keys SET event_id = @to_id WHERE event_id = @from_id;
