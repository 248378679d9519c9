// Package auth signs people in with OpenID Connect and keeps their sessions.
//
// Sign-in is the authorization code flow with PKCE (S256), a state and a
// nonce. The state is stored, hashed, in login_states together with the
// nonce, the PKCE verifier and a hash of a random value that the web layer
// keeps in a short-lived cookie, so a callback is accepted once and only in
// the browser that started it. The ID token is verified (signature, issuer,
// audience, expiry, nonce); email, name and groups come from its claims, and
// groups map to roles through the configured role groups.
//
// A session is a random 32-byte token in a cookie; the database keeps only
// its SHA-256, the principal, a CSRF token and an expiry.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/oauth2"

	"github.com/tallyhq/tally/internal/config"
)

// LoginTTL is how long a started sign-in may take to come back.
const LoginTTL = 10 * time.Minute

// DefaultNext is where a sign-in lands when it names no page of its own.
const DefaultNext = "/spend"

// ErrLoginRefused is returned when a sign-in callback cannot be accepted:
// unknown, used, expired or foreign state, a refused code, a bad ID token.
// The wrapped message says why, for the log; people see a generic message.
var ErrLoginRefused = errors.New("sign-in refused")

// ErrNoSession is returned when a session token names no live session.
var ErrNoSession = errors.New("no session")

// Deps are what a Service needs.
type Deps struct {
	Pool   *pgxpool.Pool
	Config *config.Config

	// HTTPClient talks to the provider; a client with a 10s timeout if nil.
	HTTPClient *http.Client
	// Now is the clock; time.Now if nil. Tests move it to expire things.
	Now func() time.Time
}

// Service signs people in and out and looks up their sessions.
type Service struct {
	pool       *pgxpool.Pool
	oidc       config.OIDC
	sessionTTL time.Duration
	http       *http.Client
	now        func() time.Time

	mu     sync.Mutex
	client *client // discovered on first use
}

// client is what discovery yields.
type client struct {
	oauth      oauth2.Config
	verifier   *oidc.IDTokenVerifier
	issuer     string
	endSession string // the provider's end_session_endpoint; "" when it has none
}

// New returns a Service. The provider is discovered on the first sign-in,
// so tally starts while the provider is down.
func New(d Deps) *Service {
	s := &Service{
		pool:       d.Pool,
		oidc:       d.Config.OIDC,
		sessionTTL: d.Config.SessionTTL,
		http:       d.HTTPClient,
		now:        d.Now,
	}
	if s.http == nil {
		s.http = &http.Client{Timeout: 10 * time.Second}
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// provider discovers the OIDC provider once and keeps the result; a failed
// discovery is tried again on the next call.
func (s *Service) provider(ctx context.Context) (*client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.client != nil {
		return s.client, nil
	}

	p, err := oidc.NewProvider(oidc.ClientContext(ctx, s.http), s.oidc.Issuer)
	if err != nil {
		return nil, fmt.Errorf("discover oidc provider %s: %w", s.oidc.Issuer, err)
	}
	var logout struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if err := p.Claims(&logout); err != nil {
		return nil, fmt.Errorf("read oidc provider %s: %w", s.oidc.Issuer, err)
	}
	s.client = &client{
		oauth: oauth2.Config{
			ClientID:     s.oidc.ClientID,
			ClientSecret: s.oidc.ClientSecret,
			Endpoint:     p.Endpoint(),
			RedirectURL:  s.oidc.RedirectURL,
			Scopes:       s.oidc.Scopes,
		},
		verifier:   p.Verifier(&oidc.Config{ClientID: s.oidc.ClientID, Now: s.now}),
		issuer:     s.oidc.Issuer,
		endSession: logout.EndSession,
	}
	return s.client, nil
}

// NewBinding returns a fresh value that binds a sign-in to a browser.
func NewBinding() string {
	return randomToken()
}

// ValidToken reports whether t looks like a value from NewBinding or a
// session token: 32 random bytes, base64url.
func ValidToken(t string) bool {
	b, err := base64.RawURLEncoding.DecodeString(t)
	return err == nil && len(b) == 32
}

// SafeNext returns next when it is a path on this site, else DefaultNext.
func SafeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.ContainsAny(next, "\\\r\n\t") {
		return DefaultNext
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return DefaultNext
	}
	return next
}

func randomToken() string {
	return base64.RawURLEncoding.EncodeToString(randomBytes(32))
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b) // never fails; crashes the program if it would
	return b
}

// sessionID is the database id of session token t: the SHA-256 of its 32
// bytes. t must be ValidToken.
func sessionID(t string) []byte {
	b, _ := base64.RawURLEncoding.DecodeString(t)
	h := sha256.Sum256(b)
	return h[:]
}

func hash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}
