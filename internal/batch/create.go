package batch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/klauspost/compress/s2"
	"github.com/riverqueue/river"

	"github.com/tallyhq/tally/db"
	"github.com/tallyhq/tally/internal/audit"
)

// ErrTooLarge is returned when an upload passes the configured size limit;
// nothing of it is stored.
var ErrTooLarge = errors.New("upload too large")

// ErrTruncated is returned when an upload's body ends before its last part
// does, as a connection cut midway leaves it; nothing of it is stored.
var ErrTruncated = errors.New("upload cut short")

// ErrEmpty is returned for an upload without files.
var ErrEmpty = errors.New("no files in the upload")

// Upload describes one batch of raw usage and who sent it.
type Upload struct {
	Uploader audit.Actor // the principal who sent it
	Claimed  bool        // the uploader says the usage is their own
	Host     string      // where the files came from, as evidence
	OSUser   string
	Format   string // "" to detect per file
}

// Files yields an upload's files one at a time; each reader is valid only
// during the call.
type Files func(yield func(name string, r io.Reader) error) error

// Service creates imports and reads them back.
type Service struct {
	pool     *pgxpool.Pool
	river    *river.Client[pgx.Tx]
	maxBytes int64
	encoders sync.Pool // *s2.Writer, reused across uploads
}

// NewService returns a service that queues import jobs on client and refuses
// uploads past maxBytes of raw data.
func NewService(pool *pgxpool.Pool, client *river.Client[pgx.Tx], maxBytes int64) *Service {
	return &Service{pool: pool, river: client, maxBytes: maxBytes}
}

// encoder returns a compressor for a raw batch. S2 keeps up with uploads
// at several hundred MB/s, where zstd would be the bottleneck; two blocks
// compress at once. Blocks of 2 MB reach the copies that session logs
// repeat far apart: an eighth smaller, and faster, than S2's 1 MB default.
func (s *Service) encoder() *s2.Writer {
	if enc, ok := s.encoders.Get().(*s2.Writer); ok {
		return enc
	}
	return s2.NewWriter(nil, s2.WriterConcurrency(2), s2.WriterBlockSize(2<<20))
}

// Create stores the upload's raw files, queues its import job and audits
// it, in one transaction, and returns the import's id.
func (s *Service) Create(ctx context.Context, u Upload, files Files) (int64, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	q := db.New(tx)

	imp, err := q.CreateImport(ctx, db.CreateImportParams{UploaderID: u.Uploader.ID,
		Claimed: u.Claimed, Host: u.Host, OsUser: u.OSUser, Format: u.Format})
	if err != nil {
		return 0, fmt.Errorf("create import: %w", err)
	}
	total, count, err := s.storeFiles(ctx, q, imp.ID, files)
	if err != nil {
		return 0, err
	}
	if count == 0 {
		return 0, ErrEmpty
	}
	err = q.SetImportSize(ctx, db.SetImportSizeParams{ID: imp.ID, Bytes: total, Files: count})
	if err != nil {
		return 0, fmt.Errorf("set import size: %w", err)
	}
	if _, err := s.river.InsertTx(ctx, tx, ImportArgs{ImportID: imp.ID}, nil); err != nil {
		return 0, fmt.Errorf("queue import job: %w", err)
	}
	err = audit.Append(ctx, q, audit.Entry{ActorID: u.Uploader.ID, Actor: u.Uploader.Name,
		Action: "import.create", Subject: fmt.Sprintf("import:%d", imp.ID),
		Details: map[string]any{"files": count, "bytes": total, "claimed": u.Claimed,
			"host": u.Host, "os_user": u.OSUser, "format": u.Format}})
	if err != nil {
		return 0, err
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("commit: %w", err)
	}
	return imp.ID, nil
}

// storeFiles writes the upload's files into the import's raw batch and
// lists them, returning their total size and number.
func (s *Service) storeFiles(ctx context.Context, q *db.Queries, importID int64,
	files Files) (total, count int64, err error) {
	enc := s.encoder()
	defer s.encoders.Put(enc)
	raw := newRawWriter(enc, &chunkWriter{ctx: ctx, q: q, importID: importID})
	var listed []db.CreateImportFilesParams
	err = files(func(name string, r io.Reader) error {
		n, err := raw.file(name, r, s.maxBytes-total)
		total += n
		if errors.Is(err, ErrTooLarge) {
			return fmt.Errorf("%w: the limit is %d bytes", ErrTooLarge, s.maxBytes)
		}
		if errors.Is(err, ErrTruncated) {
			return fmt.Errorf("%s: %w", name, ErrTruncated)
		}
		if err != nil {
			return fmt.Errorf("store %s: %w", name, err)
		}
		listed = append(listed, db.CreateImportFilesParams{ImportID: importID,
			Seq: int32(count), Name: name, Bytes: n})
		count++
		return nil
	})
	if err != nil {
		return total, count, err
	}
	if err := raw.close(); err != nil {
		return total, count, err
	}
	if _, err := q.CreateImportFiles(ctx, listed); err != nil {
		return total, count, fmt.Errorf("list files: %w", err)
	}
	return total, count, nil
}
