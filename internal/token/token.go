// Package token issues and checks personal API tokens, the credentials of
// the CLI, collectors and gateways.
//
// A token reads tly_<prefix>_<secret>. Only its SHA-256 is stored, with the
// prefix (shown in lists, so people can tell tokens apart), a name, a scope
// and an expiry. Verification hashes the presented token and looks the hash
// up, so no secret is ever compared byte by byte.
package token

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tallyhq/tally/db"
	"github.com/tallyhq/tally/internal/audit"
	"github.com/tallyhq/tally/internal/fault"
	"github.com/tallyhq/tally/internal/principal"
)

// Scopes a token can have. An admin token may do what an import token may.
const (
	ScopeImport = "import"
	ScopeAdmin  = "admin"
)

// MaxNameLen is the longest name a token can have, in characters.
const MaxNameLen = 100

// touchEvery is how stale last_used_at may get before a use updates it.
const touchEvery = time.Minute

// ErrInvalid is returned by Verify for a token that is malformed, unknown,
// revoked or expired.
var ErrInvalid = errors.New("invalid api token")

// encoding is lower-case base32 without padding: no '_' to confuse the
// separators, nothing to escape in a header or a shell.
var encoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Token is a stored token, without its secret.
type Token struct {
	ID          int64
	PrincipalID int64
	Name        string
	Prefix      string
	Scope       string
	CreatedAt   time.Time
	ExpiresAt   time.Time
	LastUsedAt  time.Time // zero when never used
	RevokedAt   time.Time // zero when not revoked

	OwnerEmail string // filled by ListAll
	OwnerName  string // filled by ListAll
}

// Status returns "revoked", "expired" or "active" at now.
func (t Token) Status(now time.Time) string {
	switch {
	case !t.RevokedAt.IsZero():
		return "revoked"
	case !now.Before(t.ExpiresAt):
		return "expired"
	}
	return "active"
}

// Allows reports whether t may be used for scope.
func (t Token) Allows(scope string) bool {
	return t.Scope == scope || t.Scope == ScopeAdmin
}

// Deps are what a Service needs.
type Deps struct {
	Pool *pgxpool.Pool
	TTL  time.Duration    // how long a new token lasts: Config.TokenTTL
	Now  func() time.Time // time.Now if nil
}

// Service creates, lists, verifies and revokes tokens.
type Service struct {
	pool *pgxpool.Pool
	ttl  time.Duration
	now  func() time.Time
}

// New returns a Service.
func New(d Deps) *Service {
	s := &Service{pool: d.Pool, ttl: d.TTL, now: d.Now}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Created is a new token with its secret, which is shown once and never
// stored.
type Created struct {
	Token  Token
	Secret string
}

// Create issues a token for owner, made by actor (owner itself, an admin, or
// audit.System("cli")), and audits token.create. Only an admin can own an
// admin token. Bad input returns a *fault.Invalid.
func (s *Service) Create(ctx context.Context, by audit.Actor, owner principal.Principal,
	name, scope string) (Created, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return Created{}, fault.Invalidf("name", "Enter a name for the token")
	case utf8.RuneCountInString(name) > MaxNameLen:
		return Created{}, fault.Invalidf("name",
			fmt.Sprintf("Name must be %d characters or fewer", MaxNameLen))
	}
	switch scope {
	case ScopeImport:
	case ScopeAdmin:
		if !owner.IsAdmin() {
			return Created{}, fault.Invalidf("scope", "Only administrators can have admin tokens")
		}
	default:
		return Created{}, fault.Invalidf("scope", "Choose import or admin")
	}

	prefix := encoding.EncodeToString(random(5))
	secret := "tly_" + prefix + "_" + encoding.EncodeToString(random(32))
	now := s.now()
	var createdBy *int64
	if by.ID != 0 {
		createdBy = &by.ID
	}

	var row db.ApiToken
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		var err error
		row, err = q.CreateAPIToken(ctx, db.CreateAPITokenParams{
			PrincipalID: owner.ID,
			Name:        name,
			Prefix:      prefix,
			Hash:        hash(secret),
			Scope:       scope,
			CreatedBy:   createdBy,
			CreatedAt:   now,
			ExpiresAt:   now.Add(s.ttl),
		})
		if err != nil {
			return fmt.Errorf("create api token: %w", db.Translate(err))
		}
		return audit.Append(ctx, q, audit.Entry{
			ActorID: by.ID,
			Actor:   by.Name,
			Action:  "token.create",
			Subject: Subject(row.ID),
			Details: map[string]any{
				"owner":      owner.Email,
				"name":       name,
				"prefix":     prefix,
				"scope":      scope,
				"expires_at": row.ExpiresAt,
			},
		})
	})
	if err != nil {
		return Created{}, err
	}
	return Created{Token: fromRow(row), Secret: secret}, nil
}

// CreateForEmail issues a token for the principal with email, as the CLI
// does (tally tokens create --principal EMAIL --scope SCOPE).
func (s *Service) CreateForEmail(ctx context.Context, email, name, scope string) (Created, error) {
	row, err := db.New(s.pool).GetPrincipalByEmail(ctx, email)
	if errors.Is(db.Translate(err), db.ErrNotFound) {
		return Created{}, fmt.Errorf("no principal has the email %s (they sign in once, "+
			"or an admin uploads them in the directory): %w", email, db.ErrNotFound)
	}
	if err != nil {
		return Created{}, fmt.Errorf("get principal %s: %w", email, err)
	}
	owner := principal.FromRow(row.Principal, row.HasReports)
	return s.Create(ctx, audit.System("cli"), owner, name, scope)
}

// Verified is a token that Verify accepted, and its owner as it is now.
type Verified struct {
	Token     Token
	Principal principal.Principal
}

// Verify returns the token that secret is and its owner, or ErrInvalid when
// it is malformed, unknown, revoked or expired. It records the use, at most
// once a minute per token.
func (s *Service) Verify(ctx context.Context, secret string) (Verified, error) {
	if !wellFormed(secret) {
		return Verified{}, ErrInvalid
	}
	q := db.New(s.pool)
	row, err := q.GetAPITokenByHash(ctx, hash(secret))
	if errors.Is(err, pgx.ErrNoRows) {
		return Verified{}, ErrInvalid
	}
	if err != nil {
		return Verified{}, fmt.Errorf("get api token: %w", db.Translate(err))
	}

	t := fromRow(row.ApiToken)
	now := s.now()
	if t.Status(now) != "active" {
		return Verified{}, fmt.Errorf("%w: %s", ErrInvalid, t.Status(now))
	}
	if t.LastUsedAt.IsZero() || now.Sub(t.LastUsedAt) >= touchEvery {
		if err := q.TouchAPIToken(ctx, db.TouchAPITokenParams{ID: t.ID, Now: now}); err != nil {
			return Verified{}, fmt.Errorf("touch api token: %w", err)
		}
		t.LastUsedAt = now
	}
	return Verified{Token: t, Principal: principal.FromRow(row.Principal, row.HasReports)}, nil
}

// List returns owner's tokens, newest first.
func (s *Service) List(ctx context.Context, ownerID int64) ([]Token, error) {
	rows, err := db.New(s.pool).ListAPITokensByPrincipal(ctx, ownerID)
	if err != nil {
		return nil, fmt.Errorf("list api tokens of %d: %w", ownerID, db.Translate(err))
	}
	out := make([]Token, len(rows))
	for i, r := range rows {
		out[i] = fromRow(r)
	}
	return out, nil
}

// ListAll returns everyone's tokens, newest first, at most 1000, with their
// owners. Only an admin may list them.
func (s *Service) ListAll(ctx context.Context, viewer principal.Principal) ([]Token, error) {
	if !viewer.IsAdmin() {
		return nil, fault.ErrForbidden
	}
	rows, err := db.New(s.pool).ListAPITokens(ctx, 1000)
	if err != nil {
		return nil, fmt.Errorf("list api tokens: %w", db.Translate(err))
	}
	out := make([]Token, len(rows))
	for i, r := range rows {
		out[i] = fromRow(r.ApiToken)
		out[i].OwnerEmail, out[i].OwnerName = r.OwnerEmail, r.OwnerName
	}
	return out, nil
}

// Revoke revokes token id for viewer, who must own it or be an admin (to
// anyone else it does not exist), and audits token.revoke. Revoking a
// revoked token changes nothing.
func (s *Service) Revoke(ctx context.Context, viewer principal.Principal, id int64) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		row, err := q.GetAPIToken(ctx, id)
		if err != nil {
			return fmt.Errorf("get api token %d: %w", id, db.Translate(err))
		}
		if row.PrincipalID != viewer.ID && !viewer.IsAdmin() {
			return fmt.Errorf("revoke api token %d: %w", id, fault.ErrNotFound)
		}

		n, err := q.RevokeAPIToken(ctx, db.RevokeAPITokenParams{ID: id, Now: s.now()})
		if err != nil {
			return fmt.Errorf("revoke api token %d: %w", id, db.Translate(err))
		}
		if n == 0 {
			return nil
		}
		return audit.Append(ctx, q, audit.Entry{
			ActorID: viewer.ID,
			Actor:   viewer.Email,
			Action:  "token.revoke",
			Subject: Subject(id),
			Details: map[string]any{"prefix": row.Prefix, "name": row.Name},
		})
	})
}

// Subject names token id as the subject of an audit entry.
func Subject(id int64) string {
	return fmt.Sprintf("api_token:%d", id)
}

func fromRow(r db.ApiToken) Token {
	t := Token{
		ID:          r.ID,
		PrincipalID: r.PrincipalID,
		Name:        r.Name,
		Prefix:      r.Prefix,
		Scope:       r.Scope,
		CreatedAt:   r.CreatedAt,
		ExpiresAt:   r.ExpiresAt,
	}
	if r.LastUsedAt != nil {
		t.LastUsedAt = *r.LastUsedAt
	}
	if r.RevokedAt != nil {
		t.RevokedAt = *r.RevokedAt
	}
	return t
}

// wellFormed reports whether s reads tly_<8 chars>_<52 chars> in the
// token alphabet.
func wellFormed(s string) bool {
	rest, ok := strings.CutPrefix(s, "tly_")
	if !ok {
		return false
	}
	prefix, secret, ok := strings.Cut(rest, "_")
	if !ok || len(prefix) != 8 || len(secret) != 52 {
		return false
	}
	_, err1 := encoding.DecodeString(prefix)
	_, err2 := encoding.DecodeString(secret)
	return err1 == nil && err2 == nil
}

func random(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func hash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}
