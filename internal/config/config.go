// Package config reads tally's settings from the environment, once, into a
// typed struct. Every variable is listed in the README's configuration table.
package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Roles that the groups mapping can grant. Everyone is an engineer; a
// manager is anyone with reports in the directory.
const (
	RoleFinance      = "finance"
	RoleInvestigator = "investigator"
	RoleAdmin        = "admin"
)

// Config is every setting tally reads.
type Config struct {
	Addr        string         // TALLY_ADDR
	BaseURL     string         // TALLY_BASE_URL: the address people open
	DatabaseURL string         // DATABASE_URL
	Dev         bool           // TALLY_DEV: development mode
	LogLevel    string         // TALLY_LOG_LEVEL
	LogFormat   string         // TALLY_LOG_FORMAT: text or json
	BillingZone *time.Location // TALLY_BILLING_TZ

	OIDC OIDC

	SessionTTL     time.Duration // TALLY_SESSION_TTL
	TokenTTL       time.Duration // TALLY_TOKEN_TTL
	UploadMaxBytes int64         // TALLY_UPLOAD_MAX_BYTES
	ImportWorkers  int           // TALLY_IMPORT_WORKERS
}

// OIDC configures sign-in through an OpenID Connect provider.
type OIDC struct {
	Issuer       string              // TALLY_OIDC_ISSUER
	ClientID     string              // TALLY_OIDC_CLIENT_ID
	ClientSecret string              // TALLY_OIDC_CLIENT_SECRET or _FILE
	RedirectURL  string              // TALLY_OIDC_REDIRECT_URL
	Scopes       []string            // TALLY_OIDC_SCOPES
	GroupsClaim  string              // TALLY_OIDC_GROUPS_CLAIM
	RoleGroups   map[string][]string // TALLY_ROLE_GROUPS: role → groups
}

// Load reads the server's configuration from the environment. dev forces
// development mode (the serve command's --dev switch); outside it the OIDC
// settings are required.
func Load(dev bool) (*Config, error) {
	c, err := read(os.Getenv, dev)
	if err != nil {
		return nil, err
	}
	return c, c.validateOIDC()
}

// LoadTool reads the configuration of a command that does not serve pages
// and so needs no OIDC settings, such as tally migrate.
func LoadTool() (*Config, error) {
	return read(os.Getenv, false)
}

func read(getenv func(string) string, dev bool) (*Config, error) {
	r := reader{getenv: getenv}
	c := &Config{
		Addr:           r.str("TALLY_ADDR", "127.0.0.1:8080"),
		DatabaseURL:    r.str("DATABASE_URL", ""),
		Dev:            dev || r.boolean("TALLY_DEV"),
		LogLevel:       r.str("TALLY_LOG_LEVEL", "info"),
		LogFormat:      r.str("TALLY_LOG_FORMAT", "text"),
		BillingZone:    r.zone("TALLY_BILLING_TZ"),
		SessionTTL:     r.duration("TALLY_SESSION_TTL", 12*time.Hour),
		TokenTTL:       r.duration("TALLY_TOKEN_TTL", 90*24*time.Hour),
		UploadMaxBytes: r.int64("TALLY_UPLOAD_MAX_BYTES", 2<<30),
		ImportWorkers:  int(r.int64("TALLY_IMPORT_WORKERS", 2)),
	}
	c.BaseURL = strings.TrimSuffix(r.str("TALLY_BASE_URL", "http://"+c.Addr), "/")
	c.OIDC = OIDC{
		Issuer:       r.str("TALLY_OIDC_ISSUER", ""),
		ClientID:     r.str("TALLY_OIDC_CLIENT_ID", ""),
		ClientSecret: r.secret("TALLY_OIDC_CLIENT_SECRET"),
		RedirectURL:  r.str("TALLY_OIDC_REDIRECT_URL", c.BaseURL+"/auth/callback"),
		Scopes:       strings.Fields(r.str("TALLY_OIDC_SCOPES", "openid email profile")),
		GroupsClaim:  r.str("TALLY_OIDC_GROUPS_CLAIM", "groups"),
		RoleGroups:   r.roleGroups("TALLY_ROLE_GROUPS"),
	}
	if err := errors.Join(r.errs...); err != nil {
		return nil, err
	}
	return c, c.validate()
}

func (c *Config) validate() error {
	if _, err := url.ParseRequestURI(c.BaseURL); err != nil {
		return fmt.Errorf("TALLY_BASE_URL: %w", err)
	}
	if c.ImportWorkers < 1 {
		return errors.New("TALLY_IMPORT_WORKERS: must be at least 1")
	}
	return nil
}

func (c *Config) validateOIDC() error {
	if c.Dev {
		return nil
	}
	var errs []error
	for name, v := range map[string]string{
		"TALLY_OIDC_ISSUER":        c.OIDC.Issuer,
		"TALLY_OIDC_CLIENT_ID":     c.OIDC.ClientID,
		"TALLY_OIDC_CLIENT_SECRET": c.OIDC.ClientSecret,
	} {
		if v == "" {
			errs = append(errs, fmt.Errorf("%s: required outside development mode", name))
		}
	}
	return errors.Join(errs...)
}

// reader collects every bad variable, so one start reports them all.
type reader struct {
	getenv func(string) string
	errs   []error
}

func (r *reader) str(name, def string) string {
	if v := strings.TrimSpace(r.getenv(name)); v != "" {
		return v
	}
	return def
}

func (r *reader) boolean(name string) bool {
	v := r.getenv(name)
	if v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s: want true or false, got %q", name, v))
	}
	return b
}

func (r *reader) int64(name string, def int64) int64 {
	v := r.getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		r.errs = append(r.errs, fmt.Errorf("%s: want a whole number, got %q", name, v))
	}
	return n
}

func (r *reader) duration(name string, def time.Duration) time.Duration {
	v := r.getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		r.errs = append(r.errs, fmt.Errorf("%s: want a duration like 12h, got %q", name, v))
	}
	return d
}

func (r *reader) zone(name string) *time.Location {
	v := r.str(name, "UTC")
	loc, err := time.LoadLocation(v)
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s: %w", name, err))
		return time.UTC
	}
	return loc
}

// secret reads name, or the file that name_FILE points at.
func (r *reader) secret(name string) string {
	if v := r.getenv(name); v != "" {
		return v
	}
	path := r.getenv(name + "_FILE")
	if path == "" {
		return ""
	}
	b, err := os.ReadFile(path)
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s_FILE: %w", name, err))
	}
	return strings.TrimSpace(string(b))
}

// roleGroups parses "admin=tally-admins;finance=finance,billing" into a map.
func (r *reader) roleGroups(name string) map[string][]string {
	v := r.str(name, "admin=admin;finance=finance;investigator=security")
	out := map[string][]string{}
	for _, part := range strings.Split(v, ";") {
		role, groups, ok := strings.Cut(strings.TrimSpace(part), "=")
		switch role {
		case RoleAdmin, RoleFinance, RoleInvestigator:
		default:
			ok = false
		}
		if !ok {
			r.errs = append(r.errs, fmt.Errorf("%s: want role=group,group;… with roles "+
				"admin, finance, investigator, got %q", name, part))
			continue
		}
		for _, g := range strings.Split(groups, ",") {
			if g = strings.TrimSpace(g); g != "" {
				out[role] = append(out[role], g)
			}
		}
	}
	return out
}
