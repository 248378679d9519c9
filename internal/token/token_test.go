package token_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tallyhq/tally/internal/fault"
	"github.com/tallyhq/tally/internal/principal"
	"github.com/tallyhq/tally/internal/testdb"
	"github.com/tallyhq/tally/internal/token"
)

const ttl = 90 * 24 * time.Hour

type fixture struct {
	pool  *pgxpool.Pool
	now   time.Time
	svc   *token.Service
	eng   principal.Principal
	admin principal.Principal
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{pool: testdb.New(t), now: time.Now().UTC().Truncate(time.Second)}
	f.svc = token.New(token.Deps{Pool: f.pool, TTL: ttl, Now: func() time.Time { return f.now }})

	ctx := context.Background()
	for _, stmt := range []string{
		`INSERT INTO principals (email, name) VALUES ('eng@example.com', 'Erin Park')`,
		`INSERT INTO principals (email, roles) VALUES ('admin@example.com', '{admin}')`,
	} {
		if _, err := f.pool.Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	people := principal.NewService(f.pool)
	var err error
	if f.eng, err = people.GetByEmail(ctx, "eng@example.com"); err != nil {
		t.Fatal(err)
	}
	if f.admin, err = people.GetByEmail(ctx, "admin@example.com"); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) create(t *testing.T, owner principal.Principal, scope string) token.Created {
	t.Helper()
	c, err := f.svc.Create(context.Background(), owner.Actor(), owner, "laptop", scope)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	return c
}

func TestCreate(t *testing.T) {
	t.Run("issues_a_secret_that_verifies", func(t *testing.T) {
		f := newFixture(t)
		c := f.create(t, f.eng, token.ScopeImport)
		if !strings.HasPrefix(c.Secret, "tly_"+c.Token.Prefix+"_") {
			t.Errorf("secret %q does not start with tly_%s_", c.Secret, c.Token.Prefix)
		}
		if got, want := c.Token.ExpiresAt, f.now.Add(ttl); !got.Equal(want) {
			t.Errorf("expires: got %v, want %v", got, want)
		}

		v, err := f.svc.Verify(context.Background(), c.Secret)
		if err != nil {
			t.Fatalf("verify: %v", err)
		}
		if v.Principal.Email != "eng@example.com" || v.Token.ID != c.Token.ID {
			t.Errorf("verify: got %s token %d, want eng@example.com token %d",
				v.Principal.Email, v.Token.ID, c.Token.ID)
		}
	})

	t.Run("stores_only_the_hash", func(t *testing.T) {
		f := newFixture(t)
		c := f.create(t, f.eng, token.ScopeImport)
		var row string
		err := f.pool.QueryRow(context.Background(), `SELECT row_to_json(t)::text
			FROM api_tokens t WHERE hash = sha256($1::bytea)`, []byte(c.Secret)).Scan(&row)
		if err != nil {
			t.Fatalf("no token stored under the secret's SHA-256: %v", err)
		}
		secretPart := c.Secret[len("tly_")+len(c.Token.Prefix)+1:]
		if strings.Contains(row, secretPart) {
			t.Errorf("api_tokens row holds the secret: %s", row)
		}
		var details string
		f.pool.QueryRow(context.Background(),
			`SELECT details::text FROM audit_log WHERE action = 'token.create'`).Scan(&details)
		if details == "" || strings.Contains(details, secretPart) {
			t.Errorf("token.create audit details: got %q, want an entry without the secret", details)
		}
	})

	t.Run("validates_input", func(t *testing.T) {
		f := newFixture(t)
		tests := []struct {
			name, scope string
			owner       principal.Principal
			field       string
		}{
			{"", token.ScopeImport, f.eng, "name"},
			{strings.Repeat("é", token.MaxNameLen+1), token.ScopeImport, f.eng, "name"},
			{"x", "root", f.eng, "scope"},
			{"x", token.ScopeAdmin, f.eng, "scope"},
		}
		for _, tt := range tests {
			_, err := f.svc.Create(context.Background(), tt.owner.Actor(), tt.owner, tt.name, tt.scope)
			v, ok := fault.AsInvalid(err)
			if !ok || v.Field != tt.field {
				t.Errorf("Create(%.10q, %q): got %v, want an invalid %s", tt.name, tt.scope, err, tt.field)
			}
		}
		if _, err := f.svc.Create(context.Background(), f.admin.Actor(), f.admin, "x",
			token.ScopeAdmin); err != nil {
			t.Errorf("admin token for an admin: %v", err)
		}
	})

	t.Run("creates_for_an_email_as_the_cli", func(t *testing.T) {
		f := newFixture(t)
		c, err := f.svc.CreateForEmail(context.Background(), "ENG@example.com", "collector", token.ScopeImport)
		if err != nil {
			t.Fatal(err)
		}
		if c.Token.PrincipalID != f.eng.ID {
			t.Errorf("owner: got %d, want %d", c.Token.PrincipalID, f.eng.ID)
		}
		var actor string
		f.pool.QueryRow(context.Background(),
			`SELECT actor FROM audit_log WHERE action = 'token.create'`).Scan(&actor)
		if actor != "cli" {
			t.Errorf("audit actor: got %q, want cli", actor)
		}
		_, err = f.svc.CreateForEmail(context.Background(), "nobody@example.com", "x", token.ScopeImport)
		if !fault.IsNotFound(err) {
			t.Errorf("unknown email: got %v, want not found", err)
		}
	})
}

func TestVerify(t *testing.T) {
	t.Run("refuses_malformed_and_unknown_tokens", func(t *testing.T) {
		f := newFixture(t)
		c := f.create(t, f.eng, token.ScopeImport)
		for _, s := range []string{"", "tly_", c.Secret + "a", c.Secret[:len(c.Secret)-1] + "9",
			strings.ToUpper(c.Secret), "tly_aaaaaaaa_" + strings.Repeat("a", 52)} {
			if _, err := f.svc.Verify(context.Background(), s); !errors.Is(err, token.ErrInvalid) {
				t.Errorf("Verify(%q): got %v, want ErrInvalid", s, err)
			}
		}
	})

	t.Run("refuses_an_expired_token", func(t *testing.T) {
		f := newFixture(t)
		c := f.create(t, f.eng, token.ScopeImport)
		f.now = f.now.Add(ttl)
		if _, err := f.svc.Verify(context.Background(), c.Secret); !errors.Is(err, token.ErrInvalid) {
			t.Errorf("at expiry: got %v, want ErrInvalid", err)
		}
		list, _ := f.svc.List(context.Background(), f.eng.ID)
		if got := list[0].Status(f.now); got != "expired" {
			t.Errorf("status: got %q, want expired", got)
		}
	})

	t.Run("refuses_a_revoked_token", func(t *testing.T) {
		f := newFixture(t)
		c := f.create(t, f.eng, token.ScopeImport)
		if err := f.svc.Revoke(context.Background(), f.eng, c.Token.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Verify(context.Background(), c.Secret); !errors.Is(err, token.ErrInvalid) {
			t.Errorf("after revoke: got %v, want ErrInvalid", err)
		}
	})

	t.Run("records_use_at_most_once_a_minute", func(t *testing.T) {
		f := newFixture(t)
		c := f.create(t, f.eng, token.ScopeImport)
		lastUsed := func() time.Time {
			var at time.Time
			f.pool.QueryRow(context.Background(),
				`SELECT last_used_at FROM api_tokens WHERE id = $1`, c.Token.ID).Scan(&at)
			return at
		}
		start := f.now
		f.svc.Verify(context.Background(), c.Secret)
		if got := lastUsed(); !got.Equal(start) {
			t.Errorf("first use: got %v, want %v", got, start)
		}
		f.now = start.Add(59 * time.Second)
		f.svc.Verify(context.Background(), c.Secret)
		if got := lastUsed(); !got.Equal(start) {
			t.Errorf("use 59s later: got %v, want it unchanged at %v", got, start)
		}
		f.now = start.Add(61 * time.Second)
		f.svc.Verify(context.Background(), c.Secret)
		if got := lastUsed(); !got.Equal(f.now) {
			t.Errorf("use 61s later: got %v, want %v", got, f.now)
		}
	})

	t.Run("scopes_allow", func(t *testing.T) {
		tests := []struct {
			scope, need string
			want        bool
		}{
			{token.ScopeImport, token.ScopeImport, true},
			{token.ScopeImport, token.ScopeAdmin, false},
			{token.ScopeAdmin, token.ScopeImport, true},
			{token.ScopeAdmin, token.ScopeAdmin, true},
		}
		for _, tt := range tests {
			if got := (token.Token{Scope: tt.scope}).Allows(tt.need); got != tt.want {
				t.Errorf("%s allows %s: got %v, want %v", tt.scope, tt.need, got, tt.want)
			}
		}
	})
}

func TestRevoke(t *testing.T) {
	t.Run("owner_revokes_and_it_is_audited_once", func(t *testing.T) {
		f := newFixture(t)
		c := f.create(t, f.eng, token.ScopeImport)
		for range 2 {
			if err := f.svc.Revoke(context.Background(), f.eng, c.Token.ID); err != nil {
				t.Fatalf("revoke: %v", err)
			}
		}
		var n int
		f.pool.QueryRow(context.Background(),
			`SELECT count(*) FROM audit_log WHERE action = 'token.revoke' AND actor = 'eng@example.com'`).Scan(&n)
		if n != 1 {
			t.Errorf("token.revoke entries: got %d, want 1", n)
		}
	})

	t.Run("someone_else_cannot_but_an_admin_can", func(t *testing.T) {
		f := newFixture(t)
		c := f.create(t, f.admin, token.ScopeImport)
		if err := f.svc.Revoke(context.Background(), f.eng, c.Token.ID); !fault.IsNotFound(err) {
			t.Errorf("engineer revokes admin's token: got %v, want not found", err)
		}
		mine := f.create(t, f.eng, token.ScopeImport)
		if err := f.svc.Revoke(context.Background(), f.admin, mine.Token.ID); err != nil {
			t.Errorf("admin revokes engineer's token: %v", err)
		}
	})

	t.Run("unknown_token_is_not_found", func(t *testing.T) {
		f := newFixture(t)
		if err := f.svc.Revoke(context.Background(), f.admin, 999); !fault.IsNotFound(err) {
			t.Errorf("got %v, want not found", err)
		}
	})
}

func TestList(t *testing.T) {
	f := newFixture(t)
	f.create(t, f.eng, token.ScopeImport)
	f.create(t, f.admin, token.ScopeAdmin)

	t.Run("lists_only_the_owners_tokens", func(t *testing.T) {
		list, err := f.svc.List(context.Background(), f.eng.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].PrincipalID != f.eng.ID {
			t.Errorf("got %d tokens, want eng's 1", len(list))
		}
	})

	t.Run("lists_all_for_an_admin_only", func(t *testing.T) {
		all, err := f.svc.ListAll(context.Background(), f.admin)
		if err != nil || len(all) != 2 {
			t.Errorf("admin: got %d tokens (%v), want 2", len(all), err)
		}
		if _, err := f.svc.ListAll(context.Background(), f.eng); !fault.IsForbidden(err) {
			t.Errorf("engineer: got %v, want forbidden", err)
		}
	})
}
