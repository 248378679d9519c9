package attribution

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tallyhq/tally/db"
	"github.com/tallyhq/tally/internal/audit"
)

// MaxValueLen is the longest value or host a mapping may have.
const MaxValueLen = 500

// MaxUploadRows is the most mappings one CSV upload may hold.
const MaxUploadRows = 10_000

// StoredMapping is an identity mapping as kept, with the emails it names.
type StoredMapping struct {
	ID int64
	Mapping
	PrincipalEmail string
	CreatedBy      string // the admin's email; "" when tally made it
	CreatedAt      time.Time
}

// MappingInput is a mapping as a person writes it, in a form or a CSV
// line: dates as 2006-01-02 (midnight UTC) or RFC 3339, "" for none.
// ValidTo is exclusive: the first moment the mapping no longer applies.
type MappingInput struct {
	Kind           string
	Value          string
	Host           string
	PrincipalEmail string
	ValidFrom      string
	ValidTo        string
}

// Problem is one thing wrong with a mapping: Field names the form field
// (kind, value, host, principal_email, valid_from, valid_to) and Line the
// CSV line, 0 in a form. Message is safe to show.
type Problem struct {
	Line    int
	Field   string
	Message string
}

// InvalidError lists every problem of a mapping or an upload, which then
// changes nothing.
type InvalidError struct{ Problems []Problem }

func (e *InvalidError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Message
		if p.Line > 0 {
			parts[i] = fmt.Sprintf("line %d: %s", p.Line, p.Message)
		}
	}
	return "invalid identity mapping: " + strings.Join(parts, "; ")
}

// Service keeps the identity mappings. A change applies to events imported
// after it: attribution is decided when an event is written.
type Service struct {
	pool *pgxpool.Pool
}

// NewService returns a Service on pool.
func NewService(pool *pgxpool.Pool) *Service {
	return &Service{pool: pool}
}

// ListMappings returns every mapping, by kind, value, host and start.
func (s *Service) ListMappings(ctx context.Context) ([]StoredMapping, error) {
	rows, err := db.New(s.pool).ListIdentityMappings(ctx)
	if err != nil {
		return nil, fmt.Errorf("list identity mappings: %w", err)
	}
	out := make([]StoredMapping, len(rows))
	for i, r := range rows {
		out[i] = StoredMapping{ID: r.ID, PrincipalEmail: r.PrincipalEmail,
			CreatedAt: r.CreatedAt, Mapping: Mapping{Kind: r.Kind, Value: r.Value,
				Host: r.Host, PrincipalID: r.PrincipalID, ValidFrom: r.ValidFrom,
				ValidTo: r.ValidTo}}
		if r.CreatedByEmail != nil {
			out[i].CreatedBy = *r.CreatedByEmail
		}
	}
	return out, nil
}

// CreateMapping checks in and stores it, audited as mapping.create, in one
// transaction. Every problem comes back in one *InvalidError: a bad kind,
// value, host or date, an unknown principal, or a window that overlaps a
// mapping of the same evidence.
func (s *Service) CreateMapping(ctx context.Context, by audit.Actor, in MappingInput) (
	StoredMapping, error) {
	var out StoredMapping
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		c, err := newChecker(ctx, q)
		if err != nil {
			return err
		}
		m, probs := c.check(0, in)
		if len(probs) > 0 {
			return &InvalidError{probs}
		}
		if out, err = insertMapping(ctx, q, by, m); err != nil {
			return err
		}
		out.PrincipalEmail = strings.ToLower(strings.TrimSpace(in.PrincipalEmail))
		return audit.Append(ctx, q, audit.Entry{ActorID: by.ID, Actor: by.Name,
			Action: "mapping.create", Subject: mappingSubject(out.ID),
			Details: mappingDetails(out.Mapping, out.PrincipalEmail)})
	})
	if err != nil {
		return StoredMapping{}, fmt.Errorf("create identity mapping: %w", err)
	}
	return out, nil
}

// DeleteMapping removes mapping id, audited as mapping.delete, in one
// transaction; fault.ErrNotFound when there is none.
func (s *Service) DeleteMapping(ctx context.Context, by audit.Actor, id int64) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		row, err := q.DeleteIdentityMapping(ctx, id)
		if err != nil {
			return db.Translate(err)
		}
		m := Mapping{Kind: row.Kind, Value: row.Value, Host: row.Host,
			PrincipalID: row.PrincipalID, ValidFrom: row.ValidFrom, ValidTo: row.ValidTo}
		details := mappingDetails(m, "")
		details["principal_id"] = row.PrincipalID
		return audit.Append(ctx, q, audit.Entry{ActorID: by.ID, Actor: by.Name,
			Action: "mapping.delete", Subject: mappingSubject(id), Details: details})
	})
	if err != nil {
		return fmt.Errorf("delete identity mapping %d: %w", id, err)
	}
	return nil
}

// uploadHeader is the header of a mappings CSV; the columns may come in any
// order, and host, valid_from and valid_to may be left out.
var uploadHeader = []string{"kind", "value", "host", "principal_email", "valid_from",
	"valid_to"}

// UploadMappings reads a CSV of mappings (see uploadHeader) and stores them
// all, audited as one mapping.upload, in one transaction, and returns how
// many it stored. Any problem on any line stores nothing: they all come back
// in one *InvalidError, with their line numbers. Lines of one upload are
// checked against each other as well as against the stored mappings.
func (s *Service) UploadMappings(ctx context.Context, by audit.Actor, r io.Reader) (int,
	error) {
	inputs, probs, err := readMappingsCSV(r)
	if err != nil {
		return 0, err
	}
	if len(probs) > 0 {
		return 0, &InvalidError{probs}
	}
	var ids []int64
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		mappings, err := checkUpload(ctx, q, inputs)
		if err != nil {
			return err
		}
		for _, m := range mappings {
			st, err := insertMapping(ctx, q, by, m)
			if err != nil {
				return err
			}
			ids = append(ids, st.ID)
		}
		return audit.Append(ctx, q, audit.Entry{ActorID: by.ID, Actor: by.Name,
			Action: "mapping.upload", Subject: "identity_mappings",
			Details: map[string]any{"mappings": len(ids), "ids": ids}})
	})
	if err != nil {
		return 0, fmt.Errorf("upload identity mappings: %w", err)
	}
	return len(ids), nil
}

// lineInput is one CSV line's mapping.
type lineInput struct {
	line int
	in   MappingInput
}

func readMappingsCSV(r io.Reader) ([]lineInput, []Problem, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	head, err := cr.Read()
	if err != nil {
		return nil, []Problem{{1, "file", "The file must start with the header " +
			strings.Join(uploadHeader, ",")}}, nil
	}
	cols, probs := headerColumns(head)
	if len(probs) > 0 {
		return nil, probs, nil
	}
	var out []lineInput
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var perr *csv.ParseError
		if errors.As(err, &perr) {
			probs = append(probs, Problem{perr.Line, "file", "Not valid CSV: " +
				perr.Err.Error()})
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("read mappings: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if len(out) == MaxUploadRows {
			return nil, []Problem{{line, "file", fmt.Sprintf(
				"The file has more than %d mappings; split it", MaxUploadRows)}}, nil
		}
		get := func(name string) string {
			if i, ok := cols[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		out = append(out, lineInput{line, MappingInput{Kind: get("kind"),
			Value: get("value"), Host: get("host"), PrincipalEmail: get("principal_email"),
			ValidFrom: get("valid_from"), ValidTo: get("valid_to")}})
	}
	if len(out) == 0 && len(probs) == 0 {
		probs = append(probs, Problem{2, "file", "The file has no mappings below its header"})
	}
	return out, probs, nil
}

func headerColumns(head []string) (map[string]int, []Problem) {
	cols := map[string]int{}
	var probs []Problem
	for i, h := range head {
		name := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if !slices.Contains(uploadHeader, name) {
			probs = append(probs, Problem{1, "file", fmt.Sprintf(
				"The header has an unknown column %q; the columns are %s", h,
				strings.Join(uploadHeader, ","))})
			continue
		}
		cols[name] = i
	}
	for _, need := range []string{"kind", "value", "principal_email"} {
		if _, ok := cols[need]; !ok && len(probs) == 0 {
			probs = append(probs, Problem{1, "file", "The header has no " + need + " column"})
		}
	}
	return cols, probs
}

// checkUpload checks every line, each against the stored mappings and the
// lines above it.
func checkUpload(ctx context.Context, q *db.Queries, inputs []lineInput) ([]Mapping, error) {
	c, err := newChecker(ctx, q)
	if err != nil {
		return nil, err
	}
	var probs []Problem
	out := make([]Mapping, 0, len(inputs))
	for _, li := range inputs {
		m, p := c.check(li.line, li.in)
		if len(p) > 0 {
			probs = append(probs, p...)
			continue
		}
		c.existing = append(c.existing, existing{m, c.emailOf[m.PrincipalID],
			fmt.Sprintf("line %d", li.line)})
		out = append(out, m)
	}
	if len(probs) > 0 {
		return nil, &InvalidError{probs}
	}
	return out, nil
}

// existing is a mapping a new one must not overlap, and where it is.
type existing struct {
	Mapping
	email string
	where string // "mapping 7" or "line 3"
}

// checker validates mappings against the stored ones and the principals,
// inside the transaction that stores them, with the table locked.
type checker struct {
	ids      map[string]int64 // principal email → id
	emailOf  map[int64]string
	existing []existing
}

func newChecker(ctx context.Context, q *db.Queries) (*checker, error) {
	if err := q.LockIdentityMappings(ctx); err != nil {
		return nil, fmt.Errorf("lock identity mappings: %w", err)
	}
	people, err := q.ListPrincipalEmails(ctx)
	if err != nil {
		return nil, fmt.Errorf("list principals: %w", err)
	}
	c := &checker{ids: map[string]int64{}, emailOf: map[int64]string{}}
	for _, p := range people {
		c.ids[p.Email], c.emailOf[p.ID] = p.ID, p.Email
	}
	rows, err := q.ListIdentityMappings(ctx)
	if err != nil {
		return nil, fmt.Errorf("list identity mappings: %w", err)
	}
	for _, r := range rows {
		c.existing = append(c.existing, existing{Mapping{Kind: r.Kind, Value: r.Value,
			Host: r.Host, PrincipalID: r.PrincipalID, ValidFrom: r.ValidFrom,
			ValidTo: r.ValidTo}, r.PrincipalEmail, fmt.Sprintf("mapping %d", r.ID)})
	}
	return c, nil
}

// check turns in into a mapping, or says everything wrong with it.
func (c *checker) check(line int, in MappingInput) (Mapping, []Problem) {
	var probs []Problem
	bad := func(field, msg string) { probs = append(probs, Problem{line, field, msg}) }

	m := Mapping{Kind: strings.TrimSpace(in.Kind), Value: strings.TrimSpace(in.Value),
		Host: strings.TrimSpace(in.Host)}
	switch {
	case m.Kind == "":
		bad("kind", "Choose the kind of evidence")
	case !slices.Contains(Kinds, m.Kind):
		bad("kind", fmt.Sprintf("Kind %q is not one of %s", m.Kind, strings.Join(Kinds, ", ")))
	}
	switch {
	case m.Value == "":
		bad("value", "Enter the value the evidence carries")
	case len(m.Value) > MaxValueLen:
		bad("value", fmt.Sprintf("The value must be %d characters or fewer", MaxValueLen))
	case m.Kind == "email" && !strings.Contains(m.Value, "@"):
		bad("value", "An email mapping's value must be an email address")
	}
	m.Value = normalise(m.Kind, m.Value)
	switch {
	case m.Host != "" && m.Kind != "os_user":
		bad("host", "A host applies only to OS user mappings; leave it empty")
	case len(m.Host) > MaxValueLen:
		bad("host", fmt.Sprintf("The host must be %d characters or fewer", MaxValueLen))
	}
	probs = append(probs, c.checkPrincipal(line, in.PrincipalEmail, &m)...)
	probs = append(probs, checkWindow(line, in, &m)...)
	if len(probs) == 0 {
		if o, ok := c.overlap(m); ok {
			bad("value", fmt.Sprintf("%s already maps this evidence to %s for part of "+
				"this time; delete it first or choose dates that do not overlap",
				o.where, o.email))
		}
	}
	return m, probs
}

func (c *checker) checkPrincipal(line int, email string, m *Mapping) []Problem {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		return []Problem{{line, "principal_email", "Enter the email of the person it names"}}
	}
	id, ok := c.ids[email]
	if !ok {
		return []Problem{{line, "principal_email", fmt.Sprintf("No one has the email %s: "+
			"upload them in the directory first", email)}}
	}
	m.PrincipalID = id
	return nil
}

func checkWindow(line int, in MappingInput, m *Mapping) []Problem {
	var probs []Problem
	var err error
	if m.ValidFrom, err = parseDate(in.ValidFrom); err != nil {
		probs = append(probs, Problem{line, "valid_from", "Enter the start as a date " +
			"like 2026-03-01, or leave it empty"})
	}
	if m.ValidTo, err = parseDate(in.ValidTo); err != nil {
		probs = append(probs, Problem{line, "valid_to", "Enter the end as a date " +
			"like 2026-04-01, or leave it empty"})
	}
	if m.ValidFrom != nil && m.ValidTo != nil && !m.ValidTo.After(*m.ValidFrom) {
		probs = append(probs, Problem{line, "valid_to", "The end must be after the start"})
	}
	return probs
}

// parseDate reads a date (midnight UTC) or an RFC 3339 time; "" is nil.
func parseDate(s string) (*time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t, err = time.Parse(time.RFC3339, s)
	}
	if err != nil {
		return nil, err
	}
	t = t.UTC()
	return &t, nil
}

// overlap returns a mapping of the same evidence whose window meets m's.
func (c *checker) overlap(m Mapping) (existing, bool) {
	for _, e := range c.existing {
		if e.Kind != m.Kind || e.Host != m.Host || normalise(e.Kind, e.Value) != m.Value {
			continue
		}
		if before(m.ValidFrom, e.ValidTo) && before(e.ValidFrom, m.ValidTo) {
			return e, true
		}
	}
	return existing{}, false
}

// before reports whether start a lies before end b; nil a is the earliest
// time, nil b the latest.
func before(a, b *time.Time) bool {
	return a == nil || b == nil || a.Before(*b)
}

func insertMapping(ctx context.Context, q *db.Queries, by audit.Actor, m Mapping) (
	StoredMapping, error) {
	var createdBy *int64
	if by.ID != 0 {
		createdBy = &by.ID
	}
	row, err := q.CreateIdentityMapping(ctx, db.CreateIdentityMappingParams{Kind: m.Kind,
		Value: m.Value, Host: m.Host, PrincipalID: m.PrincipalID, ValidFrom: m.ValidFrom,
		ValidTo: m.ValidTo, CreatedBy: createdBy})
	if err != nil {
		return StoredMapping{}, fmt.Errorf("store mapping %s %s: %w", m.Kind, m.Value,
			db.Translate(err))
	}
	return StoredMapping{ID: row.ID, Mapping: m, CreatedBy: by.Name,
		CreatedAt: row.CreatedAt}, nil
}

func mappingSubject(id int64) string {
	return fmt.Sprintf("identity_mapping:%d", id)
}

func mappingDetails(m Mapping, email string) map[string]any {
	d := map[string]any{"kind": m.Kind, "value": m.Value, "host": m.Host,
		"valid_from": m.ValidFrom, "valid_to": m.ValidTo}
	if email != "" {
		d["principal"] = email
	}
	return d
}

// AsInvalid returns the *InvalidError in err's chain, if there is one.
func AsInvalid(err error) (*InvalidError, bool) {
	var v *InvalidError
	ok := errors.As(err, &v)
	return v, ok
}
