package batch_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/tallyhq/tally/db"
	"github.com/tallyhq/tally/internal/audit"
	"github.com/tallyhq/tally/internal/batch"
	"github.com/tallyhq/tally/internal/directory"
	"github.com/tallyhq/tally/internal/fixtures"
	"github.com/tallyhq/tally/internal/importer"
	"github.com/tallyhq/tally/internal/pricing"
	"github.com/tallyhq/tally/internal/testdb"
	"github.com/tallyhq/tally/internal/usage"
)

// harness runs import jobs against a fresh database with the bundled
// prices and two people: an engineer and an admin.
type harness struct {
	pool  *pgxpool.Pool
	svc   *batch.Service
	eng   audit.Actor
	admin audit.Actor
}

// retryNow retries a failed job at once.
type retryNow struct{}

func (retryNow) NextRetry(*rivertype.JobRow) time.Time { return time.Now() }

func newHarness(t *testing.T, prices batch.PricerSource) *harness {
	t.Helper()
	return newHarnessWith(t, prices, 1, slog.New(slog.DiscardHandler))
}

// newHarnessWith is newHarness with workers import jobs at once, logging
// to log.
func newHarnessWith(t *testing.T, prices batch.PricerSource, workers int,
	log *slog.Logger) *harness {
	t.Helper()
	ctx := context.Background()
	pool := testdb.New(t)
	if _, err := pricing.NewService(pool, time.UTC).EnsureDefault(ctx); err != nil {
		t.Fatal(err)
	}
	err := directory.Apply(ctx, pool, audit.System("test"), []directory.Entry{
		{Email: "eng@example.com", Name: "Erin", CostCenter: "eng"},
		{Email: "admin@example.com", Name: "Alex", CostCenter: "it"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if prices == nil {
		prices = func(ctx context.Context, q *db.Queries) (batch.Pricer, error) {
			return pricing.LoadCatalog(ctx, q)
		}
	}
	client := startWorkers(t, pool, prices, workers, log)
	h := &harness{pool: pool, svc: batch.NewService(pool, client, 64<<20)}
	h.eng, h.admin = h.actor(t, "eng@example.com"), h.actor(t, "admin@example.com")
	return h
}

func startWorkers(t *testing.T, pool *pgxpool.Pool, prices batch.PricerSource, n int,
	log *slog.Logger) *river.Client[pgx.Tx] {
	t.Helper()
	workers := river.NewWorkers()
	river.AddWorker(workers, batch.NewImportWorker(pool, log, prices, time.UTC,
		importer.DefaultLimits()))
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Logger: log, Workers: workers, RetryPolicy: retryNow{},
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: n}},
		FetchPollInterval: 50 * time.Millisecond, FetchCooldown: 10 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Stop(context.Background()) })
	return client
}

func (h *harness) actor(t *testing.T, email string) audit.Actor {
	t.Helper()
	id, err := db.New(h.pool).GetPrincipalIDByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return audit.Actor{ID: id, Name: email}
}

// run imports files (name → body, in name order) and waits for the job.
func (h *harness) run(t *testing.T, up batch.Upload, files ...[2]string) *batch.Status {
	t.Helper()
	return h.wait(t, h.create(t, up, files...))
}

// create queues an import of files (name → body, in name order).
func (h *harness) create(t *testing.T, up batch.Upload, files ...[2]string) int64 {
	t.Helper()
	id, err := h.svc.Create(context.Background(), up,
		func(yield func(string, io.Reader) error) error {
			for _, f := range files {
				if err := yield(f[0], strings.NewReader(f[1])); err != nil {
					return err
				}
			}
			return nil
		})
	if err != nil {
		t.Fatalf("create import: %v", err)
	}
	return id
}

// wait waits until import id is done and returns its status.
func (h *harness) wait(t *testing.T, id int64) *batch.Status {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		st, err := h.svc.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if st.Status == "done" {
			return st
		}
		time.Sleep(30 * time.Millisecond)
	}
	t.Fatalf("import %d did not finish", id)
	return nil
}

func (h *harness) count(t *testing.T, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := h.pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func readFixture(t *testing.T, name string) [2]string {
	t.Helper()
	b, err := os.ReadFile(fixtures.Path(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return [2]string{name, string(b)}
}

// generic is a small file of tally's generic format with one bad line (3).
const generic = `{"occurred_at":"2026-11-03T10:00:00Z","provider":"anthropic","model":"claude-sonnet-4-5-20250929","input_tokens":1000,"output_tokens":500,"request_id":"g-1","api_key_id":"key-x"}
{"occurred_at":"2026-11-03T11:00:00+01:00","provider":"openai","model":"gpt-5","input_tokens":2000,"cache_read_tokens":1000,"output_tokens":100,"request_id":"g-2","principal":"eng@example.com"}
{"occurred_at":"2026-11-03T12:00:00Z","provider":"openai","model":"gpt-5",
{"occurred_at":"2026-11-04T09:00:00Z","provider":"openai","model":"not-a-model-xyz","input_tokens":10,"output_tokens":10,"request_id":"g-3"}
`

func TestImport(t *testing.T) {
	h := newHarness(t, nil)
	files := [][2]string{
		readFixture(t, "real/claude-code/real-2.1.38-one-call-five-blocks.jsonl"),
		readFixture(t, "real/codex/real-0.104-rollout.jsonl"),
		{"gateway.jsonl", generic},
	}
	up := batch.Upload{Uploader: h.admin, Host: "build-01", OSUser: "ci"}

	first := h.run(t, up, files...)
	events := h.count(t, "SELECT count(*) FROM usage_events")

	t.Run("every_line_is_counted_once", func(t *testing.T) {
		sum := first.Summary
		if got := sum.Events + sum.Duplicates + sum.Skipped + sum.Rejected; got != sum.Lines {
			t.Errorf("events+duplicates+skipped+rejected: got %d, want lines %d", got, sum.Lines)
		}
		if sum.Events != events {
			t.Errorf("events: summary %d, stored %d", sum.Events, events)
		}
	})

	t.Run("rejects_are_kept_with_their_line", func(t *testing.T) {
		n := h.count(t, "SELECT count(*) FROM import_rejects WHERE import_id = $1 AND "+
			"file = 'gateway.jsonl' AND line = 3", first.ID)
		if n != 1 || first.Rejected != 1 {
			t.Errorf("rejects of gateway.jsonl line 3: got %d (summary %d), want 1", n,
				first.Rejected)
		}
		if got := h.count(t, "SELECT count(*) FROM usage_events WHERE source_file = "+
			"'gateway.jsonl'"); got != 3 {
			t.Errorf("gateway events stored: got %d, want 3 (the rest of the batch)", got)
		}
	})

	t.Run("unpriced_is_never_zero", func(t *testing.T) {
		n := h.count(t, "SELECT count(*) FROM usage_events WHERE model_reported = "+
			"'not-a-model-xyz' AND cost IS NULL AND model_key IS NULL")
		if n != 1 || first.UnpricedEvents < 1 {
			t.Errorf("unpriced events: got %d stored, %d in summary", n, first.UnpricedEvents)
		}
	})

	t.Run("running_again_adds_nothing", func(t *testing.T) {
		before := rollupTotal(t, h)
		second := h.run(t, up, files...)
		if second.Events != 0 || second.Duplicates != first.Events+first.Duplicates {
			t.Errorf("second import: %d events, %d duplicates; want 0 and %d", second.Events,
				second.Duplicates, first.Events+first.Duplicates)
		}
		if got := h.count(t, "SELECT count(*) FROM usage_events"); got != events {
			t.Errorf("stored events: got %d, want %d", got, events)
		}
		if after := rollupTotal(t, h); after != before {
			t.Errorf("rollup total: got %s, want %s", after, before)
		}
	})

	t.Run("evidence_without_a_mapping_stays_unattributed", func(t *testing.T) {
		n := h.count(t, "SELECT count(*) FROM usage_events WHERE principal_id IS NULL "+
			"AND host = 'build-01' AND os_user = 'ci'")
		if n == 0 {
			t.Errorf("no unattributed events from build-01/ci")
		}
		direct := h.count(t, "SELECT count(*) FROM usage_events WHERE attribution = 'direct' "+
			"AND principal_id = $1", h.eng.ID)
		if direct != 1 {
			t.Errorf("events naming eng@ directly: got %d, want 1", direct)
		}
	})
}

// rollupTotal is the daily rollup's total cost and events, as text.
func rollupTotal(t *testing.T, h *harness) string {
	t.Helper()
	var cost, events string
	err := h.pool.QueryRow(context.Background(),
		"SELECT coalesce(sum(cost), 0)::text, coalesce(sum(events), 0)::text FROM usage_daily").
		Scan(&cost, &events)
	if err != nil {
		t.Fatal(err)
	}
	return cost + " " + events
}

// claudeCall is one Claude Code assistant line of a call with given output.
func claudeCall(session, msg, req string, ts string, output int, sidechain bool) string {
	line := map[string]any{"type": "assistant", "sessionId": session, "isSidechain": sidechain,
		"timestamp": ts, "requestId": req, "cwd": "/home/erin/app", "version": "2.1.38",
		"uuid": fmt.Sprintf("%s-%d", msg, output),
		"message": map[string]any{"id": msg, "model": "claude-opus-4-6", "role": "assistant",
			"type": "message", "content": []any{},
			"usage": map[string]any{"input_tokens": 10, "cache_read_input_tokens": 1000,
				"cache_creation_input_tokens": 0, "output_tokens": output}}}
	b, _ := json.Marshal(line)
	return string(b) + "\n"
}

func TestImportLaterCopy(t *testing.T) {
	h := newHarness(t, nil)
	up := batch.Upload{Uploader: h.eng, Claimed: true}
	early := claudeCall("s-1", "msg_a", "req_a", "2026-11-02T10:00:00Z", 12, false) +
		claudeCall("s-1", "msg_b", "req_b", "2026-11-02T10:01:00Z", 40, false)
	h.run(t, up, [2]string{"projects/-home-erin-app/s-1.jsonl", early})
	before := h.count(t, "SELECT count(*) FROM usage_events")

	later := early + claudeCall("s-1", "msg_a", "req_a", "2026-11-02T10:00:05Z", 900, false)
	st := h.run(t, up, [2]string{"projects/-home-erin-app/s-1.jsonl", later})

	if st.Events != 0 || *st.Updated != 1 {
		t.Errorf("later copy: %d events, %d updated; want 0 and 1", st.Events, *st.Updated)
	}
	if got := h.count(t, "SELECT count(*) FROM usage_events"); got != before {
		t.Errorf("stored events: got %d, want %d", got, before)
	}
	out := h.count(t, "SELECT output FROM usage_events WHERE dedupe_key LIKE '%msg_a%'")
	if out != 900 {
		t.Errorf("msg_a output: got %d, want 900", out)
	}
	other := h.count(t, "SELECT output FROM usage_events WHERE dedupe_key LIKE '%msg_b%'")
	if other != 40 {
		t.Errorf("msg_b output: got %d, want 40 (untouched)", other)
	}
	var ts time.Time
	h.pool.QueryRow(context.Background(), "SELECT occurred_at FROM usage_events "+
		"WHERE dedupe_key LIKE '%msg_a%'").Scan(&ts)
	if want := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC); !ts.Equal(want) {
		t.Errorf("msg_a occurred_at: got %v, want the earliest copy's %v", ts, want)
	}
	rolled := h.count(t, "SELECT sum(output) FROM usage_daily")
	if rolled != 940 {
		t.Errorf("rollup output: got %d, want 940", rolled)
	}
	claimed := h.count(t, "SELECT count(*) FROM usage_events WHERE attribution = 'claimed' "+
		"AND principal_id = $1", h.eng.ID)
	if claimed != before {
		t.Errorf("claimed events: got %d, want %d", claimed, before)
	}

	// A sidechain replay of msg_b under a new requestId in the same session
	// meets the stored call through its session key, not its request key.
	replay := claudeCall("s-1", "msg_b", "req_other", "2026-11-02T11:00:00Z", 40, true)
	st = h.run(t, up, [2]string{"projects/-home-erin-app/s-1/subagents/agent-x.jsonl", replay})
	if st.Events != 0 || st.Duplicates != 1 {
		t.Errorf("sidechain replay: %d events, %d duplicates; want 0 and 1", st.Events,
			st.Duplicates)
	}
}

// crashingPricer panics on its nth price of the first attempt, as a job
// killed midway would stop.
type crashingPricer struct {
	next  batch.Pricer
	calls *atomic.Int64
	at    int64
}

func (p crashingPricer) Price(e *usage.Event) {
	if p.calls.Add(1) == p.at {
		panic("killed midway")
	}
	p.next.Price(e)
}

func TestImportKilledMidway(t *testing.T) {
	var calls atomic.Int64
	var attempts atomic.Int64
	h := newHarness(t, func(ctx context.Context, q *db.Queries) (batch.Pricer, error) {
		c, err := pricing.LoadCatalog(ctx, q)
		if attempts.Add(1) > 1 {
			return c, err
		}
		// a.jsonl's 6,000 calls are written before the crash in b.jsonl.
		return crashingPricer{next: c, calls: &calls, at: 7000}, err
	})
	st := h.run(t, batch.Upload{Uploader: h.admin},
		[2]string{"a.jsonl", genericCalls(0, 6000)}, [2]string{"b.jsonl", genericCalls(3000, 9000)})

	if attempts.Load() != 2 || calls.Load() < 7000 {
		t.Fatalf("got %d attempts after %d prices, want a crash in b.jsonl and one retry",
			attempts.Load(), calls.Load())
	}
	// a: 6000 new; b: 3000 copies of a's calls, 3000 new.
	if st.Events != 9000 || st.Duplicates != 3000 {
		t.Errorf("retried import: %d events, %d duplicates; want 9000 and 3000", st.Events,
			st.Duplicates)
	}
	if got := h.count(t, "SELECT count(*) FROM usage_events"); got != 9000 {
		t.Errorf("stored events: got %d, want 9000", got)
	}
	if got := h.count(t, "SELECT count(DISTINCT dedupe_key) FROM usage_events"); got != 9000 {
		t.Errorf("distinct dedupe keys: got %d, want 9000", got)
	}
}

// genericCalls writes generic-format calls with request ids r-from…r-(to-1).
func genericCalls(from, to int) string {
	var b strings.Builder
	for i := from; i < to; i++ {
		fmt.Fprintf(&b, `{"occurred_at":"2026-11-05T10:00:00Z","provider":"openai",`+
			`"model":"gpt-5","input_tokens":%d,"output_tokens":10,"request_id":"r-%d"}`+"\n",
			i+1, i)
	}
	return b.String()
}

// TestImportAgreesWithDryRun checks that a dry run and a real import of the
// same files into an empty database report the same numbers.
func TestImportAgreesWithDryRun(t *testing.T) {
	h := newHarness(t, nil)
	files := [][2]string{
		readFixture(t, "real/claude-code/real-2.0.46-inline-sidechain.jsonl"),
		readFixture(t, "real/claude-code/real-2.1.38-one-call-five-blocks.jsonl"),
		readFixture(t, "real/codex/real-0.104-rollout.jsonl"),
		{"gateway.jsonl", generic},
	}
	stored := h.run(t, batch.Upload{Uploader: h.admin}, files...).Summary
	stored.Updated = nil

	catalog, err := pricing.DefaultCatalog()
	if err != nil {
		t.Fatal(err)
	}
	mem, st := importer.NewMemory(), &importer.Stats{}
	for _, f := range files {
		err := importer.Options{}.ReadFile(context.Background(), f[0],
			strings.NewReader(f[1]), mem, st)
		if err != nil {
			t.Fatal(err)
		}
	}
	events := mem.Events()
	for _, e := range events {
		catalog.Price(e)
	}
	dry := batch.Summarize(st, events)

	got, _ := json.Marshal(stored)
	want, _ := json.Marshal(dry)
	if string(got) != string(want) {
		t.Errorf("import and dry run differ:\nimport  %s\ndry run %s", got, want)
	}
}

// TestImportClaimsUnownedCalls checks that "these are mine" claims calls
// that an earlier import stored without an owner, and no others.
func TestImportClaimsUnownedCalls(t *testing.T) {
	h := newHarness(t, nil)
	calls := claudeCall("s-9", "msg_x", "req_x", "2026-11-03T10:00:00Z", 50, false) +
		claudeCall("s-9", "msg_y", "req_y", "2026-11-03T10:05:00Z", 60, false)
	h.run(t, batch.Upload{Uploader: h.admin, Host: "shared", OSUser: "ci"},
		[2]string{"projects/-srv/s-9.jsonl", calls})
	if n := h.count(t, "SELECT count(*) FROM usage_events WHERE principal_id IS NULL"); n != 2 {
		t.Fatalf("unowned calls after the shared upload: got %d, want 2", n)
	}

	st := h.run(t, batch.Upload{Uploader: h.eng, Claimed: true},
		[2]string{"projects/-srv/s-9.jsonl", calls})
	if st.Events != 0 || st.Duplicates != 2 {
		t.Errorf("claiming import: %d events, %d duplicates; want 0 and 2", st.Events,
			st.Duplicates)
	}
	owned := h.count(t, "SELECT count(*) FROM usage_events WHERE principal_id = $1 AND "+
		"attribution = 'claimed' AND attributed_by = $1", h.eng.ID)
	if owned != 2 {
		t.Errorf("calls claimed by eng@: got %d, want 2", owned)
	}
	rolled := h.count(t, "SELECT coalesce(sum(events), 0) FROM usage_daily WHERE "+
		"principal_id = $1", h.eng.ID)
	unowned := h.count(t, "SELECT coalesce(sum(events), 0) FROM usage_daily WHERE "+
		"principal_id = 0")
	if rolled != 2 || unowned != 0 {
		t.Errorf("rollup: %d calls for eng@, %d unowned; want 2 and 0", rolled, unowned)
	}

	// The admin's own later claim leaves eng@ as the owner.
	h.run(t, batch.Upload{Uploader: h.admin, Claimed: true},
		[2]string{"projects/-srv/s-9.jsonl", calls})
	if n := h.count(t, "SELECT count(*) FROM usage_events WHERE principal_id = $1",
		h.eng.ID); n != 2 {
		t.Errorf("calls still owned by eng@ after another claim: got %d, want 2", n)
	}
}

func TestFailedAttemptRequeuesTheImport(t *testing.T) {
	ctx := context.Background()
	pool := testdb.New(t)
	inserter, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
	if err != nil {
		t.Fatal(err)
	}
	svc := batch.NewService(pool, inserter, 1<<20)
	eng := audit.Actor{Name: "eng@example.com"}
	err = pool.QueryRow(ctx, "INSERT INTO principals (email) VALUES ($1) RETURNING id",
		eng.Name).Scan(&eng.ID)
	if err != nil {
		t.Fatal(err)
	}
	id, err := svc.Create(ctx, batch.Upload{Uploader: eng},
		func(yield func(string, io.Reader) error) error {
			return yield("a.jsonl", strings.NewReader(genericCalls(0, 10)))
		})
	if err != nil {
		t.Fatal(err)
	}
	down := errors.New("price table unreadable")
	w := batch.NewImportWorker(pool, slog.New(slog.DiscardHandler),
		func(context.Context, *db.Queries) (batch.Pricer, error) { return nil, down },
		time.UTC, importer.DefaultLimits())

	for _, tt := range []struct {
		attempt int
		status  string
	}{{1, "queued"}, {5, "failed"}} {
		job := &river.Job[batch.ImportArgs]{Args: batch.ImportArgs{ImportID: id},
			JobRow: &rivertype.JobRow{Attempt: tt.attempt, MaxAttempts: 5}}
		if err := w.Work(ctx, job); !errors.Is(err, down) {
			t.Fatalf("attempt %d: got %v, want %v", tt.attempt, err, down)
		}
		st, err := svc.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if st.Status != tt.status || st.Error == "" {
			t.Errorf("after attempt %d of 5: %s (%q), want %s with a reason", tt.attempt,
				st.Status, st.Error, tt.status)
		}
	}

	// Stopping the workers cancels the job: it is snoozed to run again,
	// not counted as a failed attempt.
	stopping, stop := context.WithCancel(ctx)
	w = batch.NewImportWorker(pool, slog.New(slog.DiscardHandler),
		func(context.Context, *db.Queries) (batch.Pricer, error) {
			stop()
			return nil, context.Canceled
		}, time.UTC, importer.DefaultLimits())
	job := &river.Job[batch.ImportArgs]{Args: batch.ImportArgs{ImportID: id},
		JobRow: &rivertype.JobRow{Attempt: 5, MaxAttempts: 5}}
	var snooze *river.JobSnoozeError
	if err := w.Work(stopping, job); !errors.As(err, &snooze) {
		t.Errorf("a job stopped with the workers: got %v, want a snooze", err)
	}
	if st, err := svc.Get(ctx, id); err != nil || st.Status != "queued" {
		t.Errorf("after the workers stopped: %v (%v), want queued", st.Status, err)
	}
}
