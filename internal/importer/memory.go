package importer

import (
	"context"
	"slices"
	"sync"

	"github.com/tallyhq/tally/internal/usage"
)

// Memory is an in-memory Sink that merges across files with usage.Merge,
// for dry runs and tests. It is safe for concurrent use.
type Memory struct {
	mu     sync.Mutex
	byKey  map[string]*usage.Event
	events []*usage.Event
	joined map[*usage.Event]bool // calls folded into another since
	found  []*usage.Event        // find's answer, reused
}

// NewMemory returns an empty Memory.
func NewMemory() *Memory {
	return &Memory{byKey: map[string]*usage.Event{}, joined: map[*usage.Event]bool{}}
}

// Put stores each event, or merges it into the stored call that shares one
// of its keys. An event whose keys name several stored calls shows that
// they are one call: they are merged into the first it names.
func (m *Memory) Put(_ context.Context, events []*usage.Event) (Tally, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var t Tally
	for _, c := range events {
		calls := m.find(c.Keys)
		if len(calls) == 0 {
			m.events = append(m.events, c)
			m.index(c)
			t.New++
			continue
		}
		s := calls[0]
		changed := usage.Merge(s, c)
		for _, o := range calls[1:] {
			usage.Merge(s, o)
			m.joined[o] = true
			changed = true
		}
		t.Duplicates++
		t.Joined += int64(len(calls) - 1)
		if changed {
			t.Updated++
		}
		m.index(s)
	}
	return t, nil
}

// Events returns the merged calls in first-seen order.
func (m *Memory) Events() []*usage.Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*usage.Event, 0, len(m.events)-len(m.joined))
	for _, e := range m.events {
		if !m.joined[e] {
			out = append(out, e)
		}
	}
	return out
}

// find returns the distinct stored calls that hold any of keys, in the
// order of keys, valid until the next call.
func (m *Memory) find(keys []string) []*usage.Event {
	calls := m.found[:0]
	for _, k := range keys {
		if s, ok := m.byKey[k]; ok && !slices.Contains(calls, s) {
			calls = append(calls, s)
		}
	}
	m.found = calls // its array, grown, serves the next call
	return calls
}

// index points every key of e at it.
func (m *Memory) index(e *usage.Event) {
	for _, k := range e.Keys {
		m.byKey[k] = e
	}
}
