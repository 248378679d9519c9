// Package spendtest writes calls straight into a test database, as an
// import leaves them (events, then the daily rollup refreshed by the same
// query), for the tests of the spend pages.
package spendtest

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/tallyhq/tally/db"
	"github.com/tallyhq/tally/internal/usage"
)

// Call is one call to store. Zero fields take the defaults noted.
type Call struct {
	At          time.Time
	Principal   int64  // 0 for nobody
	Attribution string // "direct" when Principal is set
	Model       string // the price key matched; "" stores an unpriced call
	Reported    string // the model the source named; Model when ""
	Cost        string // a decimal; unpriced calls have none
	ReadCost    string // the cache-read part of Cost; "0" when ""
	Tokens      usage.Tokens
	Flags       usage.Flags // FlagUnpriced is added for unpriced calls
	Evidence    usage.Evidence
	File        string // "session.jsonl" when ""
	Line        int    // the next line when 0
}

type dayKey struct {
	day       time.Time
	principal int64
}

// Seeder stores calls under one import.
type Seeder struct {
	t        testing.TB
	q        *db.Queries
	importID int64
	uploader int64
	line     int
	touched  map[dayKey]bool
}

// New returns a Seeder whose calls belong to a new import by uploader.
func New(t testing.TB, pool *pgxpool.Pool, uploader int64) *Seeder {
	t.Helper()
	q := db.New(pool)
	imp, err := q.CreateImport(context.Background(), db.CreateImportParams{
		UploaderID: uploader, Format: usage.FormatClaudeCode})
	if err != nil {
		t.Fatalf("create import: %v", err)
	}
	return &Seeder{t: t, q: q, importID: imp.ID, uploader: uploader, touched: map[dayKey]bool{}}
}

// ImportID returns the import the calls belong to.
func (s *Seeder) ImportID() int64 { return s.importID }

// Add stores calls and refreshes the rollup of the days they fall on, in
// UTC. It returns their ids.
func (s *Seeder) Add(calls ...Call) []int64 {
	s.t.Helper()
	ctx := context.Background()
	ids, err := s.q.NextEventIDs(ctx, int32(len(calls)))
	if err != nil {
		s.t.Fatalf("event ids: %v", err)
	}
	rows := make([]db.InsertUsageEventsParams, len(calls))
	for i, c := range calls {
		rows[i] = s.row(ids[i], c)
	}
	if _, err := s.q.InsertUsageEvents(ctx, rows); err != nil {
		s.t.Fatalf("insert events: %v", err)
	}
	s.rollup()
	return ids
}

func (s *Seeder) row(id int64, c Call) db.InsertUsageEventsParams {
	s.line++
	if c.Line == 0 {
		c.Line = s.line
	}
	if c.File == "" {
		c.File = "session.jsonl"
	}
	if c.Reported == "" {
		c.Reported = c.Model
	}
	evidence, err := json.Marshal(c.Evidence)
	if err != nil {
		s.t.Fatal(err)
	}
	at := c.At.UTC()
	day := time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, time.UTC)
	month := time.Date(at.Year(), at.Month(), 1, 0, 0, 0, 0, time.UTC)
	r := db.InsertUsageEventsParams{
		ID: id, ImportID: s.importID, SourceFormat: usage.FormatClaudeCode,
		SourceFile: c.File, SourceLine: int32(c.Line), DedupeKey: fmt.Sprintf("test:%d", id),
		Rank: int16(usage.RankPrimary), OccurredAt: at, Day: day, Month: month,
		Provider: "anthropic", ModelReported: c.Reported,
		InputUncached: c.Tokens.InputUncached, CacheRead: c.Tokens.CacheRead,
		CacheWrite5m: c.Tokens.CacheWrite5m, CacheWrite1h: c.Tokens.CacheWrite1h,
		Output: c.Tokens.Output, Reasoning: c.Tokens.Reasoning, Requests: 1,
		Flags: int32(c.Flags), Evidence: evidence, SessionID: c.Evidence.SessionID,
		Host: c.Evidence.Host, OsUser: c.Evidence.OSUser, Cwd: c.Evidence.CWD,
		UploaderID: &s.uploader,
	}
	if c.Model != "" {
		r.ModelKey = &c.Model
		r.Cost = decimal.NewNullDecimal(decimal.RequireFromString(c.Cost))
		r.CacheReadCost = decimal.NewNullDecimal(decimal.RequireFromString(
			cmp.Or(c.ReadCost, "0")))
	} else {
		r.Flags |= int32(usage.FlagUnpriced)
	}
	if c.Principal != 0 {
		p, a := c.Principal, cmp.Or(c.Attribution, "direct")
		r.PrincipalID, r.Attribution, r.AttributedAt = &p, &a, &at
	}
	s.touched[dayKey{day, c.Principal}] = true
	return r
}

// rollup refreshes the daily rollup of the days touched, as imports do.
func (s *Seeder) rollup() {
	var p db.DeleteDailyParams
	for k := range s.touched {
		p.Days = append(p.Days, k.day)
		p.Principals = append(p.Principals, k.principal)
	}
	ctx := context.Background()
	if err := s.q.DeleteDaily(ctx, p); err != nil {
		s.t.Fatalf("clear rollup: %v", err)
	}
	err := s.q.InsertDaily(ctx, db.InsertDailyParams{Days: p.Days, Principals: p.Principals})
	if err != nil {
		s.t.Fatalf("refresh rollup: %v", err)
	}
}
