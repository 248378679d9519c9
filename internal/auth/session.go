package auth

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tallyhq/tally/db"
	"github.com/tallyhq/tally/internal/audit"
	"github.com/tallyhq/tally/internal/principal"
)

// touchEvery is how stale last_seen_at may get before a request updates it.
const touchEvery = time.Minute

// Session is a signed-in browser.
type Session struct {
	Principal principal.Principal
	CSRFToken string
	ExpiresAt time.Time
}

// Session returns the live session that token names, with its principal as
// it is now (roles, reports). An unknown or expired token returns
// ErrNoSession; an expired session is deleted.
func (s *Service) Session(ctx context.Context, token string) (Session, error) {
	if !ValidToken(token) {
		return Session{}, ErrNoSession
	}
	q := db.New(s.pool)
	id := sessionID(token)
	row, err := q.GetSession(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return Session{}, ErrNoSession
	}
	if err != nil {
		return Session{}, fmt.Errorf("get session: %w", db.Translate(err))
	}

	now := s.now()
	if !now.Before(row.ExpiresAt) {
		if err := q.DeleteSession(ctx, id); err != nil {
			return Session{}, fmt.Errorf("delete expired session: %w", err)
		}
		return Session{}, ErrNoSession
	}
	if now.Sub(row.LastSeenAt) >= touchEvery {
		if err := q.TouchSession(ctx, db.TouchSessionParams{ID: id, Now: now}); err != nil {
			return Session{}, fmt.Errorf("touch session: %w", err)
		}
	}
	return Session{
		Principal: principal.FromRow(row.Principal, row.HasReports),
		CSRFToken: row.CsrfToken,
		ExpiresAt: row.ExpiresAt,
	}, nil
}

// Logout ends the session that token names and audits auth.sign_out. A
// token that names no session is not an error.
func (s *Service) Logout(ctx context.Context, token string) error {
	if !ValidToken(token) {
		return nil
	}
	sess, err := s.Session(ctx, token)
	if errors.Is(err, ErrNoSession) {
		return nil
	}
	if err != nil {
		return err
	}

	p := sess.Principal
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		if err := q.DeleteSession(ctx, sessionID(token)); err != nil {
			return fmt.Errorf("delete session: %w", err)
		}
		return audit.Append(ctx, q, audit.Entry{
			ActorID: p.ID,
			Actor:   p.Email,
			Action:  "auth.sign_out",
			Subject: principal.Subject(p.ID),
		})
	})
}

// logoutDiscovery bounds the wait for a provider not discovered yet when
// someone signs out.
const logoutDiscovery = 3 * time.Second

// ProviderLogoutURL returns where to send a browser that signed out of
// tally so that it signs out of the provider too, and comes back to
// returnTo: the provider's end_session_endpoint (OpenID Connect
// RP-Initiated Logout), or "" when the provider has none or cannot be
// reached, in which case signing out ends tally's session alone.
func (s *Service) ProviderLogoutURL(ctx context.Context, returnTo string) string {
	ctx, cancel := context.WithTimeout(ctx, logoutDiscovery)
	defer cancel()
	c, err := s.provider(ctx)
	if err != nil || c.endSession == "" {
		return ""
	}
	u, err := url.Parse(c.endSession)
	if err != nil {
		return ""
	}
	q := u.Query()
	q.Set("client_id", c.oauth.ClientID)
	q.Set("post_logout_redirect_uri", returnTo)
	u.RawQuery = q.Encode()
	return u.String()
}

// DeleteExpired deletes expired sessions and sign-ins and returns how many.
// Sign-in already does this; a periodic job may call it too.
func (s *Service) DeleteExpired(ctx context.Context) (int64, error) {
	q := db.New(s.pool)
	now := s.now()
	n, err := q.DeleteExpiredSessions(ctx, now)
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	m, err := q.DeleteExpiredLoginStates(ctx, now)
	if err != nil {
		return n, fmt.Errorf("delete expired login states: %w", err)
	}
	return n + m, nil
}
