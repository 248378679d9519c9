// Package audit appends to the audit log, the record of every state change.
// The database refuses to update or delete its rows; a change and its entry
// are written in one transaction by passing that transaction's queries.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/tallyhq/tally/db"
)

// Actor is who made a change: a principal (ID and email), or a part of
// tally itself with no principal (ID 0, Name such as "cli").
type Actor struct {
	ID   int64
	Name string
}

// System returns the actor for a change made by tally itself, for example
// System("cli") for a command run on the server.
func System(name string) Actor {
	return Actor{Name: name}
}

// Entry is one change. Action is a stable dotted name (auth.sign_in,
// token.create); Subject names what changed, as kind:id (principal:7,
// api_token:3); Details holds whatever else an investigator needs, and must
// never hold a secret.
type Entry struct {
	ActorID int64  // 0 when the actor is not a principal
	Actor   string // the actor's email, or a system name
	Action  string
	Subject string
	Details map[string]any
}

// Append writes e through q. Pass the queries of the transaction that makes
// the change, so that the change and its entry commit or fail together.
func Append(ctx context.Context, q *db.Queries, e Entry) error {
	if e.Action == "" || e.Actor == "" {
		return fmt.Errorf("append audit entry: action and actor are required")
	}
	details := e.Details
	if details == nil {
		details = map[string]any{}
	}
	raw, err := json.Marshal(details)
	if err != nil {
		return fmt.Errorf("encode audit details for %s: %w", e.Action, err)
	}
	var actorID *int64
	if e.ActorID != 0 {
		actorID = &e.ActorID
	}

	_, err = q.CreateAuditEntry(ctx, db.CreateAuditEntryParams{
		ActorID: actorID,
		Actor:   e.Actor,
		Action:  e.Action,
		Subject: e.Subject,
		Details: raw,
	})
	if err != nil {
		return fmt.Errorf("append audit entry %s: %w", e.Action, db.Translate(err))
	}
	return nil
}

// Record is an entry as stored.
type Record struct {
	ID      int64
	At      time.Time
	ActorID int64
	Actor   string
	Action  string
	Subject string
	Details json.RawMessage
}

// List returns the latest entries, newest first, at most limit of them; only
// those with action unless action is "".
func List(ctx context.Context, q *db.Queries, action string, limit int) ([]Record, error) {
	rows, err := q.ListAuditEntries(ctx, db.ListAuditEntriesParams{
		Action: action,
		Max:    int32(min(limit, 10_000)),
	})
	if err != nil {
		return nil, fmt.Errorf("list audit entries: %w", db.Translate(err))
	}
	out := make([]Record, len(rows))
	for i, r := range rows {
		out[i] = Record{
			ID:      r.ID,
			At:      r.At,
			Actor:   r.Actor,
			Action:  r.Action,
			Subject: r.Subject,
			Details: r.Details,
		}
		if r.ActorID != nil {
			out[i].ActorID = *r.ActorID
		}
	}
	return out, nil
}
