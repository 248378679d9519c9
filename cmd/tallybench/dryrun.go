package main

import (
	"context"
	"fmt"
	"os/exec"
	"time"
)

// toolRuns collects the timed runs of one tool.
type toolRuns struct {
	walls  []time.Duration
	maxRSS int64    // the largest over the runs
	diffs  []string // how the totals differed from the truth, in any run
}

// add records one run and how its totals differed.
func (r *toolRuns) add(m measurement, diffs []string) {
	r.walls = append(r.walls, m.wall)
	r.maxRSS = max(r.maxRSS, m.maxRSS)
	if len(r.diffs) == 0 {
		r.diffs = diffs
	}
}

// walltimes formats every run's wall time.
func (r *toolRuns) walltimes() string { return runList(r.walls) }

// compareDryRuns times tally's dry run and ccusage on the corpus, one
// after the other, -runs times each, and checks both against the truth.
func (b *bench) compareDryRuns(ctx context.Context) error {
	var tally, cc toolRuns
	for i := range b.cfg.runs {
		fmt.Fprintf(b.stderr, "dry run %d of %d: tally, then ccusage\n", i+1, b.cfg.runs)
		if err := b.dryRunTally(ctx, &tally); err != nil {
			return err
		}
		if err := b.dryRunCCUsage(ctx, &cc); err != nil {
			return err
		}
	}
	b.reportDryRuns(&tally, &cc)
	return nil
}

// dryRunTally times one `tally import --dry-run` of the corpus.
func (b *bench) dryRunTally(ctx context.Context, runs *toolRuns) error {
	cmd := exec.CommandContext(ctx, b.tally, "import", "--dry-run", "--json", b.projects())
	m, err := measure(cmd)
	if err != nil {
		return fmt.Errorf("tally dry run: %w", err)
	}
	s, err := parseSummary(m.stdout)
	if err != nil {
		return err
	}
	runs.add(m, diffSummary(b.exp, s))
	if b.dryRunCost == "" {
		b.dryRunCost = s.TotalCostUSD
	}
	return nil
}

// dryRunCCUsage times one ccusage run over the corpus.
func (b *bench) dryRunCCUsage(ctx context.Context, runs *toolRuns) error {
	m, err := measure(ccusageCommand(ctx, b.ccusage, b.corpus))
	if err != nil {
		return fmt.Errorf("ccusage: %w", err)
	}
	got, err := parseCCUsage(m.stdout)
	if err != nil {
		return err
	}
	runs.add(m, diffSums(sums(b.exp.Models), got))
	return nil
}

// reportDryRuns prints the dry runs' figures and records them.
func (b *bench) reportDryRuns(tally, cc *toolRuns) {
	tm, cm := median(tally.walls), median(cc.walls)
	bytes, events := b.exp.Bytes, b.exp.Events
	fmt.Fprintf(b.stdout, "\n== Dry run: tally vs ccusage %s, %s of JSONL, %s events, "+
		"alternating, %d× each\n", ccusageVersion, megabytes(bytes), grouped(events), b.cfg.runs)
	fmt.Fprintf(b.stdout, "  tally    median %s (%s)  %s  %s  max RSS %s\n",
		seconds(tm), tally.walltimes(), mbPerSec(bytes, tm), eventsPerSec(events, tm),
		megabytes(tally.maxRSS))
	fmt.Fprintf(b.stdout, "  ccusage  median %s (%s)  %s  max RSS %s\n",
		seconds(cm), cc.walltimes(), mbPerSec(bytes, cm), megabytes(cc.maxRSS))
	fmt.Fprintf(b.stdout, "  tally takes %.2f× ccusage's time: at least as fast: %t\n",
		tm.Seconds()/cm.Seconds(), tm <= cm)
	printDiffs(b.stdout, "tally's totals against expected.json", tally.diffs)
	printDiffs(b.stdout, "ccusage's tokens summed over days and models against expected.json",
		cc.diffs)

	runs := fmt.Sprintf(" (median of %d)", b.cfg.runs)
	b.rep.target("Dry run, tally: wall"+runs, seconds(tm), "≤ ccusage "+seconds(cm), tm <= cm)
	b.rep.add("Dry run, tally: throughput", mbPerSec(bytes, tm))
	b.rep.add("Dry run, tally: events", eventsPerSec(events, tm))
	b.rep.add("Dry run, tally: max RSS", megabytes(tally.maxRSS))
	b.rep.check("Dry run, tally: totals", "expected.json", tally.diffs)
	b.rep.add("Dry run, ccusage: wall"+runs, seconds(cm))
	b.rep.add("Dry run, ccusage: throughput", mbPerSec(bytes, cm))
	b.rep.add("Dry run, ccusage: max RSS", megabytes(cc.maxRSS))
	b.rep.add("Dry run, ccusage: tokens vs expected.json", diffCount(cc.diffs))
}
