// Package directory keeps the people that can own spend in step with the
// organisation's directory: an admin uploads a CSV of email, name,
// manager's email and cost center, so that people who never signed in can
// still own spend.
package directory

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tallyhq/tally/db"
	"github.com/tallyhq/tally/internal/audit"
)

// Entry is one person of the directory.
type Entry struct {
	Email        string
	Name         string
	ManagerEmail string
	CostCenter   string
	Line         int // the line of the upload it came from
}

// LineError is a problem with one line of an uploaded directory.
type LineError struct {
	Line   int
	Reason string
}

func (e LineError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Reason) }

// InvalidError lists every problem of an upload, which then changes nothing.
type InvalidError struct{ Lines []LineError }

func (e *InvalidError) Error() string {
	parts := make([]string, len(e.Lines))
	for i, l := range e.Lines {
		parts[i] = l.Error()
	}
	return "the directory has errors: " + strings.Join(parts, "; ")
}

var header = []string{"email", "name", "manager_email", "cost_center"}

// Parse reads a directory CSV whose header names the columns email, name,
// manager_email and cost_center (in any order; only email is required).
// Every bad line is reported in one *InvalidError.
func Parse(r io.Reader) ([]Entry, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	head, err := cr.Read()
	if err != nil {
		return nil, &InvalidError{[]LineError{{1, "want a header row: " +
			strings.Join(header, ",")}}}
	}
	cols, err := columns(head)
	if err != nil {
		return nil, &InvalidError{[]LineError{{1, err.Error()}}}
	}
	return readEntries(cr, cols)
}

func columns(head []string) (map[string]int, error) {
	cols := map[string]int{}
	for i, h := range head {
		cols[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	if _, ok := cols["email"]; !ok {
		return nil, errors.New("the header has no email column")
	}
	return cols, nil
}

func readEntries(cr *csv.Reader, cols map[string]int) ([]Entry, error) {
	var entries []Entry
	var bad []LineError
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var perr *csv.ParseError
		if errors.As(err, &perr) {
			bad = append(bad, LineError{perr.Line, "not valid CSV: " + perr.Err.Error()})
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read directory: %w", err)
		}
		line, _ := cr.FieldPos(0)
		e := Entry{Email: field(rec, cols, "email"), Name: field(rec, cols, "name"),
			ManagerEmail: field(rec, cols, "manager_email"),
			CostCenter:   field(rec, cols, "cost_center")}
		e.Line = line
		if reason := e.check(seen); reason != "" {
			bad = append(bad, LineError{line, reason})
			continue
		}
		seen[e.Email] = line
		entries = append(entries, e)
	}
	if len(bad) > 0 {
		return nil, &InvalidError{bad}
	}
	return entries, nil
}

func field(rec []string, cols map[string]int, name string) string {
	i, ok := cols[name]
	if !ok || i >= len(rec) {
		return ""
	}
	return strings.TrimSpace(rec[i])
}

func (e *Entry) check(seen map[string]int) string {
	e.Email = strings.ToLower(e.Email)
	e.ManagerEmail = strings.ToLower(e.ManagerEmail)
	if !validEmail(e.Email) {
		return fmt.Sprintf("%q is not an email address", e.Email)
	}
	if e.ManagerEmail != "" && !validEmail(e.ManagerEmail) {
		return fmt.Sprintf("manager %q is not an email address", e.ManagerEmail)
	}
	if e.ManagerEmail == e.Email {
		return "a person cannot be their own manager"
	}
	if first, dup := seen[e.Email]; dup {
		return fmt.Sprintf("%s is listed already on line %d", e.Email, first)
	}
	return ""
}

func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s
}

// Apply creates or updates every entry and links managers, and audits the
// upload, in one transaction; a manager must be in the upload or known
// already, and no chain of managers may loop.
func Apply(ctx context.Context, pool *pgxpool.Pool, by audit.Actor, entries []Entry) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		if err := checkManagers(ctx, q, entries); err != nil {
			return err
		}
		err := audit.Append(ctx, q, audit.Entry{ActorID: by.ID, Actor: by.Name,
			Action: "directory.upload", Subject: "directory",
			Details: map[string]any{"people": len(entries)}})
		if err != nil {
			return err
		}
		for _, e := range entries {
			_, err := q.UpsertDirectoryEntry(ctx, db.UpsertDirectoryEntryParams{
				Email: e.Email, Name: e.Name, CostCenter: e.CostCenter})
			if err != nil {
				return fmt.Errorf("save %s: %w", e.Email, err)
			}
		}
		for _, e := range entries {
			err := q.SetManagerByEmail(ctx, db.SetManagerByEmailParams{
				Email: e.Email, ManagerEmail: e.ManagerEmail})
			if err != nil {
				return fmt.Errorf("link %s to %s: %w", e.Email, e.ManagerEmail, err)
			}
		}
		return nil
	})
}

func checkManagers(ctx context.Context, q *db.Queries, entries []Entry) error {
	links, err := q.ListManagerLinks(ctx)
	if err != nil {
		return fmt.Errorf("list managers: %w", err)
	}
	manager := map[string]string{}
	for _, l := range links {
		manager[l.Email] = l.ManagerEmail
	}
	listed := map[string]bool{}
	for _, e := range entries {
		listed[e.Email] = true
		manager[e.Email] = e.ManagerEmail
	}
	var bad []LineError
	for _, e := range entries {
		if reason := checkManager(ctx, q, e, listed, manager); reason != "" {
			bad = append(bad, LineError{e.Line, reason})
		}
	}
	if len(bad) > 0 {
		return &InvalidError{bad}
	}
	return nil
}

func checkManager(ctx context.Context, q *db.Queries, e Entry, listed map[string]bool,
	manager map[string]string) string {
	if e.ManagerEmail == "" {
		return ""
	}
	if !listed[e.ManagerEmail] {
		if _, err := q.GetPrincipalIDByEmail(ctx, e.ManagerEmail); err != nil {
			return fmt.Sprintf("manager %s is neither in the upload nor known", e.ManagerEmail)
		}
	}
	seen := map[string]bool{e.Email: true}
	for m := e.ManagerEmail; m != ""; m = manager[m] {
		if seen[m] {
			return fmt.Sprintf("the managers of %s form a loop", e.Email)
		}
		seen[m] = true
	}
	return ""
}
