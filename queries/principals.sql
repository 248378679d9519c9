-- name: GetPrincipalByEmail :one
SELECT sqlc.embed(p),
    EXISTS (SELECT 1 FROM principals r WHERE r.manager_id = p.id) AS has_reports
FROM principals p
WHERE p.email = lower(@email::text);

-- name: GetPrincipalByID :one
SELECT sqlc.embed(p),
    EXISTS (SELECT 1 FROM principals r WHERE r.manager_id = p.id) AS has_reports
FROM principals p
WHERE p.id = @id;

-- name: UpdatePrincipalLoginBySubject :one
UPDATE principals
SET email = @email,
    name = CASE WHEN @name::text = '' THEN name ELSE @name::text END,
    roles = @roles::text[],
    last_login_at = @now::timestamptz,
    updated_at = @now::timestamptz
WHERE oidc_issuer = @oidc_issuer::text AND oidc_subject = @oidc_subject::text
RETURNING *;

-- name: UpsertPrincipalLogin :one
INSERT INTO principals (email, name, oidc_issuer, oidc_subject, roles,
    last_login_at, updated_at)
VALUES (@email, @name, @oidc_issuer::text, @oidc_subject::text, @roles::text[],
    @now::timestamptz, @now::timestamptz)
ON CONFLICT (email) DO UPDATE
SET name = CASE WHEN EXCLUDED.name = '' THEN principals.name ELSE EXCLUDED.name END,
    oidc_issuer = EXCLUDED.oidc_issuer,
    oidc_subject = EXCLUDED.oidc_subject,
    roles = EXCLUDED.roles,
    last_login_at = EXCLUDED.last_login_at,
    updated_at = EXCLUDED.updated_at
RETURNING *;
