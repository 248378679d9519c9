-- name: LockRollupKeys :exec
-- Takes the transaction advisory locks keys, in order, so that two
-- transactions taking some of the same never deadlock on them.
SELECT count(pg_advisory_xact_lock(k))
FROM (SELECT DISTINCT unnest(@keys::bigint[]) AS k ORDER BY k) locks;

-- name: LockShared :exec
-- Takes transaction advisory lock key, shared with others that take it so.
SELECT pg_advisory_xact_lock_shared(@key::bigint);

-- name: LockExclusive :exec
-- Takes transaction advisory lock key alone.
SELECT pg_advisory_xact_lock(@key::bigint);
