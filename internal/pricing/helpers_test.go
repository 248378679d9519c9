package pricing

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/tallyhq/tally/internal/usage"
)

// defaultCatalog is built once: parsing the bundled table takes ~70 ms.
var defaultCatalog = sync.OnceValues(DefaultCatalog)

func catalog(t testing.TB) *Catalog {
	t.Helper()
	c, err := defaultCatalog()
	if err != nil {
		t.Fatalf("DefaultCatalog: %v", err)
	}
	return c
}

func dec(t testing.TB, s string) decimal.Decimal {
	t.Helper()
	d, err := decimal.NewFromString(s)
	if err != nil {
		t.Fatalf("bad decimal %q: %v", s, err)
	}
	return d
}

func parseOne(t testing.TB, js string) Entry {
	t.Helper()
	table, err := ParseLiteLLM(strings.NewReader(`{"m": ` + js + `}`))
	if err != nil {
		t.Fatalf("ParseLiteLLM: %v", err)
	}
	return table["m"]
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// event returns an Anthropic call at 2026-06-01 with the given tokens.
func event(provider, model string, tok usage.Tokens) *usage.Event {
	return &usage.Event{
		Provider: provider, ModelReported: model, Tokens: tok, Requests: 1,
		OccurredAt: day("2026-06-01"),
	}
}

// wantCost prices e and checks it is priced at want with flags exactly.
func wantCost(t *testing.T, c *Catalog, e *usage.Event, want string, flags usage.Flags) {
	t.Helper()
	c.Price(e)
	if !e.Priced {
		t.Fatalf("%s/%s: unpriced, want %s", e.Provider, e.ModelReported, want)
	}
	if !e.Cost.Equal(dec(t, want)) {
		t.Errorf("cost: got %s, want %s", e.Cost, want)
	}
	if e.Flags != flags {
		t.Errorf("flags: got %b, want %b", e.Flags, flags)
	}
}

func wantUnpriced(t *testing.T, c *Catalog, e *usage.Event) {
	t.Helper()
	c.Price(e)
	if e.Priced || e.ModelKey != "" || !e.Cost.IsZero() || e.PriceID != 0 {
		t.Errorf("got priced=%v key=%q cost=%s id=%d, want unpriced",
			e.Priced, e.ModelKey, e.Cost, e.PriceID)
	}
	if e.Flags&usage.FlagUnpriced == 0 {
		t.Errorf("flags: got %b, want FlagUnpriced", e.Flags)
	}
}
