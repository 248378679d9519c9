package batch

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tallyhq/tally/db"
	"github.com/tallyhq/tally/internal/attribution"
	"github.com/tallyhq/tally/internal/importer"
	"github.com/tallyhq/tally/internal/usage"
)

// flushEvents is how many calls the sink holds before it writes them.
const flushEvents = 8192

// Pricer prices an event in place.
type Pricer interface {
	Price(e *usage.Event)
}

// dayKey is one row key of the daily rollup.
type dayKey struct {
	day         time.Time
	principalID int64
}

// newKey is a key to store for a call besides its dedupe key.
type newKey struct {
	key string
	st  *stored
}

// sink stores the calls of one import. A call already stored under any of
// its keys is merged into (usage.Merge); a new one is priced, attributed
// and inserted. Writes are held and made in bulk; every call the sink holds
// is indexed by all its keys, so a later copy finds it before it is
// written. It remembers the rollup keys it touched.
type sink struct {
	q        *db.Queries
	imp      db.GetImportRow
	pricer   Pricer
	resolver *attribution.Resolver
	zone     *time.Location
	now      time.Time
	touched  map[dayKey]struct{}

	held    map[string]*stored // every key of the calls held since the last flush
	loaded  map[int64]*stored  // the stored calls among them, by id
	fresh   []*stored          // new calls to insert
	changed map[*stored]bool   // stored calls to update
	joined  []*stored          // stored calls to delete, joined into others
	keys    []newKey
	created map[int64]bool // calls of formats with several keys that this job stored
	found   []*stored      // find's answer, reused
}

func newSink(q *db.Queries, imp db.GetImportRow, pricer Pricer,
	resolver *attribution.Resolver, zone *time.Location) *sink {
	return &sink{q: q, imp: imp, pricer: pricer, resolver: resolver, zone: zone,
		now: time.Now().UTC(), touched: map[dayKey]struct{}{},
		held: map[string]*stored{}, loaded: map[int64]*stored{},
		changed: map[*stored]bool{}, created: map[int64]bool{}}
}

// Put implements importer.Sink.
func (s *sink) Put(ctx context.Context, events []*usage.Event) (importer.Tally, error) {
	var t importer.Tally
	if err := s.load(ctx, events); err != nil {
		return t, err
	}
	for _, e := range events {
		s.add(e, &t)
	}
	if len(s.fresh)+len(s.loaded) < flushEvents {
		return t, nil
	}
	return t, s.flush(ctx)
}

// add folds e into the call it copies, or holds it as a new call. A copy
// that shares keys with several calls shows that they are one: they are
// joined first.
func (s *sink) add(e *usage.Event, t *importer.Tally) {
	calls := s.find(e.Keys)
	if len(calls) == 0 {
		st := &stored{ev: e, importID: s.imp.ID}
		s.fresh = append(s.fresh, st)
		if usage.SingleKey(e.SourceFormat) {
			s.held[e.Keys[0]] = st // stored as the dedupe key alone
		} else {
			s.holdKeys(st, e.Keys)
		}
		t.New++
		return
	}
	st := survivor(calls)
	changed := false
	for _, o := range calls {
		if o != st {
			s.join(st, o, t)
			changed = true
		}
	}
	gained := s.holdKeys(st, e.Keys)
	claimed := s.claim(st)
	changed = s.merge(st, e) || changed
	t.Duplicates++
	if changed {
		t.Updated++
	}
	// A stored call that gains keys is written too, raising its revision,
	// so that an import joining it elsewhere at once collides with this one
	// rather than leave the new keys pointing at a call it deleted.
	if (changed || claimed || gained) && st.id != 0 {
		s.changed[st] = true
	}
}

// holdKeys indexes st by those of keys that are new, to be stored with it,
// and reports whether there were any.
func (s *sink) holdKeys(st *stored, keys []string) bool {
	gained := false
	for _, k := range keys {
		if s.held[k] == nil {
			s.held[k] = st
			s.keys = append(s.keys, newKey{k, st})
			gained = true
		}
	}
	return gained
}

// claim gives a stored call that nobody owns to the uploader of a claimed
// import, and reports whether it did. A call someone owns keeps its owner.
func (s *sink) claim(st *stored) bool {
	if !s.imp.Claimed || st.id == 0 || st.principalID != nil {
		return false
	}
	s.touch(st) // the unattributed row it leaves
	id, m := s.imp.UploaderID, string(attribution.Claimed)
	st.principalID, st.attribution = &id, &m
	st.claimedBy, st.claimedAt = &id, &s.now
	return true
}

// find returns the distinct calls held under any of keys, in key order,
// valid until the next call.
func (s *sink) find(keys []string) []*stored {
	calls := s.found[:0]
	for _, k := range keys {
		if st := s.held[k]; st != nil {
			if st = st.current(); !slices.Contains(calls, st) {
				calls = append(calls, st)
			}
		}
	}
	s.found = calls // its array, grown, serves the next call
	return calls
}

// load holds the stored calls that share a key with events and are not
// held yet, in one query.
func (s *sink) load(ctx context.Context, events []*usage.Event) error {
	var p db.ListCallsByKeyParams
	for _, e := range events {
		for _, k := range e.Keys {
			switch {
			case s.held[k] != nil:
			case usage.SingleKey(e.SourceFormat):
				p.DedupeKeys = append(p.DedupeKeys, k)
			default:
				p.Keys = append(p.Keys, k)
			}
		}
	}
	if len(p.Keys)+len(p.DedupeKeys) == 0 {
		return nil
	}
	rows, err := s.q.ListCallsByKey(ctx, p)
	if err != nil {
		return fmt.Errorf("look up stored calls: %w", err)
	}
	for _, r := range rows {
		st := s.loaded[r.UsageEvent.ID]
		if st == nil {
			if st, err = storedFromRow(r.UsageEvent); err != nil {
				return err
			}
			s.loaded[st.id] = st
		}
		s.held[r.FoundKey] = st
	}
	return nil
}

func storedFromRow(r db.UsageEvent) (*stored, error) {
	ev, err := eventFromRow(r)
	if err != nil {
		return nil, err
	}
	return &stored{id: r.ID, revision: r.Revision, ev: ev, importID: r.ImportID,
		principalID: r.PrincipalID, attribution: r.Attribution, day: r.Day}, nil
}

// merge folds copy e into st and reports whether st changed. A copy that
// becomes the call's source moves the call to this import.
func (s *sink) merge(st *stored, e *usage.Event) bool {
	if !usage.Merge(st.ev, e) {
		return false
	}
	if st.ev.SourceFile == e.SourceFile && st.ev.SourceLine == e.SourceLine {
		st.importID = s.imp.ID
	}
	return true
}

// flush writes what the sink holds: new calls, changed calls and new keys.
func (s *sink) flush(ctx context.Context) error {
	if err := s.insert(ctx); err != nil {
		return err
	}
	if err := s.update(ctx); err != nil {
		return err
	}
	if err := s.deleteJoined(ctx); err != nil {
		return err
	}
	if err := s.insertKeys(ctx); err != nil {
		return err
	}
	clear(s.held)
	clear(s.loaded)
	clear(s.changed)
	s.fresh, s.keys, s.joined = s.fresh[:0], s.keys[:0], s.joined[:0]
	return nil
}

// insert prices, attributes and stores the new calls.
func (s *sink) insert(ctx context.Context) error {
	if len(s.fresh) == 0 {
		return nil
	}
	ids, err := s.q.NextEventIDs(ctx, int32(len(s.fresh)))
	if err != nil {
		return fmt.Errorf("allocate event ids: %w", err)
	}
	rows := make([]db.InsertUsageEventsParams, 0, len(s.fresh))
	for i, st := range s.fresh {
		if st.into != nil {
			continue // joined into another call before it was stored
		}
		st.id = ids[i]
		if !usage.SingleKey(st.ev.SourceFormat) {
			s.created[st.id] = true
		}
		s.pricer.Price(st.ev)
		s.attribute(st)
		row, err := s.insertRow(st.id, st.ev, st)
		if err != nil {
			return err
		}
		rows = append(rows, row)
		s.touch(st)
	}
	if _, err := s.q.InsertUsageEvents(ctx, rows); err != nil {
		return fmt.Errorf("insert events: %w", db.Translate(err))
	}
	return nil
}

// update re-prices and stores the calls that a copy changed.
func (s *sink) update(ctx context.Context) error {
	if len(s.changed) == 0 {
		return nil
	}
	rows := make([]db.UpdateUsageEventsParams, 0, len(s.changed))
	for st := range s.changed {
		if st.into != nil {
			continue // joined into another call: deleted instead
		}
		s.touch(st) // the day it leaves
		s.pricer.Price(st.ev)
		row, err := s.updateRow(st)
		if err != nil {
			return err
		}
		st.day, _ = billingDay(st.ev.OccurredAt, s.zone)
		s.touch(st) // the day it lands on
		rows = append(rows, row)
	}
	// In id order, as every import writes, so that two that change the
	// same calls wait for each other rather than deadlock.
	slices.SortFunc(rows, func(a, b db.UpdateUsageEventsParams) int {
		return cmp.Compare(a.ID, b.ID)
	})
	var err error
	s.q.UpdateUsageEvents(ctx, rows).QueryRow(atRevision("update event",
		func(i int) int64 { return rows[i].ID }, &err))
	return err
}

// atRevision returns the callback of a batch of writes to calls read at a
// revision, which keeps the first failure in *err: a call the write did
// not find has changed since it was read.
func atRevision(what string, id func(int) int64, err *error) func(int, int64, error) {
	return func(i int, _ int64, e error) {
		switch {
		case *err != nil:
		case errors.Is(db.Translate(e), db.ErrNotFound):
			*err = fmt.Errorf("%s %d: %w", what, id(i), errCallChanged)
		case e != nil:
			*err = fmt.Errorf("%s %d: %w", what, id(i), db.Translate(e))
		}
	}
}

func (s *sink) insertKeys(ctx context.Context) error {
	if len(s.keys) == 0 {
		return nil
	}
	rows := make([]db.InsertEventKeysParams, len(s.keys))
	for i, k := range s.keys {
		rows[i] = db.InsertEventKeysParams{Key: k.key, EventID: k.st.current().id}
	}
	// In key order, for the same reason as updates are in id order.
	slices.SortFunc(rows, func(a, b db.InsertEventKeysParams) int {
		return strings.Compare(a.Key, b.Key)
	})
	if _, err := s.q.InsertEventKeys(ctx, rows); err != nil {
		return fmt.Errorf("insert keys: %w", db.Translate(err))
	}
	return nil
}

// attribute sets who owns a new call: the uploader when they claimed the
// upload, else whoever the evidence names.
func (s *sink) attribute(st *stored) {
	st.day, _ = billingDay(st.ev.OccurredAt, s.zone)
	if s.imp.Claimed {
		id, m := s.imp.UploaderID, string(attribution.Claimed)
		st.principalID, st.attribution = &id, &m
		return
	}
	if id, method, ok := s.resolver.Attribute(st.ev); ok {
		m := string(method)
		st.principalID, st.attribution = &id, &m
	}
}

func (s *sink) touch(st *stored) {
	s.touched[dayKey{st.day, principalOrZero(st.principalID)}] = struct{}{}
}
