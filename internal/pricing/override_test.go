package pricing

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

func TestOverlay(t *testing.T) {
	march := day("2026-03-01")
	ov := Override{ID: "lc", Keys: []string{"m"}, ValidTo: &march,
		Set: map[string]decimal.Decimal{"input_cost_per_token_above_200k_tokens": dec(t, "2e-06")}}
	v := Version{ID: 9, Key: "m", Entry: parseOne(t, priceA)}
	got := Overlay([]Version{v, {ID: 10, Key: "other"}}, []Override{ov})

	if len(got) != 3 {
		t.Fatalf("got %d versions, want m split in two and other", len(got))
	}
	before, after := got[0], got[1]
	if before.ID != 9 || before.ValidFrom != nil || !before.ValidTo.Equal(march) {
		t.Errorf("before: got id %d %v–%v, want 9 unbounded–%v",
			before.ID, before.ValidFrom, before.ValidTo, march)
	}
	if len(before.Entry.Bands) != 1 || !slices.Equal(before.Entry.Overrides, []string{"lc"}) {
		t.Errorf("before: got bands %v overrides %v, want the override's band",
			before.Entry.Bands, before.Entry.Overrides)
	}
	if after.ID != 9 || !after.ValidFrom.Equal(march) || after.ValidTo != nil {
		t.Errorf("after: got id %d %v–%v, want 9 %v–unbounded",
			after.ID, after.ValidFrom, after.ValidTo, march)
	}
	if len(after.Entry.Bands) != 0 || len(v.Entry.Bands) != 0 {
		t.Errorf("after: got bands %v, want none and the input untouched", after.Entry.Bands)
	}
}

func TestDefaultOverrides(t *testing.T) {
	ovs, err := ParseOverrides(bytes.NewReader(DefaultOverrides()))
	if err != nil {
		t.Fatalf("ParseOverrides: %v", err)
	}
	table, err := ParseLiteLLM(bytes.NewReader(DefaultTable()))
	if err != nil {
		t.Fatalf("ParseLiteLLM: %v", err)
	}
	for _, o := range ovs {
		for _, k := range o.Keys {
			if _, ok := table[k]; !ok {
				t.Errorf("override %s: key %q is not in the table", o.ID, k)
			}
		}
	}

	t.Run("vertex_gemini_2_5_pro_write_removed", func(t *testing.T) {
		e := catalogEntry(t, catalog(t), "gemini-2.5-pro")
		if got := rateAt(e, 200000, ServiceStandard, KindCacheWrite5m); got != "" {
			t.Errorf("5m write above 200k: got %s, want none", got)
		}
	})
}

func TestParseOverrides(t *testing.T) {
	const head = `{"overrides": [{"id": "x", "keys": ["m"], `
	cases := map[string]string{
		head + `"set": {"input_cost_per_tokn": 1}}]}`: `not a price key`,
		head + `"unset": ["mode"]}]}`:                 `not a price key`,
		`{"overrides": [{"id": "x", "keys": []}]}`:    `at least one key`,
		head + `"valid_from": "2026-03-01T00:00:00Z",
			"valid_to": "2026-02-01T00:00:00Z"}]}`: `before valid_to`,
		`{"overides": []}`: `unknown field`,
	}
	for in, want := range cases {
		_, err := ParseOverrides(strings.NewReader(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got error %v, want one containing %q", in, err, want)
		}
	}
}
