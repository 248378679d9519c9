package pricing

import (
	"sync"
	"testing"
	"time"

	"github.com/tallyhq/tally/internal/usage"
)

const (
	approx   = usage.FlagApproximate
	sonnet45 = "claude-sonnet-4-5-20250929"
)

// Sonnet 4.5 in the bundled table, $/MTok: input 3, output 15, read 0.30,
// 5m write 3.75, 1h write 6; above 200K input 6 / 22.50 / 0.60 / 7.50 / 12.

func TestPrice(t *testing.T) {
	c := catalog(t)

	t.Run("per_kind_prices", func(t *testing.T) {
		// 1000×3 + 2000×0.30 + 3000×3.75 + 4000×6 + 500×15 = 3000 + 600 +
		// 11250 + 24000 + 7500 = 46350 $/MTok·tokens = $0.04635.
		e := event("anthropic", sonnet45, usage.Tokens{InputUncached: 1000, CacheRead: 2000,
			CacheWrite5m: 3000, CacheWrite1h: 4000, Output: 500, Reasoning: 400})
		wantCost(t, c, e, "0.04635", 0)
		if e.ModelKey != sonnet45 || e.PriceID != 0 {
			t.Errorf("got key %q id %d, want %q 0", e.ModelKey, e.PriceID, sonnet45)
		}
	})

	t.Run("cache_read_cost_is_the_replayed_part", func(t *testing.T) {
		// 2000 × 0.30 $/MTok = $0.0006 of the $0.04635 above.
		e := event("anthropic", sonnet45, usage.Tokens{InputUncached: 1000, CacheRead: 2000,
			CacheWrite5m: 3000, CacheWrite1h: 4000, Output: 500})
		wantCost(t, c, e, "0.04635", 0)
		if got := e.CacheReadCost.String(); got != "0.0006" {
			t.Errorf("cache read cost: got %s, want 0.0006", got)
		}
	})

	t.Run("reasoning_is_never_priced_on_top", func(t *testing.T) {
		// 1000 output × 15 = $0.015, whatever part of it is reasoning.
		e := event("anthropic", sonnet45, usage.Tokens{Output: 1000, Reasoning: 900})
		wantCost(t, c, e, "0.015", 0)
	})

	t.Run("5m_and_1h_writes_differ", func(t *testing.T) {
		// 10000 × 3.75 = $0.0375; 10000 × 6 = $0.06.
		e := event("anthropic", sonnet45, usage.Tokens{CacheWrite5m: 10000})
		wantCost(t, c, e, "0.0375", 0)
		e = event("anthropic", sonnet45, usage.Tokens{CacheWrite1h: 10000})
		wantCost(t, c, e, "0.06", 0)
	})

	t.Run("long_context_threshold_is_strictly_greater", func(t *testing.T) {
		// 50000 + 100000 + 30000 + 20000 = 200000, not above: 50000×3 +
		// 100000×0.30 + 30000×3.75 + 20000×6 + 1000×15 = 150000 + 30000 +
		// 112500 + 120000 + 15000 → $0.4275.
		tok := usage.Tokens{InputUncached: 50000, CacheRead: 100000, CacheWrite5m: 30000,
			CacheWrite1h: 20000, Output: 1000}
		wantCost(t, c, event("anthropic", sonnet45, tok), "0.4275", 0)

		// 200001: every kind at the tier price: 50001×6 + 100000×0.60 +
		// 30000×7.50 + 20000×12 + 1000×22.50 = 300006 + 60000 + 225000 +
		// 240000 + 22500 → $0.847506.
		tok.InputUncached++
		wantCost(t, c, event("anthropic", sonnet45, tok), "0.847506", 0)
	})

	t.Run("long_context_judged_on_whole_request_input", func(t *testing.T) {
		// Claude Code: input_tokens 1, cache read 200000; total 200001.
		// 1×6 + 200000×0.60 + 100×22.50 = 6 + 120000 + 2250 → $0.122256.
		e := event("anthropic", sonnet45, usage.Tokens{InputUncached: 1, CacheRead: 200000,
			Output: 100})
		wantCost(t, c, e, "0.122256", 0)
	})

	t.Run("output_never_decides_long_context", func(t *testing.T) {
		// 1000×3 + 300000×15 = 3000 + 4500000 → $4.503.
		e := event("anthropic", sonnet45, usage.Tokens{InputUncached: 1000, Output: 300000})
		wantCost(t, c, e, "4.503", 0)
	})

	t.Run("openai_long_context_above_272k", func(t *testing.T) {
		// gpt-5.4: 2.50 / 0.25 / 15, above 272K 5 / 0.50 / 22.50 $/MTok.
		// 200000×2.5 + 72000×0.25 + 1000×15 = 500000 + 18000 + 15000 → $0.533.
		tok := usage.Tokens{InputUncached: 200000, CacheRead: 72000, Output: 1000}
		wantCost(t, c, event("openai", "gpt-5.4", tok), "0.533", 0)
		// 200001×5 + 72000×0.5 + 1000×22.5 = 1000005 + 36000 + 22500 → $1.058505.
		tok.InputUncached++
		wantCost(t, c, event("openai", "gpt-5.4", tok), "1.058505", 0)
	})

	t.Run("bucket_never_takes_long_context_from_its_sum", func(t *testing.T) {
		// 10 requests, 300000 input in all: standard 300000×3 → $0.9, flagged.
		e := event("anthropic", sonnet45, usage.Tokens{InputUncached: 300000})
		e.Requests = 10
		wantCost(t, c, e, "0.9", approx)
	})
}

func TestPriceUnpriced(t *testing.T) {
	c := catalog(t)
	tok := usage.Tokens{InputUncached: 1000, Output: 1000}

	t.Run("unknown_model_is_unpriced_never_zero", func(t *testing.T) {
		wantUnpriced(t, c, event("anthropic", "claude-opus-5", tok))
	})
	t.Run("zero_priced_placeholder_is_unpriced", func(t *testing.T) {
		wantUnpriced(t, c, event("bedrock", "anthropic.claude-mythos-preview", tok))
	})
	t.Run("provider_mismatch_is_unpriced", func(t *testing.T) {
		wantUnpriced(t, c, event("bedrock", sonnet45, tok))
	})
	t.Run("missing_cache_read_outside_claude_is_unpriced", func(t *testing.T) {
		// gpt-4 has no cache-read price; no ratio is guessed for it.
		wantUnpriced(t, c, event("openai", "gpt-4", usage.Tokens{CacheRead: 10}))
	})
	t.Run("missing_web_search_price_outside_claude_is_unpriced", func(t *testing.T) {
		e := event("openai", "gpt-5", tok)
		e.WebSearchRequests = 1
		wantUnpriced(t, c, e)
	})
	t.Run("before_first_version_is_unpriced", func(t *testing.T) {
		from := day("2026-05-01")
		cat := NewCatalog([]Version{{ID: 7, Key: sonnet45, ValidFrom: &from,
			Entry: catalogEntry(t, c, sonnet45)}})
		e := event("anthropic", sonnet45, tok)
		e.OccurredAt = from.Add(-time.Nanosecond)
		wantUnpriced(t, cat, e)
	})
	t.Run("known_free_model_is_priced_at_zero", func(t *testing.T) {
		wantCost(t, c, event("ollama", "ollama/llama3", tok), "0", 0)
	})
	t.Run("a_price_clears_the_unpriced_flag", func(t *testing.T) {
		e := event("anthropic", sonnet45, tok)
		e.Flags = usage.FlagUnpriced | usage.FlagTTLAssumed
		// 1000×3 + 1000×15 → $0.018.
		wantCost(t, c, e, "0.018", usage.FlagTTLAssumed)
	})
}

func TestPriceTiers(t *testing.T) {
	c := catalog(t)
	tok := usage.Tokens{InputUncached: 1000, CacheRead: 1000, Output: 1000}
	cases := []struct {
		name, provider, model, tier, want string
		flags                             usage.Flags
	}{
		// 50% of everything, cache included: (1000×3 + 2000×0.30 + 3000×3.75
		// + 4000×6 + 500×15)/2 is tested below; here (3 + 0.30 + 15)/2 × 1000
		// = 9150 → $0.00915.
		{"anthropic_batch_is_half_of_everything", "anthropic", sonnet45, "batch",
			"0.00915", 0},
		// gpt-5.4 batch: input 1.25, output 7.50 from the table; read
		// 0.25 × 1.25/2.50 = 0.125. 1250 + 125 + 7500 → $0.008875.
		{"openai_batch_keys", "openai", "gpt-5.4", "batch", "0.008875", 0},
		// gpt-5 has no batch keys: 50% documented for OpenAI. (1.25 + 0.125 +
		// 10)/2 × 1000 = 5687.5 → $0.0056875.
		{"openai_batch_without_keys", "openai", "gpt-5", "batch", "0.0056875", 0},
		// gpt-5.4 flex: 1.25 / read 0.13 / 7.50 → 1250 + 130 + 7500 → $0.00888.
		{"flex_keys", "openai", "gpt-5.4", "flex", "0.00888", 0},
		// gpt-5.4 priority: 5 / 0.50 / 30 → 5000 + 500 + 30000 → $0.0355.
		{"priority_keys", "openai", "gpt-5.4", "priority", "0.0355", 0},
		// Vertex trafficType.
		{"vertex_on_demand_priority", "openai", "gpt-5.4", "ON_DEMAND_PRIORITY", "0.0355", 0},
		// No Anthropic priority keys: standard, flagged. 3000 + 300 + 15000.
		{"tier_without_prices_is_standard_flagged", "anthropic", sonnet45, "priority",
			"0.0183", approx},
		{"unknown_tier_is_standard_flagged", "openai", "gpt-5.4", "scale",
			"0.01775", approx},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := event(tc.provider, tc.model, tok)
			e.ServiceTier = tc.tier
			wantCost(t, c, e, tc.want, tc.flags)
		})
	}

	t.Run("anthropic_batch_stacks_with_cache_writes", func(t *testing.T) {
		// Half of per_kind_prices' $0.04635.
		e := event("anthropic", sonnet45, usage.Tokens{InputUncached: 1000, CacheRead: 2000,
			CacheWrite5m: 3000, CacheWrite1h: 4000, Output: 500})
		e.ServiceTier = "batch"
		wantCost(t, c, e, "0.023175", 0)
	})

	t.Run("importer_approximate_flag_is_kept", func(t *testing.T) {
		e := event("openai", "gpt-5.4", tok)
		e.Flags = approx // Codex: tier not logged
		wantCost(t, c, e, "0.01775", approx)
	})
}

func TestPriceSpeedAndGeo(t *testing.T) {
	c := catalog(t)
	// Opus 4.6 in June 2026: 5 / read 0.50 / 25 $/MTok; 1000 of each is
	// 5000 + 500 + 25000 → $0.0305.
	tok := usage.Tokens{InputUncached: 1000, CacheRead: 1000, Output: 1000}
	cases := []struct{ name, model, speed, geo, want string }{
		{"standard", "claude-opus-4-6", "", "", "0.0305"},
		{"fast_is_6x_on_opus_4_6", "claude-opus-4-6", "fast", "", "0.183"},
		{"us_geo_is_1_1x", "claude-opus-4-6", "", "us", "0.03355"},
		{"fast_and_us_stack", "claude-opus-4-6", "fast", "us", "0.2013"},
		{"fast_is_2x_on_opus_4_8", "claude-opus-4-8", "fast", "", "0.061"},
		{"global_geo_costs_nothing_extra", "claude-opus-4-6", "", "global", "0.0305"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := event("anthropic", tc.model, tok)
			e.Speed, e.InferenceGeo = tc.speed, tc.geo
			wantCost(t, c, e, tc.want, 0)
		})
	}

	t.Run("fast_without_a_factor_is_standard_flagged", func(t *testing.T) {
		e := event("anthropic", sonnet45, usage.Tokens{InputUncached: 1000})
		e.Speed = "fast"
		wantCost(t, c, e, "0.003", approx)
	})
}

func TestPriceWebSearch(t *testing.T) {
	c := catalog(t)
	// $10 per 1,000 searches: 3 × 0.01 + 1000 × 3 $/MTok → $0.033.
	e := event("anthropic", sonnet45, usage.Tokens{InputUncached: 1000})
	e.WebSearchRequests = 3
	wantCost(t, c, e, "0.033", 0)

	t.Run("never_multiplied_by_fast", func(t *testing.T) {
		// Opus 4.6 fast: 1000 × 5 × 6 → 0.03, plus 2 × 0.01.
		e := event("anthropic", "claude-opus-4-6", usage.Tokens{InputUncached: 1000})
		e.Speed, e.WebSearchRequests = "fast", 2
		wantCost(t, c, e, "0.05", 0)
	})
}

func TestPriceMissingRates(t *testing.T) {
	c := catalog(t)
	t.Run("claude_1h_from_ratio_flagged", func(t *testing.T) {
		// Bedrock Opus 4.1 has no 1h price: 2 × 15 $/MTok; 1000 → $0.03.
		e := event("bedrock", "anthropic.claude-opus-4-1-20250805-v1:0",
			usage.Tokens{CacheWrite1h: 1000})
		wantCost(t, c, e, "0.03", approx)
	})
	t.Run("non_claude_write_as_input_flagged", func(t *testing.T) {
		// gpt-5 has no cache-write price: 1000 × 1.25 → $0.00125.
		e := event("openai", "gpt-5", usage.Tokens{CacheWrite5m: 1000})
		wantCost(t, c, e, "0.00125", approx)
	})
}

func TestPriceOverrides(t *testing.T) {
	c := catalog(t)
	t.Run("claude_3_haiku_1h_write", func(t *testing.T) {
		// Upstream 6 $/MTok; corrected 0.50: 1000 → $0.0005.
		e := event("anthropic", "claude-3-haiku-20240307", usage.Tokens{CacheWrite1h: 1000})
		wantCost(t, c, e, "0.0005", 0)
	})
	t.Run("claude_3_opus_1h_write", func(t *testing.T) {
		e := event("anthropic", "claude-3-opus-20240229", usage.Tokens{CacheWrite1h: 1000})
		wantCost(t, c, e, "0.03", 0)
	})
	t.Run("bare_bedrock_sonnet_4_5_at_regional_price", func(t *testing.T) {
		// 3.30 / 16.50 $/MTok, not global 3 / 15: 3300 + 16500 → $0.0198.
		e := event("bedrock", "anthropic.claude-sonnet-4-5-20250929-v1:0",
			usage.Tokens{InputUncached: 1000, Output: 1000})
		wantCost(t, c, e, "0.0198", 0)
	})
	t.Run("opus_4_6_long_context_before_march_2026", func(t *testing.T) {
		tok := usage.Tokens{InputUncached: 250000, Output: 1000}
		// February: 250000 × 10 + 1000 × 37.50 → $2.5375.
		e := event("anthropic", "claude-opus-4-6", tok)
		e.OccurredAt = time.Date(2026, 2, 28, 23, 59, 59, 0, time.UTC)
		wantCost(t, c, e, "2.5375", 0)
		// From March: standard across 1M: 250000 × 5 + 1000 × 25 → $1.275.
		e = event("anthropic", "claude-opus-4-6", tok)
		e.OccurredAt = day("2026-03-01")
		wantCost(t, c, e, "1.275", 0)
	})
	t.Run("fast_stacks_with_february_long_context", func(t *testing.T) {
		// 12× input above 200K, as the early page said: 250000 × 10 × 6 → $15.
		e := event("anthropic", "claude-opus-4-6", usage.Tokens{InputUncached: 250000})
		e.OccurredAt, e.Speed = day("2026-02-10"), "fast"
		wantCost(t, c, e, "15", 0)
	})
	t.Run("sonnet_4_6_long_context_before_march_2026", func(t *testing.T) {
		// 200001 × 6 → $1.200006; from March 200001 × 3 → $0.600003.
		e := event("anthropic", "claude-sonnet-4-6", usage.Tokens{InputUncached: 200001})
		e.OccurredAt = day("2026-02-01")
		wantCost(t, c, e, "1.200006", 0)
		e = event("anthropic", "claude-sonnet-4-6", usage.Tokens{InputUncached: 200001})
		wantCost(t, c, e, "0.600003", 0)
	})
}

func TestPriceConcurrent(t *testing.T) {
	c := NewCatalog(TableVersions(map[string]Entry{
		sonnet45: catalogEntry(t, catalog(t), sonnet45),
	}))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				e := event("anthropic", sonnet45, usage.Tokens{Output: 1000})
				c.Price(e)
				if !e.Priced || e.Cost.String() != "0.015" {
					t.Errorf("got %v %s, want priced 0.015", e.Priced, e.Cost)
				}
			}
		})
	}
	wg.Wait()
}

func catalogEntry(t testing.TB, c *Catalog, key string) Entry {
	t.Helper()
	e, ok := c.entry(key)
	if !ok {
		t.Fatalf("no entry %q", key)
	}
	return e
}
