package pricing

import (
	"maps"
	"slices"
	"time"
)

// Version is one price of one model over a time window (FORMATS.md C.6).
type Version struct {
	ID        int64 // the stored price version; 0 outside the database
	Key       string
	ValidFrom *time.Time // inclusive; nil = unbounded
	ValidTo   *time.Time // exclusive; nil = unbounded
	Entry     Entry
}

// covers reports whether t lies in v's window.
func (v Version) covers(t time.Time) bool {
	if v.ValidFrom != nil && t.Before(*v.ValidFrom) {
		return false
	}
	return v.ValidTo == nil || t.Before(*v.ValidTo)
}

// Change is one step of loading a table: add New, and when the model had an
// open version, end it with Closed (a copy with ValidTo set to
// New.ValidFrom).
type Change struct {
	Closed *Version
	New    Version
}

// Plan works out what loading table changes, for tally prices load
// (FORMATS.md C.6). A model's first price has no lower bound, so history is
// priced. A later, different price starts at effectiveFrom and closes the
// open version there, so no call before effectiveFrom is ever re-priced; an
// equal price changes nothing. If the open version itself starts after
// effectiveFrom, the new price starts where it starts, never earlier, and
// the open version is kept closed where it began, covering no time. A
// model missing from table keeps its open version. Changes are by key.
func Plan(current []Version, table map[string]Entry, effectiveFrom time.Time) []Change {
	from := effectiveFrom.UTC()
	latest := latestByKey(current)

	var out []Change
	for _, key := range slices.Sorted(maps.Keys(table)) {
		if c, ok := planKey(latest[key], key, table[key], from); ok {
			out = append(out, c)
		}
	}
	return out
}

func planKey(last *Version, key string, e Entry, from time.Time) (Change, bool) {
	c := Change{New: Version{Key: key, Entry: e}}
	if last == nil {
		return c, true
	}
	if last.ValidTo != nil {
		start := later(from, *last.ValidTo)
		c.New.ValidFrom = &start
		return c, true
	}
	if last.Entry.Equal(e) {
		return Change{}, false
	}

	start := from
	if last.ValidFrom != nil {
		start = later(from, *last.ValidFrom)
	}
	closed := *last
	closed.ValidTo = &start
	c.Closed, c.New.ValidFrom = &closed, &start
	return c, true
}

// latestByKey returns each key's version with the latest start; of two
// that start together (one replaced where it began), the open one.
func latestByKey(vs []Version) map[string]*Version {
	out := map[string]*Version{}
	for i := range vs {
		v := &vs[i]
		cur, ok := out[v.Key]
		if !ok || startsBefore(cur, v) || !startsBefore(v, cur) && v.ValidTo == nil {
			out[v.Key] = v
		}
	}
	return out
}

// startsBefore orders versions by start; nil is the earliest.
func startsBefore(a, b *Version) bool {
	if b.ValidFrom == nil {
		return false
	}
	return a.ValidFrom == nil || a.ValidFrom.Before(*b.ValidFrom)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// TableVersions returns one unbounded version per key of table, for a dry
// run that applies a table to every time.
func TableVersions(table map[string]Entry) []Version {
	out := make([]Version, 0, len(table))
	for _, key := range slices.Sorted(maps.Keys(table)) {
		out = append(out, Version{Key: key, Entry: table[key]})
	}
	return out
}
