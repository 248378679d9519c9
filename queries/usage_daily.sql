-- name: DeleteDaily :exec
DELETE FROM usage_daily d
USING (SELECT unnest(@days::date[]) AS day, unnest(@principals::bigint[]) AS principal_id) k
WHERE d.day = k.day AND d.principal_id = k.principal_id;

-- name: InsertDaily :exec
INSERT INTO usage_daily (
    day, month, principal_id, model, priced, events, input_uncached, cache_read,
    cache_write_5m, cache_write_1h, output, cost, cache_read_cost)
SELECT e.day, e.month, coalesce(e.principal_id, 0),
       coalesce(e.model_key, e.model_reported), e.model_key IS NOT NULL,
       count(*), sum(e.input_uncached), sum(e.cache_read), sum(e.cache_write_5m),
       sum(e.cache_write_1h), sum(e.output), coalesce(sum(e.cost), 0),
       coalesce(sum(e.cache_read_cost), 0)
FROM usage_events e
JOIN (SELECT unnest(@days::date[]) AS day, unnest(@principals::bigint[]) AS principal_id) k
  ON e.day = k.day AND coalesce(e.principal_id, 0) = k.principal_id
GROUP BY 1, 2, 3, 4, 5;
