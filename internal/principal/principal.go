// Package principal holds the person or service that owns spend, as the rest
// of tally sees it: who they are, which roles they hold, and whether they
// manage anyone.
package principal

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tallyhq/tally/db"
	"github.com/tallyhq/tally/internal/audit"
	"github.com/tallyhq/tally/internal/config"
)

// RoleManager is the role of anyone with reports. It is computed from the
// directory on every request and never stored with the principal.
const RoleManager = "manager"

// Kinds of principal.
const (
	KindPerson  = "person"
	KindService = "service"
)

// Principal is a person or service, with the roles it holds now.
type Principal struct {
	ID         int64
	Kind       string
	Email      string
	Name       string
	CostCenter string
	ManagerID  int64    // 0 when there is none
	Roles      []string // stored roles: finance, investigator, admin
	HasReports bool     // someone's manager_id points here
}

// FromRow builds a Principal from its row and whether it has reports.
func FromRow(row db.Principal, hasReports bool) Principal {
	p := Principal{
		ID:         row.ID,
		Kind:       row.Kind,
		Email:      row.Email,
		Name:       row.Name,
		CostCenter: row.CostCenter,
		Roles:      slices.Clone(row.Roles),
		HasReports: hasReports,
	}
	if row.ManagerID != nil {
		p.ManagerID = *row.ManagerID
	}
	return p
}

// DisplayName returns the name, or the email when the name is not known.
func (p Principal) DisplayName() string {
	if p.Name != "" {
		return p.Name
	}
	return p.Email
}

// Has reports whether p holds role; RoleManager means p has reports.
func (p Principal) Has(role string) bool {
	if role == RoleManager {
		return p.HasReports
	}
	return slices.Contains(p.Roles, role)
}

// HasAny reports whether p holds at least one of roles.
func (p Principal) HasAny(roles ...string) bool {
	return slices.ContainsFunc(roles, p.Has)
}

// IsAdmin reports whether p administers tally.
func (p Principal) IsAdmin() bool { return p.Has(config.RoleAdmin) }

// IsFinance reports whether p works in finance.
func (p Principal) IsFinance() bool { return p.Has(config.RoleFinance) }

// IsInvestigator reports whether p investigates unattributed spend.
func (p Principal) IsInvestigator() bool { return p.Has(config.RoleInvestigator) }

// IsManager reports whether anyone reports to p.
func (p Principal) IsManager() bool { return p.HasReports }

// Actor returns p as the actor of an audit entry.
func (p Principal) Actor() audit.Actor {
	return audit.Actor{ID: p.ID, Name: p.Email}
}

// Service reads principals. The directory import writes them, and sign-in
// (internal/auth) records roles and the OIDC identity.
type Service struct {
	pool *pgxpool.Pool
}

// NewService returns a Service on pool.
func NewService(pool *pgxpool.Pool) *Service {
	return &Service{pool: pool}
}

// GetByEmail returns the principal with email (any case).
func (s *Service) GetByEmail(ctx context.Context, email string) (Principal, error) {
	row, err := db.New(s.pool).GetPrincipalByEmail(ctx, email)
	if err != nil {
		return Principal{}, fmt.Errorf("get principal %s: %w", email, db.Translate(err))
	}
	return FromRow(row.Principal, row.HasReports), nil
}

// GetByID returns the principal with id.
func (s *Service) GetByID(ctx context.Context, id int64) (Principal, error) {
	row, err := db.New(s.pool).GetPrincipalByID(ctx, id)
	if err != nil {
		return Principal{}, fmt.Errorf("get principal %d: %w", id, db.Translate(err))
	}
	return FromRow(row.Principal, row.HasReports), nil
}

// Subject names principal id as the subject of an audit entry.
func Subject(id int64) string {
	return fmt.Sprintf("principal:%d", id)
}
