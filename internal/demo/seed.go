// Package demo seeds a development database with demo people, identity
// mappings and usage in the current and the previous month. The usage goes
// through the real import path: it is uploaded as files and read by the
// import job like any other batch.
package demo

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tallyhq/tally/db"
	"github.com/tallyhq/tally/internal/audit"
	"github.com/tallyhq/tally/internal/auth/devoidc"
	"github.com/tallyhq/tally/internal/batch"
	"github.com/tallyhq/tally/internal/directory"
)

// The shared build host whose logs an admin uploads.
const (
	sharedHost = "build-01"
	erinOSUser = "erin"
)

// Seed creates the demo people and mappings, and queues demo imports when
// the database holds none yet. now dates the usage.
func Seed(ctx context.Context, pool *pgxpool.Pool, imports *batch.Service, now time.Time) error {
	if err := directory.Apply(ctx, pool, audit.System("demo"), entries()); err != nil {
		return fmt.Errorf("demo people: %w", err)
	}
	q := db.New(pool)
	n, err := q.CountImports(ctx)
	if err != nil || n > 0 {
		return err
	}
	ids, err := principalIDs(ctx, q)
	if err != nil {
		return err
	}
	if err := mappings(ctx, q, ids); err != nil {
		return err
	}
	return uploads(ctx, imports, ids, now)
}

func entries() []directory.Entry {
	var out []directory.Entry
	for _, p := range devoidc.People() {
		out = append(out, directory.Entry{Email: p.Email, Name: p.Name,
			ManagerEmail: p.ManagerEmail, CostCenter: p.CostCenter})
	}
	return out
}

func principalIDs(ctx context.Context, q *db.Queries) (map[string]int64, error) {
	ids := map[string]int64{}
	for _, p := range devoidc.People() {
		id, err := q.GetPrincipalIDByEmail(ctx, p.Email)
		if err != nil {
			return nil, fmt.Errorf("demo person %s: %w", p.Email, err)
		}
		ids[p.Email] = id
	}
	return ids, nil
}

func mappings(ctx context.Context, q *db.Queries, ids map[string]int64) error {
	admin := ids["admin@example.com"]
	for _, m := range []db.CreateIdentityMappingParams{
		{Kind: "os_user", Value: erinOSUser, Host: sharedHost, PrincipalID: ids["eng@example.com"]},
		{Kind: "api_key_id", Value: "key-dev-okafor", PrincipalID: ids["eng2@example.com"]},
		{Kind: "gateway_user", Value: "sam", PrincipalID: ids["eng3@example.com"]},
	} {
		m.CreatedBy = &admin
		if _, err := q.CreateIdentityMapping(ctx, m); err != nil {
			return fmt.Errorf("demo mapping %s %s: %w", m.Kind, m.Value, err)
		}
	}
	return nil
}

// uploads queues an engineer's own logs, a shared host's logs uploaded by
// an admin (one OS user mapped, one not), and a gateway export with keys,
// one of which nobody owns.
func uploads(ctx context.Context, imports *batch.Service, ids map[string]int64,
	now time.Time) error {
	rng := rand.New(rand.NewPCG(7, 11))
	thisMonth := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	lastMonth := thisMonth.AddDate(0, -1, 0)
	days := max(1, int(now.Sub(thisMonth).Hours()/24))

	mine := map[string][]byte{}
	erinShared := map[string][]byte{}
	shared := map[string][]byte{}
	for i := range 6 {
		month, span := thisMonth, days
		if i%2 == 1 {
			month, span = lastMonth, 28
		}
		start := month.Add(time.Duration(rng.IntN(span*24)) * time.Hour)
		model := []string{"claude-opus-4-6", "claude-sonnet-4-5-20250929"}[i%2]
		id := fmt.Sprintf("%08x-demo-4000-8000-%012d", rng.Uint32(), i)
		name := fmt.Sprintf("projects/-home-erin-src-api/%s.jsonl", id)
		mine[name] = claudeSession(rng, id, "/home/erin/src/api", model, start, 8+rng.IntN(20))
		id = fmt.Sprintf("%08x-demo-4000-a000-%012d", rng.Uint32(), i)
		erinShared[fmt.Sprintf("erin/%s.jsonl", id)] = claudeSession(rng, id,
			"/home/erin/src/etl", "claude-haiku-4-5-20251001", start.Add(time.Hour), 6)
		id = fmt.Sprintf("%08x-demo-4000-9000-%012d", rng.Uint32(), i)
		shared[fmt.Sprintf("ci/%s.jsonl", id)] = claudeSession(rng, id, "/srv/ci/checkout",
			"claude-sonnet-4-5-20250929", start.Add(3*time.Hour), 5+rng.IntN(10))
	}
	gateway := genericCalls(rng, "gw", lastMonth, now, 400, func(i int, r *genericRow) {
		switch i % 4 {
		case 0:
			r.APIKeyID = "key-dev-okafor"
		case 1:
			r.GatewayUser = "sam"
		case 2:
			r.Principal = "manager@example.com"
		default:
			r.APIKeyID = "key-shared-7"
		}
	})

	steps := []struct {
		up    batch.Upload
		files map[string][]byte
	}{
		{batch.Upload{Uploader: actor(ids, "eng@example.com"), Claimed: true,
			Host: "erin-laptop", OSUser: erinOSUser}, mine},
		{batch.Upload{Uploader: actor(ids, "admin@example.com"), Host: sharedHost,
			OSUser: erinOSUser}, erinShared},
		{batch.Upload{Uploader: actor(ids, "admin@example.com"), Host: sharedHost, OSUser: "ci"},
			shared},
		{batch.Upload{Uploader: actor(ids, "admin@example.com"), Format: "generic"},
			map[string][]byte{"gateway-export.jsonl": gateway}},
	}
	for _, s := range steps {
		if _, err := imports.Create(ctx, s.up, filesOf(s.files)); err != nil {
			return fmt.Errorf("demo import: %w", err)
		}
	}
	return nil
}

func filesOf(files map[string][]byte) batch.Files {
	return func(yield func(string, io.Reader) error) error {
		for _, name := range slices.Sorted(maps.Keys(files)) {
			if err := yield(name, bytes.NewReader(files[name])); err != nil {
				return err
			}
		}
		return nil
	}
}

func actor(ids map[string]int64, email string) audit.Actor {
	return audit.Actor{ID: ids[email], Name: email}
}
