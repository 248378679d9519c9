package pricing

import (
	"slices"

	"github.com/shopspring/decimal"
)

// Kind is a billed token kind. The input kinds are disjoint (FORMATS.md A.1).
type Kind int

// The token kinds, in the order of the cost formula (FORMATS.md C.1).
const (
	KindInput        Kind = iota // uncached input
	KindCacheRead                // input served from the prompt cache
	KindCacheWrite5m             // input written to the 5-minute cache
	KindCacheWrite1h             // input written to the 1-hour cache
	KindOutput                   // all billed output, reasoning included
	numKinds
)

// ServiceTier is a service tier that can have prices of its own.
type ServiceTier int

// The service tiers (FORMATS.md C.4).
const (
	ServiceStandard ServiceTier = iota
	ServiceBatch
	ServiceFlex
	ServicePriority
	numServiceTiers
)

// Rates holds USD per token by kind. A rate that is not Valid is one the
// table does not give; it is never read as zero.
type Rates [numKinds]decimal.NullDecimal

// Prices holds rates by service tier. Only the standard tier is complete in
// most rows; the pricer derives the others (see doc.go).
type Prices [numServiceTiers]Rates

// Band is a long-context band: its prices apply to a whole request whose
// total input is strictly greater than Threshold tokens.
type Band struct {
	Threshold int64
	Prices    Prices
}

// Entry is one model's price row, parsed from a LiteLLM table entry.
type Entry struct {
	Provider string // litellm_provider, e.g. "anthropic", "bedrock_converse"
	Mode     string // chat, responses, embedding, …

	Prices Prices // prices at standard context length
	Bands  []Band // long-context bands, by ascending Threshold

	// WebSearch is USD per server-side web search request.
	WebSearch decimal.NullDecimal

	// Multipliers scale every token kind: "fast" for speed, and a geo name
	// ("us", "eu") for inference_geo. From provider_specific_entry and
	// regional_processing_uplift_multiplier_*.
	Multipliers map[string]decimal.Decimal

	// Free marks a model known to cost nothing, so that 0/0 is a price.
	Free bool

	// Overrides names the overrides applied to this row, in order.
	Overrides []string
}

// Equal reports whether e and o hold the same prices, provider and mode.
// Decimals compare by value (3e-06 equals 0.000003); Overrides is ignored.
func (e Entry) Equal(o Entry) bool {
	if e.Provider != o.Provider || e.Mode != o.Mode || e.Free != o.Free {
		return false
	}
	if !e.Prices.equal(o.Prices) || !nullEqual(e.WebSearch, o.WebSearch) {
		return false
	}
	if !slices.EqualFunc(e.Bands, o.Bands, Band.equal) {
		return false
	}
	return multipliersEqual(e.Multipliers, o.Multipliers)
}

// Clone returns a deep copy of e.
func (e Entry) Clone() Entry {
	c := e
	c.Bands = slices.Clone(e.Bands)
	c.Overrides = slices.Clone(e.Overrides)
	if e.Multipliers != nil {
		c.Multipliers = make(map[string]decimal.Decimal, len(e.Multipliers))
		for k, v := range e.Multipliers {
			c.Multipliers[k] = v
		}
	}
	return c
}

// band returns the band for threshold n, adding an empty one if needed.
func (e *Entry) band(n int64) *Band {
	i, found := slices.BinarySearchFunc(e.Bands, n, func(b Band, n int64) int {
		return cmpInt64(b.Threshold, n)
	})
	if !found {
		e.Bands = slices.Insert(e.Bands, i, Band{Threshold: n})
	}
	return &e.Bands[i]
}

func (b Band) equal(o Band) bool {
	return b.Threshold == o.Threshold && b.Prices.equal(o.Prices)
}

func (p Prices) equal(o Prices) bool {
	for t := range p {
		for k := range p[t] {
			if !nullEqual(p[t][k], o[t][k]) {
				return false
			}
		}
	}
	return true
}

func nullEqual(a, b decimal.NullDecimal) bool {
	if a.Valid != b.Valid {
		return false
	}
	return !a.Valid || a.Decimal.Equal(b.Decimal)
}

func multipliersEqual(a, b map[string]decimal.Decimal) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || !v.Equal(w) {
			return false
		}
	}
	return true
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
