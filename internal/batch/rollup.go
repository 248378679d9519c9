package batch

import (
	"context"
	"fmt"
	"time"

	"github.com/tallyhq/tally/db"
)

// rollupLock is the transaction advisory lock held from a refresh of the
// daily rollup to the commit, so that each refresh sees every event that
// the refreshes before it stored.
const rollupLock = 0x7a11_0002

// refreshDaily recomputes the daily rollup rows of the keys an import
// touched from the events themselves, so the rollup never drifts. Run it
// last before the commit: it takes rollupLock.
func refreshDaily(ctx context.Context, q *db.Queries, touched map[dayKey]struct{}) error {
	if len(touched) == 0 {
		return nil
	}
	if err := q.LockRollup(ctx, rollupLock); err != nil {
		return fmt.Errorf("lock daily rollup: %w", err)
	}
	days := make([]time.Time, 0, len(touched))
	principals := make([]int64, 0, len(touched))
	for k := range touched {
		days = append(days, k.day)
		principals = append(principals, k.principalID)
	}
	err := q.DeleteDaily(ctx, db.DeleteDailyParams{Days: days, Principals: principals})
	if err != nil {
		return fmt.Errorf("clear daily rollup: %w", err)
	}
	err = q.InsertDaily(ctx, db.InsertDailyParams{Days: days, Principals: principals})
	if err != nil {
		return fmt.Errorf("refresh daily rollup: %w", err)
	}
	return nil
}
