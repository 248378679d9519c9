package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tallyhq/tally/internal/batch"
	"github.com/tallyhq/tally/internal/config"
	"github.com/tallyhq/tally/internal/demo"
	"github.com/tallyhq/tally/internal/fixtures"
	"github.com/tallyhq/tally/internal/testdb"
)

func runCLI(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestImportDryRun(t *testing.T) {
	file := fixtures.Path(t, "real/claude-code/real-2.1.38-one-call-five-blocks.jsonl")

	t.Run("prints_the_summary_json", func(t *testing.T) {
		out, _, err := runCLI(t, "import", "--dry-run", "--json", file)
		if err != nil {
			t.Fatal(err)
		}
		var s batch.Summary
		if err := json.Unmarshal([]byte(out), &s); err != nil {
			t.Fatalf("output is not the summary JSON: %v\n%s", err, out)
		}
		// 15 lines: 5 assistant lines of one call (1 event, 4 duplicates), the
		// rest user, progress, snapshot and system lines. Opus 4.6 at $/MTok 5
		// input, 0.50 read, 10 1h write, 25 output: 3×5 + 11515×0.5 +
		// 13835×10 + 13×25 = 15 + 5757.5 + 138350 + 325 = 144447.5 → $0.1444475.
		if s.Lines != 15 || s.Events != 1 || s.Duplicates != 4 || s.Skipped != 10 {
			t.Errorf("counts: got %+v", s)
		}
		if s.TotalCostUSD != "0.1444475" || s.Updated != nil {
			t.Errorf("total: got %s (updated %v), want 0.1444475 and no updated field",
				s.TotalCostUSD, s.Updated)
		}
	})

	t.Run("a_missing_file_is_an_error", func(t *testing.T) {
		_, _, err := runCLI(t, "import", "--dry-run", "/no/such/file.jsonl")
		if err == nil || errors.Is(err, errUsage) {
			t.Errorf("got %v, want an error that is not a usage error", err)
		}
	})

	t.Run("rejects_do_not_fail_the_run", func(t *testing.T) {
		out, _, err := runCLI(t, "import", "--dry-run", "--json", "--format", "generic",
			writeTemp(t, "bad.jsonl", "{not json\n"))
		if err != nil {
			t.Fatalf("got %v, want exit 0 with a reject", err)
		}
		if !strings.Contains(out, `"rejected": 1`) {
			t.Errorf("output lacks the reject:\n%s", out)
		}
	})

	t.Run("names_from_the_logs_cannot_drive_the_terminal", func(t *testing.T) {
		row := `{"occurred_at":"2026-11-03T10:00:00Z","provider":"anthropic",` +
			`"model":"evil\u001b]0;owned\u0007","input_tokens":1,"output_tokens":1,` +
			`"request_id":"r-1"}` + "\n"
		out, _, err := runCLI(t, "import", "--dry-run", writeTemp(t, "esc.jsonl", row))
		if err != nil {
			t.Fatal(err)
		}
		if strings.ContainsAny(out, "\x1b\x07") || !strings.Contains(out, `"evil\x1b]0;owned\a"`) {
			t.Errorf("the model name reached the terminal raw:\n%q", out)
		}
	})

	t.Run("flags_may_follow_the_paths", func(t *testing.T) {
		out, _, err := runCLI(t, "import", "--dry-run", file, "--json")
		if err != nil || !strings.Contains(out, `"total_cost_usd": "0.1444475"`) {
			t.Errorf("import FILE --json: got %v:\n%s", err, out)
		}
		_, _, err = runCLI(t, "import", "--dry-run", "--", "--json")
		if err == nil || !strings.Contains(err.Error(), "--json") {
			t.Errorf("import -- --json: got %v, want --json read as a path", err)
		}
	})

	t.Run("a_bad_flag_is_a_usage_error", func(t *testing.T) {
		_, _, err := runCLI(t, "import", "--format", "yaml", file)
		if err == nil {
			t.Errorf("got nil, want an error for --format yaml")
		}
	})
}

func writeTemp(t *testing.T, name, body string) string {
	t.Helper()
	path := t.TempDir() + "/" + name
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestImportToServer uploads files with the CLI to a real server and checks
// that what was stored agrees with a dry run, and that a second upload
// reports every event as a duplicate.
func TestImportToServer(t *testing.T) {
	files := []string{
		fixtures.Path(t, "real/claude-code/real-2.0.46-inline-sidechain.jsonl"),
		fixtures.Path(t, "real/claude-code/real-2.1.38-one-call-five-blocks.jsonl"),
		fixtures.Path(t, "real/codex/real-0.104-rollout.jsonl"),
	}
	server, token := startServer(t)

	dry, _, err := runCLI(t, append([]string{"import", "--dry-run", "--json"}, files...)...)
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"import", "--server", server, "--token", token, "--wait",
		"--json"}, files...)
	first, _, err := runCLI(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	var stored, want batch.Summary
	json.Unmarshal([]byte(first), &stored)
	json.Unmarshal([]byte(dry), &want)
	if stored.Updated == nil {
		t.Fatalf("stored summary has no updated count:\n%s", first)
	}
	stored.Updated = nil
	if got, exp := mustJSON(stored), mustJSON(want); got != exp {
		t.Errorf("stored and dry run differ:\nstored  %s\ndry run %s", got, exp)
	}

	second, _, err := runCLI(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	var again batch.Summary
	json.Unmarshal([]byte(second), &again)
	if again.Events != 0 || again.Duplicates != want.Events+want.Duplicates {
		t.Errorf("second import: %d events, %d duplicates; want 0 and %d", again.Events,
			again.Duplicates, want.Events+want.Duplicates)
	}

	queued, _, err := runCLI(t, "import", "--server", server, "--token", token, "--json",
		files[0])
	var q struct {
		ID     int64  `json:"id"`
		Status string `json:"status"`
	}
	if err != nil || json.Unmarshal([]byte(queued), &q) != nil || q.ID == 0 ||
		q.Status != "queued" {
		t.Errorf("import --json without --wait: got %v:\n%s", err, queued)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// startServer runs tally in development mode on a fresh database and
// returns its URL and an import token for the demo engineer.
func startServer(t *testing.T) (url, token string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	t.Setenv("DATABASE_URL", testdb.NewURL(t))
	t.Setenv("TALLY_ADDR", addr)
	cfg, err := config.Load(true)
	if err != nil {
		t.Fatal(err)
	}
	a, err := openApp(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.ensurePrices(ctx); err != nil {
		t.Fatal(err)
	}
	if err := demo.Seed(ctx, a.pool, a.imports, time.Now()); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- a.serve(ctx, func(string) { close(ready) }) }()
	t.Cleanup(func() { cancel(); <-done; a.close() })
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("server stopped: %v", err)
	}

	out, _, err := runCLI(t, "tokens", "create", "--principal", "eng@example.com")
	if err != nil {
		t.Fatal(err)
	}
	return "http://" + addr, strings.TrimSpace(out)
}
