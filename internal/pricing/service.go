package pricing

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tallyhq/tally/db"
	"github.com/tallyhq/tally/internal/audit"
	"github.com/tallyhq/tally/internal/batch"
)

// Service changes the stored price catalog and model tiers.
type Service struct {
	pool *pgxpool.Pool
	zone *time.Location // the billing zone that rollup days are cut in
}

// NewService returns a catalog service; zone is the billing time zone.
func NewService(pool *pgxpool.Pool, zone *time.Location) *Service {
	return &Service{pool: pool, zone: zone}
}

// Loaded is what loading a table changed.
type Loaded struct {
	LoadResult
	Repriced int `json:"repriced_events"` // unpriced events that now have a price
}

// Load stores table's prices from effectiveFrom (see LoadTable), prices the
// stored events that had no price, and audits the load, in one transaction.
func (s *Service) Load(ctx context.Context, by audit.Actor, table map[string]Entry,
	effectiveFrom time.Time, source string) (Loaded, error) {
	var out Loaded
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		if err := q.LockExclusive(ctx, batch.PricesLock); err != nil {
			return fmt.Errorf("wait for running imports: %w", err)
		}
		var err error
		if out.LoadResult, err = LoadTable(ctx, q, table, effectiveFrom, source); err != nil {
			return err
		}
		catalog, err := LoadCatalog(ctx, q)
		if err != nil {
			return err
		}
		out.Repriced, err = batch.Reprice(ctx, q, catalog, s.zone, effectiveFrom)
		if err != nil {
			return err
		}
		return audit.Append(ctx, q, audit.Entry{ActorID: by.ID, Actor: by.Name,
			Action: "prices.load", Subject: "prices", Details: map[string]any{
				"source": source, "effective_from": effectiveFrom, "added": out.Added,
				"changed": out.Changed, "repriced_events": out.Repriced}})
	})
	if err != nil {
		return Loaded{}, fmt.Errorf("load prices: %w", err)
	}
	return out, nil
}

// EnsureDefault loads the bundled table when the catalog is empty, and
// reports whether it did.
func (s *Service) EnsureDefault(ctx context.Context) (bool, error) {
	n, err := db.New(s.pool).CountPrices(ctx)
	if err != nil || n > 0 {
		return false, err
	}
	table, err := ParseLiteLLM(bytes.NewReader(DefaultTable()))
	if err != nil {
		return false, err
	}
	_, err = s.Load(ctx, audit.System("tally"), table, time.Now().UTC(), DefaultSource)
	return err == nil, err
}
