package pricing

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
)

// Check returns warnings about a table, for the loader to log (FORMATS.md
// C.9): Claude models up to 4.x whose cache prices break Anthropic's ratios
// (read 0.1×, 5m write 1.25×, 1h write 2× input), any chat row whose cache
// read costs more than its input, and bare Bedrock Claude ids priced below
// their us. profile (FORMATS.md C.5). Claude 3 Haiku's 5m write and read
// are exempt: Anthropic prices them at 1.2× and 0.12×.
func Check(table map[string]Entry) []string {
	var out []string
	for _, key := range slices.Sorted(maps.Keys(table)) {
		e := table[key]
		if e.Mode != "chat" && e.Mode != "responses" {
			continue
		}
		out = append(out, checkReads(key, e)...)
		if major, ok := claudeMajor(key); ok && major <= 4 && anthropicRow(e.Provider) {
			out = append(out, checkRatios(key, e)...)
		}
		if w, ok := checkBareBedrock(table, key, e); ok {
			out = append(out, w)
		}
	}
	return out
}

func checkReads(key string, e Entry) []string {
	var out []string
	each(e, func(where string, r Rates) {
		in, read := r[KindInput], r[KindCacheRead]
		if in.Valid && read.Valid && read.Decimal.GreaterThan(in.Decimal) {
			out = append(out, fmt.Sprintf("%s: %scache read %s exceeds input %s",
				key, where, read.Decimal, in.Decimal))
		}
	})
	return out
}

func checkRatios(key string, e Entry) []string {
	exempt := strings.Contains(key, "claude-3-haiku")
	ratios := []struct {
		kind   Kind
		ratio  string
		exempt bool
	}{
		{KindCacheRead, "0.1", exempt},
		{KindCacheWrite5m, "1.25", exempt},
		{KindCacheWrite1h, "2", false},
	}

	var out []string
	each(e, func(where string, r Rates) {
		in := r[KindInput]
		for _, x := range ratios {
			got := r[x.kind]
			if !in.Valid || !got.Valid || x.exempt {
				continue
			}
			want := in.Decimal.Mul(decimal.RequireFromString(x.ratio))
			if !got.Decimal.Equal(want) {
				out = append(out, fmt.Sprintf("%s: %s%s is %s, want %s× input = %s",
					key, where, priceKey{kind: x.kind}.name(), got.Decimal, x.ratio, want))
			}
		}
	})
	return out
}

// checkBareBedrock warns when a bare Bedrock Claude id, an in-region call,
// costs less than the same model's us. cross-region profile.
func checkBareBedrock(table map[string]Entry, key string, e Entry) (string, bool) {
	if !strings.HasPrefix(key, "anthropic.claude") {
		return "", false
	}
	us, ok := table["us."+key]
	in, usIn := e.Prices[ServiceStandard][KindInput], us.Prices[ServiceStandard][KindInput]
	if !ok || !in.Valid || !usIn.Valid || !in.Decimal.LessThan(usIn.Decimal) {
		return "", false
	}
	return fmt.Sprintf("%s: bare Bedrock id input %s is below us.%s's %s; "+
		"in-region calls pay the regional price", key, in.Decimal, key, usIn.Decimal), true
}

// each calls f on the standard-tier rates of the base row and every band.
func each(e Entry, f func(where string, r Rates)) {
	f("", e.Prices[ServiceStandard])
	for _, b := range e.Bands {
		f(fmt.Sprintf("above %d tokens: ", b.Threshold), b.Prices[ServiceStandard])
	}
}

// anthropicRow reports whether a row is priced by Anthropic or a cloud
// that resells Claude at Anthropic's prices; other resellers set their own.
func anthropicRow(provider string) bool {
	switch provider {
	case "anthropic", "bedrock", "bedrock_converse", "vertex_ai-anthropic_models",
		"azure_ai":
		return true
	}
	return false
}

// claudeMajor returns the major version in a Claude key: the first number
// of at most two digits after "claude-" (claude-3-5-sonnet → 3,
// claude-opus-4-1-20250805 → 4).
func claudeMajor(key string) (int, bool) {
	_, rest, ok := strings.Cut(strings.ToLower(key), "claude-")
	if !ok {
		return 0, false
	}
	for _, tok := range strings.FieldsFunc(rest, func(r rune) bool {
		return r == '-' || r == '.' || r == '@' || r == ':'
	}) {
		if len(tok) <= 2 {
			if n, err := strconv.Atoi(tok); err == nil {
				return n, true
			}
		}
	}
	return 0, false
}
