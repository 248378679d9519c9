// Command benchgen writes a deterministic, synthetic Claude Code corpus for
// benchmarks, plus the totals a correct importer must find in it.
//
//	go run ./cmd/benchgen -out DIR -size 1GB [-seed N]
//
// It writes DIR/projects/<enc-cwd>/<sessionId>.jsonl trees (subagent files at
// <sessionId>/subagents/agent-<id>.jsonl) and DIR/expected.json. The totals
// come from the generator's own model of the calls it writes, never from
// re-reading the files. The same flags always give the same bytes.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// config holds the parsed command line.
type config struct {
	out  string
	size int64
	seed uint64
}

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "benchgen:", err)
		os.Exit(1)
	}
}

// run generates the corpus described by args and reports speed on stderr.
func run(args []string, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}

	start := time.Now()
	exp, err := generate(cfg)
	if err != nil {
		return err
	}

	elapsed := time.Since(start)
	mb := float64(exp.Bytes) / 1e6
	fmt.Fprintf(stderr, "benchgen: %d files, %d lines, %d events, %.1f MB in %s (%.0f MB/s)\n",
		exp.Files, exp.Lines, exp.Events, mb, elapsed.Round(time.Millisecond),
		mb/elapsed.Seconds())
	return nil
}

// parseFlags reads the command line into a config.
func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("benchgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "output directory (its projects/ must not exist yet)")
	size := fs.String("size", "100MB", "approximate JSONL bytes to write: 500MB, 1GB, 2GiB")
	seed := fs.Uint64("seed", 1, "random seed; the same flags give the same corpus")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if *out == "" {
		return config{}, errors.New("-out is required")
	}

	n, err := parseSize(*size)
	if err != nil {
		return config{}, fmt.Errorf("parse -size: %w", err)
	}
	return config{out: *out, size: n, seed: *seed}, nil
}

// parseSize reads a byte count such as 1GB (10^9), 64MiB (2^26) or 4096.
func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{
		{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
		{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1},
	}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(strings.ToUpper(s), strings.ToUpper(u.suffix)) {
			s, mult = s[:len(s)-len(u.suffix)], u.mult
			break
		}
	}

	n, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0, fmt.Errorf("bad size %q: %w", s, err)
	}
	if n <= 0 {
		return 0, fmt.Errorf("size must be positive, got %q", s)
	}
	return int64(n * float64(mult)), nil
}
