// Package spend is the read side of the spend pages: one principal's month
// (My spend) and its sessions, everyone's month by principal and model
// (Usage), and the spend that no principal owns grouped into clusters
// (Unattributed).
//
// Totals, days and models are read from the usage_daily rollup; sessions,
// clusters and lists of calls from usage_events by index. Money stays
// decimal.Decimal; nothing here rounds. Every method decides who may see
// what: a person sees their own spend, a manager their direct reports',
// finance, investigators and admins everyone's. What a viewer may not see is
// reported as fault.ErrNotFound, so its existence does not leak.
package spend

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/tallyhq/tally/db"
	"github.com/tallyhq/tally/internal/config"
	"github.com/tallyhq/tally/internal/fault"
	"github.com/tallyhq/tally/internal/principal"
)

// Service reads spend for the pages.
type Service struct {
	pool *pgxpool.Pool
	zone *time.Location
}

// NewService returns a Service on pool whose months are billing months in
// zone (config.Config.BillingZone); nil means UTC.
func NewService(pool *pgxpool.Pool, zone *time.Location) *Service {
	if zone == nil {
		zone = time.UTC
	}
	return &Service{pool: pool, zone: zone}
}

// Total sums calls and their cost. Cost covers the priced calls only;
// Unpriced calls have no cost and make the total incomplete.
type Total struct {
	Calls       int64
	Unpriced    int64
	Approximate int64 // priced at a guessed tier; only where events are read
	Cost        decimal.Decimal
}

// Complete reports whether every call is priced.
func (t Total) Complete() bool { return t.Unpriced == 0 }

func (t *Total) add(calls, unpriced int64, cost decimal.Decimal) {
	t.Calls += calls
	t.Unpriced += unpriced
	t.Cost = t.Cost.Add(cost)
}

// ThisMonth returns the billing month that holds now: its first day, at
// midnight UTC, as months are stored.
func (s *Service) ThisMonth(now time.Time) time.Time {
	y, m, _ := now.In(s.zone).Date()
	return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
}

// ParseMonth reads a month written 2006-01 as its first day, at midnight
// UTC. A malformed month is a *fault.Invalid for the field "month".
func ParseMonth(s string) (time.Time, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil || t.Year() < 2000 || t.Year() > 9999 {
		return time.Time{}, fault.Invalidf("month", "Enter a month like 2026-03.")
	}
	return t, nil
}

// seesEveryone reports whether p may see anyone's spend.
func seesEveryone(p principal.Principal) bool {
	return p.HasAny(config.RoleFinance, config.RoleInvestigator, config.RoleAdmin)
}

// owner returns principal id when viewer may see their spend: their own,
// their manager's, or anyone's for finance, investigators and admins. Id 0
// is the viewer. Anyone else is not found.
func (s *Service) owner(ctx context.Context, viewer principal.Principal, id int64) (
	principal.Principal, error) {
	if id == 0 || id == viewer.ID {
		return viewer, nil
	}
	row, err := db.New(s.pool).GetPrincipalByID(ctx, id)
	if err != nil {
		return principal.Principal{}, fmt.Errorf("get principal %d: %w", id, db.Translate(err))
	}
	p := principal.FromRow(row.Principal, row.HasReports)
	if !seesEveryone(viewer) && p.ManagerID != viewer.ID {
		return principal.Principal{}, fmt.Errorf("spend of principal %d: %w", id,
			fault.ErrNotFound)
	}
	return p, nil
}
