package batch

import (
	"context"
	"fmt"
	"time"

	"github.com/tallyhq/tally/db"
)

// refreshDaily recomputes the daily rollup rows of the keys an import
// touched from the events themselves, so the rollup never drifts.
func refreshDaily(ctx context.Context, q *db.Queries, touched map[dayKey]struct{}) error {
	if len(touched) == 0 {
		return nil
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
