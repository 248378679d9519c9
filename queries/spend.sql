-- name: GetUnattributedTotal :one
SELECT coalesce(sum(events), 0)::bigint AS calls,
       coalesce(sum(events) FILTER (WHERE NOT priced), 0)::bigint AS unpriced,
       coalesce(sum(cost), 0)::numeric AS cost
FROM usage_daily
WHERE month = @month AND principal_id = 0;

-- name: ListSessionEvents :many
-- The calls of a session that the viewer may see: all of them with
-- all_visible, else the viewer's own and their reports'. The window
-- columns total every matching call, past the limit too.
SELECT sqlc.embed(e),
       coalesce(u.email, '')::text AS uploader_email,
       coalesce(o.email, '')::text AS owner_email,
       coalesce(o.name, '')::text AS owner_name,
       count(*) OVER () AS total_calls,
       count(*) FILTER (WHERE e.model_key IS NULL) OVER () AS total_unpriced,
       count(*) FILTER (WHERE e.flags & @approximate_flag::int <> 0) OVER ()
           AS total_approximate,
       coalesce(sum(e.cost) OVER (), 0)::numeric AS total_cost
FROM usage_events e
LEFT JOIN principals o ON o.id = e.principal_id
LEFT JOIN principals u ON u.id = e.uploader_id
WHERE e.session_id = @session_id
  AND (@all_visible::boolean OR e.principal_id = @viewer_id::bigint
       OR o.manager_id = @viewer_id::bigint)
ORDER BY e.occurred_at, e.id
LIMIT @max_rows;

-- name: ListSpendDays :many
SELECT day,
       sum(events)::bigint AS calls,
       coalesce(sum(events) FILTER (WHERE NOT priced), 0)::bigint AS unpriced,
       sum(cost)::numeric AS cost,
       sum(cache_read_cost)::numeric AS cache_read_cost
FROM usage_daily
WHERE month = @month AND principal_id = @principal_id
GROUP BY day
ORDER BY day;

-- name: ListSpendModels :many
-- A principal's month by model; a model without a tier row is standard.
SELECT d.model, d.priced, coalesce(t.tier, 'standard')::text AS tier,
       sum(d.events)::bigint AS calls,
       sum(d.input_uncached)::bigint AS input_uncached,
       sum(d.cache_read)::bigint AS cache_read,
       sum(d.cache_write_5m)::bigint AS cache_write_5m,
       sum(d.cache_write_1h)::bigint AS cache_write_1h,
       sum(d.output)::bigint AS output,
       sum(d.cost)::numeric AS cost
FROM usage_daily d
LEFT JOIN model_tiers t ON t.model_key = d.model
WHERE d.month = @month AND d.principal_id = @principal_id
GROUP BY d.model, d.priced, t.tier
ORDER BY d.priced DESC, cost DESC, calls DESC, d.model;

-- name: ListSpendReports :many
-- The month's spend of each direct report of a manager.
SELECT p.id, p.email, p.name, p.cost_center,
       coalesce(sum(d.events), 0)::bigint AS calls,
       coalesce(sum(d.events) FILTER (WHERE NOT d.priced), 0)::bigint AS unpriced,
       coalesce(sum(d.cost), 0)::numeric AS cost
FROM principals p
LEFT JOIN usage_daily d ON d.principal_id = p.id AND d.month = @month
WHERE p.manager_id = @manager_id::bigint
GROUP BY p.id
ORDER BY cost DESC, calls DESC, p.name, p.email;

-- name: ListSpendSessions :many
-- A principal's calls in [from_day, to_day) grouped by session; calls
-- without a session form one group with an empty session_id. Sub-agent
-- cost is that of calls whose evidence names an agent_id.
SELECT e.session_id,
       min(e.occurred_at)::timestamptz AS started,
       count(*) AS calls,
       count(*) FILTER (WHERE e.model_key IS NULL) AS unpriced,
       count(*) FILTER (WHERE e.flags & @approximate_flag::int <> 0) AS approximate,
       coalesce(sum(e.cost), 0)::numeric AS cost,
       coalesce(sum(e.cache_read_cost), 0)::numeric AS cache_read_cost,
       coalesce(sum(e.cost) FILTER (WHERE coalesce(e.evidence ->> 'agent_id', '') <> ''),
                0)::numeric AS sub_agent_cost,
       array_agg(DISTINCT coalesce(e.model_key, e.model_reported))::text[] AS models,
       coalesce((array_agg(e.cwd ORDER BY e.occurred_at, e.id)
                 FILTER (WHERE e.cwd <> ''))[1], '')::text AS cwd
FROM usage_events e
WHERE e.principal_id = @principal_id::bigint AND e.day >= @from_day AND e.day < @to_day
GROUP BY e.session_id
ORDER BY cost DESC, calls DESC, started, e.session_id;

-- name: ListUnattributedClusters :many
-- Unattributed calls of a month grouped by one kind of evidence (by):
-- session, host (os_user@host), cwd, or key (kind:value of the first of
-- api_key_id, iam_arn and gateway_user that is set). Keep the expression
-- in step with ListUnattributedEvents.
SELECT (CASE @by::text
            WHEN 'session' THEN e.session_id
            WHEN 'host' THEN e.os_user || '@' || e.host
            WHEN 'cwd' THEN e.cwd
            ELSE coalesce('api_key_id:' || nullif(e.evidence ->> 'api_key_id', ''),
                          'iam_arn:' || nullif(e.evidence ->> 'iam_arn', ''),
                          'gateway_user:' || nullif(e.evidence ->> 'gateway_user', ''),
                          '')
        END)::text AS value,
       count(*) AS calls,
       count(*) FILTER (WHERE e.model_key IS NULL) AS unpriced,
       coalesce(sum(e.cost), 0)::numeric AS cost,
       min(e.occurred_at)::timestamptz AS first_seen,
       max(e.occurred_at)::timestamptz AS last_seen
FROM usage_events e
WHERE e.month = @month AND e.principal_id IS NULL
GROUP BY 1
ORDER BY cost DESC, calls DESC, value
LIMIT @max_rows;

-- name: ListUnattributedEvents :many
-- The unattributed calls of one cluster (see ListUnattributedClusters),
-- with totals over every call of it in the window columns.
SELECT sqlc.embed(e),
       coalesce(u.email, '')::text AS uploader_email,
       count(*) OVER () AS total_calls,
       count(*) FILTER (WHERE e.model_key IS NULL) OVER () AS total_unpriced,
       count(*) FILTER (WHERE e.flags & @approximate_flag::int <> 0) OVER ()
           AS total_approximate,
       coalesce(sum(e.cost) OVER (), 0)::numeric AS total_cost
FROM usage_events e
LEFT JOIN principals u ON u.id = e.uploader_id
WHERE e.month = @month AND e.principal_id IS NULL
  AND (CASE @by::text
           WHEN 'session' THEN e.session_id
           WHEN 'host' THEN e.os_user || '@' || e.host
           WHEN 'cwd' THEN e.cwd
           ELSE coalesce('api_key_id:' || nullif(e.evidence ->> 'api_key_id', ''),
                         'iam_arn:' || nullif(e.evidence ->> 'iam_arn', ''),
                         'gateway_user:' || nullif(e.evidence ->> 'gateway_user', ''),
                         '')
       END) = @value::text
ORDER BY e.occurred_at, e.id
LIMIT @max_rows;

-- name: ListUsage :many
-- A month's spend by principal (0 for nobody) and model, filtered; a nil
-- filter matches everything.
SELECT d.principal_id,
       coalesce(p.email, '')::text AS email,
       coalesce(p.name, '')::text AS name,
       coalesce(p.cost_center, '')::text AS cost_center,
       d.model, d.priced, coalesce(t.tier, 'standard')::text AS tier,
       sum(d.events)::bigint AS calls,
       sum(d.input_uncached)::bigint AS input_uncached,
       sum(d.cache_read)::bigint AS cache_read,
       sum(d.cache_write_5m)::bigint AS cache_write_5m,
       sum(d.cache_write_1h)::bigint AS cache_write_1h,
       sum(d.output)::bigint AS output,
       sum(d.cost)::numeric AS cost
FROM usage_daily d
LEFT JOIN principals p ON p.id = d.principal_id
LEFT JOIN model_tiers t ON t.model_key = d.model
WHERE d.month = @month
  AND (sqlc.narg(cost_center)::text IS NULL OR p.cost_center = sqlc.narg(cost_center))
  AND (sqlc.narg(email)::text IS NULL OR p.email = lower(sqlc.narg(email)))
  AND (sqlc.narg(model)::text IS NULL OR d.model = sqlc.narg(model))
  AND (sqlc.narg(tier)::text IS NULL OR coalesce(t.tier, 'standard') = sqlc.narg(tier))
  AND (sqlc.narg(attributed)::boolean IS NULL
       OR (d.principal_id <> 0) = sqlc.narg(attributed))
GROUP BY d.principal_id, p.email, p.name, p.cost_center, d.model, d.priced, t.tier
ORDER BY cost DESC, calls DESC, email, d.model;

-- name: ListUsageCostCenters :many
SELECT DISTINCT cost_center FROM principals WHERE cost_center <> '' ORDER BY cost_center;

-- name: ListUsageModels :many
SELECT DISTINCT model FROM usage_daily WHERE month = @month ORDER BY model;
