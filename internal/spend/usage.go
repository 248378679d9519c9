package spend

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tallyhq/tally/db"
	"github.com/tallyhq/tally/internal/fault"
	"github.com/tallyhq/tally/internal/principal"
	"github.com/tallyhq/tally/internal/usage"
)

// Tiers of model.
const (
	TierStandard = "standard"
	TierPremium  = "premium"
)

// Values of UsageFilter.Attributed besides "" (everything).
const (
	AttributedYes = "yes"
	AttributedNo  = "no"
)

// UsageSorts are the orders Usage can list rows in: by text ascending, by
// number largest first. Ties keep the order by cost.
var UsageSorts = []string{"principal", "cost_center", "model", "tier", "calls", "input",
	"cache_read", "cache_write", "output", "cost"}

// UsageFilter picks the rows of Usage. Empty fields match everything.
type UsageFilter struct {
	Month      time.Time
	CostCenter string
	Principal  string // an email
	Model      string
	Tier       string // TierStandard or TierPremium
	Attributed string // AttributedYes or AttributedNo; "all" means ""
	Sort       string // one of UsageSorts; "" and unknown sorts mean "cost"
}

// Usage is a month of everyone's spend by principal and model.
type Usage struct {
	Filter UsageFilter // as applied: Attributed and Sort normalised
	Rows   []UsageRow
	// Total sums Rows; Unattributed is its part that nobody owns.
	Total        Total
	Unattributed Total
	// What the filters can choose from.
	CostCenters []string
	Models      []string
}

// UsageRow is one principal's (or nobody's) use of one model in the month.
type UsageRow struct {
	PrincipalID int64 // 0 when unattributed
	Email       string
	Name        string
	CostCenter  string
	Model       string
	Tier        string
	Priced      bool
	Calls       int64
	Tokens      usage.Tokens
	Cost        decimal.Decimal
}

// Usage returns the month's spend by principal and model that f selects,
// for finance, investigators and admins; others get fault.ErrForbidden. A
// tier or attributed filter that is not one of the values is a
// *fault.Invalid.
func (s *Service) Usage(ctx context.Context, viewer principal.Principal, f UsageFilter) (
	*Usage, error) {
	if !seesEveryone(viewer) {
		return nil, fmt.Errorf("usage: %w", fault.ErrForbidden)
	}
	params, err := usageParams(&f)
	if err != nil {
		return nil, err
	}
	q := db.New(s.pool)
	rows, err := q.ListUsage(ctx, params)
	if err != nil {
		return nil, fmt.Errorf("list usage: %w", err)
	}

	out := &Usage{Filter: f, Rows: make([]UsageRow, len(rows))}
	for i, r := range rows {
		out.Rows[i] = UsageRow{PrincipalID: r.PrincipalID, Email: r.Email, Name: r.Name,
			CostCenter: r.CostCenter, Model: r.Model, Tier: r.Tier, Priced: r.Priced,
			Calls: r.Calls, Tokens: usage.Tokens{InputUncached: r.InputUncached,
				CacheRead: r.CacheRead, CacheWrite5m: r.CacheWrite5m,
				CacheWrite1h: r.CacheWrite1h, Output: r.Output},
			Cost: r.Cost}
		out.Total.add(r.Calls, unpriced(r.Priced, r.Calls), r.Cost)
		if r.PrincipalID == 0 {
			out.Unattributed.add(r.Calls, unpriced(r.Priced, r.Calls), r.Cost)
		}
	}
	sortUsage(out.Rows, f.Sort)

	if out.CostCenters, err = q.ListUsageCostCenters(ctx); err != nil {
		return nil, fmt.Errorf("list cost centers: %w", err)
	}
	if out.Models, err = q.ListUsageModels(ctx, f.Month); err != nil {
		return nil, fmt.Errorf("list models: %w", err)
	}
	return out, nil
}

func unpriced(priced bool, calls int64) int64 {
	if priced {
		return 0
	}
	return calls
}

// usageParams checks f, normalises it in place and returns the query's
// parameters.
func usageParams(f *UsageFilter) (db.ListUsageParams, error) {
	p := db.ListUsageParams{Month: f.Month, CostCenter: optional(f.CostCenter),
		Email: optional(strings.TrimSpace(f.Principal)), Model: optional(f.Model)}
	switch f.Tier {
	case "":
	case TierStandard, TierPremium:
		p.Tier = &f.Tier
	default:
		return p, fault.Invalidf("tier", "Choose standard, premium or any tier.")
	}
	switch f.Attributed {
	case "", "all":
		f.Attributed = ""
	case AttributedYes, AttributedNo:
		yes := f.Attributed == AttributedYes
		p.Attributed = &yes
	default:
		return p, fault.Invalidf("attributed", "Choose all, attributed or unattributed.")
	}
	if !slices.Contains(UsageSorts, f.Sort) {
		f.Sort = "cost"
	}
	return p, nil
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// sortUsage orders rows by key; rows arrive ordered by cost.
func sortUsage(rows []UsageRow, key string) {
	text := map[string]func(UsageRow) string{
		"principal":   func(r UsageRow) string { return cmp.Or(r.Name, r.Email) },
		"cost_center": func(r UsageRow) string { return r.CostCenter },
		"model":       func(r UsageRow) string { return r.Model },
		"tier":        func(r UsageRow) string { return r.Tier },
	}
	number := map[string]func(UsageRow) int64{
		"calls":       func(r UsageRow) int64 { return r.Calls },
		"input":       func(r UsageRow) int64 { return r.Tokens.InputUncached },
		"cache_read":  func(r UsageRow) int64 { return r.Tokens.CacheRead },
		"cache_write": func(r UsageRow) int64 { return cacheWrite(r.Tokens) },
		"output":      func(r UsageRow) int64 { return r.Tokens.Output },
	}
	if by, ok := text[key]; ok {
		// Unattributed rows (no email, no cost center) go last.
		slices.SortStableFunc(rows, func(a, b UsageRow) int {
			x, y := by(a), by(b)
			if (x == "") != (y == "") {
				return cmp.Compare(len(y), len(x))
			}
			return strings.Compare(x, y)
		})
	}
	if by, ok := number[key]; ok {
		slices.SortStableFunc(rows, func(a, b UsageRow) int { return cmp.Compare(by(b), by(a)) })
	}
}

func cacheWrite(t usage.Tokens) int64 { return t.CacheWrite5m + t.CacheWrite1h }
