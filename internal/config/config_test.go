package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestRead(t *testing.T) {
	t.Run("defaults", func(t *testing.T) {
		c, err := read(env(nil), true)
		if err != nil {
			t.Fatal(err)
		}
		if c.Addr != "127.0.0.1:8080" || c.BaseURL != "http://127.0.0.1:8080" ||
			c.OIDC.RedirectURL != "http://127.0.0.1:8080/auth/callback" {
			t.Errorf("got addr %q base %q redirect %q", c.Addr, c.BaseURL, c.OIDC.RedirectURL)
		}
		if c.SessionTTL != 12*time.Hour || c.BillingZone != time.UTC {
			t.Errorf("got session ttl %v zone %v", c.SessionTTL, c.BillingZone)
		}
		if got := c.OIDC.RoleGroups[RoleInvestigator]; len(got) != 1 || got[0] != "security" {
			t.Errorf("investigator groups: got %v, want [security]", got)
		}
	})

	t.Run("role_groups", func(t *testing.T) {
		c, err := read(env(map[string]string{
			"TALLY_ROLE_GROUPS": "admin=ops, tally-admins;finance=billing"}), true)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(c.OIDC.RoleGroups[RoleAdmin], ","); got != "ops,tally-admins" {
			t.Errorf("admin groups: got %q", got)
		}
		if _, ok := c.OIDC.RoleGroups[RoleInvestigator]; ok {
			t.Errorf("investigator groups: got some, want none when not mapped")
		}
	})

	t.Run("every_bad_variable_is_named", func(t *testing.T) {
		_, err := read(env(map[string]string{"TALLY_SESSION_TTL": "soon",
			"TALLY_BILLING_TZ": "Mars/Olympus", "TALLY_ROLE_GROUPS": "boss=x"}), true)
		for _, name := range []string{"TALLY_SESSION_TTL", "TALLY_BILLING_TZ",
			"TALLY_ROLE_GROUPS"} {
			if err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("error %v does not name %s", err, name)
			}
		}
	})

	t.Run("secret_from_file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "secret")
		if err := os.WriteFile(path, []byte("s3cret\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := read(env(map[string]string{"TALLY_OIDC_CLIENT_SECRET_FILE": path}), false)
		if err != nil {
			t.Fatal(err)
		}
		if c.OIDC.ClientSecret != "s3cret" {
			t.Errorf("got secret %q, want s3cret", c.OIDC.ClientSecret)
		}
	})

	t.Run("production_needs_oidc", func(t *testing.T) {
		c, err := read(env(nil), false)
		if err != nil {
			t.Fatal(err)
		}
		err = c.validateOIDC()
		if err == nil || !strings.Contains(err.Error(), "TALLY_OIDC_ISSUER") {
			t.Errorf("got %v, want an error naming TALLY_OIDC_ISSUER", err)
		}
	})
}
