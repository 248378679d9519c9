package importer

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"
)

// item is one parsed file of a unit, or the error that ended the unit.
type item struct {
	p   *parsed
	err error
}

// job is one file or archive found by list, with the channel its parsed
// files go out on, in order.
type job struct {
	e    entry
	slot chan item
}

// ReadAll reads every file under paths, as Walk finds them, with up to
// workers goroutines parsing files (or archives) at once, and hands the
// files to sink one at a time in Walk's order, so that the outcome never
// depends on scheduling: it is what Walk with ReadFile gives, limits
// included. workers < 1 means one per CPU. Memory stays bounded: only a
// few parsed files per worker wait for their turn.
func (o Options) ReadAll(ctx context.Context, paths []string, sink Sink, workers int,
	st *Stats) error {
	if err := checkFormat(o.Format); err != nil {
		return err
	}
	lim := o.Limits.orDefault()
	entries, err := list(paths, lim.MaxFiles)
	if err != nil {
		return err
	}
	if workers < 1 {
		workers = runtime.GOMAXPROCS(0)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	units := make(chan chan item, workers)
	jobs := make(chan job)
	var wg sync.WaitGroup
	wg.Go(func() { dispatch(ctx, entries, units, jobs) })
	for range workers {
		wg.Go(func() {
			for j := range jobs {
				o.unit(ctx, lim, j)
			}
		})
	}
	err = o.collect(ctx, units, sink, st, lim)
	cancel()
	wg.Wait()
	return err
}

// dispatch queues the entries in order: each one's slot for the collector
// and its job for a worker.
func dispatch(ctx context.Context, entries []entry, units chan<- chan item, jobs chan<- job) {
	defer close(units)
	defer close(jobs)
	for _, e := range entries {
		slot := make(chan item, 2)
		select {
		case units <- slot:
		case <-ctx.Done():
			return
		}
		select {
		case jobs <- job{e: e, slot: slot}:
		case <-ctx.Done():
			return
		}
	}
}

// unit parses the files of one entry and sends them out in order.
func (o Options) unit(ctx context.Context, lim Limits, j job) {
	defer close(j.slot)
	send := func(it item) error {
		select {
		case j.slot <- it:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	w := newWalker(ctx, lim, func(name string, r io.Reader) error {
		p, err := o.parse(ctx, name, r)
		if err != nil {
			return err
		}
		return send(item{p: p})
	})
	if err := w.entry(j.e); err != nil {
		_ = send(item{err: err})
	}
}

// collect commits the parsed files in order and applies the run's limits
// to them as Walk does.
func (o Options) collect(ctx context.Context, units <-chan chan item, sink Sink,
	st *Stats, lim Limits) error {
	var files int
	var used int64
	for {
		var slot chan item
		select {
		case s, ok := <-units:
			if !ok {
				return nil
			}
			slot = s
		case <-ctx.Done():
			return fmt.Errorf("read: %w", ctx.Err())
		}
		for it := range recv(ctx, slot) {
			if it.err != nil {
				return it.err
			}
			if err := o.take(ctx, it.p, sink, st, lim, &files, &used); err != nil {
				return err
			}
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("read: %w", err)
		}
	}
}

// take commits one parsed file, counting it against the run's limits.
func (o Options) take(ctx context.Context, p *parsed, sink Sink, st *Stats, lim Limits,
	files *int, used *int64) error {
	if *files++; *files > lim.MaxFiles {
		return fmt.Errorf("walk: more than %d files: %w", lim.MaxFiles, ErrLimit)
	}
	if *used += p.bytes; *used > lim.MaxTotalBytes {
		overBudget(p, lim.MaxTotalBytes)
	}
	if err := o.commit(ctx, p, sink, st); err != nil {
		return err
	}
	if p.limit {
		return fmt.Errorf("walk: %w", &totalError{lim.MaxTotalBytes})
	}
	return nil
}

// recv yields the items of one slot until it closes or ctx ends.
func recv(ctx context.Context, slot <-chan item) func(func(item) bool) {
	return func(yield func(item) bool) {
		for {
			select {
			case it, ok := <-slot:
				if !ok || !yield(it) {
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}
}

// overBudget turns p into the whole-file reject that the file crossing
// the run's byte budget gets.
func overBudget(p *parsed, max int64) {
	*p = parsed{
		name: p.name, lines: 1, rejects: 1, bytes: p.bytes, limit: true,
		details: []Reject{{File: p.name, Reason: (&totalError{max}).Error(), EndsFile: true}},
	}
}
