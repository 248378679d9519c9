package auth

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
)

// cleanupEvery is how often expired sessions and sign-ins are deleted.
const cleanupEvery = time.Hour

// CleanupArgs is the periodic job that deletes expired sessions and
// sign-ins that were never finished.
type CleanupArgs struct{}

// Kind implements river.JobArgs.
func (CleanupArgs) Kind() string { return "auth_cleanup" }

// CleanupWorker runs CleanupArgs jobs.
type CleanupWorker struct {
	river.WorkerDefaults[CleanupArgs]

	svc *Service
	log *slog.Logger
}

// NewCleanupWorker returns a worker that deletes through svc.
func NewCleanupWorker(svc *Service, log *slog.Logger) *CleanupWorker {
	return &CleanupWorker{svc: svc, log: log}
}

// Work implements river.Worker.
func (w *CleanupWorker) Work(ctx context.Context, _ *river.Job[CleanupArgs]) error {
	n, err := w.svc.DeleteExpired(ctx)
	if err != nil {
		return fmt.Errorf("clean up: %w", err)
	}
	if n > 0 {
		w.log.Info("Deleted expired sessions and sign-ins", "count", n)
	}
	return nil
}

// CleanupJob schedules CleanupArgs hourly, and once when the workers start.
func CleanupJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(cleanupEvery),
		func() (river.JobArgs, *river.InsertOpts) { return CleanupArgs{}, nil },
		&river.PeriodicJobOpts{ID: "auth_cleanup", RunOnStart: true})
}
