package pricing

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
)

// The LiteLLM names of the standard-tier, standard-context price of each kind.
func kindName(k Kind) string {
	switch k {
	case KindInput:
		return "input_cost_per_token"
	case KindCacheRead:
		return "cache_read_input_token_cost"
	case KindCacheWrite5m:
		return "cache_creation_input_token_cost"
	case KindCacheWrite1h:
		return "cache_creation_input_token_cost_above_1hr"
	case KindOutput:
		return "output_cost_per_token"
	}
	return ""
}

// The LiteLLM suffixes of the service tiers.
func tierSuffix(t ServiceTier) string {
	switch t {
	case ServiceBatch:
		return "_batches"
	case ServiceFlex:
		return "_flex"
	case ServicePriority:
		return "_priority"
	}
	return ""
}

// priceKey is where one LiteLLM price key goes in an Entry.
type priceKey struct {
	kind      Kind
	tier      ServiceTier
	threshold int64 // 0 outside a long-context band
}

// name returns the LiteLLM key for p.
func (p priceKey) name() string {
	s := kindName(p.kind)
	if p.threshold > 0 {
		s += "_above_" + strconv.FormatInt(p.threshold/1000, 10) + "k_tokens"
	}
	return s + tierSuffix(p.tier)
}

// parsePriceKey maps a LiteLLM key such as
// cache_read_input_token_cost_above_272k_tokens_priority to its place. Keys
// for other units (audio, images, characters, seconds) are not price keys.
func parsePriceKey(name string) (priceKey, bool) {
	var p priceKey
	for t := ServiceBatch; t < numServiceTiers; t++ {
		if s, ok := strings.CutSuffix(name, tierSuffix(t)); ok {
			name, p.tier = s, t
			break
		}
	}
	if s, ok := strings.CutSuffix(name, "k_tokens"); ok {
		i := strings.LastIndex(s, "_above_")
		if i < 0 {
			return p, false
		}
		n, err := strconv.ParseInt(s[i+len("_above_"):], 10, 64)
		if err != nil || n <= 0 {
			return p, false
		}
		name, p.threshold = s[:i], n*1000
	}
	for k := KindInput; k < numKinds; k++ {
		if name == kindName(k) {
			p.kind = k
			return p, true
		}
	}
	return p, false
}

// set stores a price at p's place in e.
func (e *Entry) set(p priceKey, v decimal.NullDecimal) {
	if p.threshold == 0 {
		e.Prices[p.tier][p.kind] = v
		return
	}
	e.band(p.threshold).Prices[p.tier][p.kind] = v
}

// ParseLiteLLM reads a LiteLLM model_prices_and_context_window.json table.
// Every price is parsed from the JSON number's text, never via float64.
// sample_spec and fallback_generalizations are skipped: they are no models.
// An error names the model key and the field.
func ParseLiteLLM(r io.Reader) (map[string]Entry, error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	var raw map[string]json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("parse litellm table: %w", err)
	}

	table := make(map[string]Entry, len(raw))
	for _, key := range slices.Sorted(maps.Keys(raw)) {
		if key == "sample_spec" || key == "fallback_generalizations" {
			continue
		}
		var e Entry
		if err := e.UnmarshalJSON(raw[key]); err != nil {
			return nil, fmt.Errorf("parse litellm table: %q: %w", key, err)
		}
		table[key] = e
	}
	return table, nil
}

// UnmarshalJSON reads one LiteLLM table entry. Besides LiteLLM's keys it
// reads tally_free and tally_overrides, which MarshalJSON writes.
func (e *Entry) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return fmt.Errorf("want an object: %w", err)
	}
	if m == nil {
		return errors.New("want an object, got null")
	}

	*e = Entry{}
	for _, name := range slices.Sorted(maps.Keys(m)) {
		if err := e.field(name, m[name]); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return e.cacheHit(m["input_cost_per_token_cache_hit"])
}

// cacheHit reads input_cost_per_token_cache_hit (DeepSeek's name for a
// cache read) when the entry gives no cache_read_input_token_cost.
func (e *Entry) cacheHit(v any) error {
	read := &e.Prices[ServiceStandard][KindCacheRead]
	if v == nil || read.Valid {
		return nil
	}
	d, err := price(v)
	if err != nil {
		return fmt.Errorf("input_cost_per_token_cache_hit: %w", err)
	}
	*read = d
	return nil
}

// field reads one key of an entry; keys tally does not use are ignored.
func (e *Entry) field(name string, v any) error {
	if p, ok := parsePriceKey(name); ok {
		d, err := price(v)
		e.set(p, d)
		return err
	}
	if geo, ok := strings.CutPrefix(name, "regional_processing_uplift_multiplier_"); ok {
		d, err := price(v)
		e.multiply(geo, d)
		return err
	}
	switch name {
	case "litellm_provider":
		return text(v, &e.Provider)
	case "mode":
		return text(v, &e.Mode)
	case "search_context_cost_per_query":
		return e.webSearch(v)
	case "provider_specific_entry":
		return e.providerSpecific(v)
	case "tally_free":
		b, ok := v.(bool)
		if !ok {
			return fmt.Errorf("want a boolean, got %s", describe(v))
		}
		e.Free = b
	case "tally_overrides":
		return e.overrideNames(v)
	}
	return nil
}

// webSearch reads search_context_cost_per_query. Anthropic gives one price
// for all three sizes; for the others the medium size, the API default, is
// taken, then low, then high.
func (e *Entry) webSearch(v any) error {
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("want an object, got %s", describe(v))
	}
	for _, size := range []string{"medium", "low", "high"} {
		x, ok := m["search_context_size_"+size]
		if !ok {
			continue
		}
		d, err := price(x)
		if err != nil {
			return fmt.Errorf("search_context_size_%s: %w", size, err)
		}
		e.WebSearch = d
		return nil
	}
	return nil
}

// providerSpecific reads provider_specific_entry: numbers are multipliers
// ("us": 1.1, "fast": 6), anything else is not a price and is ignored.
func (e *Entry) providerSpecific(v any) error {
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("want an object, got %s", describe(v))
	}
	for _, name := range slices.Sorted(maps.Keys(m)) {
		if _, ok := m[name].(json.Number); !ok {
			continue
		}
		d, err := price(m[name])
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		e.multiply(name, d)
	}
	return nil
}

func (e *Entry) multiply(name string, d decimal.NullDecimal) {
	if !d.Valid {
		return
	}
	if e.Multipliers == nil {
		e.Multipliers = map[string]decimal.Decimal{}
	}
	e.Multipliers[strings.ToLower(name)] = d.Decimal
}

func (e *Entry) overrideNames(v any) error {
	list, ok := v.([]any)
	if !ok {
		return fmt.Errorf("want a list, got %s", describe(v))
	}
	for _, x := range list {
		s, ok := x.(string)
		if !ok {
			return fmt.Errorf("want strings, got %s", describe(x))
		}
		e.Overrides = append(e.Overrides, s)
	}
	return nil
}

// price parses a JSON number as an exact, non-negative decimal.
func price(v any) (decimal.NullDecimal, error) {
	n, ok := v.(json.Number)
	if !ok {
		return decimal.NullDecimal{}, fmt.Errorf("want a number, got %s", describe(v))
	}
	d, err := decimal.NewFromString(n.String())
	if err != nil {
		return decimal.NullDecimal{}, fmt.Errorf("bad number %q: %w", n, err)
	}
	if d.IsNegative() {
		return decimal.NullDecimal{}, fmt.Errorf("negative price %s", n)
	}
	return decimal.NewNullDecimal(d), nil
}

func text(v any, dst *string) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("want a string, got %s", describe(v))
	}
	*dst = s
	return nil
}

func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return strconv.Quote(x)
	case json.Number:
		return "number " + x.String()
	case bool:
		return "boolean"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// MarshalJSON writes e in LiteLLM's format, with decimals as exact JSON
// numbers, so that UnmarshalJSON reads back an equal Entry. The database
// can store price versions this way.
func (e Entry) MarshalJSON() ([]byte, error) {
	m := map[string]any{}
	if e.Provider != "" {
		m["litellm_provider"] = e.Provider
	}
	if e.Mode != "" {
		m["mode"] = e.Mode
	}
	putPrices(m, e.Prices, 0)
	for _, b := range e.Bands {
		putPrices(m, b.Prices, b.Threshold)
	}
	if e.WebSearch.Valid {
		m["search_context_cost_per_query"] = map[string]any{
			"search_context_size_medium": json.Number(e.WebSearch.Decimal.String()),
		}
	}
	if len(e.Multipliers) > 0 {
		pse := map[string]any{}
		for k, v := range e.Multipliers {
			pse[k] = json.Number(v.String())
		}
		m["provider_specific_entry"] = pse
	}
	if e.Free {
		m["tally_free"] = true
	}
	if len(e.Overrides) > 0 {
		m["tally_overrides"] = e.Overrides
	}
	return json.Marshal(m)
}

func putPrices(m map[string]any, p Prices, threshold int64) {
	for t := range p {
		for k := range p[t] {
			if !p[t][k].Valid {
				continue
			}
			key := priceKey{kind: Kind(k), tier: ServiceTier(t), threshold: threshold}
			m[key.name()] = json.Number(p[t][k].Decimal.String())
		}
	}
}
