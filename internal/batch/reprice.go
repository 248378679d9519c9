package batch

import (
	"context"
	"fmt"
	"time"

	"github.com/tallyhq/tally/db"
)

// RepriceUnpriced prices the stored events that had no price, for example
// after a table that knows their model is loaded, and refreshes the rollups
// they are in. It returns how many events it priced. Run it in the
// transaction that loaded the prices.
func RepriceUnpriced(ctx context.Context, q *db.Queries, pricer Pricer,
	zone *time.Location) (int, error) {
	rows, err := q.ListUnpricedEvents(ctx)
	if err != nil {
		return 0, fmt.Errorf("list unpriced events: %w", err)
	}
	touched := map[dayKey]struct{}{}
	var updates []db.SetEventPricesParams
	for _, r := range rows {
		e, err := eventFromRow(r)
		if err != nil {
			return 0, err
		}
		if pricer.Price(e); !e.Priced {
			continue
		}
		key, cost, readCost, priceID := priceFields(e)
		updates = append(updates, db.SetEventPricesParams{ID: r.ID, ModelKey: key,
			Cost: cost, CacheReadCost: readCost, PriceID: priceID, Flags: int32(e.Flags)})
		touched[dayKey{r.Day, principalOrZero(r.PrincipalID)}] = struct{}{}
	}
	if len(updates) == 0 {
		return 0, nil
	}
	var batchErr error
	q.SetEventPrices(ctx, updates).Exec(func(_ int, err error) {
		if err != nil && batchErr == nil {
			batchErr = fmt.Errorf("store prices: %w", err)
		}
	})
	if batchErr != nil {
		return 0, batchErr
	}
	return len(updates), refreshDaily(ctx, q, touched)
}

func principalOrZero(id *int64) int64 {
	if id == nil {
		return 0
	}
	return *id
}
