package main

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// weightedModel is a model of the generic file and its share of calls.
type weightedModel struct {
	name   string
	weight int
}

// genericModels returns the models of the generic file, each priced by
// the bundled table, with how many calls in ten go to each.
func genericModels() []weightedModel {
	return []weightedModel{{"gpt-5", 6}, {"gpt-5-mini", 3}, {"gpt-5-nano", 1}}
}

// importGeneric writes the generic file, imports it into a fresh database
// and records its figures.
func (b *bench) importGeneric(ctx context.Context) error {
	path := filepath.Join(b.cfg.dir, fmt.Sprintf("generic-%d.jsonl", b.cfg.calls))
	fmt.Fprintf(b.stderr, "writing %d generic calls to %s\n", b.cfg.calls, path)
	exp, err := writeGenericFile(path, b.cfg.calls, b.cfg.seed)
	if err != nil {
		return err
	}
	res, err := b.importRuns(ctx, "tally_bench_generic", exp, path)
	if err != nil {
		return fmt.Errorf("import the generic file: %w", err)
	}
	b.printImport("generic JSON Lines", exp, res)

	const f = "Import, generic: "
	perSecond := float64(exp.Events) / res.wall.Seconds()
	b.rep.add(f+fmt.Sprintf("wall (end to end, median of %d)", len(res.walls)),
		seconds(res.wall))
	b.rep.target(f+"events", eventsPerSec(exp.Events, res.wall),
		"≥ "+grouped(targetGenericPS)+" events/s", perSecond >= targetGenericPS)
	b.rep.add(f+"server peak RSS", megabytes(res.serverRSS))
	b.rep.target(f+"stored events", grouped(res.stored.Events), "= "+grouped(exp.Events),
		res.stored.Events == exp.Events)
	b.rep.check(f+"stored totals", "generated totals", res.allDiffs())
	return nil
}

// writeGenericFile writes calls generic JSON Lines calls to path, the
// same ones for the same seed, and returns their totals.
func writeGenericFile(path string, calls int, seed uint64) (expected, error) {
	f, err := os.Create(path)
	if err != nil {
		return expected{}, fmt.Errorf("create generic file: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	exp := writeGeneric(w, calls, seed)
	if err := w.Flush(); err != nil {
		f.Close()
		return expected{}, fmt.Errorf("write generic file: %w", err)
	}
	if err := f.Close(); err != nil {
		return expected{}, fmt.Errorf("write generic file: %w", err)
	}
	return exp, nil
}

// writeGeneric writes the calls to w and returns their totals; a write
// error is left to w's Flush.
func writeGeneric(w *bufio.Writer, calls int, seed uint64) expected {
	rng := rand.New(rand.NewPCG(seed, 0x9e7e))
	weights := genericModels()
	models := make([]modelTotals, len(weights))
	for i, m := range weights {
		models[i].Model = m.name
	}
	exp := expected{Files: 1, Lines: int64(calls), Events: int64(calls)}

	// The first call is at a fixed time, the next ones two seconds apart.
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var line []byte
	for i := range calls {
		m := &models[pickModel(rng, weights)]
		c := modelTotals{Events: 1, InputTokens: rng.Int64N(20_000) + 1,
			OutputTokens: rng.Int64N(4_000) + 1}
		if rng.IntN(4) > 0 {
			c.CacheReadTokens = rng.Int64N(60_000)
		}
		at := start.Add(time.Duration(i) * 2 * time.Second)
		line = genericLine(line[:0], i, at, m.Model, c)
		w.Write(line)
		exp.Bytes += int64(len(line))
		add(m, c)
	}
	for _, m := range models {
		if m.Events > 0 {
			exp.Models = append(exp.Models, m)
		}
	}
	return exp
}

// pickModel returns the index of a model drawn by weight.
func pickModel(rng *rand.Rand, models []weightedModel) int {
	total := 0
	for _, m := range models {
		total += m.weight
	}
	n := rng.IntN(total)
	for i, m := range models {
		if n -= m.weight; n < 0 {
			return i
		}
	}
	return len(models) - 1
}

// genericLine appends call i, made at at, as one generic JSON line to b.
func genericLine(b []byte, i int, at time.Time, model string, c modelTotals) []byte {
	b = append(b, `{"occurred_at":"`...)
	b = at.AppendFormat(b, time.RFC3339)
	b = append(b, `","provider":"openai","model":"`...)
	b = append(b, model...)
	b = append(b, `","input_tokens":`...)
	b = strconv.AppendInt(b, c.InputTokens, 10)
	b = append(b, `,"cache_read_tokens":`...)
	b = strconv.AppendInt(b, c.CacheReadTokens, 10)
	b = append(b, `,"output_tokens":`...)
	b = strconv.AppendInt(b, c.OutputTokens, 10)
	b = append(b, `,"request_id":"bench-`...)
	b = strconv.AppendInt(b, int64(i), 10)
	return append(b, "\"}\n"...)
}

// add adds one call's totals to a model's.
func add(m *modelTotals, c modelTotals) {
	m.Events += c.Events
	m.InputTokens += c.InputTokens
	m.CacheReadTokens += c.CacheReadTokens
	m.CacheWrite5mTokens += c.CacheWrite5mTokens
	m.CacheWrite1hTokens += c.CacheWrite1hTokens
	m.OutputTokens += c.OutputTokens
}
