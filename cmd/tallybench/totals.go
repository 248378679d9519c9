package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
)

// expected is benchgen's expected.json: the true totals of a corpus.
type expected struct {
	Files      int64         `json:"files"`
	Lines      int64         `json:"lines"`
	Events     int64         `json:"events"`
	Duplicates int64         `json:"duplicates"`
	Skipped    int64         `json:"skipped"`
	Rejected   int64         `json:"rejected"`
	Bytes      int64         `json:"bytes"`
	Models     []modelTotals `json:"models"`
}

// modelTotals sums the unique calls of one model.
type modelTotals struct {
	Model              string `json:"model"`
	Events             int64  `json:"events"`
	InputTokens        int64  `json:"input_tokens"`
	CacheReadTokens    int64  `json:"cache_read_tokens"`
	CacheWrite5mTokens int64  `json:"cache_write_5m_tokens"`
	CacheWrite1hTokens int64  `json:"cache_write_1h_tokens"`
	OutputTokens       int64  `json:"output_tokens"`
}

// summary is what `tally import --json` prints, dry run or stored.
type summary struct {
	Files          int64             `json:"files"`
	Lines          int64             `json:"lines"`
	Events         int64             `json:"events"`
	Duplicates     int64             `json:"duplicates"`
	Updated        *int64            `json:"updated"`
	Skipped        int64             `json:"skipped"`
	Rejected       int64             `json:"rejected"`
	UnpricedEvents int64             `json:"unpriced_events"`
	TotalCostUSD   string            `json:"total_cost_usd"`
	Models         []modelTotals     `json:"models"`
	Rejects        []json.RawMessage `json:"rejects"`
}

// tokenSums are token counts summed over every model, in the four kinds
// that ccusage reports.
type tokenSums struct {
	Input      int64
	CacheRead  int64
	CacheWrite int64 // 5-minute and 1-hour writes together
	Output     int64
}

// readExpected reads an expected.json file.
func readExpected(path string) (expected, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return expected{}, fmt.Errorf("read expected totals: %w", err)
	}
	var exp expected
	if err := json.Unmarshal(b, &exp); err != nil {
		return expected{}, fmt.Errorf("decode %s: %w", path, err)
	}
	return exp, nil
}

// parseSummary decodes the JSON that `tally import --json` printed.
func parseSummary(b []byte) (summary, error) {
	var s summary
	if err := json.Unmarshal(b, &s); err != nil {
		return summary{}, fmt.Errorf("decode tally's summary: %w", err)
	}
	return s, nil
}

// sums adds up the token counts of models.
func sums(models []modelTotals) tokenSums {
	var t tokenSums
	for _, m := range models {
		t.Input += m.InputTokens
		t.CacheRead += m.CacheReadTokens
		t.CacheWrite += m.CacheWrite5mTokens + m.CacheWrite1hTokens
		t.Output += m.OutputTokens
	}
	return t
}

// diffSummary lists every count and model total of got that differs from
// want, as "field: got X, want Y"; none means exact.
func diffSummary(want expected, got summary) []string {
	var d []string
	counts := []struct {
		name      string
		got, want int64
	}{
		{"files", got.Files, want.Files},
		{"lines", got.Lines, want.Lines},
		{"events", got.Events, want.Events},
		{"duplicates", got.Duplicates, want.Duplicates},
		{"skipped", got.Skipped, want.Skipped},
		{"rejected", got.Rejected, want.Rejected},
	}
	for _, c := range counts {
		d = appendDiff(d, c.name, c.got, c.want)
	}
	return append(d, diffModels(want.Models, got.Models)...)
}

// diffModels lists every model total of got that differs from want,
// matching models by name.
func diffModels(want, got []modelTotals) []string {
	byName := map[string]modelTotals{}
	for _, m := range got {
		byName[m.Model] = m
	}
	var d []string
	for _, w := range want {
		g, ok := byName[w.Model]
		if !ok {
			d = append(d, fmt.Sprintf("model %s: missing", w.Model))
			continue
		}
		delete(byName, w.Model)
		d = append(d, diffModel(w, g)...)
	}

	extra := make([]string, 0, len(byName))
	for name := range byName {
		extra = append(extra, fmt.Sprintf("model %s: not in the corpus", name))
	}
	sort.Strings(extra)
	return append(d, extra...)
}

// diffModel lists the fields of one model's totals that differ.
func diffModel(want, got modelTotals) []string {
	var d []string
	p := "model " + want.Model + ": "
	d = appendDiff(d, p+"events", got.Events, want.Events)
	d = appendDiff(d, p+"input_tokens", got.InputTokens, want.InputTokens)
	d = appendDiff(d, p+"cache_read_tokens", got.CacheReadTokens, want.CacheReadTokens)
	d = appendDiff(d, p+"cache_write_5m_tokens", got.CacheWrite5mTokens,
		want.CacheWrite5mTokens)
	d = appendDiff(d, p+"cache_write_1h_tokens", got.CacheWrite1hTokens,
		want.CacheWrite1hTokens)
	return appendDiff(d, p+"output_tokens", got.OutputTokens, want.OutputTokens)
}

// diffSums lists the token kinds of got that differ from want.
func diffSums(want, got tokenSums) []string {
	var d []string
	d = appendDiff(d, "input", got.Input, want.Input)
	d = appendDiff(d, "cache read", got.CacheRead, want.CacheRead)
	d = appendDiff(d, "cache creation (5m+1h)", got.CacheWrite, want.CacheWrite)
	return appendDiff(d, "output", got.Output, want.Output)
}

// appendDiff appends "name: got X, want Y (±D)" to d when got differs.
func appendDiff(d []string, name string, got, want int64) []string {
	if got == want {
		return d
	}
	return append(d, fmt.Sprintf("%s: got %d, want %d (%+d)", name, got, want, got-want))
}
