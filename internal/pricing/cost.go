package pricing

import (
	"strings"

	"github.com/shopspring/decimal"
	"github.com/tallyhq/tally/internal/usage"
)

// rate is a compiled price of one kind.
type rate struct {
	v      decimal.Decimal
	ok     bool // the rate is known
	filled bool // it came from a default ratio, not from the table
}

type rateSet [numKinds]rate

// quote is an entry compiled for pricing: every combination of band and
// service tier worked out once, so Price only multiplies and adds.
type quote struct {
	priced     bool
	thresholds []int64                    // thresholds[i] opens sets[i+1]
	sets       [][numServiceTiers]rateSet // sets[0]: standard context
	tierGuess  [numServiceTiers]bool      // the tier has no prices of its own
	search     rate
	mult       map[string]decimal.Decimal
}

// compile works out an entry's rates for every band and tier (doc.go lists
// the rules for rates the table does not give).
func compile(key string, e Entry) *quote {
	claude := isClaude(key)
	std := e.Prices[ServiceStandard]
	q := &quote{mult: e.Multipliers, priced: isPriced(std, e.Free)}
	if !q.priced {
		return q
	}

	base := fillBase(std, claude)
	factors, guess := tierFactors(e.Prices, e.Provider)
	q.tierGuess = guess
	q.sets = append(q.sets, tierSets(base, e.Prices, factors))
	for _, b := range e.Bands {
		if !b.Prices[ServiceStandard][KindInput].Valid {
			continue
		}
		bs := bandSet(base, b.Prices[ServiceStandard])
		q.sets = append(q.sets, tierSets(bs, b.Prices, factors))
		q.thresholds = append(q.thresholds, b.Threshold)
	}
	q.search = searchRate(e.WebSearch, claude)
	return q
}

// isPriced reports whether a row prices calls at all: it needs input and
// output rates, and 0/0 is a placeholder unless the model is known free.
func isPriced(std Rates, free bool) bool {
	in, out := std[KindInput], std[KindOutput]
	if !in.Valid || !out.Valid {
		return false
	}
	return free || !in.Decimal.IsZero() || !out.Decimal.IsZero()
}

// fillBase completes the standard rates. Claude models take Anthropic's
// documented ratios for a missing cache rate (read 0.1×, 5m 1.25×, 1h 2×
// input). Other models price a missing cache write as plain input (OpenAI
// before GPT-5.6 and Gemini add nothing for writes) and a missing 1h write
// as their 5m write; a missing cache read stays unknown. Filled rates flag.
func fillBase(r Rates, claude bool) rateSet {
	var s rateSet
	for k := range r {
		if r[k].Valid {
			s[k] = rate{v: r[k].Decimal, ok: true}
		}
	}
	in := s[KindInput]
	if claude {
		fill(&s[KindCacheRead], in, "0.1")
		fill(&s[KindCacheWrite5m], in, "1.25")
		fill(&s[KindCacheWrite1h], in, "2")
		return s
	}
	fill(&s[KindCacheWrite5m], in, "1")
	fill(&s[KindCacheWrite1h], s[KindCacheWrite5m], "1")
	return s
}

func fill(dst *rate, from rate, ratio string) {
	if dst.ok || !from.ok {
		return
	}
	*dst = rate{v: from.v.Mul(decimal.RequireFromString(ratio)), ok: true, filled: true}
}

// bandSet completes a long-context band's standard rates: a missing
// input-side rate scales the base one by the band's input ratio, a missing
// output rate stays at the base one. Both flag.
func bandSet(base rateSet, r Rates) rateSet {
	in := r[KindInput].Decimal
	ratio := decimal.NewFromInt(1)
	if b := base[KindInput]; b.ok && !b.v.IsZero() {
		ratio = in.DivRound(b.v, 30)
	}
	var s rateSet
	for k := range r {
		switch {
		case r[k].Valid:
			s[k] = rate{v: r[k].Decimal, ok: true}
		case Kind(k) == KindOutput:
			s[k] = rate{v: base[k].v, ok: base[k].ok, filled: true}
		case base[k].ok:
			s[k] = rate{v: base[k].v.Mul(ratio), ok: true, filled: true}
		}
	}
	return s
}

// tierFactors returns, per tier, the factor that scales a standard rate the
// tier does not list: the tier's input (else output) price over the
// standard one. A tier without prices: batch is 50% off (FORMATS.md C.4;
// a guess outside Anthropic, OpenAI and Gemini), flex and priority are
// priced standard; both are guesses and flag.
func tierFactors(p Prices, provider string) (f tierDecimals, guess [numServiceTiers]bool) {
	f[ServiceStandard] = decimal.NewFromInt(1)
	for t := ServiceBatch; t < numServiceTiers; t++ {
		if r, ok := tierRatio(p[ServiceStandard], p[t]); ok {
			f[t] = r
			continue
		}
		f[t], guess[t] = f[ServiceStandard], true
		if t == ServiceBatch {
			f[t], guess[t] = decimal.RequireFromString("0.5"), !batchDocumented(provider)
		}
	}
	return f, guess
}

func tierRatio(std, tier Rates) (decimal.Decimal, bool) {
	for _, k := range []Kind{KindInput, KindOutput} {
		s, t := std[k], tier[k]
		if s.Valid && t.Valid && !s.Decimal.IsZero() {
			return t.Decimal.DivRound(s.Decimal, 30), true
		}
	}
	return decimal.Zero, false
}

func batchDocumented(provider string) bool {
	switch provider {
	case "anthropic", "openai", "gemini", "vertex_ai", "vertex_ai-language-models",
		"vertex_ai-anthropic_models":
		return true
	}
	return false
}

// tierDecimals holds one decimal per service tier.
type tierDecimals = [numServiceTiers]decimal.Decimal

// tierSets gives each tier its listed rates, else the standard rate scaled
// by the tier's factor: cache discounts stack with the tier's.
func tierSets(std rateSet, p Prices, f tierDecimals) [numServiceTiers]rateSet {
	var out [numServiceTiers]rateSet
	out[ServiceStandard] = std
	for t := ServiceBatch; t < numServiceTiers; t++ {
		for k := range std {
			switch {
			case p[t][k].Valid:
				out[t][k] = rate{v: p[t][k].Decimal, ok: true}
			case std[k].ok:
				out[t][k] = rate{v: std[k].v.Mul(f[t]), ok: true, filled: std[k].filled}
			}
		}
	}
	return out
}

// searchRate is the table's web search price; Claude models without one
// take Anthropic's $10 per 1,000 searches (FORMATS.md C.5), flagged.
func searchRate(ws decimal.NullDecimal, claude bool) rate {
	if ws.Valid {
		return rate{v: ws.Decimal, ok: true}
	}
	if claude {
		return rate{v: decimal.RequireFromString("0.01"), ok: true, filled: true}
	}
	return rate{}
}

// charge is the price of one event, and the part of it paid for cache
// reads (context replay).
type charge struct {
	total, cacheRead decimal.Decimal
}

// cost prices one event, or reports that it cannot.
func (q *quote) cost(e *usage.Event) (charge, usage.Flags, bool) {
	if !q.priced {
		return charge{}, 0, false
	}
	tier, flags := serviceTier(e.ServiceTier)
	if q.tierGuess[tier] {
		flags |= usage.FlagApproximate
	}
	band, bf := q.band(e.Tokens.Input(), e.Requests)

	c, tf, ok := q.sets[band][tier].tokens(e.Tokens)
	if !ok {
		return charge{}, 0, false
	}
	mult, scaled, mf := q.multiplier(e.Speed, e.InferenceGeo)
	if scaled {
		c.total, c.cacheRead = c.total.Mul(mult), c.cacheRead.Mul(mult)
	}

	if n := e.WebSearchRequests; n > 0 {
		if !q.search.ok {
			return charge{}, 0, false
		}
		c.total = c.total.Add(q.search.v.Mul(decimal.NewFromInt(n)))
		if q.search.filled {
			flags |= usage.FlagApproximate
		}
	}
	return c, flags | bf | tf | mf, true
}

// band picks the long-context band from the request's total input, strictly
// greater than the threshold. A bucket of many requests (requests > 1) is
// priced at standard context, flagged when its total passes a threshold:
// its requests' sizes are unknown.
func (q *quote) band(input, requests int64) (int, usage.Flags) {
	band := 0
	for i, t := range q.thresholds {
		if input > t {
			band = i + 1
		}
	}
	if band > 0 && requests > 1 {
		return 0, usage.FlagApproximate
	}
	return band, 0
}

// tokens sums tokens × rate over the kinds.
func (s *rateSet) tokens(t usage.Tokens) (charge, usage.Flags, bool) {
	counts := [numKinds]int64{t.InputUncached, t.CacheRead, t.CacheWrite5m, t.CacheWrite1h,
		t.Output}
	c := charge{total: decimal.Zero, cacheRead: decimal.Zero}
	var flags usage.Flags
	for k, n := range counts {
		if n == 0 {
			continue
		}
		r := s[k]
		if !r.ok {
			return charge{}, 0, false
		}
		part := r.v.Mul(decimal.NewFromInt(n))
		c.total = c.total.Add(part)
		if Kind(k) == KindCacheRead {
			c.cacheRead = part
		}
		if r.filled {
			flags |= usage.FlagApproximate
		}
	}
	return c, flags, true
}

// multiplier returns the speed and geo multipliers: speed "fast" from the
// table's "fast" entry (a fast call on a model without one is priced
// standard and flagged), and inference_geo from the table's entry of that
// name ("us"); a geo the table does not list costs nothing extra.
func (q *quote) multiplier(speed, geo string) (decimal.Decimal, bool, usage.Flags) {
	var m decimal.Decimal
	var flags usage.Flags
	scaled := false
	apply := func(x decimal.Decimal) {
		if scaled {
			m = m.Mul(x)
			return
		}
		m, scaled = x, true
	}
	if s := strings.ToLower(speed); s != "" && s != "standard" && s != "normal" {
		if x, ok := q.mult[s]; ok {
			apply(x)
		} else {
			flags |= usage.FlagApproximate
		}
	}
	if g := strings.ToLower(geo); g != "" && g != "fast" {
		if x, ok := q.mult[g]; ok {
			apply(x)
		}
	}
	return m, scaled, flags
}

// serviceTier maps a reported tier to its prices. An unknown tier is priced
// standard and flagged.
func serviceTier(s string) (ServiceTier, usage.Flags) {
	switch strings.ToLower(s) {
	case "", "standard", "default", "auto", "on_demand", "standard_only":
		return ServiceStandard, 0
	case "batch":
		return ServiceBatch, 0
	case "flex", "on_demand_flex":
		return ServiceFlex, 0
	case "priority", "on_demand_priority":
		return ServicePriority, 0
	}
	return ServiceStandard, usage.FlagApproximate
}

// isClaude reports whether key names a Claude model on any surface.
func isClaude(key string) bool {
	return strings.Contains(strings.ToLower(key), "claude")
}
