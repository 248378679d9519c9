package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/tallyhq/tally/internal/config"
	"github.com/tallyhq/tally/internal/demo"
	"github.com/tallyhq/tally/internal/devdb"
)

// runDev runs tally in development mode with demo data: DATABASE_URL, else
// the local Postgres, else a throwaway cluster; the dev OIDC provider.
func runDev(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return errUsage
	}
	cfg, err := config.Load(true)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogLevel, cfg.LogFormat)

	cluster, err := devdb.Resolve(ctx, cfg.DatabaseURL,
		filepath.Join(os.TempDir(), "tally-devpg"), log)
	if err != nil {
		return err
	}
	defer cluster.Stop()
	cfg.DatabaseURL = cluster.URL

	a, err := openApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.close()
	if err := a.ensurePrices(ctx); err != nil {
		return err
	}
	if err := demo.Seed(ctx, a.pool, a.imports, time.Now().UTC()); err != nil {
		return err
	}
	return a.serve(ctx, func(addr string) {
		fmt.Fprintf(stderr, "\ntally is running at %s (development mode, demo data)\n\n",
			cfg.BaseURL)
	})
}
