package pricing

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/tallyhq/tally/db"
)

// LoadCatalog builds the catalog from the price versions stored in the
// database, with the bundled overrides laid over them.
func LoadCatalog(ctx context.Context, q *db.Queries) (*Catalog, error) {
	versions, err := storedVersions(ctx, q)
	if err != nil {
		return nil, err
	}
	ovs, err := ParseOverrides(bytes.NewReader(DefaultOverrides()))
	if err != nil {
		return nil, err
	}
	return NewCatalog(Overlay(versions, ovs)), nil
}

// LoadResult counts what loading a table changed.
type LoadResult struct {
	Added     int `json:"added"`     // models priced for the first time
	Changed   int `json:"changed"`   // models with a new price from the effective date
	Unchanged int `json:"unchanged"` // models whose price is the same
}

// LoadTable stores table's prices as new versions where they differ from
// the stored ones (see Plan), taking effect from effectiveFrom, and gives
// new models their default tier. Run it in a transaction.
func LoadTable(ctx context.Context, q *db.Queries, table map[string]Entry,
	effectiveFrom time.Time, source string) (LoadResult, error) {
	current, err := storedVersions(ctx, q)
	if err != nil {
		return LoadResult{}, err
	}
	changes := Plan(current, table, effectiveFrom)
	res := LoadResult{Unchanged: len(table) - len(changes)}
	var rows []db.InsertPricesParams
	var tiers []db.SetDefaultModelTiersParams
	for _, c := range changes {
		if err := closeVersion(ctx, q, c.Closed); err != nil {
			return LoadResult{}, err
		}
		row, err := priceRow(c.New, source)
		if err != nil {
			return LoadResult{}, err
		}
		rows = append(rows, row)
		tiers = append(tiers, db.SetDefaultModelTiersParams{ModelKey: c.New.Key,
			Tier: DefaultTier(c.New.Key, c.New.Entry)})
		if c.Closed != nil || c.New.ValidFrom != nil {
			res.Changed++
		} else {
			res.Added++
		}
	}
	return res, storeVersions(ctx, q, rows, tiers)
}

func storedVersions(ctx context.Context, q *db.Queries) ([]Version, error) {
	rows, err := q.ListPrices(ctx)
	if err != nil {
		return nil, fmt.Errorf("list prices: %w", err)
	}
	out := make([]Version, len(rows))
	for i, r := range rows {
		out[i] = Version{ID: r.ID, Key: r.ModelKey, ValidFrom: r.ValidFrom, ValidTo: r.ValidTo}
		if err := json.Unmarshal(r.Entry, &out[i].Entry); err != nil {
			return nil, fmt.Errorf("price %d of %s: %w", r.ID, r.ModelKey, err)
		}
	}
	return out, nil
}

func closeVersion(ctx context.Context, q *db.Queries, v *Version) error {
	if v == nil {
		return nil
	}
	if err := q.ClosePrice(ctx, db.ClosePriceParams{ID: v.ID, ValidTo: v.ValidTo}); err != nil {
		return fmt.Errorf("close price of %s: %w", v.Key, err)
	}
	return nil
}

func priceRow(v Version, source string) (db.InsertPricesParams, error) {
	entry, err := json.Marshal(v.Entry)
	if err != nil {
		return db.InsertPricesParams{}, fmt.Errorf("encode price of %s: %w", v.Key, err)
	}
	return db.InsertPricesParams{ModelKey: v.Key, ValidFrom: v.ValidFrom,
		ValidTo: v.ValidTo, Entry: entry, Source: source}, nil
}

// storeVersions writes new price versions and the tiers of new models.
func storeVersions(ctx context.Context, q *db.Queries, rows []db.InsertPricesParams,
	tiers []db.SetDefaultModelTiersParams) error {
	if len(rows) == 0 {
		return nil
	}
	if _, err := q.InsertPrices(ctx, rows); err != nil {
		return fmt.Errorf("store prices: %w", err)
	}
	var tierErr error
	q.SetDefaultModelTiers(ctx, tiers).Exec(func(_ int, err error) {
		if err != nil && tierErr == nil {
			tierErr = fmt.Errorf("set default tiers: %w", err)
		}
	})
	return tierErr
}
