// Package testdb gives tests a fresh, migrated Postgres database of their own.
//
// The server is TALLY_TEST_DATABASE_URL, else the local one at
// 127.0.0.1:5432. A template database is migrated once per schema version;
// each test gets a copy of it, dropped when the test ends. With no server, a
// test fails when CI is set and is skipped otherwise, saying why.
package testdb

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tallyhq/tally/db"
	"github.com/tallyhq/tally/migrations"
)

const defaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
)

// ServerURL returns the URL of the server that tests use.
func ServerURL() string {
	if u := os.Getenv("TALLY_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return defaultURL
}

// poolSize is the connections of a test's pool: enough for a few import
// jobs at once.
const poolSize = 16

// New returns a pool on a fresh, migrated database that is dropped when t ends.
func New(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, err := db.Open(context.Background(), NewURL(t), poolSize)
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// NewURL creates a fresh, migrated database and returns its URL; the
// database is dropped when t ends.
func NewURL(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	admin, err := pgx.Connect(ctx, ServerURL())
	if err != nil {
		unavailable(t, err)
	}
	defer admin.Close(ctx)

	templateOnce.Do(func() { templateName, templateErr = makeTemplate(ctx, admin) })
	if templateErr != nil {
		t.Fatalf("migrate template database: %v", templateErr)
	}

	name := "tally_test_" + randomSuffix()
	if _, err := admin.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s",
		name, templateName)); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() { drop(name) })
	return withDatabaseURL(ServerURL(), name)
}

func unavailable(t testing.TB, err error) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("postgres at %s is required in CI: %v", ServerURL(), err)
	}
	t.Skipf("no postgres at %s (set TALLY_TEST_DATABASE_URL): %v", ServerURL(), err)
}

// makeTemplate migrates a template database named after the schema's hash,
// once per schema, under an advisory lock shared by parallel test binaries.
func makeTemplate(ctx context.Context, admin *pgx.Conn) (string, error) {
	name := "tally_template_" + schemaHash()
	if _, err := admin.Exec(ctx, "SELECT pg_advisory_lock(7712)"); err != nil {
		return "", fmt.Errorf("lock: %w", err)
	}
	defer admin.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(7712)")

	var exists bool
	err := admin.QueryRow(ctx,
		"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists)
	if err != nil || exists {
		return name, err
	}

	building := name + "_building"
	admin.Exec(ctx, "DROP DATABASE IF EXISTS "+building)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+building); err != nil {
		return "", fmt.Errorf("create: %w", err)
	}
	if err := migrateURL(ctx, withDatabaseURL(ServerURL(), building)); err != nil {
		return "", err
	}
	_, err = admin.Exec(ctx, fmt.Sprintf("ALTER DATABASE %s RENAME TO %s", building, name))
	return name, err
}

func migrateURL(ctx context.Context, url string) error {
	pool, err := db.Open(ctx, url, poolSize)
	if err != nil {
		return err
	}
	defer pool.Close()
	return db.Migrate(ctx, pool, slog.New(slog.DiscardHandler))
}

func schemaHash() string {
	h := sha256.New()
	fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := migrations.FS.ReadFile(path)
		h.Write([]byte(path))
		h.Write(b)
		return err
	})
	return hex.EncodeToString(h.Sum(nil))[:12]
}

func drop(name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, ServerURL())
	if err != nil {
		return
	}
	defer admin.Close(ctx)
	admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
}

// withDatabaseURL returns server URL u with its database set to name.
func withDatabaseURL(u, name string) string {
	parsed, err := url.Parse(u)
	if err != nil {
		panic(fmt.Sprintf("testdb: bad server url: %v", err))
	}
	parsed.Path = "/" + name
	return parsed.String()
}

func randomSuffix() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}
