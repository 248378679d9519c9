package pricing

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
)

func TestParseLiteLLM(t *testing.T) {
	t.Run("default_table", func(t *testing.T) {
		table, err := ParseLiteLLM(bytes.NewReader(DefaultTable()))
		if err != nil {
			t.Fatalf("ParseLiteLLM: %v", err)
		}
		// 2,968 top-level keys less sample_spec and fallback_generalizations.
		if got, want := len(table), 2966; got != want {
			t.Errorf("entries: got %d, want %d", got, want)
		}
		if _, ok := table["sample_spec"]; ok {
			t.Errorf("sample_spec: got an entry, want it skipped")
		}
	})

	t.Run("prices_are_exact_decimals_from_text", func(t *testing.T) {
		// 0.30000000000000000001 is 0.3 as a float64.
		e := parseOne(t, `{"input_cost_per_token": 0.30000000000000000001,
			"output_cost_per_token": 1.5e-05, "litellm_provider": "anthropic",
			"mode": "chat"}`)
		in := e.Prices[ServiceStandard][KindInput].Decimal
		if got, want := in.String(), "0.30000000000000000001"; got != want {
			t.Errorf("input: got %s, want %s", got, want)
		}
		out := e.Prices[ServiceStandard][KindOutput].Decimal
		if got, want := out.String(), "0.000015"; got != want {
			t.Errorf("output: got %s, want %s", got, want)
		}
		if e.Provider != "anthropic" || e.Mode != "chat" {
			t.Errorf("got provider %q mode %q, want anthropic chat", e.Provider, e.Mode)
		}
	})

	t.Run("keys_by_kind_tier_and_band", func(t *testing.T) {
		e := parseOne(t, `{
			"input_cost_per_token": 1, "cache_read_input_token_cost": 2,
			"cache_creation_input_token_cost": 3,
			"cache_creation_input_token_cost_above_1hr": 4, "output_cost_per_token": 5,
			"input_cost_per_token_batches": 6, "cache_read_input_token_cost_flex": 7,
			"output_cost_per_token_priority": 8,
			"cache_creation_input_token_cost_above_1hr_above_200k_tokens": 9,
			"cache_read_input_token_cost_above_272k_tokens_priority": 10,
			"input_cost_per_token_above_128k_tokens": 11,
			"input_cost_per_audio_token": 99}`)
		checks := []struct {
			name      string
			threshold int64
			tier      ServiceTier
			kind      Kind
			want      string
		}{
			{"input", 0, ServiceStandard, KindInput, "1"},
			{"read", 0, ServiceStandard, KindCacheRead, "2"},
			{"5m", 0, ServiceStandard, KindCacheWrite5m, "3"},
			{"1h", 0, ServiceStandard, KindCacheWrite1h, "4"},
			{"output", 0, ServiceStandard, KindOutput, "5"},
			{"batch input", 0, ServiceBatch, KindInput, "6"},
			{"flex read", 0, ServiceFlex, KindCacheRead, "7"},
			{"priority output", 0, ServicePriority, KindOutput, "8"},
			{"1h above 200k", 200000, ServiceStandard, KindCacheWrite1h, "9"},
			{"priority read above 272k", 272000, ServicePriority, KindCacheRead, "10"},
			{"input above 128k", 128000, ServiceStandard, KindInput, "11"},
		}
		for _, c := range checks {
			got := rateAt(e, c.threshold, c.tier, c.kind)
			if got != c.want {
				t.Errorf("%s: got %q, want %q", c.name, got, c.want)
			}
		}
		var thresholds []int64
		for _, b := range e.Bands {
			thresholds = append(thresholds, b.Threshold)
		}
		if got, want := len(thresholds), 3; got != want {
			t.Errorf("bands: got %v, want 128000, 200000, 272000", thresholds)
		}
	})

	t.Run("web_search_and_multipliers", func(t *testing.T) {
		e := parseOne(t, `{"search_context_cost_per_query": {"search_context_size_low": 0.02,
			"search_context_size_medium": 0.03}, "provider_specific_entry":
			{"us": 1.1, "fast": 6.0, "schema": "titan"},
			"regional_processing_uplift_multiplier_eu": 1.1}`)
		if got, want := e.WebSearch.Decimal.String(), "0.03"; got != want {
			t.Errorf("web search: got %s, want medium %s", got, want)
		}
		for k, want := range map[string]string{"us": "1.1", "fast": "6", "eu": "1.1"} {
			if got := e.Multipliers[k].String(); got != want {
				t.Errorf("multiplier %s: got %s, want %s", k, got, want)
			}
		}
		if len(e.Multipliers) != 3 {
			t.Errorf("multipliers: got %v, want us, fast, eu", e.Multipliers)
		}
	})

	t.Run("bad_input_names_the_key", func(t *testing.T) {
		cases := map[string]string{
			`{"m": {"input_cost_per_token": "0.1"}}`: `"m": input_cost_per_token: want a number`,
			`{"m": {"output_cost_per_token": -1}}`:   `"m": output_cost_per_token: negative`,
			`{"m": 5}`:                               `"m": want an object`,
			`{"m": {"mode": 3}}`:                     `"m": mode: want a string`,
			`[1, 2]`:                                 `parse litellm table`,
		}
		for in, want := range cases {
			_, err := ParseLiteLLM(strings.NewReader(in))
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: got error %v, want one containing %q", in, err, want)
			}
		}
	})

	t.Run("marshal_round_trips", func(t *testing.T) {
		table, err := ParseLiteLLM(bytes.NewReader(DefaultTable()))
		if err != nil {
			t.Fatalf("ParseLiteLLM: %v", err)
		}
		for _, key := range []string{"claude-sonnet-4-5", "gpt-5.4", "claude-opus-4-6",
			"gemini/gemini-2.5-pro", "us.anthropic.claude-sonnet-4-5-20250929-v1:0"} {
			b, err := json.Marshal(table[key])
			if err != nil {
				t.Fatalf("%s: marshal: %v", key, err)
			}
			var back Entry
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatalf("%s: unmarshal: %v", key, err)
			}
			if !back.Equal(table[key]) {
				t.Errorf("%s: round trip changed the entry: %s", key, b)
			}
		}
	})
}

func TestDefaultTable(t *testing.T) {
	sum := sha256.Sum256(DefaultTable())
	want := "9cdbc982511111dbf85ea0d3ef491a6bae15162b8cb873dc45c3d9fcc290df4e"
	if got := hex.EncodeToString(sum[:]); got != want {
		t.Errorf("sha256: got %s, want %s (data/SOURCE.md)", got, want)
	}
}

// rateAt returns a rate as text, "" when the entry does not give it.
func rateAt(e Entry, threshold int64, tier ServiceTier, kind Kind) string {
	r := e.Prices[tier][kind]
	if threshold > 0 {
		r.Valid = false
		for _, b := range e.Bands {
			if b.Threshold == threshold {
				r = b.Prices[tier][kind]
			}
		}
	}
	if !r.Valid {
		return ""
	}
	return r.Decimal.String()
}
