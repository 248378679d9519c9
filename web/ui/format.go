package ui

import (
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// The one place numbers become text on pages. Exports write exact decimals
// instead (decimal.Decimal.String).

var hundred = decimal.NewFromInt(100)

// FormatMoney formats an amount in dollars as $1,234.56, rounding half to
// even to the cent. A non-zero amount that rounds to nothing is "<$0.01".
func FormatMoney(d decimal.Decimal) string {
	sign := ""
	if d.IsNegative() {
		sign, d = "-", d.Neg()
	}
	r := d.RoundBank(2)
	if r.IsZero() && !d.IsZero() {
		return sign + "<$0.01"
	}
	units, cents, _ := strings.Cut(r.StringFixed(2), ".")
	return sign + "$" + group(units) + "." + cents
}

// FormatCount formats a count with thousands separators: 1,234,567.
func FormatCount(n int64) string {
	if n < 0 {
		return "-" + group(strconv.FormatInt(-n, 10))
	}
	return group(strconv.FormatInt(n, 10))
}

// FormatPercent formats a ratio as a percentage to one decimal, rounding
// half to even: 0.375 is 37.5%. A non-zero ratio that rounds to nothing is
// "<0.1%".
func FormatPercent(r decimal.Decimal) string {
	p := r.Mul(hundred).RoundBank(1)
	if p.IsZero() && !r.IsZero() {
		return "<0.1%"
	}
	return p.StringFixed(1) + "%"
}

// MonthLabel names a month: March 2026.
func MonthLabel(m time.Time) string { return m.Format("January 2006") }

// group puts commas between each three digits of an unsigned integer.
func group(digits string) string {
	if len(digits) <= 3 {
		return digits
	}
	var b strings.Builder
	lead := len(digits) % 3
	if lead > 0 {
		b.WriteString(digits[:lead])
	}
	for i := lead; i < len(digits); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}

// plural returns "1 call" or "3 calls" with the count formatted.
func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return FormatCount(n) + " " + many
}
