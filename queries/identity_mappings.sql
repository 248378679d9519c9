-- name: CreateIdentityMapping :one
INSERT INTO identity_mappings (kind, value, host, principal_id, valid_from, valid_to, created_by)
VALUES (@kind, @value, @host, @principal_id, @valid_from, @valid_to, @created_by)
RETURNING *;

-- name: DeleteIdentityMapping :one
DELETE FROM identity_mappings WHERE id = @id
RETURNING *;

-- name: ListIdentityMappings :many
SELECT m.*, p.email AS principal_email, c.email AS created_by_email
FROM identity_mappings m
JOIN principals p ON p.id = m.principal_id
LEFT JOIN principals c ON c.id = m.created_by
ORDER BY m.kind, m.value, m.host, m.valid_from NULLS FIRST;

-- name: ListPrincipalEmails :many
SELECT id, email FROM principals;

-- name: LockIdentityMappings :exec
LOCK TABLE identity_mappings IN SHARE ROW EXCLUSIVE MODE;
