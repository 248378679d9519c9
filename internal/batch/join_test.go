package batch_test

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tallyhq/tally/db"
	"github.com/tallyhq/tally/internal/batch"
	"github.com/tallyhq/tally/internal/pricing"
	"github.com/tallyhq/tally/internal/usage"
)

func TestImportJoinsCallsWhateverTheOrder(t *testing.T) {
	// b is a resumed copy of a in session s-2; c is a replay of it in s-2
	// under another request id. b alone shares a key with each: a's
	// request key and c's session key.
	copies := map[string][2]string{
		"a": {"projects/p/s-1.jsonl", claudeCall("s-1", "msg_m", "req_1",
			"2026-11-02T10:00:00Z", 40, false)},
		"c": {"projects/p/s-2/subagents/agent-x.jsonl", claudeCall("s-2", "msg_m", "req_2",
			"2026-11-02T10:00:10Z", 90, true)},
		"b": {"projects/p/s-2.jsonl", claudeCall("s-2", "msg_m", "req_1",
			"2026-11-02T10:00:05Z", 60, false)},
	}
	want := dryRun(t, [][2]string{copies["a"], copies["b"], copies["c"]})
	if len(want) != 1 {
		t.Fatalf("the dry run found %d calls, want 1", len(want))
	}
	for _, order := range []string{"acb", "cab", "abc", "bca"} {
		t.Run(order, func(t *testing.T) {
			h := newHarness(t, nil)
			up := batch.Upload{Uploader: h.eng, Claimed: true}
			for _, name := range order {
				h.run(t, up, copies[string(name)])
			}
			checkJoined(t, h, want[0], 4)
		})
	}
	t.Run("in_one_import", func(t *testing.T) {
		h := newHarness(t, nil)
		up := batch.Upload{Uploader: h.eng, Claimed: true}
		st := h.run(t, up, copies["a"], copies["c"], copies["b"])
		if st.Events != 1 || st.Duplicates != 2 {
			t.Errorf("summary: %d events, %d duplicates; want 1 and 2", st.Events, st.Duplicates)
		}
		checkJoined(t, h, want[0], 4)
	})
}

// checkJoined checks that the database holds one call, with want's usage
// and keys keys, and a rollup of it alone.
func checkJoined(t *testing.T, h *harness, want *usage.Event, keys int64) {
	t.Helper()
	if n := h.count(t, "SELECT count(*) FROM usage_events"); n != 1 {
		t.Fatalf("stored calls: %d, want 1", n)
	}
	if out := h.count(t, "SELECT output FROM usage_events"); out != want.Tokens.Output {
		t.Errorf("output: got %d, want the dry run's %d", out, want.Tokens.Output)
	}
	if n := h.count(t, "SELECT count(*) FROM usage_event_keys k JOIN usage_events e "+
		"ON e.id = k.event_id"); n != keys {
		t.Errorf("keys of the call: %d, want %d", n, keys)
	}
	if n := h.count(t, "SELECT count(*) FROM usage_event_keys k WHERE NOT EXISTS "+
		"(SELECT 1 FROM usage_events e WHERE e.id = k.event_id)"); n != 0 {
		t.Errorf("keys of no call: %d", n)
	}
	if n := h.count(t, "SELECT sum(events)::bigint FROM usage_daily"); n != 1 {
		t.Errorf("rollup events: %d, want 1", n)
	}
}

// latePricer prices through next, and waits for release once it has
// priced after calls.
type latePricer struct {
	next    batch.Pricer
	calls   *atomic.Int64
	after   int64
	release <-chan struct{}
}

func (p latePricer) Price(e *usage.Event) {
	if p.calls.Add(1) > p.after {
		<-p.release
	}
	p.next.Price(e)
}

// TestJoinWhileAnotherImportAddsKeys joins a call into another while an
// import still open has given it a new key: the join must wait for that
// import and take the key along, or no call would own it.
func TestJoinWhileAnotherImportAddsKeys(t *testing.T) {
	release := make(chan struct{})
	var calls atomic.Int64
	var holding atomic.Bool
	h := newHarnessWith(t, func(ctx context.Context, q *db.Queries) (batch.Pricer, error) {
		c, err := pricing.LoadCatalog(ctx, q)
		if holding.CompareAndSwap(true, false) {
			return latePricer{next: c, calls: &calls, after: 8500, release: release}, err
		}
		return c, err
	}, 2, slog.New(slog.DiscardHandler))
	up := batch.Upload{Uploader: h.eng, Claimed: true}
	call := func(session, req string, out int, side bool) string {
		return claudeCall(session, "msg_m", req, "2026-11-02T10:00:00Z", out, side)
	}
	h.run(t, up, [2]string{"projects/p/s-1.jsonl", call("s-1", "req_1", 40, false)})
	h.run(t, up, [2]string{"projects/p/s-2.jsonl", call("s-2", "req_2", 40, false)})

	// The open import gives s-2's call a new key (a replay under req_3),
	// flushes it with 9,000 other calls, and waits before its last prices.
	holding.Store(true)
	open := h.create(t, up,
		[2]string{"projects/p/s-2/subagents/agent-a.jsonl", call("s-2", "req_3", 10, true)},
		[2]string{"gateway.jsonl", genericCalls(0, 9001)})
	for calls.Load() <= 8500 {
		time.Sleep(10 * time.Millisecond)
	}
	// A resumed copy in s-2 under req_1 shows s-1's and s-2's calls are one.
	bridge := h.create(t, up, [2]string{"projects/p/s-2.jsonl", call("s-2", "req_1", 40, false)})
	for st, _ := h.svc.Get(context.Background(), bridge); st.Status == "queued"; {
		time.Sleep(10 * time.Millisecond)
		st, _ = h.svc.Get(context.Background(), bridge)
	}
	time.Sleep(300 * time.Millisecond) // the bridge reaches its delete, or is done
	close(release)
	h.wait(t, open)
	h.wait(t, bridge)

	if n := h.count(t, "SELECT count(*) FROM usage_event_keys k WHERE NOT EXISTS "+
		"(SELECT 1 FROM usage_events e WHERE e.id = k.event_id)"); n != 0 {
		t.Errorf("keys of no call: %d", n)
	}
	if n := h.count(t, "SELECT count(*) FROM usage_events WHERE source_format = "+
		"'claude-code'"); n != 1 {
		t.Errorf("Claude Code calls: %d, want 1", n)
	}
}

func TestEarlierCopyMovesTheStoredCallBack(t *testing.T) {
	h := newHarness(t, nil)
	up := batch.Upload{Uploader: h.eng, Claimed: true}
	resumed := claudeCall("s-2", "msg_m", "req_1", "2026-11-01T00:00:10Z", 100, false)
	orig := claudeCall("s-1", "msg_m", "req_1", "2026-10-31T23:59:50Z", 100, false)
	h.run(t, up, [2]string{"projects/p/s-2.jsonl", resumed})
	if st := h.run(t, up, [2]string{"projects/p/s-1.jsonl", orig}); *st.Updated != 1 {
		t.Errorf("the earlier copy: %d updated, want 1", *st.Updated)
	}
	var session, day string
	err := h.pool.QueryRow(context.Background(), "SELECT session_id, day::text "+
		"FROM usage_events").Scan(&session, &day)
	if err != nil || session != "s-1" || day != "2026-10-31" {
		t.Errorf("stored call: session %s on %s (%v), want s-1 on 2026-10-31", session, day, err)
	}
	if n := h.count(t, "SELECT count(*) FROM usage_daily WHERE day = '2026-11-01'"); n != 0 {
		t.Errorf("rollup rows left on 2026-11-01: %d", n)
	}
}
