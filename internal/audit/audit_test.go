package audit_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/tallyhq/tally/db"
	"github.com/tallyhq/tally/internal/audit"
	"github.com/tallyhq/tally/internal/testdb"
)

func TestAppend(t *testing.T) {
	t.Run("writes_an_entry", func(t *testing.T) {
		pool := testdb.New(t)
		q := db.New(pool)
		err := audit.Append(context.Background(), q, audit.Entry{
			Actor:   "cli",
			Action:  "token.create",
			Subject: "api_token:1",
			Details: map[string]any{"scope": "import"},
		})
		if err != nil {
			t.Fatal(err)
		}

		got, err := audit.List(context.Background(), q, "token.create", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 {
			t.Fatalf("entries: got %d, want 1", len(got))
		}
		e := got[0]
		if e.Actor != "cli" || e.ActorID != 0 || e.Subject != "api_token:1" || e.At.IsZero() {
			t.Errorf("entry: got %+v", e)
		}
		var details map[string]string
		json.Unmarshal(e.Details, &details)
		if details["scope"] != "import" {
			t.Errorf("details: got %s, want scope import", e.Details)
		}
	})

	t.Run("requires_actor_and_action", func(t *testing.T) {
		pool := testdb.New(t)
		if err := audit.Append(context.Background(), db.New(pool), audit.Entry{Action: "x.y"}); err == nil {
			t.Error("got nil, want an error for a missing actor")
		}
	})
}

func TestAuditLogIsAppendOnly(t *testing.T) {
	pool := testdb.New(t)
	ctx := context.Background()
	if err := audit.Append(ctx, db.New(pool), audit.Entry{Actor: "test", Action: "test.write"}); err != nil {
		t.Fatal(err)
	}

	for _, stmt := range []string{
		"UPDATE audit_log SET actor = 'someone else'",
		"DELETE FROM audit_log",
		"TRUNCATE audit_log",
	} {
		t.Run(strings.Fields(stmt)[0]+"_is_refused", func(t *testing.T) {
			_, err := pool.Exec(ctx, stmt)
			if err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: got %v, want the append-only refusal", stmt, err)
			}
		})
	}

	var n int
	var actor string
	pool.QueryRow(ctx, "SELECT count(*), min(actor) FROM audit_log").Scan(&n, &actor)
	if n != 1 || actor != "test" {
		t.Errorf("after the attempts: got %d entries by %q, want 1 by test", n, actor)
	}
}
