package pricing

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/shopspring/decimal"
)

// Override corrects known errors in the upstream table for a time window
// (FORMATS.md C.9). It never edits the upstream file: Overlay applies it to
// price versions.
type Override struct {
	ID        string
	Keys      []string   // the table keys it corrects
	ValidFrom *time.Time // inclusive; nil = unbounded
	ValidTo   *time.Time // exclusive; nil = unbounded
	Reason    string

	Set   map[string]decimal.Decimal // LiteLLM price keys to set
	Unset []string                   // LiteLLM price keys to remove
	Free  bool                       // the model is known to cost nothing
}

type overrideFile struct {
	Date      string         `json:"date"`
	Table     string         `json:"table"`
	Notes     []string       `json:"notes"`
	Overrides []overrideJSON `json:"overrides"`
}

type overrideJSON struct {
	ID        string                 `json:"id"`
	Keys      []string               `json:"keys"`
	ValidFrom *time.Time             `json:"valid_from"`
	ValidTo   *time.Time             `json:"valid_to"`
	Reason    string                 `json:"reason"`
	Set       map[string]json.Number `json:"set"`
	Unset     []string               `json:"unset"`
	Free      bool                   `json:"free"`
}

// ParseOverrides reads an overrides file (see data/overrides.json). Every
// key in set and unset must be a LiteLLM price key tally reads.
func ParseOverrides(r io.Reader) ([]Override, error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	dec.DisallowUnknownFields()
	var f overrideFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("parse overrides: %w", err)
	}

	out := make([]Override, 0, len(f.Overrides))
	for i, oj := range f.Overrides {
		o, err := oj.override()
		if err != nil {
			return nil, fmt.Errorf("parse overrides: #%d %q: %w", i, oj.ID, err)
		}
		out = append(out, o)
	}
	return out, nil
}

func (oj overrideJSON) override() (Override, error) {
	o := Override{
		ID: oj.ID, Keys: oj.Keys, Reason: oj.Reason, Unset: oj.Unset, Free: oj.Free,
		ValidFrom: utc(oj.ValidFrom), ValidTo: utc(oj.ValidTo),
		Set: make(map[string]decimal.Decimal, len(oj.Set)),
	}
	if o.ID == "" || len(o.Keys) == 0 {
		return o, errors.New("want an id and at least one key")
	}
	if o.ValidFrom != nil && o.ValidTo != nil && !o.ValidFrom.Before(*o.ValidTo) {
		return o, errors.New("valid_from must be before valid_to")
	}
	for _, name := range slices.Sorted(maps.Keys(oj.Set)) {
		if _, ok := parsePriceKey(name); !ok {
			return o, fmt.Errorf("set: %s: not a price key", name)
		}
		d, err := price(oj.Set[name])
		if err != nil {
			return o, fmt.Errorf("set: %s: %w", name, err)
		}
		o.Set[name] = d.Decimal
	}
	for _, name := range o.Unset {
		if _, ok := parsePriceKey(name); !ok {
			return o, fmt.Errorf("unset: %s: not a price key", name)
		}
	}
	return o, nil
}

// apply returns a copy of e with o applied.
func (o Override) apply(e Entry) Entry {
	e = e.Clone()
	for _, name := range slices.Sorted(maps.Keys(o.Set)) {
		p, _ := parsePriceKey(name)
		e.set(p, decimal.NewNullDecimal(o.Set[name]))
	}
	for _, name := range o.Unset {
		p, _ := parsePriceKey(name)
		e.set(p, decimal.NullDecimal{})
	}
	if o.Free {
		e.Free = true
	}
	e.Overrides = append(e.Overrides, o.ID)
	return e
}

// Overlay applies overrides to price versions. A version that an override
// covers in part is split at the override's bounds; every piece keeps the
// version's ID, and Entry.Overrides names what was applied. Overrides for
// keys without versions do nothing. Store upstream versions and overlay
// when building the catalog, so that Plan compares upstream with upstream.
func Overlay(versions []Version, overrides []Override) []Version {
	byKey := map[string][]Override{}
	for _, o := range overrides {
		for _, k := range o.Keys {
			byKey[k] = append(byKey[k], o)
		}
	}

	out := make([]Version, 0, len(versions))
	for _, v := range versions {
		out = append(out, overlayVersion(v, byKey[v.Key])...)
	}
	return out
}

func overlayVersion(v Version, os []Override) []Version {
	if len(os) == 0 {
		return []Version{v}
	}
	var pieces []Version
	from := v.ValidFrom
	for _, to := range cuts(v, os) {
		pieces = append(pieces, piece(v, os, from, to))
		from = to
	}
	return append(pieces, piece(v, os, from, v.ValidTo))
}

// cuts returns the override bounds strictly inside v's window, in order.
func cuts(v Version, os []Override) []*time.Time {
	var ts []time.Time
	for _, o := range os {
		for _, t := range []*time.Time{o.ValidFrom, o.ValidTo} {
			if t != nil && v.covers(*t) && (v.ValidFrom == nil || t.After(*v.ValidFrom)) {
				ts = append(ts, *t)
			}
		}
	}
	slices.SortFunc(ts, time.Time.Compare)
	ts = slices.CompactFunc(ts, time.Time.Equal)

	out := make([]*time.Time, len(ts))
	for i := range ts {
		out[i] = &ts[i]
	}
	return out
}

func piece(v Version, os []Override, from, to *time.Time) Version {
	p := Version{ID: v.ID, Key: v.Key, ValidFrom: from, ValidTo: to, Entry: v.Entry}
	for _, o := range os {
		if within(from, to, o.ValidFrom, o.ValidTo) {
			p.Entry = o.apply(p.Entry)
		}
	}
	return p
}

// within reports whether the window [from, to) lies inside [lo, hi).
func within(from, to, lo, hi *time.Time) bool {
	if lo != nil && (from == nil || from.Before(*lo)) {
		return false
	}
	return hi == nil || (to != nil && !to.After(*hi))
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
