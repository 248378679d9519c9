package devoidc_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tallyhq/tally/internal/auth/devoidc"
	"github.com/tallyhq/tally/internal/config"
)

func devConfig() *config.Config {
	return &config.Config{
		Dev:     true,
		BaseURL: "http://127.0.0.1:8080",
		OIDC:    config.OIDC{RedirectURL: "http://127.0.0.1:8080/auth/callback"},
	}
}

func TestStart(t *testing.T) {
	t.Run("refuses_outside_development_mode", func(t *testing.T) {
		cfg := devConfig()
		cfg.Dev = false
		_, err := devoidc.Start(cfg, "127.0.0.1:0")
		if !errors.Is(err, devoidc.ErrNotDevelopment) {
			t.Fatalf("got %v, want ErrNotDevelopment", err)
		}
		if !strings.Contains(err.Error(), "development mode") {
			t.Errorf("error %q does not say development mode", err)
		}
	})

	t.Run("refuses_a_non_loopback_address", func(t *testing.T) {
		for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:0"} {
			if _, err := devoidc.Start(devConfig(), addr); err == nil {
				t.Errorf("Start(%q): got nil, want a refusal", addr)
			}
		}
	})

	t.Run("sends_an_authorization_without_a_hint_to_the_chooser", func(t *testing.T) {
		cfg := devConfig()
		p, err := devoidc.Start(cfg, "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		o := p.Configure(cfg.OIDC)
		if o.Issuer != p.Issuer() || o.ClientID == "" || o.ClientSecret == "" {
			t.Errorf("Configure: got %+v", o)
		}

		q := url.Values{"client_id": {o.ClientID}, "redirect_uri": {cfg.OIDC.RedirectURL},
			"response_type": {"code"}, "scope": {"openid"}, "state": {"s"}}
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}
		resp, err := c.Get(p.AuthorizeURL() + "?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, _ := resp.Location()
		if resp.StatusCode != http.StatusFound || loc == nil ||
			loc.String() != cfg.BaseURL+devoidc.ChooserPath+"?"+q.Encode() {
			t.Errorf("got %d to %v, want 302 to the chooser with the request", resp.StatusCode, loc)
		}

		q.Set("redirect_uri", "http://evil.example/cb")
		q.Set(devoidc.HintParam, "eng@example.com")
		resp, err = c.Get(p.AuthorizeURL() + "?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("foreign redirect_uri: got %d, want 400", resp.StatusCode)
		}
	})
}

func TestPeople(t *testing.T) {
	people := devoidc.People()
	seen := map[string]devoidc.Person{}
	for _, p := range people {
		if p.ManagerEmail != "" {
			if _, ok := seen[p.ManagerEmail]; !ok {
				t.Errorf("%s: manager %s is not listed before them", p.Email, p.ManagerEmail)
			}
		}
		seen[p.Email] = p
	}
	want := map[string]string{
		"eng@example.com":      "",
		"eng2@example.com":     "",
		"eng3@example.com":     "",
		"manager@example.com":  "",
		"finance@example.com":  "finance",
		"security@example.com": "security",
		"admin@example.com":    "admin",
	}
	for email, group := range want {
		p, ok := seen[email]
		if !ok {
			t.Errorf("%s missing", email)
			continue
		}
		if got := strings.Join(p.Groups, ","); got != group {
			t.Errorf("%s groups: got %q, want %q", email, got, group)
		}
	}
	for _, email := range []string{"eng@example.com", "eng2@example.com", "eng3@example.com"} {
		if got := seen[email].ManagerEmail; got != "manager@example.com" {
			t.Errorf("%s manager: got %q, want manager@example.com", email, got)
		}
	}
}
