package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/tallyhq/tally/internal/audit"
	"github.com/tallyhq/tally/internal/pricing"
)

func runPrices(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "load" {
		fmt.Fprintln(stderr, "Usage: tally prices load FILE [--effective-from DATE]")
		return errUsage
	}
	fs := flag.NewFlagSet("prices load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("effective-from", "",
		"when changed prices take effect (RFC 3339 or YYYY-MM-DD; default now)")
	files, err := parseInterspersed(fs, args[1:])
	if err != nil || len(files) != 1 {
		fmt.Fprintln(stderr, "Usage: tally prices load FILE [--effective-from DATE]")
		return errUsage
	}
	when, err := parseEffective(*from)
	if err != nil {
		return err
	}
	table, err := readTable(files[0])
	if err != nil {
		return err
	}

	app, err := openToolApp(ctx, stderr)
	if err != nil {
		return err
	}
	defer app.close()

	res, err := app.prices.Load(ctx, audit.System("cli"), table, when, files[0])
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(res)
}

func parseEffective(s string) (time.Time, error) {
	if s == "" {
		return time.Now().UTC(), nil
	}
	for _, layout := range []string{time.RFC3339, time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("--effective-from: want RFC 3339 or YYYY-MM-DD, got %q", s)
}

func readTable(path string) (map[string]pricing.Entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	table, err := pricing.ParseLiteLLM(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(table) == 0 {
		return nil, errors.New(path + ": the table prices no model")
	}
	return table, nil
}
