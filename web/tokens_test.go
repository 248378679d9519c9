package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/tallyhq/tally/internal/token"
)

func TestTokensPage(t *testing.T) {
	a := newTestApp(t, testRoutes)
	c := a.browser()
	_, page := a.login(c, "eng@example.com")
	csrf := csrfToken(t, page)
	secretPattern := regexp.MustCompile(`^tly_[a-z2-7]{8}_[a-z2-7]{52}$`)

	var secret string
	t.Run("creates_a_token_and_shows_it_once", func(t *testing.T) {
		resp, body := a.post(c, "/tokens", url.Values{
			"csrf_token": {csrf}, "name": {"laptop CLI"}, "scope": {"import"},
		})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("POST /tokens: got %d, want 200", resp.StatusCode)
		}
		secret, _ = testID(body, "token-secret")
		if !secretPattern.MatchString(secret) {
			t.Fatalf("secret: got %q, want tly_<prefix>_<secret>", secret)
		}
		if got := resp.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("Cache-Control: got %q, want no-store", got)
		}

		_, body = a.get(c, "/tokens")
		if strings.Contains(body, secret) || hasTestID(body, "token-secret") {
			t.Error("GET /tokens shows the secret again")
		}
		if got, _ := testID(body, "token-prefix"); got != secret[:12] {
			t.Errorf("listed prefix: got %q, want %q", got, secret[:12])
		}
		if got, _ := testID(body, "token-status"); got != "active" {
			t.Errorf("status: got %q, want active", got)
		}
		var stored int
		a.pool.QueryRow(context.Background(),
			`SELECT count(*) FROM api_tokens WHERE hash = sha256($1::bytea)`, []byte(secret)).Scan(&stored)
		if stored != 1 {
			t.Errorf("tokens stored under the secret's SHA-256: got %d, want 1", stored)
		}
	})

	t.Run("the_token_works_on_the_api", func(t *testing.T) {
		resp, body := a.api(secret, "/api/v1/me")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /api/v1/me: got %d: %s", resp.StatusCode, body)
		}
		var me struct {
			Email string
			Token struct{ Scope string }
		}
		json.Unmarshal([]byte(body), &me)
		if me.Email != "eng@example.com" || me.Token.Scope != "import" {
			t.Errorf("me: got %s with scope %s, want eng@example.com with import", me.Email, me.Token.Scope)
		}
		_, page := a.get(c, "/tokens")
		if got, _ := testID(page, "token-status"); got != "active" {
			t.Errorf("status after use: got %q", got)
		}
		if strings.Contains(page, "<td>Never</td>") {
			t.Error("last used still Never after a use")
		}
	})

	t.Run("keeps_input_and_explains_errors", func(t *testing.T) {
		resp, body := a.post(c, "/tokens", url.Values{
			"csrf_token": {csrf}, "name": {"  "}, "scope": {"import"},
		})
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("blank name: got %d, want 400", resp.StatusCode)
		}
		if !hasTestID(body, "error-summary") || !strings.Contains(body, `href="#name"`) {
			t.Error("no error summary linking to the name field")
		}

		long := strings.Repeat("x", token.MaxNameLen+1)
		_, body = a.post(c, "/tokens", url.Values{"csrf_token": {csrf}, "name": {long}, "scope": {"import"}})
		if !strings.Contains(body, `value="`+long+`"`) {
			t.Error("the name typed is not kept after an error")
		}
	})

	t.Run("refuses_an_admin_token_to_an_engineer", func(t *testing.T) {
		resp, body := a.post(c, "/tokens", url.Values{
			"csrf_token": {csrf}, "name": {"sneaky"}, "scope": {"admin"},
		})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Only administrators") {
			t.Errorf("got %d, want 400 saying only administrators", resp.StatusCode)
		}
		if strings.Contains(body, `value="admin"`) {
			t.Error("the form offers the admin scope to an engineer")
		}
	})

	t.Run("revokes_a_token", func(t *testing.T) {
		_, page := a.get(c, "/tokens")
		action := regexp.MustCompile(`action="(/tokens/\d+/revoke)"`).FindStringSubmatch(page)
		if action == nil {
			t.Fatal("no revoke form")
		}
		resp, _ := a.post(noRedirect(c), action[1], url.Values{"csrf_token": {csrf}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/tokens" {
			t.Fatalf("revoke: got %d to %q, want 303 to /tokens", resp.StatusCode, resp.Header.Get("Location"))
		}
		if resp, _ := a.api(secret, "/api/v1/me"); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("revoked token on the api: got %d, want 401", resp.StatusCode)
		}
		_, page = a.get(c, "/tokens")
		if got, _ := testID(page, "token-status"); got != "revoked" {
			t.Errorf("status: got %q, want revoked", got)
		}
		if n := a.count(`SELECT count(*) FROM audit_log WHERE action = 'token.revoke'`); n != 1 {
			t.Errorf("token.revoke entries: got %d, want 1", n)
		}
	})

	t.Run("hides_other_peoples_tokens", func(t *testing.T) {
		other, _ := a.principals().GetByEmail(context.Background(), "eng2@example.com")
		theirs, err := a.tokens.Create(context.Background(), other.Actor(), other, "theirs", token.ScopeImport)
		if err != nil {
			t.Fatal(err)
		}
		resp, _ := a.post(c, fmt.Sprintf("/tokens/%d/revoke", theirs.Token.ID), url.Values{"csrf_token": {csrf}})
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("revoke someone else's token: got %d, want 404", resp.StatusCode)
		}
		if resp, _ := a.api(theirs.Secret, "/api/v1/me"); resp.StatusCode != http.StatusOK {
			t.Errorf("their token after the attempt: got %d, want 200", resp.StatusCode)
		}
		_, page := a.get(c, "/tokens")
		if strings.Contains(page, "theirs") {
			t.Error("My tokens lists someone else's token")
		}
	})
}

func TestAdminTokensPage(t *testing.T) {
	a := newTestApp(t, testRoutes)
	eng, _ := a.principals().GetByEmail(context.Background(), "eng@example.com")
	created, err := a.tokens.Create(context.Background(), eng.Actor(), eng, "collector", token.ScopeImport)
	if err != nil {
		t.Fatal(err)
	}
	c := a.browser()
	_, page := a.login(c, "admin@example.com")

	t.Run("lists_everyones_tokens", func(t *testing.T) {
		_, body := a.get(c, "/admin/tokens")
		if !strings.Contains(body, "eng@example.com") || !strings.Contains(body, "collector") {
			t.Error("admin list lacks eng's token")
		}
	})

	t.Run("admin_revokes_anyones_token", func(t *testing.T) {
		path := fmt.Sprintf("/admin/tokens/%d/revoke", created.Token.ID)
		resp, _ := a.post(noRedirect(c), path, url.Values{"csrf_token": {csrfToken(t, page)}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/tokens" {
			t.Fatalf("got %d to %q, want 303 to /admin/tokens", resp.StatusCode, resp.Header.Get("Location"))
		}
		if resp, _ := a.api(created.Secret, "/api/v1/me"); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("revoked token: got %d, want 401", resp.StatusCode)
		}
	})

	t.Run("admin_api_needs_admin_scope", func(t *testing.T) {
		adm, _ := a.principals().GetByEmail(context.Background(), "admin@example.com")
		imp, _ := a.tokens.Create(context.Background(), adm.Actor(), adm, "imp", token.ScopeImport)
		admTok, _ := a.tokens.Create(context.Background(), adm.Actor(), adm, "adm", token.ScopeAdmin)
		if resp, _ := a.api(imp.Secret, "/api/v1/test/admin"); resp.StatusCode != http.StatusForbidden {
			t.Errorf("import token on admin api: got %d, want 403", resp.StatusCode)
		}
		if resp, _ := a.api(admTok.Secret, "/api/v1/test/admin"); resp.StatusCode != http.StatusOK {
			t.Errorf("admin token on admin api: got %d, want 200", resp.StatusCode)
		}
		if resp, _ := a.api(admTok.Secret, "/api/v1/me"); resp.StatusCode != http.StatusOK {
			t.Errorf("admin token on an import route: got %d, want 200", resp.StatusCode)
		}
	})
}

func TestAPIAuth(t *testing.T) {
	a := newTestApp(t, testRoutes)
	tests := []struct {
		name   string
		header string
		want   int
	}{
		{"refuses_no_token", "", http.StatusUnauthorized},
		{"refuses_a_malformed_token", "Bearer nope", http.StatusUnauthorized},
		{"refuses_an_unknown_token", "Bearer tly_aaaaaaaa_" + strings.Repeat("a", 52), http.StatusUnauthorized},
		{"refuses_basic_auth", "Basic dXNlcjpwYXNz", http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, a.base+"/api/v1/me", nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			resp, body := a.do(a.browser(), req)
			if resp.StatusCode != tt.want {
				t.Errorf("got %d, want %d", resp.StatusCode, tt.want)
			}
			if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") ||
				!strings.Contains(body, `"error"`) {
				t.Errorf("got %q, want a JSON error", body)
			}
			if resp.Header.Get("WWW-Authenticate") == "" {
				t.Error("no WWW-Authenticate header")
			}
		})
	}

	t.Run("a_session_cookie_does_not_open_the_api", func(t *testing.T) {
		c := a.browser()
		a.login(c, "eng@example.com")
		if resp, _ := a.get(c, "/api/v1/me"); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("got %d, want 401", resp.StatusCode)
		}
	})
}

// api calls path with a bearer token.
func (a *testApp) api(secret, path string) (*http.Response, string) {
	a.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, a.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	return a.do(a.browser(), req)
}
