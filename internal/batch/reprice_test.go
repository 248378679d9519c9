package batch_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tallyhq/tally/db"
	"github.com/tallyhq/tally/internal/audit"
	"github.com/tallyhq/tally/internal/batch"
	"github.com/tallyhq/tally/internal/pricing"
)

func TestPriceLoadRepricesFromItsDate(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, nil)
	row := func(id, at string) string {
		return `{"occurred_at":"` + at + `","provider":"anthropic",` +
			`"model":"claude-sonnet-4-5","input_tokens":1000000,"output_tokens":0,` +
			`"request_id":"` + id + `"}` + "\n"
	}
	h.run(t, batch.Upload{Uploader: h.eng, Claimed: true}, [2]string{"g.jsonl",
		row("before", "2026-10-20T10:00:00Z") + row("after", "2026-11-10T10:00:00Z")})
	var key, before string
	err := h.pool.QueryRow(ctx, "SELECT model_key, cost::text FROM usage_events "+
		"WHERE source_line = 1").Scan(&key, &before)
	if err != nil {
		t.Fatal(err)
	}

	table, err := pricing.ParseLiteLLM(strings.NewReader(fmt.Sprintf(`{%q: {
		"litellm_provider": "anthropic", "mode": "chat",
		"input_cost_per_token": 9e-06, "output_cost_per_token": 1.5e-05}}`, key)))
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	res, err := pricing.NewService(h.pool, time.UTC).Load(ctx, audit.System("test"), table,
		from, "test")
	if err != nil {
		t.Fatal(err)
	}

	var kept string
	if err := h.pool.QueryRow(ctx, "SELECT cost::text FROM usage_events "+
		"WHERE source_line = 1").Scan(&kept); err != nil {
		t.Fatal(err)
	}
	after := h.count(t, "SELECT count(*) FROM usage_events WHERE source_line = 2 AND cost = 9")
	if res.Repriced != 1 || kept != before || after != 1 {
		t.Errorf("repriced %d, the call before %s at %s (was %s), the one after at $9: %t",
			res.Repriced, from.Format(time.DateOnly), kept, before, after == 1)
	}
	var rolled, stored string
	err = h.pool.QueryRow(ctx, "SELECT (SELECT sum(cost) FROM usage_daily)::text, "+
		"(SELECT sum(cost) FROM usage_events)::text").Scan(&rolled, &stored)
	if err != nil || rolled != stored {
		t.Errorf("rollup cost %s, events %s (%v)", rolled, stored, err)
	}
}

func TestPriceLoadWaitsForRunningImports(t *testing.T) {
	ctx := context.Background()
	started, release := make(chan struct{}), make(chan struct{})
	var first atomic.Bool
	h := newHarnessWith(t, func(ctx context.Context, q *db.Queries) (batch.Pricer, error) {
		c, err := pricing.LoadCatalog(ctx, q)
		if first.CompareAndSwap(false, true) {
			close(started)
			return heldPricer{next: c, release: release}, err
		}
		return c, err
	}, 2, slog.New(slog.DiscardHandler))
	row := `{"occurred_at":"2026-11-10T10:00:00Z","provider":"anthropic",` +
		`"model":"claude-sonnet-4-5","input_tokens":1000,"output_tokens":0,"request_id":"r"}`
	id := h.create(t, batch.Upload{Uploader: h.eng, Claimed: true},
		[2]string{"g.jsonl", row + "\n"})
	<-started // the import priced with the catalog before the load

	table, err := pricing.ParseLiteLLM(strings.NewReader(`{"claude-sonnet-4-5": {
		"litellm_provider": "anthropic", "mode": "chat",
		"input_cost_per_token": 9e-06, "output_cost_per_token": 1.5e-05}}`))
	if err != nil {
		t.Fatal(err)
	}
	loaded := make(chan pricing.Loaded, 1)
	go func() {
		res, err := pricing.NewService(h.pool, time.UTC).Load(ctx, audit.System("test"),
			table, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), "test")
		if err != nil {
			t.Error(err)
		}
		loaded <- res
	}()
	select {
	case <-loaded:
		t.Fatal("the load did not wait for the running import")
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	h.wait(t, id)
	if res := <-loaded; res.Repriced != 1 {
		t.Errorf("repriced %d, want the running import's call", res.Repriced)
	}
	if n := h.count(t, "SELECT count(*) FROM usage_events WHERE cost = 0.009"); n != 1 {
		t.Errorf("calls at the loaded price: %d, want 1", n)
	}
}

func TestPriceLoadBeforeTheOpenVersion(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, nil)
	svc := pricing.NewService(h.pool, time.UTC)
	load := func(cost, from string) {
		t.Helper()
		table, err := pricing.ParseLiteLLM(strings.NewReader(`{"claude-sonnet-4-5": {
			"litellm_provider": "anthropic", "mode": "chat",
			"input_cost_per_token": ` + cost + `, "output_cost_per_token": 1.5e-05}}`))
		if err != nil {
			t.Fatal(err)
		}
		at, _ := time.Parse(time.DateOnly, from)
		if _, err := svc.Load(ctx, audit.System("test"), table, at, "test"); err != nil {
			t.Fatalf("load %s from %s: %v", cost, from, err)
		}
	}
	load("7e-06", "2026-10-15")
	load("9e-06", "2026-10-10") // before the open version: it replaces it from its start
	load("9e-06", "2026-10-01") // the same price again changes nothing

	row := `{"occurred_at":"2026-10-20T10:00:00Z","provider":"anthropic",` +
		`"model":"claude-sonnet-4-5","input_tokens":1000,"output_tokens":0,"request_id":"r"}`
	h.run(t, batch.Upload{Uploader: h.eng, Claimed: true}, [2]string{"g.jsonl", row + "\n"})
	if n := h.count(t, "SELECT count(*) FROM usage_events WHERE cost = 0.009"); n != 1 {
		t.Errorf("calls at the last price loaded: %d, want 1", n)
	}
	if n := h.count(t, "SELECT count(*) FROM prices WHERE model_key = 'claude-sonnet-4-5' "+
		"AND valid_from >= '2026-10-01'"); n != 2 {
		t.Errorf("versions from October: %d, want the replaced one and its successor", n)
	}
}
