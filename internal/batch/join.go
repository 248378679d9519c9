package batch

import (
	"context"
	"fmt"

	"github.com/tallyhq/tally/db"
	"github.com/tallyhq/tally/internal/importer"
	"github.com/tallyhq/tally/internal/usage"
)

// survivor returns the call that calls, which one copy showed to be one,
// are joined into: the stored one stored first, else the first.
func survivor(calls []*stored) *stored {
	best := calls[0]
	for _, st := range calls[1:] {
		if st.id != 0 && (best.id == 0 || st.id < best.id) {
			best = st
		}
	}
	return best
}

// join folds o into st, as one call: its usage merges into st's, its keys
// become st's, and a stored o is deleted at the flush. It counts o as
// joined when this job had stored it as new.
func (s *sink) join(st, o *stored, t *importer.Tally) {
	o.into = st
	if usage.Merge(st.ev, o.ev) &&
		st.ev.SourceFile == o.ev.SourceFile && st.ev.SourceLine == o.ev.SourceLine {
		st.importID = o.importID
	}
	if st.principalID == nil && o.principalID != nil {
		st.principalID, st.attribution = o.principalID, o.attribution
	}
	if o.id == 0 || s.created[o.id] {
		t.Joined++
	}
	if o.id != 0 {
		s.touch(o) // the rollup row it leaves
		s.joined = append(s.joined, o)
	}
}

// deleteJoined deletes the stored calls joined into others and gives their
// keys to those others.
func (s *sink) deleteJoined(ctx context.Context) error {
	if len(s.joined) == 0 {
		return nil
	}
	dels := make([]db.DeleteJoinedEventsParams, len(s.joined))
	moves := make([]db.MoveEventKeysParams, len(s.joined))
	for i, o := range s.joined {
		dels[i] = db.DeleteJoinedEventsParams{ID: o.id, Revision: o.revision}
		moves[i] = db.MoveEventKeysParams{FromID: o.id, ToID: o.current().id}
	}
	var err error
	s.q.DeleteJoinedEvents(ctx, dels).QueryRow(atRevision("delete joined event",
		func(i int) int64 { return dels[i].ID }, &err))
	if err != nil {
		return err
	}
	s.q.MoveEventKeys(ctx, moves).Exec(func(_ int, e error) {
		if e != nil && err == nil {
			err = fmt.Errorf("move keys of joined events: %w", db.Translate(e))
		}
	})
	return err
}
