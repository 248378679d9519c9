package batch

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/tallyhq/tally/db"
)

// rollupLocks is the first of the transaction advisory locks held from a
// refresh of the daily rollup to the commit, one per bucket of the rows it
// refreshes, so that each refresh of a row sees every event that the
// refreshes of it before stored, and refreshes of other rows do not wait.
const (
	rollupLocks   = 0x7a11_0000_0000
	rollupBuckets = 4096
)

// refreshDaily recomputes the daily rollup rows of the keys an import
// touched from the events themselves, so the rollup never drifts. Run it
// last before the commit: it takes the locks of those rows.
func refreshDaily(ctx context.Context, q *db.Queries, touched map[dayKey]struct{}) error {
	if len(touched) == 0 {
		return nil
	}
	locks := make([]int64, 0, len(touched))
	for k := range touched {
		locks = append(locks, rollupLock(k))
	}
	if err := q.LockRollupKeys(ctx, locks); err != nil {
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

// rollupLock returns the advisory lock of the rollup rows of k.
func rollupLock(k dayKey) int64 {
	h := fnv.New64a()
	binary.Write(h, binary.LittleEndian, [2]int64{k.day.Unix(), k.principalID})
	return rollupLocks + int64(h.Sum64()%rollupBuckets)
}
