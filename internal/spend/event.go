package spend

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tallyhq/tally/db"
	"github.com/tallyhq/tally/internal/fault"
	"github.com/tallyhq/tally/internal/principal"
	"github.com/tallyhq/tally/internal/usage"
)

// MaxEvents is how many calls a list of calls shows; its totals still
// cover every call.
const MaxEvents = 500

// Event is one stored call with what it came from.
type Event struct {
	ID            int64
	OccurredAt    time.Time
	Provider      string
	ModelReported string
	ModelKey      string // the price matched; "" when unpriced
	Tokens        usage.Tokens
	Cost          decimal.Decimal // zero when unpriced
	CacheReadCost decimal.Decimal
	Flags         usage.Flags
	// Evidence is every evidence field that is set, in usage.Evidence's
	// order, then any other keys by name.
	Evidence     []Evidence
	SourceFormat string
	SourceFile   string
	SourceLine   int
	ImportID     int64
	Uploader     string // the uploader's email
	OwnerID      int64  // 0 when unattributed
	OwnerEmail   string // "" when unattributed
	OwnerName    string
	Attribution  string // direct, mapped, …; "" when unattributed
}

// Priced reports whether the call has a price.
func (e Event) Priced() bool { return e.ModelKey != "" }

// Evidence is one evidence field: its key as stored (usage.Evidence's JSON
// names, such as host or api_key_id) and its value.
type Evidence struct {
	Key   string
	Value string
}

// Calls is a list of calls with the totals of all that matched.
type Calls struct {
	Total  Total
	Events []Event // the first MaxEvents, oldest first
}

// Truncated reports whether more calls matched than are listed.
func (c *Calls) Truncated() bool { return int64(len(c.Events)) < c.Total.Calls }

// Session returns the calls of session id that viewer may see: all of them
// for finance, investigators and admins, else their own and their direct
// reports'. A session with none is fault.ErrNotFound.
func (s *Service) Session(ctx context.Context, viewer principal.Principal, id string) (
	*Calls, error) {
	if id == "" {
		return nil, fmt.Errorf("session: %w", fault.ErrNotFound)
	}
	rows, err := db.New(s.pool).ListSessionEvents(ctx, db.ListSessionEventsParams{
		ApproximateFlag: int32(usage.FlagApproximate), SessionID: id,
		AllVisible: seesEveryone(viewer), ViewerID: viewer.ID, MaxRows: MaxEvents,
	})
	if err != nil {
		return nil, fmt.Errorf("list session events: %w", err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("session %q: %w", id, fault.ErrNotFound)
	}

	first := rows[0]
	out := &Calls{Total: Total{Calls: first.TotalCalls, Unpriced: first.TotalUnpriced,
		Approximate: first.TotalApproximate, Cost: first.TotalCost}}
	for _, r := range rows {
		e, err := eventFromRow(r.UsageEvent)
		if err != nil {
			return nil, err
		}
		e.Uploader, e.OwnerEmail, e.OwnerName = r.UploaderEmail, r.OwnerEmail, r.OwnerName
		out.Events = append(out.Events, e)
	}
	return out, nil
}

// eventFromRow turns a stored call into an Event.
func eventFromRow(r db.UsageEvent) (Event, error) {
	ev, err := evidenceOf(r.Evidence)
	if err != nil {
		return Event{}, fmt.Errorf("event %d evidence: %w", r.ID, err)
	}
	e := Event{ID: r.ID, OccurredAt: r.OccurredAt, Provider: r.Provider,
		ModelReported: r.ModelReported, Flags: usage.Flags(r.Flags), Evidence: ev,
		Tokens: usage.Tokens{InputUncached: r.InputUncached, CacheRead: r.CacheRead,
			CacheWrite5m: r.CacheWrite5m, CacheWrite1h: r.CacheWrite1h, Output: r.Output,
			Reasoning: r.Reasoning},
		SourceFormat: r.SourceFormat, SourceFile: r.SourceFile, SourceLine: int(r.SourceLine),
		ImportID: r.ImportID}
	if r.ModelKey != nil {
		e.ModelKey = *r.ModelKey
		e.Cost, e.CacheReadCost = r.Cost.Decimal, r.CacheReadCost.Decimal
	}
	if r.PrincipalID != nil {
		e.OwnerID = *r.PrincipalID
	}
	if r.Attribution != nil {
		e.Attribution = *r.Attribution
	}
	return e, nil
}

// evidenceOrder is usage.Evidence's JSON keys in field order.
var evidenceOrder = func() []string {
	t := reflect.TypeFor[usage.Evidence]()
	keys := make([]string, t.NumField())
	for i := range keys {
		keys[i], _, _ = strings.Cut(t.Field(i).Tag.Get("json"), ",")
	}
	return keys
}()

// evidenceOf lists the fields of a stored evidence object that are set.
// A value that is not a string is shown as its JSON.
func evidenceOf(raw json.RawMessage) ([]Evidence, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, err
	}
	rank := func(k string) int {
		if i := slices.Index(evidenceOrder, k); i >= 0 {
			return i
		}
		return len(evidenceOrder)
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if d := rank(a) - rank(b); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})

	var out []Evidence
	for _, k := range keys {
		v := string(bytes.TrimSpace(fields[k]))
		var str string
		if json.Unmarshal(fields[k], &str) == nil {
			v = str
		}
		if v != "" && v != "null" {
			out = append(out, Evidence{Key: k, Value: v})
		}
	}
	return out, nil
}
