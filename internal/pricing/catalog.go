package pricing

import (
	"slices"
	"sync"
	"time"

	"github.com/shopspring/decimal"
	"github.com/tallyhq/tally/internal/usage"
)

// Catalog prices events from price versions held in memory. It is built once
// and never changes, so any number of goroutines may use it at once; build a
// new one to load new prices.
type Catalog struct {
	models map[string]*model
	dated  map[string][]string // undated base → the dated keys that share it
	cache  sync.Map            // resolveKey → resolution
}

// model is one table key and its versions, by start.
type model struct {
	key      string
	provider string // litellm_provider of the latest version
	mode     string
	versions []*version
}

type version struct {
	Version
	once  sync.Once
	quote *quote
}

// NewCatalog builds a catalog from versions. Versions of one key must not
// overlap; an empty window (ValidFrom equal to ValidTo) prices nothing.
func NewCatalog(versions []Version) *Catalog {
	c := &Catalog{models: map[string]*model{}, dated: map[string][]string{}}
	for _, v := range versions {
		m := c.models[v.Key]
		if m == nil {
			m = &model{key: v.Key}
			c.models[v.Key] = m
		}
		m.versions = append(m.versions, &version{Version: v})
	}
	for key, m := range c.models {
		slices.SortStableFunc(m.versions, func(a, b *version) int {
			return startCompare(a.ValidFrom, b.ValidFrom)
		})
		last := m.versions[len(m.versions)-1].Entry
		m.provider, m.mode = last.Provider, last.Mode
		if base, _, ok := splitDate(key); ok {
			c.dated[base] = append(c.dated[base], key)
		}
	}
	return c
}

// CatalogFromTable builds a catalog in which table applies to every time,
// for a dry run given --prices FILE. It applies no overrides; to apply
// them, use NewCatalog(Overlay(TableVersions(table), overrides)).
func CatalogFromTable(table map[string]Entry) *Catalog {
	return NewCatalog(TableVersions(table))
}

// Price sets e's ModelKey, Cost, CacheReadCost, Priced and PriceID from the version valid
// at e.OccurredAt, and its flags: FlagUnpriced when no price applies (then
// Cost is zero, ModelKey empty and Priced false: never a $0 price), and
// FlagApproximate when a rate came from a default. Price never clears
// FlagApproximate, which importers set for a guessed tier.
func (c *Catalog) Price(e *usage.Event) {
	r := c.resolve(e.Provider, e.Region, e.ModelReported)
	if !r.ok {
		unpriced(e)
		return
	}
	v := c.models[r.key].at(e.OccurredAt)
	if v == nil {
		unpriced(e)
		return
	}
	ch, flags, ok := v.prices().cost(e)
	if !ok {
		unpriced(e)
		return
	}
	e.ModelKey, e.Cost, e.CacheReadCost, e.Priced, e.PriceID = r.key, ch.total, ch.cacheRead,
		true, v.ID
	e.Flags = e.Flags&^usage.FlagUnpriced | flags
}

func unpriced(e *usage.Event) {
	e.ModelKey, e.Cost, e.CacheReadCost, e.Priced, e.PriceID = "", decimal.Zero,
		decimal.Zero, false, 0
	e.Flags |= usage.FlagUnpriced
}

// at returns the version valid at t, or nil.
func (m *model) at(t time.Time) *version {
	for i := len(m.versions) - 1; i >= 0; i-- {
		if v := m.versions[i]; v.covers(t) {
			return v
		}
	}
	return nil
}

// prices returns v's compiled prices, compiling them on first use.
func (v *version) prices() *quote {
	v.once.Do(func() { v.quote = compile(v.Key, v.Entry) })
	return v.quote
}

// entry returns the entry of key's latest version, for tests and tools.
func (c *Catalog) entry(key string) (Entry, bool) {
	m, ok := c.models[key]
	if !ok {
		return Entry{}, false
	}
	return m.versions[len(m.versions)-1].Entry, true
}

func startCompare(a, b *time.Time) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	return a.Compare(*b)
}
