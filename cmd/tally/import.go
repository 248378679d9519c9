package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tallyhq/tally/internal/batch"
	"github.com/tallyhq/tally/internal/importer"
	"github.com/tallyhq/tally/internal/pricing"
)

// importFlags are the flags of `tally import`.
type importFlags struct {
	dryRun bool
	asJSON bool
	prices string
	format string
	server string
	token  string
	wait   bool
	mine   bool
	host   string
	osUser string
}

func parseImportFlags(args []string, stderr io.Writer) (*importFlags, []string, error) {
	f := &importFlags{}
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: tally import [flags] [PATH…]\n\n"+
			"With no PATH, reads the agents' default folders: ~/.claude/projects,\n"+
			"~/.config/claude/projects, $CLAUDE_CONFIG_DIR/projects and\n"+
			"${CODEX_HOME:-~/.codex}/sessions.\n\n")
		fs.PrintDefaults()
	}
	fs.BoolVar(&f.dryRun, "dry-run", false, "parse and price offline; store nothing")
	fs.BoolVar(&f.asJSON, "json", false, "print the result as JSON")
	fs.StringVar(&f.prices, "prices", "", "price table (LiteLLM JSON) for a dry run")
	fs.StringVar(&f.format, "format", "", "force a format: claude-code, codex or generic")
	fs.StringVar(&f.server, "server", os.Getenv("TALLY_SERVER"), "server URL ($TALLY_SERVER)")
	fs.StringVar(&f.token, "token", os.Getenv("TALLY_TOKEN"), "API token ($TALLY_TOKEN)")
	fs.BoolVar(&f.wait, "wait", false, "wait for the import job and print what it stored")
	fs.BoolVar(&f.mine, "mine", false, "the usage is my own: attribute it to me")
	fs.StringVar(&f.host, "host", hostname(), "host name stamped as evidence")
	fs.StringVar(&f.osUser, "os-user", osUser(), "OS user stamped as evidence")
	paths, err := parseInterspersed(fs, args)
	if err != nil {
		return nil, nil, errUsage
	}
	switch f.format {
	case "", "claude-code", "codex", "generic":
	default:
		return nil, nil, fmt.Errorf("--format: want claude-code, codex or generic, got %q",
			f.format)
	}
	if f.prices != "" && !f.dryRun {
		return nil, nil, errors.New("--prices applies to --dry-run only; " +
			"load a table on the server with `tally prices load`")
	}
	return f, paths, nil
}

func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, paths, err := parseImportFlags(args, stderr)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		if paths = defaultPaths(); len(paths) == 0 {
			return errors.New("no PATH given and none of the agents' default folders exist")
		}
	}
	var sum *batch.Summary
	if f.dryRun {
		sum, err = dryRun(ctx, f, paths)
	} else {
		sum, err = upload(ctx, f, paths, stdout, stderr)
	}
	if err != nil || sum == nil {
		return err
	}
	return printSummary(stdout, sum, f.asJSON)
}

// dryRun parses and prices paths offline, as an import into an empty
// database with the same price table would store them.
func dryRun(ctx context.Context, f *importFlags, paths []string) (*batch.Summary, error) {
	catalog, err := dryRunCatalog(f.prices)
	if err != nil {
		return nil, err
	}
	opts := importer.Options{Format: f.format, Host: f.host, OSUser: f.osUser,
		Limits: importer.DefaultLimits()}
	mem := importer.NewMemory()
	st := &importer.Stats{}
	if err := opts.ReadAll(ctx, paths, mem, 0, st); err != nil {
		return nil, err
	}
	events := mem.Events()
	for _, e := range events {
		catalog.Price(e)
	}
	return batch.Summarize(st, events), nil
}

func dryRunCatalog(path string) (*pricing.Catalog, error) {
	if path == "" {
		return pricing.DefaultCatalog()
	}
	file, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--prices: %w", err)
	}
	defer file.Close()
	table, err := pricing.ParseLiteLLM(file)
	if err != nil {
		return nil, fmt.Errorf("--prices %s: %w", path, err)
	}
	return pricing.CatalogFromTable(table), nil
}

// defaultPaths returns the agents' log folders that exist here.
func defaultPaths() []string {
	home, _ := os.UserHomeDir()
	config := os.Getenv("XDG_CONFIG_HOME")
	if config == "" {
		config = filepath.Join(home, ".config")
	}
	candidates := []string{filepath.Join(home, ".claude", "projects"),
		filepath.Join(config, "claude", "projects")}
	for _, dir := range strings.Split(os.Getenv("CLAUDE_CONFIG_DIR"), ",") {
		if dir = strings.TrimSpace(dir); dir != "" {
			candidates = append(candidates, filepath.Join(dir, "projects"))
		}
	}
	codex := os.Getenv("CODEX_HOME")
	if codex == "" {
		codex = filepath.Join(home, ".codex")
	}
	candidates = append(candidates, filepath.Join(codex, "sessions"))

	var found []string
	seen := map[string]bool{}
	for _, c := range candidates {
		if info, err := os.Stat(c); err == nil && info.IsDir() && !seen[c] {
			seen[c] = true
			found = append(found, c)
		}
	}
	return found
}

func printSummary(w io.Writer, s *batch.Summary, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	}
	fmt.Fprintf(w, "files %d, lines %d: %d events, %d duplicates, %d skipped, %d rejected\n",
		s.Files, s.Lines, s.Events, s.Duplicates, s.Skipped, s.Rejected)
	if s.Updated != nil {
		fmt.Fprintf(w, "stored calls raised by a later copy: %d\n", *s.Updated)
	}
	for _, m := range s.Models {
		cost := "unpriced"
		if m.CostUSD != nil {
			cost = "$" + *m.CostUSD
		}
		fmt.Fprintf(w, "  %-40s %8d events  %s\n", printable(m.Model), m.Events, cost)
	}
	fmt.Fprintf(w, "total $%s", s.TotalCostUSD)
	if s.UnpricedEvents > 0 {
		fmt.Fprintf(w, " (incomplete: %d unpriced events)", s.UnpricedEvents)
	}
	fmt.Fprintln(w)
	for _, r := range s.Rejects {
		fmt.Fprintf(w, "rejected %s:%d: %s\n", printable(r.File), r.Line, printable(r.Reason))
	}
	return nil
}

// printable returns s as it is, or quoted when it holds a character that a
// terminal would act on or cannot show: names come from the files read.
func printable(s string) string {
	for _, r := range s {
		if r == utf8.RuneError || !strconv.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

func hostname() string {
	h, _ := os.Hostname()
	return h
}

func osUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return os.Getenv("USER")
}
