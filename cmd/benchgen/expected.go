package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// class is how tally counts one line.
type class int8

// The line classes. Every line is exactly one of them.
const (
	classSkipped   class = iota // no usage: user, system, hooks, snapshots, <synthetic>
	classEvent                  // the first line of a unique call
	classDuplicate              // any further copy of a call
)

// Expected is expected.json: the true totals, shaped like tally's dry run.
type Expected struct {
	Files      int64         `json:"files"`
	Lines      int64         `json:"lines"`
	Events     int64         `json:"events"`
	Duplicates int64         `json:"duplicates"`
	Skipped    int64         `json:"skipped"`
	Rejected   int64         `json:"rejected"`
	Bytes      int64         `json:"bytes"`
	Models     []ModelTotals `json:"models"`
}

// ModelTotals sums the unique calls of one normalised model ("[1m]" dropped).
type ModelTotals struct {
	Model              string `json:"model"`
	Events             int64  `json:"events"`
	InputTokens        int64  `json:"input_tokens"`
	CacheReadTokens    int64  `json:"cache_read_tokens"`
	CacheWrite5mTokens int64  `json:"cache_write_5m_tokens"`
	CacheWrite1hTokens int64  `json:"cache_write_1h_tokens"`
	OutputTokens       int64  `json:"output_tokens"`
}

// tally accumulates Expected while lines are written.
type tally struct {
	exp    Expected
	models map[string]*ModelTotals
}

// newTally returns an empty tally.
func newTally() *tally {
	return &tally{models: make(map[string]*ModelTotals)}
}

// line counts one written line of n bytes, newline included.
func (t *tally) line(c class, n int) {
	t.exp.Lines++
	t.exp.Bytes += int64(n)
	switch c {
	case classEvent:
		t.exp.Events++
	case classDuplicate:
		t.exp.Duplicates++
	default:
		t.exp.Skipped++
	}
}

// call adds a unique call's final usage to its model's totals.
func (t *tally) call(c *call) {
	name := strings.TrimSuffix(c.model, "[1m]")
	m := t.models[name]
	if m == nil {
		m = &ModelTotals{Model: name}
		t.models[name] = m
	}
	m.Events++
	m.InputTokens += c.input
	m.CacheReadTokens += c.cacheRead
	m.CacheWrite5mTokens += c.write5m
	m.CacheWrite1hTokens += c.write1h
	m.OutputTokens += c.output
}

// result returns the totals with models sorted by name.
func (t *tally) result() Expected {
	exp := t.exp
	exp.Models = make([]ModelTotals, 0, len(t.models))
	for _, m := range t.models {
		exp.Models = append(exp.Models, *m)
	}
	sort.Slice(exp.Models, func(i, j int) bool {
		return exp.Models[i].Model < exp.Models[j].Model
	})
	return exp
}

// writeExpected writes exp as dir/expected.json.
func writeExpected(dir string, exp Expected) error {
	b, err := json.MarshalIndent(exp, "", "  ")
	if err != nil {
		return fmt.Errorf("encode expected: %w", err)
	}
	path := filepath.Join(dir, "expected.json")
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write expected: %w", err)
	}
	return nil
}
