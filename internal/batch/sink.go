package batch

import (
	"context"
	"fmt"
	"time"

	"github.com/tallyhq/tally/db"
	"github.com/tallyhq/tally/internal/attribution"
	"github.com/tallyhq/tally/internal/importer"
	"github.com/tallyhq/tally/internal/usage"
)

// Pricer prices an event in place.
type Pricer interface {
	Price(e *usage.Event)
}

// dayKey is one row key of the daily rollup.
type dayKey struct {
	day         time.Time
	principalID int64
}

// sink stores the calls of one import. A call already stored under any of
// its keys is merged into (usage.Merge); a new one is priced, attributed
// and inserted. It remembers the rollup keys it touched.
type sink struct {
	q        *db.Queries
	imp      db.GetImportRow
	pricer   Pricer
	resolver *attribution.Resolver
	zone     *time.Location
	now      time.Time
	touched  map[dayKey]struct{}
}

// Put implements importer.Sink.
func (s *sink) Put(ctx context.Context, events []*usage.Event) ([]importer.Outcome, error) {
	known, err := s.load(ctx, events)
	if err != nil {
		return nil, err
	}

	out := make([]importer.Outcome, len(events))
	var fresh []*stored
	var newKeys []string
	changed := map[*stored]bool{}
	for i, e := range events {
		st := find(known, e.Keys)
		if st == nil {
			st = &stored{ev: e, importID: s.imp.ID}
			fresh = append(fresh, st)
			out[i] = importer.OutcomeNew
		} else if s.merge(st, e) {
			changed[st] = true
			out[i] = importer.OutcomeUpdated
		} else {
			out[i] = importer.OutcomeDuplicate
		}
		newKeys = addKeys(known, st, e.Keys, newKeys)
	}

	if err := s.insert(ctx, fresh); err != nil {
		return nil, err
	}
	if err := s.update(ctx, changed); err != nil {
		return nil, err
	}
	return out, s.insertKeys(ctx, known, newKeys)
}

// load returns the stored calls that share a key with events, by key.
func (s *sink) load(ctx context.Context, events []*usage.Event) (map[string]*stored, error) {
	var keys []string
	for _, e := range events {
		keys = append(keys, e.Keys...)
	}
	rows, err := s.q.ListEventKeys(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("look up keys: %w", err)
	}
	ids := make([]int64, 0, len(rows))
	for _, r := range rows {
		ids = append(ids, r.EventID)
	}
	byID, err := s.loadEvents(ctx, ids)
	if err != nil {
		return nil, err
	}
	known := make(map[string]*stored, len(keys))
	for _, r := range rows {
		known[r.Key] = byID[r.EventID]
	}
	return known, nil
}

func (s *sink) loadEvents(ctx context.Context, ids []int64) (map[int64]*stored, error) {
	byID := map[int64]*stored{}
	if len(ids) == 0 {
		return byID, nil
	}
	rows, err := s.q.ListEventsByID(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load stored calls: %w", err)
	}
	for _, r := range rows {
		ev, err := eventFromRow(r)
		if err != nil {
			return nil, err
		}
		byID[r.ID] = &stored{id: r.ID, ev: ev, importID: r.ImportID,
			principalID: r.PrincipalID, attribution: r.Attribution, day: r.Day}
	}
	return byID, nil
}

func find(known map[string]*stored, keys []string) *stored {
	for _, k := range keys {
		if st := known[k]; st != nil {
			return st
		}
	}
	return nil
}

// addKeys records the keys of st that are not stored yet.
func addKeys(known map[string]*stored, st *stored, keys, add []string) []string {
	for _, k := range keys {
		if known[k] == nil {
			known[k] = st
			add = append(add, k)
		}
	}
	return add
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

// insert prices, attributes and stores new calls.
func (s *sink) insert(ctx context.Context, fresh []*stored) error {
	if len(fresh) == 0 {
		return nil
	}
	ids, err := s.q.NextEventIDs(ctx, int32(len(fresh)))
	if err != nil {
		return fmt.Errorf("allocate event ids: %w", err)
	}
	rows := make([]db.InsertUsageEventsParams, len(fresh))
	for i, st := range fresh {
		st.id = ids[i]
		s.pricer.Price(st.ev)
		s.attribute(st)
		if rows[i], err = s.insertRow(st.id, st.ev, st); err != nil {
			return err
		}
		s.touch(st)
	}
	if _, err := s.q.InsertUsageEvents(ctx, rows); err != nil {
		return fmt.Errorf("insert events: %w", db.Translate(err))
	}
	return nil
}

// update re-prices and stores calls that a copy changed.
func (s *sink) update(ctx context.Context, changed map[*stored]bool) error {
	var rows []db.UpdateUsageEventsParams
	for st := range changed {
		if st.id == 0 {
			continue // inserted in this same Put, already with its merged usage
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
	if len(rows) == 0 {
		return nil
	}
	var err error
	s.q.UpdateUsageEvents(ctx, rows).Exec(func(_ int, e error) {
		if e != nil && err == nil {
			err = fmt.Errorf("update events: %w", e)
		}
	})
	return err
}

func (s *sink) insertKeys(ctx context.Context, known map[string]*stored, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	rows := make([]db.InsertEventKeysParams, len(keys))
	for i, k := range keys {
		rows[i] = db.InsertEventKeysParams{Key: k, EventID: known[k].id}
	}
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
