package pricing

import "testing"

func TestDefaultTier(t *testing.T) {
	c := catalog(t)
	cases := map[string]string{
		"claude-opus-4-6":                      TierPremium,
		"claude-3-opus-20240229":               TierPremium,
		"claude-4-opus-20250514":               TierPremium,
		"us.anthropic.claude-opus-4-6-v1":      TierPremium,
		"vertex_ai/claude-opus-4-5@20251101":   TierPremium,
		"azure_ai/claude-opus-4-8":             TierPremium,
		"openrouter/anthropic/claude-opus-4.1": TierPremium,
		"claude-fable-5":                       TierPremium,
		"anthropic.claude-mythos-preview":      TierPremium,
		"o1-pro":                               TierPremium,
		"o3-pro-2025-06-10":                    TierPremium,
		"gpt-5-pro":                            TierPremium,
		"gpt-5.4-pro-2026-03-05":               TierPremium,
		"azure/gpt-5.5-pro":                    TierPremium,
		"o1":                                   TierPremium, // $60/MTok output
		"claude-sonnet-4-5":                    TierStandard,
		"claude-haiku-4-5":                     TierStandard,
		"us.anthropic.claude-sonnet-4-6":       TierStandard,
		"gpt-5":                                TierStandard,
		"gpt-5.4":                              TierStandard,
		"gpt-5-mini":                           TierStandard,
		"gpt-5.1-codex":                        TierStandard,
		"gemini/gemini-2.5-pro":                TierStandard,
		"gemini-3-pro-preview":                 TierStandard,
		"o3":                                   TierStandard,
		"global.anthropic.claude-sonnet-4-5-20250929-v1:0": TierStandard,
	}
	for key, want := range cases {
		e := catalogEntry(t, c, key)
		if got := DefaultTier(key, e); got != want {
			t.Errorf("DefaultTier(%q): got %s, want %s", key, got, want)
		}
	}
}
