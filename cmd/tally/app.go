package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/tallyhq/tally/db"
	"github.com/tallyhq/tally/internal/auth"
	"github.com/tallyhq/tally/internal/batch"
	"github.com/tallyhq/tally/internal/config"
	"github.com/tallyhq/tally/internal/importer"
	"github.com/tallyhq/tally/internal/pricing"
)

// app is tally's wired core: the database, the job queue and the services
// that the server and the commands share.
type app struct {
	cfg     *config.Config
	log     *slog.Logger
	pool    *pgxpool.Pool
	river   *river.Client[pgx.Tx]
	imports *batch.Service
	prices  *pricing.Service
}

// poolSize is how many connections the server needs: each import job holds
// a transaction and reads its raw batch on a second connection, and four
// serve pages and River's fetching and notifications.
func poolSize(importWorkers int) int32 {
	return int32(2*importWorkers + 4)
}

// openApp connects to cfg.DatabaseURL, applies migrations and builds the
// services; the job client only inserts jobs.
func openApp(ctx context.Context, cfg *config.Config, log *slog.Logger) (*app, error) {
	if cfg.DatabaseURL == "" {
		return nil, fmt.Errorf("DATABASE_URL: required")
	}
	pool, err := db.Open(ctx, cfg.DatabaseURL, poolSize(cfg.ImportWorkers))
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx, pool, log); err != nil {
		pool.Close()
		return nil, err
	}
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{Logger: log})
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("job client: %w", err)
	}
	return &app{cfg: cfg, log: log, pool: pool, river: client,
		imports: batch.NewService(pool, client, cfg.UploadMaxBytes),
		prices:  pricing.NewService(pool, cfg.BillingZone)}, nil
}

// openToolApp opens the app for a command that serves no pages (migrate,
// prices, tokens), logging to stderr.
func openToolApp(ctx context.Context, stderr io.Writer) (*app, error) {
	cfg, err := config.LoadTool()
	if err != nil {
		return nil, err
	}
	return openApp(ctx, cfg, newLogger(stderr, cfg.LogLevel, cfg.LogFormat))
}

// workerClient returns a job client that also runs the workers.
func (a *app) workerClient() (*river.Client[pgx.Tx], error) {
	workers := river.NewWorkers()
	river.AddWorker(workers, batch.NewImportWorker(a.pool, a.log, loadPricer,
		a.cfg.BillingZone, importer.DefaultLimits()))
	sessions := auth.New(auth.Deps{Pool: a.pool, Config: a.cfg})
	river.AddWorker(workers, auth.NewCleanupWorker(sessions, a.log))
	client, err := river.NewClient(riverpgxv5.New(a.pool), &river.Config{
		Logger:       a.log,
		Queues:       map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: a.cfg.ImportWorkers}},
		Workers:      workers,
		PeriodicJobs: []*river.PeriodicJob{auth.CleanupJob()},
	})
	if err != nil {
		return nil, fmt.Errorf("job workers: %w", err)
	}
	return client, nil
}

func loadPricer(ctx context.Context, q *db.Queries) (batch.Pricer, error) {
	return pricing.LoadCatalog(ctx, q)
}

func (a *app) close() { a.pool.Close() }

// ensurePrices loads the bundled price table into an empty catalog.
func (a *app) ensurePrices(ctx context.Context) error {
	loaded, err := a.prices.EnsureDefault(ctx)
	if loaded {
		a.log.Info("Loaded the bundled price table")
	}
	return err
}
