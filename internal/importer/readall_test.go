package importer

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tallyhq/tally/internal/usage"
)

// tree writes a folder of mixed inputs whose results depend on the order
// in which files reach the sink.
func tree(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	call := cc{session: sessA, msg: "m9", req: "r9", out: 80, agent: "a1", sidechain: true}
	for i := range 12 {
		s := fmt.Sprintf("%08d-0000-4000-8000-000000000000", i)
		body := lines(
			cc{session: s, msg: "m1", req: "r1", out: 3, ts: "2026-02-10T10:00:00Z"}.line(),
			cc{session: s, msg: "m1", req: "r1", out: 30 + i, ts: "2026-02-10T10:00:01Z"}.line(),
			call.progress(s, "a1"),
			`{"type":"user","broken`,
			cc{session: s, msg: fmt.Sprintf("own%d", i), out: i}.line(),
		)
		writeFile(t, filepath.Join(root, "claude", s+".jsonl"), []byte(body))
	}
	writeFile(t, filepath.Join(root, "claude", sessA, "subagents", "agent-a1.jsonl"),
		[]byte(lines(call.line())))
	// A resumed copy of one session's call in another session, archived.
	resumed := lines(cc{session: sessB, msg: "m1", req: "r1", out: 99,
		ts: "2026-02-12T10:00:00Z"}.line())
	writeFile(t, filepath.Join(root, "backup.tar.gz"), gzipBytes(t, tarBytes(t,
		member{name: "b/" + sessB + ".jsonl", body: resumed},
		member{name: "b/fifo", typ: tar.TypeFifo})))
	rollout := (&cx{}).meta(codexMeta).turn("gpt-5", ownTurn).
		tokens([4]int64{100, 0, 1, 0}, [4]int64{100, 0, 1, 0}).
		tokens([4]int64{300, 50, 2, 0}, [4]int64{200, 50, 1, 0}).body()
	writeFile(t, filepath.Join(root, "codex", "sessions", "rollout-1.jsonl"), []byte(rollout))
	writeFile(t, filepath.Join(root, "codex", "archived_sessions", "rollout-1.jsonl.gz"),
		gzipBytes(t, []byte(rollout)))
	writeFile(t, filepath.Join(root, "z.csv"), []byte(lines(csvHeader,
		`2026-03-01T10:00:00Z,anthropic,m,1,0,0,1,r1,,`, `bad`)))
	writeFile(t, filepath.Join(root, "zz.bin"), []byte{0, 1, 2})
	return root
}

// serial reads paths with Walk and ReadFile.
func serial(t *testing.T, paths []string, lim Limits) (Stats, []*usage.Event, error) {
	t.Helper()
	m := NewMemory()
	var st Stats
	o := Options{Limits: lim}
	ctx := context.Background()
	err := Walk(ctx, paths, lim, func(name string, r io.Reader) error {
		return o.ReadFile(ctx, name, r, m, &st)
	})
	return st, m.Events(), err
}

func TestReadAll(t *testing.T) {
	root := tree(t)
	for _, lim := range []Limits{{}, {MaxTotalBytes: 9000}, {MaxFiles: 7}} {
		want, wantEvents, wantErr := serial(t, []string{root}, lim)
		checkBalance(t, want)
		if lim == (Limits{}) && (want.Files != 19 || want.Rejected == 0 || want.Updated == 0) {
			t.Fatalf("the tree does not exercise enough: %+v", countsOf(want))
		}
		for _, workers := range []int{1, 2, 4, 8, 8, 8} {
			m := NewMemory()
			var got Stats
			o := Options{Limits: lim}
			err := o.ReadAll(context.Background(), []string{root}, m, workers, &got)
			if fmt.Sprint(err) != fmt.Sprint(wantErr) {
				t.Errorf("limits %+v, %d workers: error got %v, want %v", lim, workers, err,
					wantErr)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("limits %+v, %d workers: stats got %+v, want %+v", lim, workers,
					countsOf(got), countsOf(want))
			}
			if !reflect.DeepEqual(m.Events(), wantEvents) {
				t.Errorf("limits %+v, %d workers: events differ from Walk's", lim, workers)
			}
		}
	}
}

// failing is a Sink that fails after n calls.
type failing struct{ n int }

func (f *failing) Put(ctx context.Context, events []*usage.Event) (Tally, error) {
	if f.n--; f.n < 0 {
		return Tally{}, errors.New("disk full")
	}
	return discard{}.Put(ctx, events)
}

func TestReadAllStops(t *testing.T) {
	root := tree(t)
	var st Stats
	err := Options{}.ReadAll(context.Background(), []string{root}, &failing{n: 3}, 2, &st)
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("sink error got %v, want disk full", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = Options{}.ReadAll(ctx, []string{root}, NewMemory(), 2, &st)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled run got %v, want context.Canceled", err)
	}
	err = Options{Format: "csv"}.ReadAll(context.Background(), []string{root}, NewMemory(), 2, &st)
	if err == nil || !strings.Contains(err.Error(), `format "csv"`) {
		t.Errorf("bad format got %v", err)
	}
}
