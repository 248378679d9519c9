package pricing

import (
	"bytes"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	table, err := ParseLiteLLM(bytes.NewReader(DefaultTable()))
	if err != nil {
		t.Fatalf("ParseLiteLLM: %v", err)
	}
	warnings := Check(table)
	for _, want := range []string{
		"claude-3-haiku-20240307: cache_creation_input_token_cost_above_1hr is 0.000006",
		"claude-3-opus-20240229: cache_creation_input_token_cost_above_1hr is 0.000006",
		"anthropic.claude-sonnet-4-5-20250929-v1:0: bare Bedrock id",
	} {
		if !containsPrefix(warnings, want) {
			t.Errorf("warnings: got %q, want one starting %q", warnings, want)
		}
	}
	if containsPrefix(warnings, "claude-3-haiku-20240307: cache_read") {
		t.Errorf("warnings: got a Claude 3 Haiku read-ratio warning; Anthropic prices it so")
	}

	t.Run("cache_read_above_input", func(t *testing.T) {
		e := parseOne(t, `{"mode": "chat", "input_cost_per_token": 1e-06,
			"cache_read_input_token_cost": 2e-06, "output_cost_per_token": 1e-06}`)
		got := Check(map[string]Entry{"m": e})
		want := "m: cache read 0.000002 exceeds input 0.000001"
		if len(got) != 1 || got[0] != want {
			t.Errorf("got %q, want [%q]", got, want)
		}
	})

	t.Run("clean_after_overrides", func(t *testing.T) {
		c := catalog(t)
		fixed := map[string]Entry{}
		for _, k := range []string{"claude-3-haiku-20240307", "claude-3-opus-20240229"} {
			fixed[k] = catalogEntry(t, c, k)
		}
		if got := Check(fixed); len(got) != 0 {
			t.Errorf("got %q, want no warnings", got)
		}
	})
}

func containsPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}
