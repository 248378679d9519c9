package pricing

import (
	"testing"

	"github.com/tallyhq/tally/internal/usage"
)

// BenchmarkPrice prices a mix of events as an import would: resolutions
// cached, long context, tiers, multipliers and an unknown model.
func BenchmarkPrice(b *testing.B) {
	c := catalog(b)
	tok := usage.Tokens{InputUncached: 3, CacheRead: 150000, CacheWrite5m: 2000,
		CacheWrite1h: 8000, Output: 1200, Reasoning: 300}
	events := []usage.Event{
		{Provider: "anthropic", ModelReported: "claude-sonnet-4-5-20250929", Tokens: tok},
		{Provider: "anthropic", ModelReported: "claude-opus-4-6[1m]", Speed: "fast",
			InferenceGeo: "us", Tokens: tok},
		{Provider: "anthropic", ModelReported: "claude-sonnet-4-5-20250929",
			Tokens: usage.Tokens{InputUncached: 1, CacheRead: 250000, Output: 500}},
		{Provider: "openai", ModelReported: "gpt-5.4", ServiceTier: "flex",
			Tokens: usage.Tokens{InputUncached: 5000, CacheRead: 20000, Output: 900}},
		{Provider: "bedrock", ModelReported: "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
			Tokens: tok},
		{Provider: "anthropic", ModelReported: "claude-opus-5", Tokens: tok},
	}
	for i := range events {
		events[i].OccurredAt = day("2026-06-01")
		events[i].Requests = 1
	}

	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		e := events[i%len(events)]
		c.Price(&e)
	}
}
