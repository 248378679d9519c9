-- name: GetPrincipalIDByEmail :one
SELECT id FROM principals WHERE email = @email;

-- name: ListManagerLinks :many
SELECT p.email, m.email AS manager_email
FROM principals p
JOIN principals m ON m.id = p.manager_id;

-- name: ListPeople :many
SELECT p.id, p.kind, p.email, p.name, p.cost_center, p.roles, p.last_login_at,
    m.email AS manager_email, count(*) OVER () AS total
FROM principals p
LEFT JOIN principals m ON m.id = p.manager_id
WHERE @search::text = ''
    OR strpos(lower(p.email || ' ' || p.name || ' ' || p.cost_center),
        lower(@search::text)) > 0
ORDER BY p.email
LIMIT @max_rows;

-- name: SetManagerByEmail :exec
UPDATE principals
SET manager_id = (SELECT m.id FROM principals m WHERE m.email = @manager_email),
    updated_at = now()
WHERE principals.email = @email;

-- name: UpsertDirectoryEntry :one
INSERT INTO principals (email, name, cost_center)
VALUES (@email, @name, @cost_center)
ON CONFLICT (email) DO UPDATE
SET name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE principals.name END,
    cost_center = excluded.cost_center,
    updated_at = now()
RETURNING id;
