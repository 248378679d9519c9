package directory_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/tallyhq/tally/db"
	"github.com/tallyhq/tally/internal/audit"
	"github.com/tallyhq/tally/internal/directory"
	"github.com/tallyhq/tally/internal/testdb"
)

func TestParse(t *testing.T) {
	t.Run("reads_columns_in_any_order", func(t *testing.T) {
		got, err := directory.Parse(strings.NewReader(
			"cost_center,Email,name,manager_email\nplat,ENG@example.com,Erin,boss@example.com\n"))
		if err != nil {
			t.Fatal(err)
		}
		want := directory.Entry{Email: "eng@example.com", Name: "Erin",
			ManagerEmail: "boss@example.com", CostCenter: "plat", Line: 2}
		if len(got) != 1 || got[0] != want {
			t.Errorf("got %+v, want [%+v]", got, want)
		}
	})

	t.Run("reports_every_bad_line", func(t *testing.T) {
		_, err := directory.Parse(strings.NewReader("email,manager_email\n" +
			"not-an-email,\n" +
			"a@example.com,a@example.com\n" +
			"b@example.com,\n" +
			"b@example.com,\n"))
		var inv *directory.InvalidError
		if !errors.As(err, &inv) {
			t.Fatalf("got %v, want an *InvalidError", err)
		}
		var lines []int
		for _, l := range inv.Lines {
			lines = append(lines, l.Line)
		}
		if len(lines) != 3 || lines[0] != 2 || lines[1] != 3 || lines[2] != 5 {
			t.Errorf("bad lines: got %v, want [2 3 5]", lines)
		}
	})

	t.Run("needs_an_email_column", func(t *testing.T) {
		_, err := directory.Parse(strings.NewReader("name\nErin\n"))
		if err == nil || !strings.Contains(err.Error(), "email column") {
			t.Errorf("got %v, want an error about the email column", err)
		}
	})
}

func TestApply(t *testing.T) {
	ctx := context.Background()
	pool := testdb.New(t)
	q := db.New(pool)
	by := audit.System("test")

	err := directory.Apply(ctx, pool, by, []directory.Entry{
		{Email: "boss@example.com", Name: "Bo", CostCenter: "plat"},
		{Email: "eng@example.com", Name: "Erin", ManagerEmail: "boss@example.com"},
	})
	if err != nil {
		t.Fatal(err)
	}
	links, err := q.ListManagerLinks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(links) != 1 || links[0].Email != "eng@example.com" ||
		links[0].ManagerEmail != "boss@example.com" {
		t.Errorf("manager links: got %+v", links)
	}

	t.Run("refuses_a_loop_and_changes_nothing", func(t *testing.T) {
		err := directory.Apply(ctx, pool, by, []directory.Entry{
			{Email: "boss@example.com", Name: "Renamed", ManagerEmail: "eng@example.com",
				Line: 2},
		})
		var inv *directory.InvalidError
		if !errors.As(err, &inv) || len(inv.Lines) != 1 || inv.Lines[0].Line != 2 {
			t.Fatalf("got %v, want a loop error on line 2", err)
		}
		var name string
		pool.QueryRow(ctx, "SELECT name FROM principals WHERE email = 'boss@example.com'").
			Scan(&name)
		if name != "Bo" {
			t.Errorf("name after a refused upload: got %q, want Bo", name)
		}
	})

	t.Run("refuses_an_unknown_manager", func(t *testing.T) {
		err := directory.Apply(ctx, pool, by, []directory.Entry{
			{Email: "new@example.com", ManagerEmail: "ghost@example.com", Line: 4}})
		if err == nil || !strings.Contains(err.Error(), "ghost@example.com") {
			t.Errorf("got %v, want an error naming the unknown manager", err)
		}
	})

	t.Run("is_audited", func(t *testing.T) {
		var n int
		pool.QueryRow(ctx, "SELECT count(*) FROM audit_log WHERE action = 'directory.upload'").
			Scan(&n)
		if n != 1 {
			t.Errorf("directory.upload entries: got %d, want 1 (refused uploads leave none)", n)
		}
	})
}
