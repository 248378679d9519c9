package web

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tallyhq/tally/internal/auth"
)

func TestLogin(t *testing.T) {
	t.Run("signs_in_through_the_dev_provider", func(t *testing.T) {
		a := newTestApp(t)
		c := a.browser()

		cb := a.chooseUntilCallback(c, "eng@example.com")
		resp, body := a.get(noRedirect(c), cb.String())
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("callback: got %d, want 303: %s", resp.StatusCode, body)
		}
		if got := resp.Header.Get("Location"); got != "/spend" {
			t.Errorf("callback redirect: got %q, want /spend", got)
		}
		checkSessionCookie(t, resp)

		resp, body = a.get(c, "/spend")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /spend: got %d, want 200", resp.StatusCode)
		}
		if got, _ := testID(body, "viewer-name"); got != "Erin Park" {
			t.Errorf("viewer name: got %q, want %q", got, "Erin Park")
		}
		if got, _ := testID(body, "spend-name"); got != "Erin Park" {
			t.Errorf("spend page name: got %q, want %q", got, "Erin Park")
		}

		var issuer, subject string
		var roles []string
		var lastLogin *time.Time
		err := a.pool.QueryRow(context.Background(), `SELECT oidc_issuer, oidc_subject, roles,
			last_login_at FROM principals WHERE email = 'eng@example.com'`).
			Scan(&issuer, &subject, &roles, &lastLogin)
		if err != nil {
			t.Fatal(err)
		}
		if issuer != a.dev.Issuer() || subject != "demo-eng" {
			t.Errorf("oidc identity: got %s %s, want %s demo-eng", issuer, subject, a.dev.Issuer())
		}
		if len(roles) != 0 {
			t.Errorf("roles: got %v, want none", roles)
		}
		if lastLogin == nil {
			t.Error("last_login_at: got NULL, want the sign-in time")
		}

		sum := sha256.Sum256(mustDecode(t, a.sessionToken(c)))
		if n := a.count(`SELECT count(*) FROM sessions WHERE id = $1`, sum[:]); n != 1 {
			t.Errorf("sessions with the cookie's hash: got %d, want 1", n)
		}
		if n := a.count(`SELECT count(*) FROM audit_log WHERE action = 'auth.sign_in'
			AND actor = 'eng@example.com' AND actor_id IS NOT NULL`); n != 1 {
			t.Errorf("auth.sign_in entries: got %d, want 1", n)
		}
	})

	t.Run("returns_to_the_page_asked_for", func(t *testing.T) {
		a := newTestApp(t)
		c := a.browser()
		cb := a.chooseUntilCallbackWith(c, "/tokens?x=1", "eng@example.com", nil)

		resp, _ := a.get(c, cb.String())
		if got := resp.Request.URL.RequestURI(); got != "/tokens?x=1" {
			t.Errorf("landed on %s, want /tokens?x=1", got)
		}
	})

	t.Run("refuses_an_offsite_next", func(t *testing.T) {
		for _, next := range []string{"//evil.example/x", "https://evil.example/", `/\evil.example`} {
			if got := auth.SafeNext(next); got != auth.DefaultNext {
				t.Errorf("SafeNext(%q): got %q, want %q", next, got, auth.DefaultNext)
			}
		}
	})

	t.Run("maps_groups_to_roles", func(t *testing.T) {
		a := newTestApp(t)
		tests := []struct {
			email string
			roles []string
			nav   []string
			noNav []string
		}{
			{"eng@example.com", nil, []string{"spend", "imports", "tokens"},
				[]string{"usage", "unattributed", "admin"}},
			{"finance@example.com", []string{"finance"}, []string{"usage"},
				[]string{"unattributed", "admin"}},
			{"security@example.com", []string{"investigator"},
				[]string{"usage", "unattributed"}, []string{"admin"}},
			{"admin@example.com", []string{"admin"},
				[]string{"usage", "unattributed", "admin"}, nil},
		}
		for _, tt := range tests {
			_, body := a.login(a.browser(), tt.email)
			for _, key := range tt.nav {
				if !hasTestID(body, "nav-"+key) {
					t.Errorf("%s: top bar lacks section %s", tt.email, key)
				}
			}
			for _, key := range tt.noNav {
				if hasTestID(body, "nav-"+key) {
					t.Errorf("%s: top bar shows section %s", tt.email, key)
				}
			}
			var roles []string
			a.pool.QueryRow(context.Background(),
				`SELECT roles FROM principals WHERE email = $1`, tt.email).Scan(&roles)
			if !slices.Equal(roles, tt.roles) && !(len(roles) == 0 && len(tt.roles) == 0) {
				t.Errorf("%s roles: got %v, want %v", tt.email, roles, tt.roles)
			}
		}
	})

	t.Run("creates_an_unknown_person", func(t *testing.T) {
		a := newTestApp(t)
		a.pool.Exec(context.Background(), `DELETE FROM principals WHERE email = 'finance@example.com'`)
		_, body := a.login(a.browser(), "finance@example.com")
		if got, _ := testID(body, "viewer-name"); got != "Fran Ng" {
			t.Errorf("viewer name: got %q, want Fran Ng", got)
		}
		if n := a.count(`SELECT count(*) FROM principals WHERE email = 'finance@example.com'
			AND name = 'Fran Ng' AND roles = '{finance}' AND oidc_subject = 'demo-finance'`); n != 1 {
			t.Errorf("created principals: got %d, want 1", n)
		}
	})

	t.Run("takes_roles_from_the_provider_at_each_sign_in", func(t *testing.T) {
		a := newTestApp(t)
		a.pool.Exec(context.Background(), `UPDATE principals SET roles = '{admin}' WHERE email = 'eng@example.com'`)
		_, body := a.login(a.browser(), "eng@example.com")
		if hasTestID(body, "nav-admin") {
			t.Error("a role the provider no longer grants survived sign-in")
		}
		if n := a.count(`SELECT count(*) FROM principals WHERE email = 'eng@example.com'
			AND roles = '{}'`); n != 1 {
			t.Error("stored roles not replaced by the provider's")
		}
	})

	t.Run("knows_managers_by_their_reports", func(t *testing.T) {
		a := newTestApp(t)
		for email, want := range map[string]bool{
			"manager@example.com": true,
			"eng@example.com":     false,
		} {
			c := a.browser()
			a.login(c, email)
			sess, err := a.auth.Session(context.Background(), a.sessionToken(c))
			if err != nil {
				t.Fatalf("%s: session: %v", email, err)
			}
			if got := sess.Principal.IsManager(); got != want {
				t.Errorf("%s IsManager: got %v, want %v", email, got, want)
			}
		}
	})

	t.Run("refuses_replayed_state", func(t *testing.T) {
		a := newTestApp(t)
		c := a.browser()
		cb := a.chooseUntilCallback(c, "eng@example.com")
		if resp, _ := a.get(noRedirect(c), cb.String()); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("first callback: got %d, want 303", resp.StatusCode)
		}

		resp, body := a.get(noRedirect(c), cb.String())
		checkLoginRefused(t, a, resp, body, "state unknown, used")
	})

	t.Run("refuses_tampered_state", func(t *testing.T) {
		a := newTestApp(t)
		c := a.browser()
		cb := a.chooseUntilCallback(c, "eng@example.com")
		q := cb.Query()
		q.Set("state", q.Get("state")+"x")
		cb.RawQuery = q.Encode()

		resp, body := a.get(noRedirect(c), cb.String())
		checkLoginRefused(t, a, resp, body, "state unknown, used")
	})

	t.Run("refuses_a_callback_in_another_browser", func(t *testing.T) {
		a := newTestApp(t)
		cb := a.chooseUntilCallback(a.browser(), "eng@example.com")

		// The other browser has a sign-in of its own going, so a binding
		// cookie, just not the one this state was started with.
		other := a.browser()
		if resp, _ := a.get(noRedirect(other), "/auth/login"); resp.StatusCode != http.StatusFound {
			t.Fatalf("GET /auth/login: got %d, want 302", resp.StatusCode)
		}
		resp, body := a.get(noRedirect(other), cb.String())
		checkLoginRefused(t, a, resp, body, "from another browser")

		resp, body = a.get(noRedirect(a.browser()), cb.String())
		checkLoginRefused(t, a, resp, body, "browser binding missing")
	})

	t.Run("refuses_a_wrong_nonce", func(t *testing.T) {
		a := newTestApp(t)
		c := a.browser()
		cb := a.chooseUntilCallbackWith(c, "/spend", "eng@example.com", func(f url.Values) {
			f.Set("nonce", "not-the-nonce")
		})

		resp, body := a.get(noRedirect(c), cb.String())
		checkLoginRefused(t, a, resp, body, "nonce does not match")
	})

	t.Run("refuses_an_expired_id_token", func(t *testing.T) {
		a := newTestApp(t)
		a.dev.SetClockSkew(-time.Hour)
		c := a.browser()
		cb := a.chooseUntilCallback(c, "eng@example.com")

		resp, body := a.get(noRedirect(c), cb.String())
		checkLoginRefused(t, a, resp, body, "token is expired")
	})

	t.Run("refuses_a_sign_in_that_took_too_long", func(t *testing.T) {
		a := newTestApp(t)
		c := a.browser()
		cb := a.chooseUntilCallback(c, "eng@example.com")
		a.clock.Advance(auth.LoginTTL + time.Second)

		resp, body := a.get(noRedirect(c), cb.String())
		checkLoginRefused(t, a, resp, body, "too long ago")
	})

	t.Run("refuses_a_code_without_its_pkce_verifier", func(t *testing.T) {
		a := newTestApp(t)
		c := a.browser()
		cb := a.chooseUntilCallbackWith(c, "/spend", "eng@example.com", func(f url.Values) {
			f.Set("code_challenge", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
		})

		resp, body := a.get(noRedirect(c), cb.String())
		checkLoginRefused(t, a, resp, body, "code exchange")
	})
}

func TestSession(t *testing.T) {
	t.Run("refuses_an_expired_session", func(t *testing.T) {
		a := newTestApp(t)
		c := a.browser()
		a.login(c, "eng@example.com")
		a.clock.Advance(a.cfg.SessionTTL + time.Minute)

		resp, _ := a.get(noRedirect(c), "/spend")
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("GET /spend: got %d, want 303", resp.StatusCode)
		}
		if got, want := resp.Header.Get("Location"), "/auth/login?next=%2Fspend"; got != want {
			t.Errorf("redirect: got %q, want %q", got, want)
		}
		if n := a.count(`SELECT count(*) FROM sessions`); n != 0 {
			t.Errorf("sessions left: got %d, want 0 (the expired one deleted)", n)
		}
		if a.sessionToken(c) != "" {
			t.Error("session cookie still set, want it cleared")
		}
	})

	t.Run("sign_out_ends_the_session_and_is_audited", func(t *testing.T) {
		a := newTestApp(t)
		c := a.browser()
		_, body := a.login(c, "eng@example.com")
		old := a.sessionToken(c)

		resp, _ := a.post(noRedirect(c), "/auth/logout", url.Values{"csrf_token": {csrfToken(t, body)}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/signed-out" {
			t.Fatalf("POST /auth/logout: got %d to %q, want 303 to /signed-out",
				resp.StatusCode, resp.Header.Get("Location"))
		}
		if n := a.count(`SELECT count(*) FROM sessions`); n != 0 {
			t.Errorf("sessions after sign-out: got %d, want 0", n)
		}
		if n := a.count(`SELECT count(*) FROM audit_log WHERE action = 'auth.sign_out'
			AND actor = 'eng@example.com'`); n != 1 {
			t.Errorf("auth.sign_out entries: got %d, want 1", n)
		}
		if _, err := a.auth.Session(context.Background(), old); err != auth.ErrNoSession {
			t.Errorf("old token after sign-out: got %v, want ErrNoSession", err)
		}

		resp, body = a.get(c, "/signed-out")
		if !hasTestID(body, "signed-out-heading") {
			t.Errorf("GET /signed-out: got %d without the signed-out page", resp.StatusCode)
		}
		resp, _ = a.get(noRedirect(c), "/spend")
		if resp.StatusCode != http.StatusSeeOther {
			t.Errorf("GET /spend after sign-out: got %d, want 303 to sign in", resp.StatusCode)
		}
	})

	t.Run("a_new_sign_in_replaces_the_session", func(t *testing.T) {
		a := newTestApp(t)
		c := a.browser()
		a.login(c, "eng@example.com")
		first := a.sessionToken(c)
		a.login(withoutSession(c), "eng@example.com")

		if a.sessionToken(c) == first {
			t.Error("session token unchanged by a second sign-in")
		}
		if n := a.count(`SELECT count(*) FROM sessions`); n != 1 {
			t.Errorf("sessions: got %d, want 1", n)
		}
	})
}

// withoutSession is c with its session cookie hidden from every request but
// the callback, so that a signed-in browser starts a sign-in again (instead
// of /auth/login sending it straight on) and the callback sees the old
// session.
func withoutSession(c *http.Client) *http.Client {
	return &http.Client{Jar: &keepSessionJar{CookieJar: c.Jar}, Timeout: c.Timeout}
}

// keepSessionJar hides the session cookie as withoutSession says, and
// stores cookies in the jar it wraps.
type keepSessionJar struct {
	http.CookieJar
}

func (j *keepSessionJar) Cookies(u *url.URL) []*http.Cookie {
	var out []*http.Cookie
	for _, c := range j.CookieJar.Cookies(u) {
		if c.Name != sessionCookie || u.Path == "/auth/callback" {
			out = append(out, c)
		}
	}
	return out
}

func checkSessionCookie(t *testing.T, resp *http.Response) {
	t.Helper()
	for _, h := range resp.Header.Values("Set-Cookie") {
		if !strings.HasPrefix(h, sessionCookie+"=") {
			continue
		}
		for _, attr := range []string{"Path=/", "Secure", "HttpOnly", "SameSite=Lax", "Max-Age="} {
			if !strings.Contains(h, attr) {
				t.Errorf("session cookie %q lacks %s", h, attr)
			}
		}
		if strings.Contains(strings.ToLower(h), "domain=") {
			t.Errorf("session cookie %q has a Domain", h)
		}
		value := strings.TrimPrefix(strings.SplitN(h, ";", 2)[0], sessionCookie+"=")
		if n := len(mustDecode(t, value)); n != 32 {
			t.Errorf("session token: got %d bytes, want 32", n)
		}
		return
	}
	t.Error("no session cookie set")
}

func checkLoginRefused(t *testing.T, a *testApp, resp *http.Response, body, reason string) {
	t.Helper()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("callback: got %d, want 400", resp.StatusCode)
	}
	if !hasTestID(body, "error-sign-in") {
		t.Error("refusal page has no link to sign in again")
	}
	for _, h := range resp.Header.Values("Set-Cookie") {
		if strings.HasPrefix(h, sessionCookie+"=") && !strings.Contains(h, "Max-Age=0") {
			t.Errorf("refused callback set a session cookie: %s", h)
		}
	}
	found := false
	for _, rec := range a.logs.lines("Sign-in refused") {
		if s, _ := rec["error"].(string); strings.Contains(s, reason) {
			found = true
		}
	}
	if !found {
		t.Errorf("no \"Sign-in refused\" log line with %q; logs:\n%s", reason, a.logs.String())
	}
	if strings.Contains(body, reason) {
		t.Errorf("refusal page shows the internal reason %q", reason)
	}
}

func mustDecode(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}
	return b
}
