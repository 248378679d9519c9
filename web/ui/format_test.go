package ui

import (
	"testing"

	"github.com/shopspring/decimal"
)

func TestFormatMoney(t *testing.T) {
	tests := []struct{ in, want string }{
		{"0", "$0.00"},
		{"1234.56", "$1,234.56"},
		{"1234567.891", "$1,234,567.89"},
		{"0.125", "$0.12"}, // half to even
		{"0.135", "$0.14"},
		{"0.004", "<$0.01"},
		{"0.005", "<$0.01"}, // rounds to even, 0.00, but is not nothing
		{"0.0051", "$0.01"},
		{"999.995", "$1,000.00"},
		{"-12.5", "-$12.50"},
	}
	for _, tt := range tests {
		if got := FormatMoney(decimal.RequireFromString(tt.in)); got != tt.want {
			t.Errorf("FormatMoney(%s): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFormatCount(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{{0, "0"}, {999, "999"}, {1000, "1,000"}, {123456, "123,456"}, {1234567, "1,234,567"},
		{-4200, "-4,200"}}
	for _, tt := range tests {
		if got := FormatCount(tt.in); got != tt.want {
			t.Errorf("FormatCount(%d): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFormatPercent(t *testing.T) {
	tests := []struct{ in, want string }{
		{"0", "0.0%"}, {"0.375", "37.5%"}, {"1", "100.0%"}, {"0.00049", "<0.1%"},
		{"0.0005", "<0.1%"}, {"0.00051", "0.1%"}, {"0.12345", "12.3%"},
	}
	for _, tt := range tests {
		if got := FormatPercent(decimal.RequireFromString(tt.in)); got != tt.want {
			t.Errorf("FormatPercent(%s): got %q, want %q", tt.in, got, tt.want)
		}
	}
}
