package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"

	"golang.org/x/sync/semaphore"

	"github.com/tallyhq/tally/internal/usage"
)

const (
	// pipeEvents bounds the calls parsed but not yet stored, so that memory
	// stays flat when the sink is slower than the parser.
	pipeEvents = 2 * putChunk
	// pipePieces bounds the files and chunks waiting, whatever they hold.
	pipePieces = 1024
)

// piece is what the reading side of a Pipe hands to the storing side: one
// streamed chunk of a file's calls, or the rest of a file.
type piece struct {
	name   string
	events []*usage.Event
	parsed *parsed // nil for a streamed chunk
	weight int64   // what it holds of the pipe's budget
}

// Pipe reads files on the caller's goroutine and stores them on one of its
// own, so that parsing overlaps storing: a sink that waits on a database
// leaves the parser a CPU. The storing side hands the sink the calls of as
// many waiting files at once as make a chunk, so a tree of small files
// costs the sink a few calls, not one per file. The sink receives the calls
// in the order ReadFile on each file would give them, and st ends the same.
type Pipe struct {
	o      Options
	sink   Sink
	st     *Stats
	after  func(context.Context, *Stats) error
	ctx    context.Context
	cancel context.CancelFunc
	budget *semaphore.Weighted
	pieces chan piece
	done   chan struct{}
	err    error       // the storing side's error, set before done is closed
	panic  *StorePanic // the storing side's panic, likewise
}

// StorePanic is a panic of a Pipe's storing side, raised again by Close on
// the caller's goroutine, where the caller's recovery can see it.
type StorePanic struct {
	Value any
	Stack []byte // the storing goroutine's
}

func (p *StorePanic) Error() string {
	return fmt.Sprintf("panic while storing: %v\n\n%s", p.Value, p.Stack)
}

// errStorePanic is the storing side's error once it has panicked.
var errStorePanic = errors.New("the storing side panicked")

// NewPipe starts a pipe into sink that adds to st. When after is set, the
// storing side calls it with st each time it has stored some files, for
// example to write out st.Rejects. st belongs to the pipe until Close
// returns; call Close once.
func (o Options) NewPipe(ctx context.Context, sink Sink, st *Stats,
	after func(context.Context, *Stats) error) *Pipe {
	ctx, cancel := context.WithCancel(ctx)
	p := &Pipe{o: o, sink: sink, st: st, after: after, ctx: ctx, cancel: cancel,
		budget: semaphore.NewWeighted(pipeEvents),
		pieces: make(chan piece, pipePieces), done: make(chan struct{})}
	go p.store()
	return p
}

// ReadFile parses one file, as Options.ReadFile does, and queues its calls
// for the sink. It returns early with the storing side's error once that
// side has failed.
func (p *Pipe) ReadFile(name string, r io.Reader) error {
	stream := func(events []*usage.Event) error {
		return p.send(piece{name: name, events: events})
	}
	parsed, err := p.o.parseWith(p.ctx, name, r, stream)
	if err != nil {
		return p.failure(err)
	}
	return p.send(piece{name: name, events: parsed.events, parsed: parsed})
}

// Close waits until every queued file is stored and returns the first
// error of the storing side. A panic of the storing side panics here again,
// as a *StorePanic.
func (p *Pipe) Close() error {
	close(p.pieces)
	<-p.done
	p.cancel()
	if p.panic != nil {
		panic(p.panic)
	}
	return p.err
}

// send queues pc once the budget has room for it, or gives up when the
// storing side has stopped.
func (p *Pipe) send(pc piece) error {
	pc.weight = min(max(int64(len(pc.events)), 1), pipeEvents)
	if err := p.budget.Acquire(p.ctx, pc.weight); err != nil {
		return p.failure(err)
	}
	select {
	case p.pieces <- pc:
		return nil
	case <-p.done:
		return p.err
	}
}

// failure prefers the storing side's error to err, which it may have caused
// by cancelling the reading side.
func (p *Pipe) failure(err error) error {
	select {
	case <-p.done:
		if p.err != nil {
			return p.err
		}
	default:
	}
	return err
}

// store hands the queued pieces to the sink until the queue closes or the
// sink fails; a failure cancels the reading side.
func (p *Pipe) store() {
	defer close(p.done)
	defer func() {
		if v := recover(); v != nil {
			p.panic = &StorePanic{Value: v, Stack: debug.Stack()}
			p.err = errStorePanic
			p.cancel()
		}
	}()
	for {
		batch, open := p.next()
		if len(batch) > 0 {
			if err := p.storeBatch(batch); err != nil {
				p.err = err
				p.cancel()
				return
			}
		}
		if !open {
			return
		}
	}
}

// next waits for a piece, then takes those already waiting behind it until
// they hold a chunk of calls. It reports whether the queue is still open.
func (p *Pipe) next() ([]piece, bool) {
	pc, ok := <-p.pieces
	if !ok {
		return nil, false
	}
	batch, n := []piece{pc}, len(pc.events)
	for n < putChunk {
		select {
		case pc, ok := <-p.pieces:
			if !ok {
				return batch, false
			}
			batch, n = append(batch, pc), n+len(pc.events)
		default:
			return batch, true
		}
	}
	return batch, true
}

// storeBatch counts the pieces' files and hands all their calls to the
// sink, a chunk at a time.
func (p *Pipe) storeBatch(batch []piece) error {
	var events []*usage.Event
	var weight int64
	for _, pc := range batch {
		if pc.parsed != nil {
			p.o.count(pc.parsed, p.st)
		}
		events = append(events, pc.events...)
		weight += pc.weight
	}
	defer p.budget.Release(weight)
	for from := 0; from < len(events); from += putChunk {
		chunk := events[from:min(from+putChunk, len(events))]
		if err := put(p.ctx, p.sink, chunk, p.st); err != nil {
			return fmt.Errorf("store %s: %w", batchName(batch), err)
		}
	}
	if p.after == nil {
		return nil
	}
	return p.after(p.ctx, p.st)
}

// batchName names the files of a batch for an error.
func batchName(batch []piece) string {
	if len(batch) == 1 {
		return batch[0].name
	}
	return fmt.Sprintf("%s and %d more files", batch[0].name, len(batch)-1)
}
