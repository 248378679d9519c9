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
	for _, c := range changes {
		if err := applyChange(ctx, q, c, source); err != nil {
			return LoadResult{}, err
		}
		if c.Closed != nil || c.New.ValidFrom != nil {
			res.Changed++
		} else {
			res.Added++
		}
	}
	return res, nil
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

func applyChange(ctx context.Context, q *db.Queries, c Change, source string) error {
	if c.Closed != nil {
		err := q.ClosePrice(ctx, db.ClosePriceParams{ID: c.Closed.ID, ValidTo: c.Closed.ValidTo})
		if err != nil {
			return fmt.Errorf("close price of %s: %w", c.Closed.Key, err)
		}
	}
	entry, err := json.Marshal(c.New.Entry)
	if err != nil {
		return fmt.Errorf("encode price of %s: %w", c.New.Key, err)
	}
	_, err = q.InsertPrice(ctx, db.InsertPriceParams{ModelKey: c.New.Key,
		ValidFrom: c.New.ValidFrom, ValidTo: c.New.ValidTo, Entry: entry, Source: source})
	if err != nil {
		return fmt.Errorf("store price of %s: %w", c.New.Key, err)
	}
	err = q.SetDefaultModelTier(ctx, db.SetDefaultModelTierParams{ModelKey: c.New.Key,
		Tier: DefaultTier(c.New.Key, c.New.Entry)})
	if err != nil {
		return fmt.Errorf("set tier of %s: %w", c.New.Key, err)
	}
	return nil
}
