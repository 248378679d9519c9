package pricing

import (
	"testing"
	"time"

	"github.com/tallyhq/tally/internal/usage"
)

// Two prices of one model: $1 and $2 per MTok of input, $5 output.
const (
	priceA = `{"input_cost_per_token": 1e-06, "output_cost_per_token": 5e-06,
		"mode": "chat", "litellm_provider": "anthropic"}`
	priceA2 = `{"input_cost_per_token": 0.000001, "output_cost_per_token": 0.0000050,
		"mode": "chat", "litellm_provider": "anthropic"}`
	priceB = `{"input_cost_per_token": 2e-06, "output_cost_per_token": 5e-06,
		"mode": "chat", "litellm_provider": "anthropic"}`
)

func TestPlan(t *testing.T) {
	may := day("2026-05-01")
	a, b := parseOne(t, priceA), parseOne(t, priceB)

	t.Run("first_price_has_no_lower_bound", func(t *testing.T) {
		got := Plan(nil, map[string]Entry{"m": a}, may)
		if len(got) != 1 || got[0].Closed != nil || got[0].New.ValidFrom != nil ||
			got[0].New.ValidTo != nil || got[0].New.Key != "m" {
			t.Errorf("got %+v, want one unbounded new version of m", got)
		}
	})

	t.Run("identical_price_makes_no_change", func(t *testing.T) {
		// The same numbers written another way are the same price.
		cur := []Version{{ID: 1, Key: "m", Entry: a}}
		if got := Plan(cur, map[string]Entry{"m": parseOne(t, priceA2)}, may); len(got) != 0 {
			t.Errorf("got %d changes, want none", len(got))
		}
	})

	t.Run("different_price_starts_at_effective_from", func(t *testing.T) {
		cur := []Version{{ID: 1, Key: "m", Entry: a}}
		got := Plan(cur, map[string]Entry{"m": b}, may)
		if len(got) != 1 {
			t.Fatalf("got %d changes, want 1", len(got))
		}
		c := got[0]
		if c.Closed == nil || c.Closed.ID != 1 || !c.Closed.ValidTo.Equal(may) {
			t.Errorf("closed: got %+v, want version 1 ending %v", c.Closed, may)
		}
		if c.New.ValidFrom == nil || !c.New.ValidFrom.Equal(may) || c.New.ValidTo != nil {
			t.Errorf("new: got from %v to %v, want from %v", c.New.ValidFrom, c.New.ValidTo, may)
		}
		if !c.New.Entry.Equal(b) {
			t.Errorf("new: got another entry, want the table's")
		}
	})

	t.Run("never_starts_before_the_open_version", func(t *testing.T) {
		june := day("2026-06-01")
		cur := []Version{
			{ID: 1, Key: "m", ValidTo: &june, Entry: a},
			{ID: 2, Key: "m", ValidFrom: &june, Entry: a},
		}
		got := Plan(cur, map[string]Entry{"m": b}, may)
		if len(got) != 1 || got[0].Closed.ID != 2 || !got[0].New.ValidFrom.Equal(june) {
			t.Errorf("got %+v, want version 2 superseded from %v", got, june)
		}
	})

	t.Run("model_missing_from_table_keeps_its_price", func(t *testing.T) {
		cur := []Version{{ID: 1, Key: "m", Entry: a}}
		if got := Plan(cur, map[string]Entry{}, may); len(got) != 0 {
			t.Errorf("got %d changes, want none", len(got))
		}
	})
}

func TestEffectiveDates(t *testing.T) {
	may := day("2026-05-01")
	a, b := parseOne(t, priceA), parseOne(t, priceB)

	// Load a, then b effective from May, as tally prices load would.
	first := Plan(nil, map[string]Entry{"m": a}, day("2026-01-01"))
	v1 := first[0].New
	v1.ID = 1
	second := Plan([]Version{v1}, map[string]Entry{"m": b}, may)
	closed, v2 := *second[0].Closed, second[0].New
	v2.ID = 2
	c := NewCatalog([]Version{closed, v2})

	tok := usage.Tokens{InputUncached: 1000000}
	cases := []struct {
		name string
		at   time.Time
		want string
		id   int64
	}{
		{"history_takes_the_first_price", day("2020-01-01"), "1", 1},
		{"later_price_never_reprices_earlier_calls", may.Add(-time.Nanosecond), "1", 1},
		{"valid_from_is_inclusive", may, "2", 2},
		{"open_version_runs_on", day("2030-01-01"), "2", 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := event("anthropic", "m", tok)
			e.OccurredAt = tc.at
			wantCost(t, c, e, tc.want, 0)
			if e.PriceID != tc.id {
				t.Errorf("price id: got %d, want %d", e.PriceID, tc.id)
			}
		})
	}

	t.Run("dry_run_table_applies_to_every_time", func(t *testing.T) {
		c := CatalogFromTable(map[string]Entry{"m": b})
		e := event("anthropic", "m", tok)
		e.OccurredAt = day("2001-01-01")
		wantCost(t, c, e, "2", 0)
	})
}
