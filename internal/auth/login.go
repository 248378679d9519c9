package auth

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/jackc/pgx/v5"
	"golang.org/x/oauth2"

	"github.com/tallyhq/tally/db"
	"github.com/tallyhq/tally/internal/audit"
	"github.com/tallyhq/tally/internal/principal"
)

// BeginLogin starts a sign-in for the browser that holds binding (a value
// from NewBinding, kept in a cookie) and returns the provider URL to send it
// to. next is where the sign-in lands; anything but a local path becomes
// DefaultNext.
func (s *Service) BeginLogin(ctx context.Context, binding, next string) (string, error) {
	c, err := s.provider(ctx)
	if err != nil {
		return "", err
	}

	q := db.New(s.pool)
	now := s.now()
	if _, err := q.DeleteExpiredLoginStates(ctx, now); err != nil {
		return "", fmt.Errorf("delete expired login states: %w", err)
	}

	state, nonce, verifier := randomToken(), randomToken(), oauth2.GenerateVerifier()
	err = q.CreateLoginState(ctx, db.CreateLoginStateParams{
		StateHash:    hash(state),
		BindingHash:  hash(binding),
		Nonce:        nonce,
		CodeVerifier: verifier,
		Next:         SafeNext(next),
		CreatedAt:    now,
		ExpiresAt:    now.Add(LoginTTL),
	})
	if err != nil {
		return "", fmt.Errorf("create login state: %w", db.Translate(err))
	}
	return c.oauth.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), nil
}

// Callback is what came back from the provider, and the browser's binding
// and current session token (if any, it is ended: a sign-in always starts a
// new session).
type Callback struct {
	Binding  string
	State    string
	Code     string
	Previous string
}

// Login is a finished sign-in.
type Login struct {
	Session   Session
	Token     string // the new session's token, for the cookie
	Next      string
	Principal principal.Principal
}

// FinishLogin checks a callback against its stored state, exchanges the code,
// verifies the ID token, creates or updates the principal, starts a session
// and audits auth.sign_in. Problems with the callback return an error that
// wraps ErrLoginRefused.
func (s *Service) FinishLogin(ctx context.Context, cb Callback) (Login, error) {
	c, err := s.provider(ctx)
	if err != nil {
		return Login{}, err
	}
	if cb.State == "" || cb.Code == "" || cb.Binding == "" {
		return Login{}, fmt.Errorf("%w: state, code or browser binding missing", ErrLoginRefused)
	}

	// Taking the state deletes it: a second callback with it finds nothing.
	ls, err := db.New(s.pool).DeleteLoginState(ctx, db.DeleteLoginStateParams{
		StateHash:   hash(cb.State),
		BindingHash: hash(cb.Binding),
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return Login{}, fmt.Errorf("%w: state unknown, used, or from another browser",
			ErrLoginRefused)
	}
	if err != nil {
		return Login{}, fmt.Errorf("take login state: %w", db.Translate(err))
	}
	if !s.now().Before(ls.ExpiresAt) {
		return Login{}, fmt.Errorf("%w: sign-in started too long ago", ErrLoginRefused)
	}

	id, err := s.exchange(ctx, c, cb.Code, ls)
	if err != nil {
		return Login{}, err
	}
	return s.signIn(ctx, c.issuer, id, ls.Next, cb.Previous)
}

// identity is what an ID token says about the person.
type identity struct {
	Subject string
	Email   string
	Name    string
	Groups  []string
}

func (s *Service) exchange(ctx context.Context, c *client, code string,
	ls db.LoginState) (identity, error) {
	ctx = oidc.ClientContext(ctx, s.http)
	tok, err := c.oauth.Exchange(ctx, code, oauth2.VerifierOption(ls.CodeVerifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			return identity{}, fmt.Errorf("%w: code exchange: %w", ErrLoginRefused, err)
		}
		return identity{}, fmt.Errorf("exchange code: %w", err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return identity{}, fmt.Errorf("%w: no id_token in token response", ErrLoginRefused)
	}

	idt, err := c.verifier.Verify(ctx, raw)
	if err != nil {
		return identity{}, fmt.Errorf("%w: verify id token: %w", ErrLoginRefused, err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(ls.Nonce)) != 1 {
		return identity{}, fmt.Errorf("%w: id token nonce does not match", ErrLoginRefused)
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return identity{}, fmt.Errorf("%w: access token hash: %w", ErrLoginRefused, err)
		}
	}
	return s.identity(idt)
}

func (s *Service) identity(idt *oidc.IDToken) (identity, error) {
	var claims map[string]json.RawMessage
	if err := idt.Claims(&claims); err != nil {
		return identity{}, fmt.Errorf("%w: id token claims: %w", ErrLoginRefused, err)
	}
	id := identity{
		Subject: idt.Subject,
		Email:   strings.ToLower(strings.TrimSpace(claimString(claims["email"]))),
		Name:    strings.TrimSpace(claimString(claims["name"])),
		Groups:  claimStrings(claims[s.oidc.GroupsClaim]),
	}
	if id.Name == "" {
		id.Name = strings.TrimSpace(claimString(claims["preferred_username"]))
	}
	if id.Email == "" || !strings.Contains(id.Email, "@") {
		return identity{}, fmt.Errorf("%w: id token has no email", ErrLoginRefused)
	}
	if v, ok := claimBool(claims["email_verified"]); ok && !v {
		return identity{}, fmt.Errorf("%w: email %s is not verified", ErrLoginRefused, id.Email)
	}
	if id.Subject == "" {
		return identity{}, fmt.Errorf("%w: id token has no subject", ErrLoginRefused)
	}
	return id, nil
}

// signIn records the principal and starts its session, in one transaction.
func (s *Service) signIn(ctx context.Context, issuer string, id identity,
	next, previous string) (Login, error) {
	now := s.now()
	roles := RolesFor(id.Groups, s.oidc.RoleGroups)
	token, csrf := randomToken(), randomToken()
	expires := now.Add(s.sessionTTL)

	var p db.Principal
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		var err error
		p, err = upsertLogin(ctx, q, issuer, id, roles, now)
		if err != nil {
			return err
		}
		if _, err := q.DeleteExpiredSessions(ctx, now); err != nil {
			return fmt.Errorf("delete expired sessions: %w", err)
		}
		if ValidToken(previous) {
			if err := q.DeleteSession(ctx, sessionID(previous)); err != nil {
				return fmt.Errorf("delete previous session: %w", err)
			}
		}
		err = q.CreateSession(ctx, db.CreateSessionParams{
			ID:          sessionID(token),
			PrincipalID: p.ID,
			CsrfToken:   csrf,
			Now:         now,
			ExpiresAt:   expires,
		})
		if err != nil {
			return fmt.Errorf("create session: %w", db.Translate(err))
		}
		return audit.Append(ctx, q, audit.Entry{
			ActorID: p.ID,
			Actor:   p.Email,
			Action:  "auth.sign_in",
			Subject: principal.Subject(p.ID),
			Details: map[string]any{
				"issuer":  issuer,
				"subject": id.Subject,
				"roles":   roles,
			},
		})
	})
	if err != nil {
		return Login{}, fmt.Errorf("sign in %s: %w", id.Email, err)
	}

	sess, err := s.Session(ctx, token)
	if err != nil {
		return Login{}, fmt.Errorf("load new session: %w", err)
	}
	return Login{Session: sess, Token: token, Next: next, Principal: sess.Principal}, nil
}

// upsertLogin updates the principal that the provider's subject names, or
// else the one with the email, or else creates one.
func upsertLogin(ctx context.Context, q *db.Queries, issuer string, id identity,
	roles []string, now time.Time) (db.Principal, error) {
	p, err := q.UpdatePrincipalLoginBySubject(ctx, db.UpdatePrincipalLoginBySubjectParams{
		Email:       id.Email,
		Name:        id.Name,
		Roles:       roles,
		Now:         now,
		OidcIssuer:  issuer,
		OidcSubject: id.Subject,
	})
	if err == nil {
		return p, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return p, fmt.Errorf("update principal by subject: %w", db.Translate(err))
	}
	p, err = q.UpsertPrincipalLogin(ctx, db.UpsertPrincipalLoginParams{
		Email:       id.Email,
		Name:        id.Name,
		OidcIssuer:  issuer,
		OidcSubject: id.Subject,
		Roles:       roles,
		Now:         now,
	})
	if err != nil {
		return p, fmt.Errorf("upsert principal %s: %w", id.Email, db.Translate(err))
	}
	return p, nil
}

// RolesFor returns the roles that groups grant under roleGroups (role →
// groups), sorted.
func RolesFor(groups []string, roleGroups map[string][]string) []string {
	roles := []string{}
	for role, gs := range roleGroups {
		if slices.ContainsFunc(gs, func(g string) bool { return slices.Contains(groups, g) }) {
			roles = append(roles, role)
		}
	}
	slices.Sort(roles)
	return roles
}

func claimString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// claimStrings reads a claim that is a list of strings or one string.
func claimStrings(raw json.RawMessage) []string {
	var list []any
	if json.Unmarshal(raw, &list) != nil {
		if s := claimString(raw); s != "" {
			return []string{s}
		}
		return nil
	}
	var out []string
	for _, v := range list {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// claimBool reads a boolean claim, which some providers send as a string.
func claimBool(raw json.RawMessage) (value, ok bool) {
	if len(raw) == 0 {
		return false, false
	}
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return b, true
	}
	switch claimString(raw) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}
