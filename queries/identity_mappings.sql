-- name: CreateIdentityMapping :one
INSERT INTO identity_mappings (kind, value, host, principal_id, valid_from, valid_to, created_by)
VALUES (@kind, @value, @host, @principal_id, @valid_from, @valid_to, @created_by)
RETURNING *;

-- name: DeleteIdentityMapping :exec
DELETE FROM identity_mappings WHERE id = @id;

-- name: ListIdentityMappings :many
SELECT m.*, p.email AS principal_email
FROM identity_mappings m
JOIN principals p ON p.id = m.principal_id
ORDER BY m.kind, m.value, m.host, m.valid_from NULLS FIRST;

-- name: ListPrincipalEmails :many
SELECT id, email FROM principals;
