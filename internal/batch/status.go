package batch

import (
	"context"
	"fmt"
	"time"

	"github.com/tallyhq/tally/db"
	"github.com/tallyhq/tally/internal/importer"
)

// maxRejectsShown caps the rejects returned with an import's status.
const maxRejectsShown = 1000

// Status is an import's state and, once done, what it stored.
type Status struct {
	ID         int64      `json:"id"`
	Status     string     `json:"status"` // queued, running, done or failed
	Error      string     `json:"error,omitempty"`
	UploaderID int64      `json:"-"`
	Uploader   string     `json:"uploader"`
	Claimed    bool       `json:"claimed"`
	Host       string     `json:"host,omitempty"`
	OSUser     string     `json:"os_user,omitempty"`
	Format     string     `json:"format,omitempty"` // "" when detected per file
	Bytes      int64      `json:"bytes"`
	BytesRead  int64      `json:"bytes_read"`
	CreatedAt  time.Time  `json:"created_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	*Summary
}

// Get returns import id's status, with its summary once it is done.
func (s *Service) Get(ctx context.Context, id int64) (*Status, error) {
	q := db.New(s.pool)
	imp, err := q.GetImport(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("get import %d: %w", id, db.Translate(err))
	}
	st := &Status{ID: imp.ID, Status: imp.Status, Error: imp.Error,
		UploaderID: imp.UploaderID, Uploader: imp.UploaderEmail, Claimed: imp.Claimed,
		Host: imp.Host, OSUser: imp.OsUser, Format: imp.Format, Bytes: imp.Bytes,
		BytesRead: imp.BytesRead,
		CreatedAt: imp.CreatedAt, FinishedAt: imp.FinishedAt}
	if imp.Status != "done" {
		return st, nil
	}
	st.Summary, err = storedSummary(ctx, q, imp)
	return st, err
}

func storedSummary(ctx context.Context, q *db.Queries, imp db.GetImportRow) (*Summary, error) {
	rows, err := q.SummarizeImportModels(ctx, imp.ID)
	if err != nil {
		return nil, fmt.Errorf("summarize import: %w", err)
	}
	models := make([]ModelSummary, len(rows))
	for i, r := range rows {
		models[i] = ModelSummary{Model: r.Model, Events: r.Events,
			InputTokens: r.InputUncached, CacheReadTokens: r.CacheRead,
			CacheWrite5mTokens: r.CacheWrite5m, CacheWrite1hTokens: r.CacheWrite1h,
			OutputTokens: r.Output, cost: r.Cost, priced: r.Priced}
	}
	rejects, err := q.ListImportRejects(ctx, db.ListImportRejectsParams{
		ImportID: imp.ID, MaxRows: maxRejectsShown})
	if err != nil {
		return nil, fmt.Errorf("list rejects: %w", err)
	}
	st := &importer.Stats{Files: imp.Files, Lines: imp.Lines, Events: imp.Events,
		Duplicates: imp.Duplicates, Updated: imp.Updated, Skipped: imp.Skipped,
		Rejected: imp.Rejected}
	for _, r := range rejects {
		st.Rejects = append(st.Rejects, importer.Reject{File: r.File, Line: int(r.Line),
			Reason: r.Reason, EndsFile: r.EndsFile})
	}
	sum := newSummary(st, models)
	sum.Updated = &imp.Updated
	return sum, nil
}
