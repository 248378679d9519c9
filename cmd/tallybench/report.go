package main

import (
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// The verdicts of a figure; a figure without a target has none.
const (
	pass = "PASS"
	fail = "FAIL"
)

// report collects the figures for the final table.
type report struct {
	rows  []row
	wrong bool // a checked total differed from the truth
}

// row is one line of the final table.
type row struct {
	figure, value, target, verdict string
}

// add records a figure without a target.
func (r *report) add(figure, value string) {
	r.rows = append(r.rows, row{figure: figure, value: value, target: "-"})
}

// target records a figure and whether it met target.
func (r *report) target(figure, value, target string, met bool) {
	r.rows = append(r.rows, row{figure, value, target, verdict(met)})
}

// check records whether totals matched the truth, named by truth; diffs
// lists how they did not. A mismatch makes the run fail.
func (r *report) check(figure, truth string, diffs []string) {
	if len(diffs) > 0 {
		r.wrong = true
	}
	r.target(figure, diffCount(diffs), "= "+truth, len(diffs) == 0)
}

// print writes the final table.
func (r *report) print(w io.Writer) {
	fmt.Fprintf(w, "\n== Summary (MB = 10^6 bytes; %d CPUs)\n", runtime.NumCPU())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "figure\tvalue\ttarget\tresult")
	fmt.Fprintln(tw, "------\t-----\t------\t------")
	for _, row := range r.rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", row.figure, row.value, row.target, row.verdict)
	}
	tw.Flush()
}

// diffCount says "exact" or how many differences there are.
func diffCount(diffs []string) string {
	if len(diffs) == 0 {
		return "exact"
	}
	if len(diffs) == 1 {
		return "1 difference"
	}
	return fmt.Sprintf("%d differences", len(diffs))
}

// verdict names whether a target was met.
func verdict(met bool) string {
	if met {
		return pass
	}
	return fail
}

// printDiffs writes each difference indented under its section, or
// "exact" when there is none.
func printDiffs(w io.Writer, what string, diffs []string) {
	fmt.Fprintf(w, "  %s: %s\n", what, diffCount(diffs))
	for _, d := range diffs {
		fmt.Fprintf(w, "    %s\n", d)
	}
}

// mbPerSec formats a throughput in MB (10^6 bytes) per second.
func mbPerSec(bytes int64, d time.Duration) string {
	return fmt.Sprintf("%.0f MB/s", float64(bytes)/1e6/d.Seconds())
}

// eventsPerSec formats n events per second with thousands separators.
func eventsPerSec(n int64, d time.Duration) string {
	return grouped(int64(float64(n)/d.Seconds())) + " events/s"
}

// megabytes formats a byte count in MB (10^6 bytes).
func megabytes(n int64) string {
	return fmt.Sprintf("%.0f MB", float64(n)/1e6)
}

// seconds formats a duration in seconds to the hundredth.
func seconds(d time.Duration) string {
	return fmt.Sprintf("%.2f s", d.Seconds())
}

// runList lists the wall times of runs, in the order they ran.
func runList(walls []time.Duration) string {
	s := make([]string, len(walls))
	for i, w := range walls {
		s[i] = seconds(w)
	}
	return strings.Join(s, ", ")
}

// grouped formats n with a comma between groups of three digits.
func grouped(n int64) string {
	s := strconv.FormatInt(n, 10)
	sign := ""
	if n < 0 {
		sign, s = "-", s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return sign + b.String()
}
