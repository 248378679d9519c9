-- name: CreateAPIToken :one
INSERT INTO api_tokens (principal_id, name, prefix, hash, scope, created_by,
    created_at, expires_at)
VALUES (@principal_id, @name, @prefix, @hash, @scope, sqlc.narg(created_by),
    @created_at, @expires_at)
RETURNING *;

-- name: GetAPIToken :one
SELECT * FROM api_tokens WHERE id = @id;

-- name: GetAPITokenByHash :one
SELECT sqlc.embed(t), sqlc.embed(p),
    EXISTS (SELECT 1 FROM principals r WHERE r.manager_id = p.id) AS has_reports
FROM api_tokens t
JOIN principals p ON p.id = t.principal_id
WHERE t.hash = @hash;

-- name: ListAPITokens :many
SELECT sqlc.embed(t), p.email AS owner_email, p.name AS owner_name
FROM api_tokens t
JOIN principals p ON p.id = t.principal_id
ORDER BY t.created_at DESC, t.id DESC
LIMIT @max;

-- name: ListAPITokensByPrincipal :many
SELECT * FROM api_tokens
WHERE principal_id = @principal_id
ORDER BY created_at DESC, id DESC;

-- name: RevokeAPIToken :execrows
UPDATE api_tokens SET revoked_at = @now::timestamptz WHERE id = @id AND revoked_at IS NULL;

-- name: TouchAPIToken :exec
UPDATE api_tokens SET last_used_at = @now::timestamptz WHERE id = @id;
