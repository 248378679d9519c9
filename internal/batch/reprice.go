package batch

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tallyhq/tally/db"
)

// Reprice prices again, after prices that take effect from from were
// loaded, the stored events that had no price (a table that knows their
// model may have come) and those priced by a version that the new one
// replaced before they happened, and refreshes the rollups they are in.
// An event is priced by the version valid when it happened, so calls
// before from keep their price. It returns how many events it priced. Run
// it in the transaction that loaded the prices.
func Reprice(ctx context.Context, q *db.Queries, pricer Pricer, zone *time.Location,
	from time.Time) (int, error) {
	rows, err := q.ListUnpricedEvents(ctx)
	if err != nil {
		return 0, fmt.Errorf("list unpriced events: %w", err)
	}
	fromDay, _ := billingDay(from, zone)
	superseded, err := q.ListSupersededEvents(ctx, fromDay)
	if err != nil {
		return 0, fmt.Errorf("list events priced by replaced versions: %w", err)
	}
	rows = append(rows, superseded...)
	var updates []db.SetEventPricesParams
	var days []dayKey
	for _, r := range rows {
		e, err := eventFromRow(r)
		if err != nil {
			return 0, err
		}
		if pricer.Price(e); !e.Priced {
			continue
		}
		key, cost, readCost, priceID := priceFields(e)
		updates = append(updates, db.SetEventPricesParams{ID: r.ID, Revision: r.Revision,
			ModelKey: key, Cost: cost, CacheReadCost: readCost, PriceID: priceID,
			Flags: int32(e.Flags)})
		days = append(days, dayKey{r.Day, principalOrZero(r.PrincipalID)})
	}
	if len(updates) == 0 {
		return 0, nil
	}
	touched := map[dayKey]struct{}{}
	priced := 0
	var batchErr error
	q.SetEventPrices(ctx, updates).QueryRow(func(i int, _ int64, err error) {
		switch {
		case batchErr != nil:
		case errors.Is(db.Translate(err), db.ErrNotFound):
			// An import changed the call since, and priced it as it stored it.
		case err != nil:
			batchErr = fmt.Errorf("store prices: %w", err)
		default:
			touched[days[i]] = struct{}{}
			priced++
		}
	})
	if batchErr != nil {
		return 0, batchErr
	}
	return priced, refreshDaily(ctx, q, touched)
}

func principalOrZero(id *int64) int64 {
	if id == nil {
		return 0
	}
	return *id
}
