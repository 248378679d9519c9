-- name: CreateAuditEntry :one
INSERT INTO audit_log (actor_id, actor, action, subject, details)
VALUES (sqlc.narg(actor_id), @actor, @action, @subject, @details)
RETURNING id, at;

-- name: ListAuditEntries :many
SELECT * FROM audit_log
WHERE (@action::text = '' OR action = @action::text)
ORDER BY id DESC
LIMIT @max;
