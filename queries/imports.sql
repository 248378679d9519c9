-- name: CountImports :one
SELECT count(*) FROM imports;

-- name: CreateImport :one
INSERT INTO imports (uploader_id, claimed, host, os_user, format)
VALUES (@uploader_id, @claimed, @host, @os_user, @format)
RETURNING *;

-- name: CreateImportFiles :copyfrom
INSERT INTO import_files (import_id, seq, name, bytes)
VALUES (@import_id, @seq, @name, @bytes);

-- name: RequeueImport :exec
-- Puts back an import whose attempt failed and will be retried.
UPDATE imports SET status = 'queued', error = @error WHERE id = @id;

-- name: FailImport :exec
UPDATE imports
SET status = 'failed', error = @error, finished_at = now()
WHERE id = @id;

-- name: FinishImport :exec
UPDATE imports
SET status = 'done', finished_at = clock_timestamp(), files = @files, lines = @lines,
    events = @events, duplicates = @duplicates, updated = @updated,
    skipped = @skipped, rejected = @rejected
WHERE id = @id;

-- name: GetImport :one
SELECT i.*, p.email AS uploader_email
FROM imports i
JOIN principals p ON p.id = i.uploader_id
WHERE i.id = @id;

-- name: GetImportChunk :one
SELECT data FROM import_chunks WHERE import_id = @import_id AND seq = @seq;

-- name: InsertImportChunk :exec
INSERT INTO import_chunks (import_id, seq, data) VALUES (@import_id, @seq, @data);

-- name: InsertImportRejects :copyfrom
INSERT INTO import_rejects (import_id, file, line, reason, ends_file)
VALUES (@import_id, @file, @line, @reason, @ends_file);

-- name: ListImportRejects :many
SELECT file, line, reason, ends_file
FROM import_rejects
WHERE import_id = @import_id
ORDER BY ends_file DESC, file, line
LIMIT @max_rows;

-- name: ListImports :many
SELECT i.*, p.email AS uploader_email,
    coalesce(c.cost, 0)::numeric AS cost, c.unpriced::bigint AS unpriced
FROM imports i
JOIN principals p ON p.id = i.uploader_id
CROSS JOIN LATERAL (
    SELECT sum(e.cost) AS cost, count(*) FILTER (WHERE e.cost IS NULL) AS unpriced
    FROM usage_events e
    WHERE e.import_id = i.id
) c
WHERE (sqlc.narg(uploader_id)::bigint IS NULL OR i.uploader_id = sqlc.narg(uploader_id))
ORDER BY i.created_at DESC, i.id DESC
LIMIT @max_rows;

-- name: ResetImportRejects :exec
DELETE FROM import_rejects WHERE import_id = @import_id;

-- name: SetImportProgress :exec
UPDATE imports SET bytes_read = @bytes_read WHERE id = @id;

-- name: SetImportSize :exec
UPDATE imports SET bytes = @bytes, files = @files WHERE id = @id;

-- name: StartImport :exec
UPDATE imports SET status = 'running', started_at = now(), error = '' WHERE id = @id;

-- name: ListImportFiles :many
SELECT name, bytes FROM import_files
WHERE import_id = @import_id
ORDER BY seq
LIMIT @max_rows;
