package importer

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/tallyhq/tally/internal/usage"
)

// piped reads paths with Walk and a Pipe, counting the calls of after.
func piped(t *testing.T, ctx context.Context, paths []string, lim Limits, sink Sink) (
	Stats, int, error) {
	t.Helper()
	var st Stats
	afters := 0
	after := func(context.Context, *Stats) error { afters++; return nil }
	p := Options{Limits: lim}.NewPipe(ctx, sink, &st, after)
	err := Walk(ctx, paths, lim, p.ReadFile)
	return st, afters, errors.Join(err, p.Close())
}

func TestPipe(t *testing.T) {
	root := tree(t)
	for _, lim := range []Limits{{}, {MaxTotalBytes: 9000}, {MaxFiles: 7}} {
		want, wantEvents, wantErr := serial(t, []string{root}, lim)
		m := NewMemory()
		got, afters, err := piped(t, context.Background(), []string{root}, lim, m)
		if fmt.Sprint(err) != fmt.Sprint(wantErr) {
			t.Errorf("limits %+v: error got %v, want %v", lim, err, wantErr)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("limits %+v: stats got %+v, want %+v", lim, countsOf(got), countsOf(want))
		}
		if !reflect.DeepEqual(m.Events(), wantEvents) {
			t.Errorf("limits %+v: events differ from ReadFile's", lim)
		}
		if afters < 1 || int64(afters) > want.Files {
			t.Errorf("after ran %d times for %d files", afters, want.Files)
		}
	}
}

func TestPipeStreamsChunks(t *testing.T) {
	var st Stats
	m := NewMemory()
	p := Options{}.NewPipe(context.Background(), m, &st, nil)
	big := strings.NewReader(genericRows(3*putChunk+5, 2*putChunk))
	err := errors.Join(p.ReadFile("big.csv", big), p.Close())
	if err != nil {
		t.Fatal(err)
	}
	if st.Events != 2*putChunk || st.Duplicates != putChunk+5 || st.Lines != 3*putChunk+6 {
		t.Errorf("got %+v", countsOf(st))
	}
}

func TestPipeStops(t *testing.T) {
	root := tree(t)
	_, _, err := piped(t, context.Background(), []string{root}, Limits{}, &failing{n: 0})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("sink error got %v, want disk full", err)
	}
	// More calls than the pipe holds: the reading side learns of the failure.
	var big Stats
	p := Options{}.NewPipe(context.Background(), &failing{n: 1}, &big, nil)
	err = p.ReadFile("big.csv", strings.NewReader(genericRows(4*pipeEvents, 4*pipeEvents)))
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("reading into a failed sink got %v, want disk full", err)
	}
	if err := p.Close(); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Close after a sink error got %v, want disk full", err)
	}

	var st Stats
	stop := errors.New("rejects not stored")
	p = Options{}.NewPipe(context.Background(), NewMemory(), &st,
		func(context.Context, *Stats) error { return stop })
	err = errors.Join(Walk(context.Background(), []string{root}, Limits{}, p.ReadFile), p.Close())
	if !errors.Is(err, stop) {
		t.Errorf("after's error got %v, want %v", err, stop)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err = piped(t, ctx, []string{root}, Limits{}, NewMemory())
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled run got %v, want context.Canceled", err)
	}
}

// panicking is a Sink that panics.
type panicking struct{}

func (panicking) Put(context.Context, []*usage.Event) (Tally, error) {
	panic("out of luck")
}

func TestPipePanicsOnClose(t *testing.T) {
	var st Stats
	p := Options{}.NewPipe(context.Background(), panicking{}, &st, nil)
	// More calls than the pipe holds: reading must wait for the storing side.
	big := strings.NewReader(genericRows(4*pipeEvents, 4*pipeEvents))
	if err := p.ReadFile("big.csv", big); !errors.Is(err, errStorePanic) {
		t.Errorf("reading after the panic got %v, want errStorePanic", err)
	}
	defer func() {
		sp, ok := recover().(*StorePanic)
		if !ok || sp.Value != "out of luck" || !strings.Contains(string(sp.Stack), "Put") {
			t.Errorf("Close panicked with %#v", sp)
		}
	}()
	p.Close()
	t.Error("Close returned")
}

// genericRows returns a generic CSV file of n calls with request ids
// r0…r(distinct-1), repeating.
func genericRows(n, distinct int) string {
	var b strings.Builder
	b.WriteString(csvHeader + "\n")
	for i := range n {
		fmt.Fprintf(&b, "2026-03-01T10:00:00Z,anthropic,m,1,0,0,1,r%d,,\n", i%distinct)
	}
	return b.String()
}
