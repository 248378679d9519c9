package batch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/klauspost/compress/s2"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/tallyhq/tally/db"
	"github.com/tallyhq/tally/internal/attribution"
	"github.com/tallyhq/tally/internal/importer"
)

// maxRedos is how many times in a row a job runs again at once when it
// collides with another import storing the same calls; after that it
// fails, and River retries it later.
const maxRedos = 3

// PricesLock is the transaction advisory lock that import jobs hold shared
// and a price load holds alone, so that a load waits for the imports that
// priced with the catalog before it, and re-prices what they stored.
const PricesLock = 0x7a11_0003

// errCallChanged is returned when a stored call that the job read changed
// before the job could update it.
var errCallChanged = errors.New("the stored call changed since it was read")

// ImportArgs is the job that reads one import's raw files into events.
type ImportArgs struct {
	ImportID int64 `json:"import_id"`
}

// Kind implements river.JobArgs.
func (ImportArgs) Kind() string { return "import" }

// InsertOpts keeps one job per import.
func (ImportArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 5, Queue: river.QueueDefault}
}

// PricerSource returns the pricer an import job uses, read from the
// database inside the job's transaction.
type PricerSource func(ctx context.Context, q *db.Queries) (Pricer, error)

// ImportWorker runs import jobs.
type ImportWorker struct {
	river.WorkerDefaults[ImportArgs]

	pool   *pgxpool.Pool
	log    *slog.Logger
	prices PricerSource
	zone   *time.Location
	limits importer.Limits
}

// NewImportWorker returns a worker that prices with prices and cuts days in
// the billing zone.
func NewImportWorker(pool *pgxpool.Pool, log *slog.Logger, prices PricerSource,
	zone *time.Location, limits importer.Limits) *ImportWorker {
	return &ImportWorker{pool: pool, log: log, prices: prices, zone: zone, limits: limits}
}

// Timeout allows for large batches.
func (w *ImportWorker) Timeout(*river.Job[ImportArgs]) time.Duration { return time.Hour }

// Work implements river.Worker.
func (w *ImportWorker) Work(ctx context.Context, job *river.Job[ImportArgs]) error {
	q := db.New(w.pool)
	if err := q.StartImport(ctx, job.Args.ImportID); err != nil {
		return fmt.Errorf("mark import running: %w", err)
	}
	err := w.runClear(ctx, job)
	if err == nil {
		return nil
	}
	id, bg := job.Args.ImportID, context.WithoutCancel(ctx)
	if errors.Is(ctx.Err(), context.Canceled) {
		// The workers are stopping: the job runs again, as it was, when they
		// start, without counting as a failed attempt.
		markErr := q.RequeueImport(bg, db.RequeueImportParams{ID: id,
			Error: "the server stopped; the import will run again when it is back"})
		w.log.Info("Import stopped with the workers", "import_id", id, "error", err)
		return errors.Join(river.JobSnooze(0), markErr)
	}
	var markErr error
	if job.Attempt >= job.MaxAttempts {
		markErr = q.FailImport(bg, db.FailImportParams{ID: id, Error: "the import failed"})
	} else {
		markErr = q.RequeueImport(bg, db.RequeueImportParams{ID: id,
			Error: "an attempt failed; the import will be tried again"})
	}
	return errors.Join(err, markErr)
}

// runClear runs the job until it does not collide with another import or
// it has run maxRedos more times. Imports run at once: two that store the
// same call meet on its keys (the second to write one waits for the first
// to end, and fails if it commits) or on its revision, and the one that
// failed runs again on what the other committed.
func (w *ImportWorker) runClear(ctx context.Context, job *river.Job[ImportArgs]) error {
	for redo := 1; ; redo++ {
		err := w.run(ctx, job)
		if redo > maxRedos || !collided(err) {
			return err
		}
		w.log.Info("Import collided with another; running it again",
			"import_id", job.Args.ImportID, "redo", redo, "error", err)
	}
}

// collided reports whether err is an import's collision with another.
func collided(err error) bool {
	err = db.Translate(err)
	return errors.Is(err, errCallChanged) || errors.Is(err, db.ErrConflict) ||
		errors.Is(err, db.ErrDeadlock)
}

func (w *ImportWorker) run(ctx context.Context, job *river.Job[ImportArgs]) error {
	tx, err := w.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))

	if err := db.New(tx).LockShared(ctx, PricesLock); err != nil {
		return fmt.Errorf("lock prices: %w", err)
	}
	// A lookup carries thousands of keys: planning it afresh each time
	// costs more than running it, so plan once. Index probes are priced as
	// the cached pages they are, so that the one plan probes the key
	// indexes rather than scanning tables that grow inside this transaction.
	_, err = tx.Exec(ctx, "SET LOCAL plan_cache_mode = force_generic_plan; "+
		"SET LOCAL random_page_cost = 1.1")
	if err != nil {
		return fmt.Errorf("set planner options: %w", err)
	}
	s, err := w.newSink(ctx, db.New(tx), job.Args.ImportID)
	if err != nil {
		return err
	}
	st, err := w.readFiles(ctx, s)
	if err != nil {
		return err
	}
	if err := refreshDaily(ctx, s.q, s.touched); err != nil {
		return err
	}
	if err := s.q.FinishImport(ctx, finishParams(s.imp.ID, st)); err != nil {
		return fmt.Errorf("finish import: %w", err)
	}
	if _, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job); err != nil {
		return fmt.Errorf("complete job: %w", err)
	}
	return tx.Commit(ctx)
}

func (w *ImportWorker) newSink(ctx context.Context, q *db.Queries, id int64) (*sink, error) {
	imp, err := q.GetImport(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("get import %d: %w", id, db.Translate(err))
	}
	pricer, err := w.prices(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("load prices: %w", err)
	}
	resolver, err := attribution.Load(ctx, q)
	if err != nil {
		return nil, err
	}
	if err := q.ResetImportRejects(ctx, id); err != nil {
		return nil, fmt.Errorf("reset rejects: %w", err)
	}
	return newSink(q, imp, pricer, resolver, w.zone), nil
}

// readFiles parses every file of the raw batch into s, keeping rejects as
// it goes so that memory stays flat. Files are parsed while the ones
// before them are stored, so the database and the parser work at once.
func (w *ImportWorker) readFiles(ctx context.Context, s *sink) (*importer.Stats, error) {
	chunks := newChunkReader(ctx, db.New(w.pool), s.imp.ID)
	defer chunks.Close()
	dec := s2.NewReader(chunks)
	progress := w.reportProgress(ctx, s.imp.ID)
	defer progress.stop()

	opts := importer.Options{Format: s.imp.Format, Host: s.imp.Host,
		OSUser: s.imp.OsUser, Limits: w.limits}
	st := &importer.Stats{}
	pipe := opts.NewPipe(ctx, s, st, func(ctx context.Context, st *importer.Stats) error {
		return flushRejects(ctx, s.q, s.imp.ID, st)
	})
	err := w.readRaw(ctx, newRawReader(dec), &progress.bytes, pipe)
	if closeErr := pipe.Close(); closeErr != nil {
		return nil, closeErr // the storing side's error, which stops the reading
	}
	if err != nil {
		return nil, err
	}
	return st, s.flush(ctx)
}

// readRaw hands each file of the raw batch, or each member of an archive,
// to pipe.
func (w *ImportWorker) readRaw(ctx context.Context, raw *rawReader, read *atomic.Int64,
	pipe *importer.Pipe) error {
	for {
		name, r, err := raw.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		counted := &countingReader{r: r, n: read}
		if err := importer.WalkUpload(ctx, name, counted, w.limits, pipe.ReadFile); err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		}
	}
}

func flushRejects(ctx context.Context, q *db.Queries, importID int64, st *importer.Stats) error {
	if len(st.Rejects) == 0 {
		return nil
	}
	rows := make([]db.InsertImportRejectsParams, len(st.Rejects))
	for i, r := range st.Rejects {
		rows[i] = db.InsertImportRejectsParams{ImportID: importID, File: r.File,
			Line: int32(r.Line), Reason: r.Reason, EndsFile: r.EndsFile}
	}
	st.Rejects = st.Rejects[:0]
	if _, err := q.InsertImportRejects(ctx, rows); err != nil {
		return fmt.Errorf("store rejects: %w", err)
	}
	return nil
}

func finishParams(id int64, st *importer.Stats) db.FinishImportParams {
	return db.FinishImportParams{ID: id, Files: st.Files, Lines: st.Lines,
		Events: st.Events, Duplicates: st.Duplicates, Updated: st.Updated,
		Skipped: st.Skipped, Rejected: st.Rejected}
}

// countingReader counts the raw bytes read, for the progress report.
type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// progress writes the bytes read so far to the import row, outside the
// job's transaction, once a second.
type progress struct {
	bytes atomic.Int64
	done  chan struct{}
}

func (w *ImportWorker) reportProgress(ctx context.Context, id int64) *progress {
	p := &progress{done: make(chan struct{})}
	go func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-p.done:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
				err := db.New(w.pool).SetImportProgress(ctx, db.SetImportProgressParams{
					ID: id, BytesRead: p.bytes.Load()})
				if err != nil {
					w.log.Warn("Import progress not saved", "import_id", id, "error", err)
				}
			}
		}
	}()
	return p
}

func (p *progress) stop() { close(p.done) }
