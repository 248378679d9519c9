-- name: CreateSession :exec
INSERT INTO sessions (id, principal_id, csrf_token, created_at, last_seen_at, expires_at)
VALUES (@id, @principal_id, @csrf_token, @now, @now, @expires_at);

-- name: DeleteExpiredSessions :execrows
DELETE FROM sessions WHERE expires_at <= @now;

-- name: DeleteSession :exec
DELETE FROM sessions WHERE id = @id;

-- name: GetSession :one
SELECT s.id, s.csrf_token, s.created_at, s.last_seen_at, s.expires_at,
    sqlc.embed(p),
    EXISTS (SELECT 1 FROM principals r WHERE r.manager_id = p.id) AS has_reports
FROM sessions s
JOIN principals p ON p.id = s.principal_id
WHERE s.id = @id;

-- name: TouchSession :exec
UPDATE sessions SET last_seen_at = @now WHERE id = @id;
