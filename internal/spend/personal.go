package spend

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tallyhq/tally/db"
	"github.com/tallyhq/tally/internal/principal"
	"github.com/tallyhq/tally/internal/usage"
)

// MaxSessions is how many sessions Personal lists, largest first.
const MaxSessions = 100

// Personal is one principal's spend in one billing month.
type Personal struct {
	Principal principal.Principal
	Month     time.Time
	// Total sums the month. Its Approximate count comes from the sessions.
	Total    Total
	Days     []Day // every day of the month, in order
	Models   []Model
	Sessions []Session // the largest MaxSessions
	// SessionCount is the number of sessions in the month, past the limit
	// too; calls without a session count as one.
	SessionCount int
	// Reports are the principal's direct reports with their month, when
	// the viewer may open their pages; nil otherwise.
	Reports []Report
}

// Day is one day of a month.
type Day struct {
	Day      time.Time
	Calls    int64
	Unpriced int64
	Cost     decimal.Decimal
}

// Model is a month's use of one model. An unpriced model is listed under
// the name the source reported, with Priced false and no cost.
type Model struct {
	Model  string
	Tier   string // standard or premium
	Priced bool
	Calls  int64
	Tokens usage.Tokens // Reasoning is not rolled up and stays 0
	Cost   decimal.Decimal
}

// Session is a principal's calls in a month that share a session id. The
// calls without one form a Session whose ID is "".
type Session struct {
	ID          string
	Started     time.Time
	Calls       int64
	Unpriced    int64
	Approximate int64
	Cost        decimal.Decimal
	// CacheReadCost is what re-reading the cached context cost.
	CacheReadCost decimal.Decimal
	// SubAgentCost is the cost of calls made by sub-agents (their evidence
	// names an agent_id).
	SubAgentCost decimal.Decimal
	Models       []string
	CWD          string // the project directory of its first call that names one
}

// SubAgentShare returns the part of the cost that sub-agents spent, as a
// ratio; ok is false when the session has no cost.
func (s Session) SubAgentShare() (ratio decimal.Decimal, ok bool) {
	return share(s.SubAgentCost, s.Cost)
}

// ReplayShare returns the part of the cost spent re-reading cached
// context, as a ratio; ok is false when the session has no cost.
func (s Session) ReplayShare() (ratio decimal.Decimal, ok bool) {
	return share(s.CacheReadCost, s.Cost)
}

func share(part, whole decimal.Decimal) (decimal.Decimal, bool) {
	if whole.IsZero() {
		return decimal.Zero, false
	}
	return part.Div(whole), true
}

// Report is a direct report's month.
type Report struct {
	ID         int64
	Email      string
	Name       string
	CostCenter string
	Calls      int64
	Unpriced   int64
	Cost       decimal.Decimal
}

// Personal returns the month of principal id (0 for the viewer). A viewer
// may see their own, their direct reports', and, in finance, investigation
// or admin, anyone's; anyone else is fault.ErrNotFound.
func (s *Service) Personal(ctx context.Context, viewer principal.Principal, id int64,
	month time.Time) (*Personal, error) {
	p, err := s.owner(ctx, viewer, id)
	if err != nil {
		return nil, err
	}
	q := db.New(s.pool)
	out := &Personal{Principal: p, Month: month}

	days, err := q.ListSpendDays(ctx, db.ListSpendDaysParams{Month: month, PrincipalID: p.ID})
	if err != nil {
		return nil, fmt.Errorf("list spend by day: %w", err)
	}
	out.Days = monthDays(month, days)
	for _, d := range out.Days {
		out.Total.add(d.Calls, d.Unpriced, d.Cost)
	}

	if out.Models, err = s.models(ctx, q, p.ID, month); err != nil {
		return nil, err
	}
	if err := s.sessions(ctx, q, out); err != nil {
		return nil, err
	}
	if p.IsManager() && (p.ID == viewer.ID || seesEveryone(viewer)) {
		if out.Reports, err = s.reports(ctx, q, p.ID, month); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// monthDays returns every day of month, with the rows found.
func monthDays(month time.Time, rows []db.ListSpendDaysRow) []Day {
	byDay := map[time.Time]db.ListSpendDaysRow{}
	for _, r := range rows {
		byDay[r.Day] = r
	}
	var out []Day
	for d := month; d.Before(month.AddDate(0, 1, 0)); d = d.AddDate(0, 0, 1) {
		r := byDay[d]
		out = append(out, Day{Day: d, Calls: r.Calls, Unpriced: r.Unpriced, Cost: r.Cost})
	}
	return out
}

func (s *Service) models(ctx context.Context, q *db.Queries, id int64, month time.Time) (
	[]Model, error) {
	rows, err := q.ListSpendModels(ctx, db.ListSpendModelsParams{Month: month, PrincipalID: id})
	if err != nil {
		return nil, fmt.Errorf("list spend by model: %w", err)
	}
	out := make([]Model, len(rows))
	for i, r := range rows {
		out[i] = Model{Model: r.Model, Tier: r.Tier, Priced: r.Priced, Calls: r.Calls,
			Tokens: usage.Tokens{InputUncached: r.InputUncached, CacheRead: r.CacheRead,
				CacheWrite5m: r.CacheWrite5m, CacheWrite1h: r.CacheWrite1h, Output: r.Output},
			Cost: r.Cost}
	}
	return out, nil
}

// sessions fills out's sessions and their approximate count.
func (s *Service) sessions(ctx context.Context, q *db.Queries, out *Personal) error {
	rows, err := q.ListSpendSessions(ctx, db.ListSpendSessionsParams{
		ApproximateFlag: int32(usage.FlagApproximate), PrincipalID: out.Principal.ID,
		FromDay: out.Month, ToDay: out.Month.AddDate(0, 1, 0),
	})
	if err != nil {
		return fmt.Errorf("list sessions: %w", err)
	}
	out.SessionCount = len(rows)
	for i, r := range rows {
		out.Total.Approximate += r.Approximate
		if i >= MaxSessions {
			continue
		}
		out.Sessions = append(out.Sessions, Session{ID: r.SessionID, Started: r.Started,
			Calls: r.Calls, Unpriced: r.Unpriced, Approximate: r.Approximate, Cost: r.Cost,
			CacheReadCost: r.CacheReadCost, SubAgentCost: r.SubAgentCost, Models: r.Models,
			CWD: r.Cwd})
	}
	return nil
}

func (s *Service) reports(ctx context.Context, q *db.Queries, id int64, month time.Time) (
	[]Report, error) {
	rows, err := q.ListSpendReports(ctx, db.ListSpendReportsParams{Month: month, ManagerID: id})
	if err != nil {
		return nil, fmt.Errorf("list reports' spend: %w", err)
	}
	out := make([]Report, len(rows))
	for i, r := range rows {
		out[i] = Report{ID: r.ID, Email: r.Email, Name: r.Name, CostCenter: r.CostCenter,
			Calls: r.Calls, Unpriced: r.Unpriced, Cost: r.Cost}
	}
	return out, nil
}
