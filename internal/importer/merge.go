package importer

import (
	"hash/maphash"
	"slices"

	"github.com/tallyhq/tally/internal/usage"
)

// merger folds the lines of one file into calls: a line that shares any
// key with a call already taken is a copy of it and is merged with
// usage.Merge; otherwise it starts a new call. A line whose keys join two
// calls makes them one. Keys are indexed by a 64-bit hash and checked
// against the call's own keys; the rare key whose hash another key holds
// goes to spill.
type merger struct {
	seed   maphash.Seed
	byHash map[uint64]int32
	spill  map[string]int32
	cands  []*usage.Event // nil once joined into an earlier call
	joined int64          // calls folded into earlier ones
}

func newMerger() merger {
	return merger{seed: maphash.MakeSeed(), byHash: map[uint64]int32{}}
}

// lookup returns the call that holds key k.
func lookup[K string | []byte](m *merger, k K) (int32, bool) {
	j, ok := m.byHash[hashKey(m.seed, k)]
	if !ok {
		return -1, false
	}
	if hasKey(m.cands[j], k) {
		return j, true
	}
	j, ok = m.spill[string(k)]
	return j, ok
}

func hashKey[K string | []byte](seed maphash.Seed, k K) uint64 {
	if s, ok := any(k).(string); ok {
		return maphash.String(seed, s)
	}
	return maphash.Bytes(seed, []byte(k))
}

// set points key k at call idx.
func (m *merger) set(k string, idx int32) {
	h := maphash.String(m.seed, k)
	if j, ok := m.byHash[h]; ok && j != idx && !hasKey(m.cands[j], k) {
		if m.spill == nil {
			m.spill = map[string]int32{}
		}
		m.spill[k] = idx
		return
	}
	m.byHash[h] = idx
}

func hasKey[K string | []byte](e *usage.Event, k K) bool {
	if e == nil {
		return false
	}
	for _, s := range e.Keys {
		if s == string(k) {
			return true
		}
	}
	return false
}

// key returns k as a string, reusing the stored key when it is known.
func (m *merger) key(k []byte) string {
	if j, ok := lookup(m, k); ok {
		for _, s := range m.cands[j].Keys {
			if s == string(k) {
				return s
			}
		}
	}
	return string(k)
}

// add merges c into the calls and reports whether it was a copy. c may be
// scratch: add keeps a copy of it, never c itself.
func (m *merger) add(c *usage.Event) bool {
	idx := int32(-1)
	for _, k := range c.Keys {
		j, ok := lookup(m, k)
		switch {
		case !ok || j == idx:
		case idx < 0:
			idx = j
		default:
			m.join(min(idx, j), max(idx, j))
			idx = min(idx, j)
		}
	}
	if idx < 0 {
		e := new(usage.Event)
		*e = *c
		e.Keys = slices.Clone(c.Keys)
		m.cands = append(m.cands, e)
		m.index(e, int32(len(m.cands)-1))
		return false
	}
	s := m.cands[idx]
	usage.Merge(s, c)
	addKeys(s, c.Keys)
	m.index(s, idx)
	return true
}

// join folds call j into call i (i < j); j's first line becomes a copy.
func (m *merger) join(i, j int32) {
	s, c := m.cands[i], m.cands[j]
	usage.Merge(s, c)
	addKeys(s, c.Keys)
	m.cands[j] = nil
	m.joined++
	m.index(s, i)
}

// index points every key of e at idx.
func (m *merger) index(e *usage.Event, idx int32) {
	for _, k := range e.Keys {
		m.set(k, idx)
	}
}

// events returns the calls in the order their first lines came.
func (m *merger) events() []*usage.Event {
	out := make([]*usage.Event, 0, len(m.cands))
	for _, e := range m.cands {
		if e != nil {
			out = append(out, e)
		}
	}
	return out
}

// addKeys adds to s the keys of keys it lacks. usage.Merge unites keys
// only when the copy's rank is not lower; a lower copy's keys still name
// the same call, so they are kept here too.
func addKeys(s *usage.Event, keys []string) {
	for _, k := range keys {
		if !slices.Contains(s.Keys, k) {
			s.Keys = append(s.Keys, k)
		}
	}
}
