package importer

import (
	"context"
	"sync"

	"github.com/tallyhq/tally/internal/usage"
)

// Memory is an in-memory Sink that merges across files with usage.Merge,
// for dry runs and tests. It is safe for concurrent use.
type Memory struct {
	mu     sync.Mutex
	byKey  map[string]*usage.Event
	events []*usage.Event
}

// NewMemory returns an empty Memory.
func NewMemory() *Memory {
	return &Memory{byKey: map[string]*usage.Event{}}
}

// Put stores each event, or merges it into the stored call that shares
// one of its keys. The first key that matches decides: an event whose keys
// name two stored calls is merged into that one, and the two stay apart.
func (m *Memory) Put(_ context.Context, events []*usage.Event) ([]Outcome, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	outs := make([]Outcome, len(events))
	for i, c := range events {
		s := m.find(c.Keys)
		if s == nil {
			m.events = append(m.events, c)
			m.index(c)
			continue
		}
		outs[i] = OutcomeDuplicate
		if usage.Merge(s, c) {
			outs[i] = OutcomeUpdated
		}
		addKeys(s, c.Keys)
		m.index(s)
	}
	return outs, nil
}

// Events returns the merged calls in first-seen order.
func (m *Memory) Events() []*usage.Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*usage.Event(nil), m.events...)
}

func (m *Memory) find(keys []string) *usage.Event {
	for _, k := range keys {
		if s, ok := m.byKey[k]; ok {
			return s
		}
	}
	return nil
}

func (m *Memory) index(e *usage.Event) {
	for _, k := range e.Keys {
		if _, ok := m.byKey[k]; !ok {
			m.byKey[k] = e
		}
	}
}
