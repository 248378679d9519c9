// Package migrations holds tally's schema migrations, applied by goose and
// read by sqlc as the schema.
package migrations

import "embed"

// FS holds the migration files.
//
//go:embed *.sql
var FS embed.FS
