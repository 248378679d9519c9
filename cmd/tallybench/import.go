package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

const (
	importTimeout  = 30 * time.Minute // one full import, upload to rollup
	cleanupTimeout = time.Minute      // dropping a database
)

// importResult is what one full import through a server measured and
// how what it stored differed from the truth.
type importResult struct {
	wall        time.Duration   // `tally import --wait`, end to end: the median of walls
	walls       []time.Duration // each run's
	clientRSS   int64
	serverRSS   int64    // the server's peak, startup included
	stored      summary  // what the server says it stored
	diffs       []string // the stored summary
	rowDiffs    []string // the usage_events rows, per model
	rollupDiffs []string // the usage_daily rollup, per model
}

// The targets of the full imports.
const (
	targetMBPerSec  = 150         // Claude Code JSONL, end to end
	targetServerRSS = 150_000_000 // bytes, the server's peak over a 1 GB batch
	targetGenericPS = 50_000      // generic calls per second, end to end
)

// importCorpus imports the Claude Code corpus into a fresh database and
// records its figures.
func (b *bench) importCorpus(ctx context.Context) error {
	res, err := b.importRuns(ctx, "tally_bench", b.exp, b.projects())
	if err != nil {
		return fmt.Errorf("import the corpus: %w", err)
	}
	if res.stored.TotalCostUSD != b.dryRunCost {
		res.diffs = append(res.diffs, fmt.Sprintf("total_cost_usd: got %s, dry run %s",
			res.stored.TotalCostUSD, b.dryRunCost))
	}
	b.printImport("Claude Code JSONL corpus", b.exp, res)

	const f = "Import, Claude Code: "
	mbps := float64(b.exp.Bytes) / 1e6 / res.wall.Seconds()
	b.rep.add(f+fmt.Sprintf("wall (end to end, median of %d)", len(res.walls)),
		seconds(res.wall))
	b.rep.target(f+"throughput", mbPerSec(b.exp.Bytes, res.wall),
		fmt.Sprintf("≥ %d MB/s", targetMBPerSec), mbps >= targetMBPerSec)
	b.rep.add(f+"events", eventsPerSec(b.exp.Events, res.wall))
	b.rep.target(f+"server peak RSS", megabytes(res.serverRSS),
		"< "+megabytes(targetServerRSS), res.serverRSS < targetServerRSS)
	b.rep.check(f+"stored totals and cost", "expected.json, dry run",
		res.allDiffs())
	return nil
}

// importRuns imports paths -import-runs times, each time into a fresh
// database called name, and returns the median wall time, the largest
// memory, and every difference from exp that any run found.
func (b *bench) importRuns(ctx context.Context, name string, exp expected, paths ...string) (
	importResult, error) {
	var all importResult
	for run := 1; run <= b.cfg.imports; run++ {
		fmt.Fprintf(b.stderr, "full import %d of %d\n", run, b.cfg.imports)
		res, err := b.importInto(ctx, name, exp, paths...)
		if err != nil {
			return importResult{}, err
		}
		all.walls = append(all.walls, res.wall)
		all.clientRSS = max(all.clientRSS, res.clientRSS)
		all.serverRSS = max(all.serverRSS, res.serverRSS)
		all.stored = res.stored
		all.diffs = append(all.diffs, res.diffs...)
		all.rowDiffs = append(all.rowDiffs, res.rowDiffs...)
		all.rollupDiffs = append(all.rollupDiffs, res.rollupDiffs...)
	}
	all.wall = median(all.walls)
	return all, nil
}

// importInto imports paths into a fresh database called name through a
// tally server started for it alone, and checks what it stored against
// exp. The server and the database are gone when it returns.
func (b *bench) importInto(ctx context.Context, name string, exp expected, paths ...string) (
	importResult, error) {
	dbURL, err := createDatabase(ctx, b.cfg.adminURL, name)
	if err != nil {
		return importResult{}, err
	}
	defer b.dropDatabase(name)

	fmt.Fprintf(b.stderr, "starting tally serve --dev on database %s\n", name)
	logPath := filepath.Join(b.cfg.dir, name+"-server.log")
	srv, err := startServer(ctx, b.tally, dbURL, logPath)
	if err != nil {
		return importResult{}, err
	}
	defer b.stopServer(srv)

	token, err := b.createToken(ctx, dbURL)
	if err != nil {
		return importResult{}, err
	}
	fmt.Fprintf(b.stderr, "importing %s into %s\n", strings.Join(paths, " "), name)
	res, err := b.timeImport(ctx, srv, token, paths)
	if err != nil {
		return importResult{}, fmt.Errorf("%w (server log: %s)", err, logPath)
	}
	if res.serverRSS, err = srv.peakRSS(); err != nil {
		return importResult{}, err
	}
	if err := checkStored(ctx, dbURL, exp, &res); err != nil {
		return importResult{}, err
	}
	return res, nil
}

// createToken adds the bench's principal and returns an import token
// made for it by `tally tokens create`.
func (b *bench) createToken(ctx context.Context, dbURL string) (string, error) {
	if err := addPrincipal(ctx, dbURL); err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, b.tally, "tokens", "create",
		"--principal", benchEmail, "--scope", "import", "--name", "bench")
	cmd.Env = append(cleanEnv(os.Environ()), "DATABASE_URL="+dbURL)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("create token: %w: %s", err, tail(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

// timeImport times `tally import --server --wait` of paths and decodes
// the summary that the server stored.
func (b *bench) timeImport(ctx context.Context, srv *server, token string, paths []string) (
	importResult, error) {
	ctx, cancel := context.WithTimeout(ctx, importTimeout)
	defer cancel()
	args := append([]string{"import", "--server", srv.url, "--wait", "--json"}, paths...)
	cmd := exec.CommandContext(ctx, b.tally, args...)
	cmd.Env = append(cleanEnv(os.Environ()), "TALLY_TOKEN="+token)

	m, err := measure(cmd)
	if err != nil {
		return importResult{}, fmt.Errorf("import: %w", err)
	}
	s, err := parseSummary(m.stdout)
	if err != nil {
		return importResult{}, err
	}
	return importResult{wall: m.wall, clientRSS: m.maxRSS, stored: s}, nil
}

// checkStored compares the stored summary, the event rows and the daily
// rollup with exp.
func checkStored(ctx context.Context, dbURL string, exp expected, res *importResult) error {
	rows, rollup, err := storedTotals(ctx, dbURL)
	if err != nil {
		return err
	}
	res.diffs = diffSummary(exp, res.stored)
	res.rowDiffs = diffModels(exp.Models, rows)
	res.rollupDiffs = diffModels(exp.Models, rollup)
	return nil
}

// stopServer stops srv, warning on stderr when it did not end cleanly.
func (b *bench) stopServer(srv *server) {
	if err := srv.stop(); err != nil {
		fmt.Fprintln(b.stderr, "tallybench: warning:", err)
	}
}

// dropDatabase drops database name, warning on stderr when it cannot.
func (b *bench) dropDatabase(name string) {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	if err := dropDatabase(ctx, b.cfg.adminURL, name); err != nil {
		fmt.Fprintln(b.stderr, "tallybench: warning:", err)
	}
}

// cleanEnv returns environ without tally's own variables, so that
// nothing from outside points a tally process elsewhere.
func cleanEnv(environ []string) []string {
	env := make([]string, 0, len(environ))
	for _, kv := range environ {
		if !strings.HasPrefix(kv, "TALLY_") && !strings.HasPrefix(kv, "DATABASE_URL=") {
			env = append(env, kv)
		}
	}
	return env
}

// allDiffs lists the differences of every kind, each marked with where
// it was found.
func (r importResult) allDiffs() []string {
	var d []string
	for _, s := range r.diffs {
		d = append(d, "summary "+s)
	}
	for _, s := range r.rowDiffs {
		d = append(d, "usage_events "+s)
	}
	for _, s := range r.rollupDiffs {
		d = append(d, "usage_daily "+s)
	}
	return d
}

// printImport prints one full import's figures and checks.
func (b *bench) printImport(what string, exp expected, res importResult) {
	fmt.Fprintf(b.stdout, "\n== Full import into Postgres: %s, %s, %s events\n",
		what, megabytes(exp.Bytes), grouped(exp.Events))
	fmt.Fprintf(b.stdout, "  end to end (upload, raw batch kept, parse, price, attribute, "+
		"store, roll up): median %s (%s)  %s  %s\n", seconds(res.wall), runList(res.walls),
		mbPerSec(exp.Bytes, res.wall), eventsPerSec(exp.Events, res.wall))
	fmt.Fprintf(b.stdout, "  server peak RSS (VmHWM) %s; client max RSS %s\n",
		megabytes(res.serverRSS), megabytes(res.clientRSS))
	updated := "absent"
	if res.stored.Updated != nil {
		updated = grouped(*res.stored.Updated)
	}
	fmt.Fprintf(b.stdout, "  stored: %s events, %s duplicates, %s updated, cost $%s\n",
		grouped(res.stored.Events), grouped(res.stored.Duplicates), updated,
		res.stored.TotalCostUSD)
	printDiffs(b.stdout, "stored summary against the truth", res.diffs)
	printDiffs(b.stdout, "usage_events rows per model against the truth", res.rowDiffs)
	printDiffs(b.stdout, "usage_daily rollup per model against the truth", res.rollupDiffs)
}
