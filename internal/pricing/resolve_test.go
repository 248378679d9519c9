package pricing

import (
	"testing"

	"github.com/tallyhq/tally/internal/usage"
)

func TestResolve(t *testing.T) {
	c := catalog(t)
	cases := []struct {
		name, provider, model string
		wantKey, wantStep     string
	}{
		{"exact", "anthropic", "claude-sonnet-4-5-20250929",
			"claude-sonnet-4-5-20250929", StepExact},
		{"drop_1m_suffix", "anthropic", "claude-opus-4-6[1m]", "claude-opus-4-6", StepDrop1M},
		{"strip_anthropic_prefix", "anthropic", "anthropic/claude-opus-4-6",
			"claude-opus-4-6", StepStripVendor},
		{"strip_openai_prefix", "openai", "openai/gpt-5.4", "gpt-5.4", StepStripVendor},
		// claude-3-haiku has only a dated key: the one dated twin is taken.
		{"undated_maps_to_only_dated", "anthropic", "claude-3-haiku",
			"claude-3-haiku-20240307", StepDate},
		{"dated_maps_to_undated", "openai", "gpt-5-mini-2025-01-01", "gpt-5-mini", StepDate},
		{"dashed_date_maps_to_compact", "anthropic", "claude-sonnet-4-5-2025-09-29",
			"claude-sonnet-4-5-20250929", StepDate},
		{"vertex_at_date_from_dash_date", "vertex_ai", "claude-sonnet-4-5-20250929",
			"vertex_ai/claude-sonnet-4-5@20250929", StepDate},
		{"dots_to_dashes", "anthropic", "claude-sonnet-4.5", "claude-sonnet-4-5", StepDots},
		{"dots_then_date", "anthropic", "claude-haiku-4.5-20251001",
			"claude-haiku-4-5-20251001", StepDots},
		{"lower_case_last", "openai", "GPT-5", "gpt-5", StepLowerCase + "+" + StepExact},
		{"vertex_surface_first", "vertex_ai", "claude-opus-4-6", "vertex_ai/claude-opus-4-6",
			StepExact},
		{"vertex_bare_gemini_row", "vertex_ai", "gemini-2.5-pro", "gemini-2.5-pro", StepExact},
		{"gemini_surface", "gemini", "gemini-2.5-pro", "gemini/gemini-2.5-pro", StepExact},
		{"openrouter_keeps_vendor_slug", "openrouter", "anthropic/claude-sonnet-4.5",
			"openrouter/anthropic/claude-sonnet-4.5", StepExact},
		{"azure_surface", "azure", "gpt-5", "azure/gpt-5", StepExact},
		{"bedrock_keeps_geo_prefix", "bedrock", "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
			"us.anthropic.claude-sonnet-4-5-20250929-v1:0", StepExact},
		{"provider_alias", "amazon-bedrock", "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
			"global.anthropic.claude-sonnet-4-5-20250929-v1:0", StepExact},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			key, step, ok := c.Resolve(tc.provider, tc.model)
			if !ok || key != tc.wantKey || step != tc.wantStep {
				t.Errorf("got %q %q %v, want %q %q true", key, step, ok, tc.wantKey, tc.wantStep)
			}
		})
	}
}

func TestResolveRejects(t *testing.T) {
	c := catalog(t)
	cases := []struct{ name, provider, model string }{
		// A surface call never takes a first-party row, nor the reverse.
		{"bedrock_never_takes_first_party_row", "bedrock", "claude-sonnet-4-5-20250929"},
		{"anthropic_never_takes_bedrock_row", "anthropic",
			"anthropic.claude-sonnet-4-5-20250929-v1:0"},
		{"openai_never_takes_azure_row", "openai", "azure/gpt-5"},
		{"anthropic_never_takes_vertex_gemini", "anthropic", "gemini-2.5-pro"},
		// No prefix or substring guessing: neither gpt-5 nor gpt-5-mini.
		{"no_neighbour_guessing", "openai", "gpt-5-mini-turbo"},
		{"no_prefix_guessing", "anthropic", "claude-sonnet-4-5-preview"},
		{"no_bedrock_geo_stripping", "bedrock", "xx.anthropic.claude-sonnet-4-5-20250929-v1:0"},
		{"newer_than_table", "anthropic", "claude-opus-5-5"},
		{"embedding_mode_skipped", "openai", "text-embedding-3-small"},
		{"missing_mode_skipped", "fireworks_ai", "fireworks-ai-up-to-4b"},
		{"empty_provider", "", "claude-sonnet-4-5"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if key, step, ok := c.Resolve(tc.provider, tc.model); ok {
				t.Errorf("got %q (%s), want no match", key, step)
			}
		})
	}
}

func TestResolveSynthetic(t *testing.T) {
	e := parseOne(t, `{"mode": "chat", "litellm_provider": "openai",
		"input_cost_per_token": 1e-06, "output_cost_per_token": 1e-06}`)
	c := CatalogFromTable(map[string]Entry{"gpt-5": e, "Foo-1": e, "foo-1": e,
		"m-20250101": e, "m-20250202": e})

	t.Run("no_gpt_5_for_gpt_5_mini", func(t *testing.T) {
		if key, _, ok := c.Resolve("openai", "gpt-5-mini"); ok {
			t.Errorf("got %q, want no match", key)
		}
	})
	t.Run("case_kept_while_an_exact_match_exists", func(t *testing.T) {
		if key, step, _ := c.Resolve("openai", "Foo-1"); key != "Foo-1" || step != StepExact {
			t.Errorf("got %q %q, want Foo-1 exact", key, step)
		}
	})
	t.Run("undated_name_with_two_dated_keys_is_ambiguous", func(t *testing.T) {
		if key, _, ok := c.Resolve("openai", "m"); ok {
			t.Errorf("got %q, want no match", key)
		}
	})
	t.Run("another_date_is_another_version", func(t *testing.T) {
		if key, _, ok := c.Resolve("openai", "m-20250303"); ok {
			t.Errorf("got %q, want no match", key)
		}
	})
}

func TestResolveEvent(t *testing.T) {
	t.Run("bedrock_region_surface_first", func(t *testing.T) {
		e := &usage.Event{Provider: "bedrock", Region: "us-gov-west-1",
			ModelReported: "anthropic.claude-sonnet-4-5-20250929-v1:0"}
		key, _, ok := catalog(t).ResolveEvent(e)
		want := "bedrock/us-gov-west-1/anthropic.claude-sonnet-4-5-20250929-v1:0"
		if !ok || key != want {
			t.Errorf("got %q %v, want %q", key, ok, want)
		}
	})
}

func TestSplitDate(t *testing.T) {
	cases := map[string]string{
		"claude-3-5-sonnet-20241022": "claude-3-5-sonnet|20241022",
		"gpt-4o-2024-08-06":          "gpt-4o|20240806",
		"claude-opus-4-5@20251101":   "claude-opus-4-5|20251101",
		"gpt-5":                      "",
		"model-12345678":             "",
		"claude-opus-4-20251399":     "",
	}
	for in, want := range cases {
		base, date, ok := splitDate(in)
		got := ""
		if ok {
			got = base + "|" + date
		}
		if got != want {
			t.Errorf("splitDate(%q): got %q, want %q", in, got, want)
		}
	}
}
