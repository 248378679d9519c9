package auth_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/tallyhq/tally/db"
	"github.com/tallyhq/tally/internal/auth"
	"github.com/tallyhq/tally/internal/config"
	"github.com/tallyhq/tally/internal/testdb"
)

func TestCleanupDeletesOnlyExpired(t *testing.T) {
	ctx := context.Background()
	pool := testdb.New(t)
	q := db.New(pool)
	var who int64
	err := pool.QueryRow(ctx, "INSERT INTO principals (email) VALUES ('eng@example.com') "+
		"RETURNING id").Scan(&who)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	for i, expires := range []time.Time{now.Add(-time.Minute), now.Add(time.Hour)} {
		err := q.CreateSession(ctx, db.CreateSessionParams{ID: []byte{byte(i)},
			PrincipalID: who, CsrfToken: "t", Now: now.Add(-2 * time.Hour), ExpiresAt: expires})
		if err != nil {
			t.Fatal(err)
		}
		_, err = pool.Exec(ctx, "INSERT INTO login_states (state_hash, binding_hash, nonce, "+
			"code_verifier, expires_at) VALUES ($1, '', '', '', $2)", []byte{byte(i)}, expires)
		if err != nil {
			t.Fatal(err)
		}
	}

	svc := auth.New(auth.Deps{Pool: pool, Config: &config.Config{}})
	w := auth.NewCleanupWorker(svc, slog.New(slog.DiscardHandler))
	if err := w.Work(ctx, nil); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"sessions", "login_states"} {
		var left int
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&left); err != nil {
			t.Fatal(err)
		}
		if left != 1 {
			t.Errorf("%s left: %d, want the unexpired one", table, left)
		}
	}
}
