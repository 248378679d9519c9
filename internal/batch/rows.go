package batch

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tallyhq/tally/db"
	"github.com/tallyhq/tally/internal/usage"
)

// stored is a call as the database holds it, with the event it merges into.
type stored struct {
	id          int64
	revision    int32 // as read; an update expects it unchanged
	ev          *usage.Event
	importID    int64
	principalID *int64
	attribution *string
	claimedBy   *int64     // set when this import claims a stored call
	claimedAt   *time.Time // likewise
	day         time.Time
	into        *stored // the call it was joined into, if it was
}

// current returns the call that st is now: st, or the call it was joined
// into.
func (st *stored) current() *stored {
	for st.into != nil {
		st = st.into
	}
	return st
}

// eventFromRow rebuilds the mergeable parts of a stored call.
func eventFromRow(r db.UsageEvent) (*usage.Event, error) {
	e := &usage.Event{
		SourceFormat: r.SourceFormat, SourceFile: r.SourceFile,
		SourceLine: int(r.SourceLine), Keys: []string{r.DedupeKey},
		Rank: usage.Rank(r.Rank), Policy: usage.PolicyFor(r.SourceFormat),
		OccurredAt: r.OccurredAt, Provider: r.Provider, ModelReported: r.ModelReported,
		ServiceTier: r.ServiceTier, Speed: r.Speed, InferenceGeo: r.InferenceGeo,
		Region: r.Region, Requests: r.Requests, WebSearchRequests: r.WebSearchRequests,
		WebFetchRequests: r.WebFetchRequests, Flags: usage.Flags(r.Flags),
		Tokens: usage.Tokens{InputUncached: r.InputUncached, CacheRead: r.CacheRead,
			CacheWrite5m: r.CacheWrite5m, CacheWrite1h: r.CacheWrite1h,
			Output: r.Output, Reasoning: r.Reasoning},
	}
	if err := json.Unmarshal(r.Evidence, &e.Evidence); err != nil {
		return nil, fmt.Errorf("event %d evidence: %w", r.ID, err)
	}
	return e, nil
}

// billingDay returns the day and month of t in the billing zone.
func billingDay(t time.Time, zone *time.Location) (day, month time.Time) {
	y, m, d := t.In(zone).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
}

// priceFields returns an event's price columns.
func priceFields(e *usage.Event) (key *string, cost, readCost decimal.NullDecimal,
	priceID *int64) {
	if !e.Priced {
		return nil, decimal.NullDecimal{}, decimal.NullDecimal{}, nil
	}
	k := e.ModelKey
	if e.PriceID != 0 {
		id := e.PriceID
		priceID = &id
	}
	return &k, decimal.NewNullDecimal(e.Cost), decimal.NewNullDecimal(e.CacheReadCost), priceID
}

// insertRow returns the row that stores e as a new call.
func (s *sink) insertRow(id int64, e *usage.Event, st *stored) (db.InsertUsageEventsParams,
	error) {
	evidence, err := json.Marshal(e.Evidence)
	if err != nil {
		return db.InsertUsageEventsParams{}, fmt.Errorf("encode evidence: %w", err)
	}
	day, month := billingDay(e.OccurredAt, s.zone)
	key, cost, readCost, priceID := priceFields(e)
	uploader := s.imp.UploaderID
	row := db.InsertUsageEventsParams{
		ID: id, ImportID: s.imp.ID, SourceFormat: e.SourceFormat,
		SourceFile: e.SourceFile, SourceLine: int32(e.SourceLine), DedupeKey: e.Keys[0],
		Rank: int16(e.Rank), OccurredAt: e.OccurredAt.UTC(), Day: day, Month: month,
		Provider: e.Provider, ModelReported: e.ModelReported, ModelKey: key,
		ServiceTier: e.ServiceTier, Speed: e.Speed, InferenceGeo: e.InferenceGeo,
		Region: e.Region, InputUncached: e.Tokens.InputUncached,
		CacheRead: e.Tokens.CacheRead, CacheWrite5m: e.Tokens.CacheWrite5m,
		CacheWrite1h: e.Tokens.CacheWrite1h, Output: e.Tokens.Output,
		Reasoning: e.Tokens.Reasoning, Requests: e.Requests,
		WebSearchRequests: e.WebSearchRequests, WebFetchRequests: e.WebFetchRequests,
		Flags: int32(e.Flags), Cost: cost, CacheReadCost: readCost, PriceID: priceID,
		Evidence: evidence, SessionID: e.Evidence.SessionID, Host: e.Evidence.Host,
		OsUser: e.Evidence.OSUser, Cwd: e.Evidence.CWD, UploaderID: &uploader,
		PrincipalID: st.principalID, Attribution: st.attribution,
	}
	if st.principalID != nil {
		row.AttributedAt = &s.now
		if *st.attribution == "claimed" {
			row.AttributedBy = &uploader
		}
	}
	return row, nil
}

// updateRow returns the update that stores st's merged call.
func (s *sink) updateRow(st *stored) (db.UpdateUsageEventsParams, error) {
	e := st.ev
	evidence, err := json.Marshal(e.Evidence)
	if err != nil {
		return db.UpdateUsageEventsParams{}, fmt.Errorf("encode evidence: %w", err)
	}
	day, month := billingDay(e.OccurredAt, s.zone)
	key, cost, readCost, priceID := priceFields(e)
	return db.UpdateUsageEventsParams{
		ID: st.id, Revision: st.revision, ImportID: st.importID, SourceFile: e.SourceFile,
		SourceLine: int32(e.SourceLine), Rank: int16(e.Rank),
		OccurredAt: e.OccurredAt.UTC(), Day: day, Month: month,
		ModelReported: e.ModelReported, ModelKey: key, ServiceTier: e.ServiceTier,
		Speed: e.Speed, InferenceGeo: e.InferenceGeo,
		InputUncached: e.Tokens.InputUncached, CacheRead: e.Tokens.CacheRead,
		CacheWrite5m: e.Tokens.CacheWrite5m, CacheWrite1h: e.Tokens.CacheWrite1h,
		Output: e.Tokens.Output, Reasoning: e.Tokens.Reasoning,
		WebSearchRequests: e.WebSearchRequests, WebFetchRequests: e.WebFetchRequests,
		Flags: int32(e.Flags), Cost: cost, CacheReadCost: readCost, PriceID: priceID,
		Evidence: evidence, SessionID: e.Evidence.SessionID,
		PrincipalID: st.principalID, Attribution: st.attribution,
		AttributedBy: st.claimedBy, AttributedAt: st.claimedAt,
	}, nil
}
