// Command tally runs the tally server and its command-line tools.
//
//	tally serve [--dev]          run the server (production mode without --dev)
//	tally dev                    run with demo data, a local database and dev sign-in
//	tally migrate                apply database migrations
//	tally import [flags] PATH…   import usage files (or check them with --dry-run)
//	tally prices load FILE       load a LiteLLM price table
//	tally tokens create …        create an API token
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"syscall"
)

// errUsage marks a command line that could not be understood.
var errUsage = errors.New("usage")

const usageText = `Usage: tally COMMAND [flags]

Commands:
  serve [--dev]            run the server; production mode unless --dev
  dev                      run with demo data, a local database and dev sign-in
  migrate                  apply database migrations
  import [flags] [PATH…]   import usage files; --dry-run checks them offline
  prices load FILE         load a LiteLLM price table into the catalog
  tokens create            create an API token for a principal

Run "tally COMMAND --help" for a command's flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, errUsage) {
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tally:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return errUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return runServe(ctx, rest, stderr)
	case "dev":
		return runDev(ctx, rest, stderr)
	case "migrate":
		return runMigrate(ctx, rest, stderr)
	case "import":
		return runImport(ctx, rest, stdout, stderr)
	case "prices":
		return runPrices(ctx, rest, stdout, stderr)
	case "tokens":
		return runTokens(ctx, rest, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usageText)
		return nil
	}
	fmt.Fprintf(stderr, "tally: unknown command %q\n\n%s", cmd, usageText)
	return errUsage
}

// newLogger returns the process logger, writing to w.
func newLogger(w io.Writer, level, format string) *slog.Logger {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		lv = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// parseInterspersed parses flags wherever they stand among args, as people
// type them (`tally import FILE --json`), and returns the other arguments
// in order; those after a "--" are never flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var after []string
	if i := slices.Index(args, "--"); i >= 0 {
		args, after = args[:i], args[i+1:]
	}
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if args = fs.Args(); len(args) == 0 {
			return append(rest, after...), nil
		}
		rest, args = append(rest, args[0]), args[1:]
	}
}
