package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tallyhq/tally/db"
	"github.com/tallyhq/tally/internal/config"
	"github.com/tallyhq/tally/internal/fault"
	"github.com/tallyhq/tally/internal/token"
	"github.com/tallyhq/tally/static"
)

// testRoutes are routes a test registers the way the lead's pages will.
func testRoutes(s *Server) {
	s.handle("GET /test/finance", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("finance page"))
	}, config.RoleFinance)
	s.handle("GET /test/panic", func(w http.ResponseWriter, r *http.Request) {
		panic("secret panic detail")
	})
	s.handle("GET /test/error/{kind}", func(w http.ResponseWriter, r *http.Request) {
		errs := map[string]error{
			"fault-not-found": fmt.Errorf("get thing: %w", fault.ErrNotFound),
			"db-not-found":    fmt.Errorf("get thing: %w", db.ErrNotFound),
			"forbidden":       fmt.Errorf("do thing: %w", fault.ErrForbidden),
			"invalid":         fmt.Errorf("parse: %w", fault.Invalidf("when", "Enter a date like 2026-01-31")),
			"internal":        errors.New("dial tcp 10.1.2.3:5432: secret internal detail"),
		}
		s.renderError(w, r, errs[r.PathValue("kind")])
	})
	s.handle("POST /test/form", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("accepted " + r.PostFormValue("x")))
	})
	s.handleAPI("POST /api/v1/test/echo", func(w http.ResponseWriter, r *http.Request) {
		p, _ := principalFrom(r.Context())
		w.Write([]byte("hello " + p.Email))
	}, token.ScopeImport)
	s.handleAPI("GET /api/v1/test/admin", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("admin api"))
	}, token.ScopeAdmin, config.RoleAdmin)
}

func TestCSRF(t *testing.T) {
	a := newTestApp(t, testRoutes)
	c := a.browser()
	_, page := a.login(c, "eng@example.com")
	csrf := csrfToken(t, page)

	t.Run("accepts_a_form_with_its_token", func(t *testing.T) {
		resp, body := a.post(c, "/test/form", url.Values{"csrf_token": {csrf}, "x": {"1"}})
		if resp.StatusCode != http.StatusOK || body != "accepted 1" {
			t.Errorf("got %d %q, want 200 \"accepted 1\"", resp.StatusCode, body)
		}
	})

	t.Run("accepts_the_token_in_a_header", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, a.base+"/test/form", nil)
		req.Header.Set(csrfHeader, csrf)
		if resp, _ := a.do(c, req); resp.StatusCode != http.StatusOK {
			t.Errorf("got %d, want 200", resp.StatusCode)
		}
	})

	t.Run("refuses_a_form_without_token", func(t *testing.T) {
		resp, body := a.post(c, "/test/form", url.Values{"x": {"1"}})
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("got %d, want 403", resp.StatusCode)
		}
		if strings.Contains(body, "accepted 1") {
			t.Error("handler ran without a CSRF token")
		}
	})

	t.Run("refuses_a_wrong_token", func(t *testing.T) {
		resp, _ := a.post(c, "/test/form", url.Values{"csrf_token": {csrf + "x"}})
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("got %d, want 403", resp.StatusCode)
		}
	})

	t.Run("refuses_sign_out_without_token", func(t *testing.T) {
		resp, _ := a.post(noRedirect(c), "/auth/logout", url.Values{})
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("got %d, want 403", resp.StatusCode)
		}
		if n := a.count(`SELECT count(*) FROM sessions`); n != 1 {
			t.Errorf("sessions: got %d, want 1 (still signed in)", n)
		}
	})

	t.Run("refuses_a_cross_site_post_even_with_its_token", func(t *testing.T) {
		for name, headers := range map[string]map[string]string{
			"sec_fetch_site": {"Sec-Fetch-Site": "cross-site"},
			"origin":         {"Origin": "http://evil.example"},
		} {
			req, _ := http.NewRequest(http.MethodPost, a.base+"/test/form",
				strings.NewReader(url.Values{"csrf_token": {csrf}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range headers {
				req.Header.Set(k, v)
			}
			if resp, _ := a.do(c, req); resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s: got %d, want 403", name, resp.StatusCode)
			}
		}
	})

	t.Run("exempts_bearer_api_requests", func(t *testing.T) {
		me, _ := a.principals().GetByEmail(context.Background(), "eng@example.com")
		created, err := a.tokens.Create(context.Background(), me.Actor(), me, "ci", token.ScopeImport)
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest(http.MethodPost, a.base+"/api/v1/test/echo", nil)
		req.Header.Set("Authorization", "Bearer "+created.Secret)
		req.Header.Set("Origin", "http://elsewhere.example")
		resp, body := a.do(a.browser(), req)
		if resp.StatusCode != http.StatusOK || body != "hello eng@example.com" {
			t.Errorf("got %d %q, want 200 \"hello eng@example.com\"", resp.StatusCode, body)
		}
	})
}

func TestRoles(t *testing.T) {
	a := newTestApp(t, testRoutes)
	eng, fin, adm := a.browser(), a.browser(), a.browser()
	a.login(eng, "eng@example.com")
	a.login(fin, "finance@example.com")
	a.login(adm, "admin@example.com")

	tests := []struct {
		name   string
		client *http.Client
		path   string
		want   int
	}{
		{"engineer_gets_403_on_an_admin_route", eng, "/admin/tokens", http.StatusForbidden},
		{"admin_reaches_the_admin_route", adm, "/admin/tokens", http.StatusOK},
		{"engineer_gets_403_on_a_finance_route", eng, "/test/finance", http.StatusForbidden},
		{"finance_reaches_the_finance_route", fin, "/test/finance", http.StatusOK},
		{"admin_gets_403_on_a_finance_route", adm, "/test/finance", http.StatusForbidden},
		{"anyone_signed_in_reaches_tokens", fin, "/tokens", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := a.get(tt.client, tt.path)
			if resp.StatusCode != tt.want {
				t.Errorf("GET %s: got %d, want %d", tt.path, resp.StatusCode, tt.want)
			}
			if tt.want == http.StatusForbidden {
				if got, _ := testID(body, "error-status"); got != "403" {
					t.Errorf("403 page: error-status got %q, want 403", got)
				}
			}
		})
	}

	t.Run("sends_a_signed_out_browser_to_sign_in", func(t *testing.T) {
		resp, _ := a.get(noRedirect(a.browser()), "/admin/tokens?page=2")
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("got %d, want 303", resp.StatusCode)
		}
		if got, want := resp.Header.Get("Location"), "/auth/login?next=%2Fadmin%2Ftokens%3Fpage%3D2"; got != want {
			t.Errorf("Location: got %q, want %q", got, want)
		}
	})

	t.Run("answers_a_signed_out_post_with_401", func(t *testing.T) {
		resp, _ := a.post(a.browser(), "/tokens", url.Values{"name": {"x"}})
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("got %d, want 401", resp.StatusCode)
		}
	})
}

func TestRenderError(t *testing.T) {
	a := newTestApp(t, testRoutes)
	c := a.browser()
	a.login(c, "eng@example.com")

	tests := []struct {
		kind    string
		status  int
		message string
	}{
		{"fault-not-found", http.StatusNotFound, "The page does not exist"},
		{"db-not-found", http.StatusNotFound, "The page does not exist"},
		{"forbidden", http.StatusForbidden, "Your roles do not include this page"},
		{"invalid", http.StatusBadRequest, "Enter a date like 2026-01-31"},
		{"internal", http.StatusInternalServerError, "Something went wrong on our side"},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			resp, body := a.get(c, "/test/error/"+tt.kind)
			if resp.StatusCode != tt.status {
				t.Errorf("status: got %d, want %d", resp.StatusCode, tt.status)
			}
			if got, _ := testID(body, "error-message"); !strings.Contains(got, tt.message) {
				t.Errorf("message: got %q, want it to contain %q", got, tt.message)
			}
			if strings.Contains(body, "secret internal detail") {
				t.Error("page shows the internal error")
			}
		})
	}

	t.Run("logs_the_internal_error_with_the_request_id", func(t *testing.T) {
		resp, body := a.get(c, "/test/error/internal")
		id := resp.Header.Get("X-Request-Id")
		if !strings.Contains(body, id) {
			t.Errorf("500 page does not quote reference %s", id)
		}
		found := false
		for _, rec := range a.logs.lines("Request failed") {
			if rec["request_id"] == id && strings.Contains(fmt.Sprint(rec["error"]), "secret internal detail") {
				found = true
			}
		}
		if !found {
			t.Error("no \"Request failed\" log line with the error and request_id")
		}
	})

	t.Run("recovers_a_panic_with_a_safe_500", func(t *testing.T) {
		resp, body := a.get(c, "/test/panic")
		if resp.StatusCode != http.StatusInternalServerError {
			t.Errorf("status: got %d, want 500", resp.StatusCode)
		}
		if strings.Contains(body, "secret panic detail") {
			t.Error("page shows the panic")
		}
		if n := len(a.logs.lines("Handler panicked")); n != 1 {
			t.Errorf("\"Handler panicked\" lines: got %d, want 1", n)
		}
	})

	t.Run("answers_unknown_paths_with_404", func(t *testing.T) {
		resp, _ := a.get(c, "/no/such/page")
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("got %d, want 404", resp.StatusCode)
		}
	})
}

func TestMiddleware(t *testing.T) {
	a := newTestApp(t, testRoutes)
	c := a.browser()
	a.login(c, "eng@example.com")

	t.Run("logs_one_line_per_request", func(t *testing.T) {
		resp, _ := a.get(c, "/spend?x=1")
		id := resp.Header.Get("X-Request-Id")
		var lines []map[string]any
		for _, rec := range a.logs.lines("Request") {
			if rec["request_id"] == id {
				lines = append(lines, rec)
			}
		}
		if len(lines) != 1 {
			t.Fatalf("access log lines for %s: got %d, want 1", id, len(lines))
		}
		rec := lines[0]
		me, _ := a.principals().GetByEmail(context.Background(), "eng@example.com")
		for key, want := range map[string]any{
			"method": "GET", "path": "/spend", "status": float64(200),
			"principal_id": float64(me.ID),
		} {
			if rec[key] != want {
				t.Errorf("%s: got %v, want %v", key, rec[key], want)
			}
		}
		if _, ok := rec["duration"]; !ok {
			t.Error("no duration")
		}
	})

	t.Run("keeps_a_proxy_request_id", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, a.base+"/healthz", nil)
		req.Header.Set("X-Request-Id", "proxy-1234abcd")
		resp, _ := a.do(c, req)
		if got := resp.Header.Get("X-Request-Id"); got != "proxy-1234abcd" {
			t.Errorf("X-Request-Id: got %q, want proxy-1234abcd", got)
		}
	})

	t.Run("sets_security_headers", func(t *testing.T) {
		resp, _ := a.get(c, "/spend")
		for h, want := range map[string]string{
			"X-Frame-Options":        "DENY",
			"X-Content-Type-Options": "nosniff",
			"Referrer-Policy":        "same-origin",
			"Cache-Control":          "no-store",
		} {
			if got := resp.Header.Get(h); got != want {
				t.Errorf("%s: got %q, want %q", h, got, want)
			}
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'self'") ||
			!strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("CSP: got %q", csp)
		}
	})

	t.Run("serves_css_under_its_hash_for_a_year", func(t *testing.T) {
		path := static.Path("app.css")
		resp, body := a.get(c, path)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "tabular-nums") {
			t.Fatalf("GET %s: got %d", path, resp.StatusCode)
		}
		if got := resp.Header.Get("Cache-Control"); !strings.Contains(got, "max-age=31536000") ||
			!strings.Contains(got, "immutable") {
			t.Errorf("Cache-Control: got %q", got)
		}
		if got := resp.Header.Get("Content-Type"); !strings.HasPrefix(got, "text/css") {
			t.Errorf("Content-Type: got %q, want text/css", got)
		}
		if resp, _ := a.get(c, "/static/000000000000/app.css"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("stale hash: got %d, want 404", resp.StatusCode)
		}
		_, page := a.get(c, "/spend")
		if !strings.Contains(page, `href="`+path+`"`) {
			t.Errorf("layout does not link %s", path)
		}
	})

	t.Run("redirects_home_to_my_spend", func(t *testing.T) {
		resp, _ := a.get(noRedirect(c), "/")
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/spend" {
			t.Errorf("GET /: got %d to %q, want 303 to /spend", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
}

func TestProbes(t *testing.T) {
	a := newTestApp(t)

	t.Run("healthz_answers_ok", func(t *testing.T) {
		resp, body := a.get(a.browser(), "/healthz")
		if resp.StatusCode != http.StatusOK || body != "ok\n" {
			t.Errorf("got %d %q, want 200 \"ok\\n\"", resp.StatusCode, body)
		}
	})

	t.Run("readyz_answers_ok_on_a_migrated_database", func(t *testing.T) {
		resp, body := a.get(a.browser(), "/readyz")
		if resp.StatusCode != http.StatusOK || body != "ok\n" {
			t.Errorf("got %d %q, want 200 \"ok\\n\"", resp.StatusCode, body)
		}
	})

	t.Run("readyz_answers_503_when_not_ready", func(t *testing.T) {
		a.server.ready = func(context.Context) error { return errors.New("3 migrations pending") }
		resp, body := a.get(a.browser(), "/readyz")
		if resp.StatusCode != http.StatusServiceUnavailable || strings.Contains(body, "pending") {
			t.Errorf("got %d %q, want 503 without the reason", resp.StatusCode, body)
		}
	})
}

func TestDevProvider(t *testing.T) {
	t.Run("is_refused_outside_development_mode", func(t *testing.T) {
		a := newTestApp(t)
		cfg := *a.cfg
		cfg.Dev = false
		_, err := New(Deps{Logger: a.server.log, Config: &cfg, Auth: a.auth, Tokens: a.tokens,
			Ready: a.server.ready, Dev: a.dev})
		if err == nil || !strings.Contains(err.Error(), "development mode") {
			t.Errorf("New with a dev provider outside dev mode: got %v, want a refusal", err)
		}
	})

	t.Run("chooser_is_not_served_without_it", func(t *testing.T) {
		a := newTestApp(t)
		s, err := New(Deps{Logger: a.server.log, Config: a.cfg, Auth: a.auth, Tokens: a.tokens,
			Ready: a.server.ready})
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest(http.MethodGet, "/dev/login?client_id=x&state=y", nil)
		rec := newRecorder()
		s.Routes().ServeHTTP(rec, req)
		if rec.Code != http.StatusNotFound {
			t.Errorf("GET /dev/login: got %d, want 404", rec.Code)
		}
	})
}
