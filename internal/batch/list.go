package batch

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tallyhq/tally/db"
)

// Listed is one import as a list shows it. Cost is what its stored events
// cost now, without the Unpriced ones.
type Listed struct {
	ID         int64
	UploaderID int64
	Uploader   string // the uploader's email
	Claimed    bool
	Host       string
	OSUser     string
	Format     string
	Status     string // queued, running, done or failed
	Bytes      int64
	Files      int64
	Events     int64
	Duplicates int64
	Rejected   int64
	Unpriced   int64
	Cost       decimal.Decimal
	CreatedAt  time.Time
}

// List returns the latest imports, newest first, at most limit of them;
// only those uploaderID sent, unless it is 0.
func (s *Service) List(ctx context.Context, uploaderID int64, limit int) ([]Listed, error) {
	var uploader *int64
	if uploaderID != 0 {
		uploader = &uploaderID
	}
	rows, err := db.New(s.pool).ListImports(ctx, db.ListImportsParams{
		UploaderID: uploader, MaxRows: int32(min(limit, 10_000))})
	if err != nil {
		return nil, fmt.Errorf("list imports: %w", err)
	}
	out := make([]Listed, len(rows))
	for i, r := range rows {
		out[i] = Listed{ID: r.ID, UploaderID: r.UploaderID, Uploader: r.UploaderEmail,
			Claimed: r.Claimed, Host: r.Host, OSUser: r.OsUser, Format: r.Format,
			Status: r.Status, Bytes: r.Bytes, Files: r.Files, Events: r.Events,
			Duplicates: r.Duplicates, Rejected: r.Rejected, Unpriced: r.Unpriced,
			Cost: r.Cost, CreatedAt: r.CreatedAt}
	}
	return out, nil
}

// File is one file of an upload, as it was received.
type File struct {
	Name  string
	Bytes int64
}

// Files returns the first limit files of import id, in the order they came.
func (s *Service) Files(ctx context.Context, id int64, limit int) ([]File, error) {
	rows, err := db.New(s.pool).ListImportFiles(ctx, db.ListImportFilesParams{
		ImportID: id, MaxRows: int32(min(limit, 10_000))})
	if err != nil {
		return nil, fmt.Errorf("list files of import %d: %w", id, err)
	}
	out := make([]File, len(rows))
	for i, r := range rows {
		out[i] = File{Name: r.Name, Bytes: r.Bytes}
	}
	return out, nil
}
