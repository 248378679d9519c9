// Command tallybench measures tally's importer on a benchgen corpus and
// checks every total it finds against the corpus's true ones.
//
//	go run ./cmd/tallybench [-size 1GB] [-dir .bench] [-runs 3] [-import-runs 3]
//
// Run it from the repository root, on Linux, with Postgres on loopback
// and npm on the PATH. It reuses DIR/corpus-SIZE when it is complete,
// builds DIR/bin/tally, installs the reference tool ccusage into
// DIR/ccusage when it is missing, then:
//
//   - times `tally import --dry-run` against ccusage on the corpus,
//     alternating, -runs times each;
//   - imports the corpus into a fresh database through a `tally serve
//     --dev` child process, end to end, and reads the server's peak memory,
//     -import-runs times;
//   - does the same with a generated file of generic JSON Lines calls;
//
// and prints a table of the figures against their targets. It exits 1
// when a total is wrong or a step fails; a figure that misses its target
// is marked FAIL in the table but does not change the exit code.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
)

// errWrongTotals is returned when a checked total differs from the truth.
var errWrongTotals = errors.New("a total is wrong (marked FAIL above)")

// config holds the parsed command line.
type config struct {
	size     string // benchgen's -size, also the corpus folder's suffix
	dir      string // absolute working folder: corpus, binaries, ccusage, logs
	runs     int    // dry runs of each tool
	imports  int    // full imports of each input, each into a fresh database
	adminURL string // Postgres database to create and drop bench databases from
	calls    int    // calls in the generic file
	seed     uint64 // seed of the corpus and the generic file
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "tallybench:", err)
		os.Exit(1)
	}
}

// run carries out the benchmark that args describe, printing the figures
// on stdout and progress on stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	b, err := prepare(ctx, cfg, stdout, stderr)
	if err != nil {
		return err
	}
	b.recordCorpus()

	if err := b.compareDryRuns(ctx); err != nil {
		return err
	}
	if err := b.importCorpus(ctx); err != nil {
		return err
	}
	if err := b.importGeneric(ctx); err != nil {
		return err
	}

	b.rep.print(stdout)
	if b.rep.wrong {
		return errWrongTotals
	}
	return nil
}

// parseFlags reads the command line into a config.
func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("tallybench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	size := fs.String("size", "1GB", "corpus size, as benchgen's -size: 100MB, 1GB")
	dir := fs.String("dir", ".bench", "working folder (gitignored): corpus, binaries, ccusage")
	runs := fs.Int("runs", 3, "dry runs of each tool, alternating")
	imports := fs.Int("import-runs", 3, "full imports of each input; the median is reported")
	admin := fs.String("pg", "postgres://postgres@127.0.0.1:5432/postgres",
		"Postgres on loopback to create the bench databases from")
	calls := fs.Int("generic-calls", 1_000_000, "calls in the generic JSON Lines file")
	seed := fs.Uint64("seed", 1, "seed of the corpus and the generic file")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *runs < 1 || *imports < 1 || *calls < 1 {
		return config{}, errors.New("-runs, -import-runs and -generic-calls must be at least 1")
	}
	if err := checkLoopback(*admin); err != nil {
		return config{}, fmt.Errorf("-pg: %w", err)
	}

	abs, err := filepath.Abs(*dir)
	if err != nil {
		return config{}, fmt.Errorf("-dir: %w", err)
	}
	return config{size: *size, dir: abs, runs: *runs, imports: *imports, adminURL: *admin,
		calls: *calls, seed: *seed}, nil
}

// checkLoopback refuses a database URL whose host is not a loopback name
// or address: the benchmark talks to nothing else.
func checkLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("parse %q: %w", raw, err)
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); host == "localhost" || ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("host %q is not loopback", host)
}
