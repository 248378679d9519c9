package pricing

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tallyhq/tally/db"
	"github.com/tallyhq/tally/internal/audit"
	"github.com/tallyhq/tally/internal/fault"
)

// Model is one model that has a price, as of a given time.
type Model struct {
	Key      string
	Provider string // litellm_provider
	Tier     string // TierStandard or TierPremium
	// Rates are the standard-tier, standard-context USD per token of the
	// version in force, with the bundled overrides applied; a rate that is
	// not Valid is one the table does not give.
	Rates     Rates
	ValidFrom *time.Time // the version's window; nil = unbounded
	ValidTo   *time.Time
	Versions  int      // stored price versions of the model
	Overrides []string // the overrides that correct the rates shown
}

// ModelFilter chooses the models ListModels returns: those whose key holds
// Search (any case), of Provider and of Tier ("" for any), priced as of At,
// Limit of them from Offset.
type ModelFilter struct {
	Search   string
	Provider string
	Tier     string
	At       time.Time
	Offset   int
	Limit    int
}

// ModelPage is one page of models and how many match in all.
type ModelPage struct {
	Models []Model
	Total  int
}

// ListModels returns the models with a price that f chooses, by key.
func (s *Service) ListModels(ctx context.Context, f ModelFilter) (ModelPage, error) {
	ovs, err := ParseOverrides(bytes.NewReader(DefaultOverrides()))
	if err != nil {
		return ModelPage{}, err
	}
	rows, err := db.New(s.pool).ListPricedModels(ctx, db.ListPricedModelsParams{
		Search: f.Search, Provider: f.Provider, Tier: f.Tier, At: f.At.UTC(),
		Skip: int32(max(f.Offset, 0)), MaxRows: int32(min(max(f.Limit, 1), 1000))})
	if err != nil {
		return ModelPage{}, fmt.Errorf("list priced models: %w", err)
	}
	page := ModelPage{Models: make([]Model, 0, len(rows))}
	for _, r := range rows {
		var e Entry
		if err := json.Unmarshal(r.Entry, &e); err != nil {
			return ModelPage{}, fmt.Errorf("price of %s: %w", r.ModelKey, err)
		}
		v := inForce(Version{Key: r.ModelKey, ValidFrom: r.ValidFrom, ValidTo: r.ValidTo,
			Entry: e}, ovs, f.At)
		page.Models = append(page.Models, Model{Key: r.ModelKey, Provider: e.Provider,
			Tier: r.Tier, Rates: v.Entry.Prices[ServiceStandard], ValidFrom: r.ValidFrom,
			ValidTo: r.ValidTo, Versions: int(r.Versions),
			Overrides: slices.Clone(v.Entry.Overrides)})
		page.Total = int(r.Total)
	}
	return page, nil
}

// inForce returns v with the overrides that apply at at laid over it.
func inForce(v Version, ovs []Override, at time.Time) Version {
	pieces := Overlay([]Version{v}, ovs)
	for _, p := range pieces {
		if p.covers(at) {
			return p
		}
	}
	if len(pieces) > 0 {
		return pieces[0]
	}
	return v
}

// Providers returns the providers of the priced models, in order.
func (s *Service) Providers(ctx context.Context) ([]string, error) {
	out, err := db.New(s.pool).ListPriceProviders(ctx)
	if err != nil {
		return nil, fmt.Errorf("list price providers: %w", err)
	}
	return out, nil
}

// SetTier sets the tier of model key, audited as model.set_tier, in one
// transaction, and returns the tier it had. Setting the tier it has changes
// nothing. The model must have a price (fault.ErrNotFound otherwise), and
// tier must be TierStandard or TierPremium (a *fault.Invalid otherwise).
func (s *Service) SetTier(ctx context.Context, by audit.Actor, key, tier string) (string,
	error) {
	if tier != TierStandard && tier != TierPremium {
		return "", fault.Invalidf("tier", "Choose standard or premium")
	}
	var was string
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		var err error
		if was, err = q.GetModelTier(ctx, key); err != nil {
			return db.Translate(err)
		}
		if was == tier {
			return nil
		}
		var setBy *int64
		if by.ID != 0 {
			setBy = &by.ID
		}
		err = q.SetModelTier(ctx, db.SetModelTierParams{ModelKey: key, Tier: tier,
			SetBy: setBy})
		if err != nil {
			return fmt.Errorf("store tier: %w", err)
		}
		return audit.Append(ctx, q, audit.Entry{ActorID: by.ID, Actor: by.Name,
			Action: "model.set_tier", Subject: "model:" + key,
			Details: map[string]any{"from": was, "to": tier}})
	})
	if err != nil {
		return "", fmt.Errorf("set tier of %s: %w", key, err)
	}
	return was, nil
}
