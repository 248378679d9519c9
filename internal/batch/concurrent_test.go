package batch_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tallyhq/tally/db"
	"github.com/tallyhq/tally/internal/batch"
	"github.com/tallyhq/tally/internal/importer"
	"github.com/tallyhq/tally/internal/pricing"
	"github.com/tallyhq/tally/internal/usage"
)

// heldPricer prices nothing until release is closed.
type heldPricer struct {
	next    batch.Pricer
	release <-chan struct{}
}

func (p heldPricer) Price(e *usage.Event) {
	<-p.release
	p.next.Price(e)
}

func TestImportsRunAtOnce(t *testing.T) {
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
	up := batch.Upload{Uploader: h.eng, Claimed: true}

	held := h.create(t, up, [2]string{"a.jsonl", genericCalls(0, 100)})
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("the first import's job did not start")
	}
	// The first job is inside its transaction, waiting to price; another
	// import of other calls runs to the end meanwhile.
	other := h.run(t, up, [2]string{"b.jsonl", genericCalls(100, 150)})
	st, err := h.svc.Get(context.Background(), held)
	if err != nil {
		t.Fatal(err)
	}
	if other.Events != 50 || st.Status != "running" {
		t.Errorf("second import: %d events while the first was %s; want 50 while running",
			other.Events, st.Status)
	}
	close(release)
	if got := h.wait(t, held); got.Events != 100 {
		t.Errorf("first import: %d events, want 100", got.Events)
	}
}

// barrier lets n parties through at once, and anyone after them at once.
type barrier struct {
	n       int64
	arrived atomic.Int64
	all     chan struct{}
}

func newBarrier(n int64) *barrier { return &barrier{n: n, all: make(chan struct{})} }

// arrive waits for the others and reports false when they did not come.
func (b *barrier) arrive() bool {
	k := b.arrived.Add(1)
	if k > b.n {
		return true
	}
	if k == b.n {
		close(b.all)
	}
	select {
	case <-b.all:
		return true
	case <-time.After(20 * time.Second):
		return false
	}
}

// meetingPricer holds a job's first price at a barrier, so that the jobs
// of several imports have all read the stored calls before any writes.
type meetingPricer struct {
	next    batch.Pricer
	once    *sync.Once
	b       *barrier
	stalled *atomic.Bool
}

func (p meetingPricer) Price(e *usage.Event) {
	p.once.Do(func() {
		if !p.b.arrive() {
			p.stalled.Store(true)
		}
	})
	p.next.Price(e)
}

// collisions counts the log records of imports that ran again.
type collisions struct {
	slog.Handler
	n *atomic.Int64
}

func (collisions) Enabled(context.Context, slog.Level) bool { return true }

func (c collisions) Handle(ctx context.Context, r slog.Record) error {
	if strings.Contains(r.Message, "collided") {
		c.n.Add(1)
	}
	return nil
}

func TestConcurrentImportsStoreEachCallOnce(t *testing.T) {
	// Each racer raises every stored Claude call to its own output; with
	// adding, it also adds calls that the other racers add too, and some of
	// its own. The largest copy of a call must win however they interleave.
	t.Run("raising", func(t *testing.T) { race(t, false) })
	t.Run("raising_and_adding", func(t *testing.T) { race(t, true) })
}

// race runs four imports at once over the calls of a first one and checks
// what they stored against a dry run of every file.
func race(t *testing.T, adding bool) {
	const racers = 4
	b := newBarrier(racers)
	var stalled, racing atomic.Bool
	var redone atomic.Int64
	log := slog.New(collisions{Handler: slog.DiscardHandler, n: &redone})
	h := newHarnessWith(t, func(ctx context.Context, q *db.Queries) (batch.Pricer, error) {
		c, err := pricing.LoadCatalog(ctx, q)
		if !racing.Load() {
			return c, err
		}
		return meetingPricer{next: c, once: &sync.Once{}, b: b, stalled: &stalled}, err
	}, racers, log)
	up := batch.Upload{Uploader: h.eng, Claimed: true}

	ten := func(int) int { return 10 }
	base := [][2]string{claudeFile("base", 0, 30, ten), {"base.jsonl", genericCalls(0, 100)}}
	h.run(t, up, base...)
	racing.Store(true)
	all := base
	var ids []int64
	for i := range racers {
		// Each call's largest copy is another racer's, so that however
		// the racers commit, a lost copy shows.
		raise := func(call int) int { return 100 + 10*((i+call)%racers) }
		files := [][2]string{claudeFile(fmt.Sprintf("racer%d", i), 0, 30, raise)}
		if adding {
			add := func(int) int { return 50 + i }
			files = append(files, claudeFile(fmt.Sprintf("racer%d-new", i), 30, 60, add),
				[2]string{fmt.Sprintf("racer%d.jsonl", i), genericCalls(50+40*i, 150+40*i)})
		}
		all = append(all, files...)
		ids = append(ids, h.create(t, up, files...))
	}
	var added int64
	for _, id := range ids {
		added += h.wait(t, id).Events
	}
	if stalled.Load() {
		t.Fatal("the racing jobs did not all run at once")
	}

	want := dryRun(t, all)
	if got := h.count(t, "SELECT count(*) FROM usage_events"); got != int64(len(want)) {
		t.Errorf("stored calls: got %d, want %d", got, len(want))
	}
	if base := int64(130); added+base != int64(len(want)) {
		t.Errorf("new calls the racers counted: %d, want %d", added, int64(len(want))-base)
	}
	if got, w := h.count(t, "SELECT sum(output) FROM usage_events"), sumOutput(want); got != w {
		t.Errorf("stored output: got %d, want %d", got, w)
	}
	if raised := h.count(t, "SELECT count(*) FROM usage_events WHERE output = 130"); raised != 30 {
		t.Errorf("stored calls at their largest copy: %d, want 30", raised)
	}
	rolled := h.count(t, "SELECT sum(output) FROM usage_daily")
	if w := sumOutput(want); rolled != w {
		t.Errorf("rollup output: got %d, want %d", rolled, w)
	}
	if redone.Load() == 0 {
		t.Error("no import ran again: the racers did not collide")
	}
}

// claudeFile is a session file of calls from..to-1, call i with output
// out(i).
func claudeFile(name string, from, to int, out func(i int) int) [2]string {
	var b strings.Builder
	for i := from; i < to; i++ {
		b.WriteString(claudeCall("s-race", fmt.Sprintf("msg_%d", i), fmt.Sprintf("req_%d", i),
			fmt.Sprintf("2026-11-02T10:%02d:00Z", i), out(i), false))
	}
	return [2]string{"projects/-home-erin-app/" + name + ".jsonl", b.String()}
}

// dryRun merges files in memory, as a single import of them all would.
func dryRun(t *testing.T, files [][2]string) []*usage.Event {
	t.Helper()
	m := importer.NewMemory()
	var st importer.Stats
	for _, f := range files {
		err := importer.Options{}.ReadFile(context.Background(), f[0],
			strings.NewReader(f[1]), m, &st)
		if err != nil {
			t.Fatal(err)
		}
	}
	return m.Events()
}

func sumOutput(events []*usage.Event) int64 {
	var n int64
	for _, e := range events {
		n += e.Tokens.Output
	}
	return n
}
