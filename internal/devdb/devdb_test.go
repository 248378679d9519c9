package devdb

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestStart starts a throwaway cluster from the machine's Postgres binaries,
// as `make run` does when no server answers on 127.0.0.1:5432.
func TestStart(t *testing.T) {
	if _, err := binDir(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	parent, err := os.MkdirTemp("", "tally-devdb-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(parent) })
	if err := os.Chmod(parent, 0o755); err != nil { // the postgres user must reach it
		t.Fatal(err)
	}

	ctx := context.Background()
	c, err := start(ctx, filepath.Join(parent, "pg"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()

	conn, err := pgx.Connect(ctx, c.URL)
	if err != nil {
		t.Fatalf("connect to the throwaway cluster: %v", err)
	}
	defer conn.Close(ctx)
	var name string
	if err := conn.QueryRow(ctx, "SELECT current_database()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	if name != "tally" {
		t.Errorf("database: got %q, want tally", name)
	}
}
