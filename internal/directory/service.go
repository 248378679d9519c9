package directory

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tallyhq/tally/db"
	"github.com/tallyhq/tally/internal/audit"
)

// Service lists the people tally knows and applies directory uploads.
type Service struct {
	pool *pgxpool.Pool
}

// NewService returns a Service on pool.
func NewService(pool *pgxpool.Pool) *Service {
	return &Service{pool: pool}
}

// Person is one principal as the directory page lists it.
type Person struct {
	ID           int64
	Kind         string
	Email        string
	Name         string
	CostCenter   string
	ManagerEmail string // "" when there is none
	Roles        []string
	LastLoginAt  *time.Time // nil when they never signed in
}

// List returns the people whose email, name or cost center holds search
// (any case; "" for all), by email, at most limit of them, and how many
// match in all.
func (s *Service) List(ctx context.Context, search string, limit int) ([]Person, int, error) {
	rows, err := db.New(s.pool).ListPeople(ctx, db.ListPeopleParams{Search: search,
		MaxRows: int32(min(max(limit, 1), 10_000))})
	if err != nil {
		return nil, 0, fmt.Errorf("list people: %w", err)
	}
	out := make([]Person, len(rows))
	total := 0
	for i, r := range rows {
		out[i] = Person{ID: r.ID, Kind: r.Kind, Email: r.Email, Name: r.Name,
			CostCenter: r.CostCenter, Roles: r.Roles, LastLoginAt: r.LastLoginAt}
		if r.ManagerEmail != nil {
			out[i].ManagerEmail = *r.ManagerEmail
		}
		total = int(r.Total)
	}
	return out, total, nil
}

// Upload parses a directory CSV (see Parse) and applies it (see Apply), and
// returns how many people it listed. Any problem changes nothing and comes
// back as an *InvalidError.
func (s *Service) Upload(ctx context.Context, by audit.Actor, r io.Reader) (int, error) {
	entries, err := Parse(r)
	if err != nil {
		return 0, err
	}
	if len(entries) == 0 {
		return 0, &InvalidError{[]LineError{{2, "the file lists nobody below its header"}}}
	}
	if err := Apply(ctx, s.pool, by, entries); err != nil {
		return 0, err
	}
	return len(entries), nil
}
