// Package attribution decides which principal owns a usage event, from the
// evidence the event carries and the identity mappings an admin maintains.
package attribution

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tallyhq/tally/db"
	"github.com/tallyhq/tally/internal/usage"
)

// Method says how an event was attributed.
type Method string

// The methods of attribution. Rule and assigned come with later sources and
// with investigations.
const (
	Direct   Method = "direct"  // the source named the principal at write time
	Mapped   Method = "mapped"  // an identity mapping matched the evidence
	Claimed  Method = "claimed" // the uploader said the usage was their own
	Assigned Method = "assigned"
)

// Kinds of identity mapping, in the order they are tried.
var Kinds = []string{"api_key_id", "iam_arn", "gateway_user", "os_user", "host", "email"}

// Mapping says that evidence of a kind and value names a principal within a
// window. For os_user, Host narrows the mapping to one host ("" = any).
type Mapping struct {
	Kind        string
	Value       string
	Host        string
	PrincipalID int64
	ValidFrom   *time.Time
	ValidTo     *time.Time
}

func (m Mapping) validAt(t time.Time) bool {
	if m.ValidFrom != nil && t.Before(*m.ValidFrom) {
		return false
	}
	return m.ValidTo == nil || t.Before(*m.ValidTo)
}

type mapKey struct{ kind, value, host string }

// Resolver attributes events; it is read-only once built.
type Resolver struct {
	mappings map[mapKey][]Mapping
	emails   map[string]int64
}

// NewResolver builds a resolver from mappings and the principals' emails.
func NewResolver(mappings []Mapping, emails map[string]int64) *Resolver {
	r := &Resolver{mappings: map[mapKey][]Mapping{}, emails: emails}
	for _, m := range mappings {
		k := mapKey{m.Kind, normalise(m.Kind, m.Value), strings.ToLower(m.Host)}
		r.mappings[k] = append(r.mappings[k], m)
	}
	return r
}

// Load builds a resolver from the database.
func Load(ctx context.Context, q *db.Queries) (*Resolver, error) {
	rows, err := q.ListIdentityMappings(ctx)
	if err != nil {
		return nil, fmt.Errorf("list identity mappings: %w", err)
	}
	mappings := make([]Mapping, len(rows))
	for i, row := range rows {
		mappings[i] = Mapping{Kind: row.Kind, Value: row.Value, Host: row.Host,
			PrincipalID: row.PrincipalID, ValidFrom: row.ValidFrom, ValidTo: row.ValidTo}
	}
	people, err := q.ListPrincipalEmails(ctx)
	if err != nil {
		return nil, fmt.Errorf("list principals: %w", err)
	}
	emails := make(map[string]int64, len(people))
	for _, p := range people {
		emails[p.Email] = p.ID
	}
	return NewResolver(mappings, emails), nil
}

// Attribute returns the principal that owns e and how that was decided, or
// ok false when the evidence names nobody. A principal named by the source
// wins; then mappings by kind in the order of Kinds.
func (r *Resolver) Attribute(e *usage.Event) (id int64, method Method, ok bool) {
	ev := e.Evidence
	if id, ok := r.emails[strings.ToLower(ev.Principal)]; ok && ev.Principal != "" {
		return id, Direct, true
	}
	for _, c := range []mapKey{
		{"api_key_id", ev.APIKeyID, ""},
		{"iam_arn", ev.IAMARN, ""},
		{"gateway_user", ev.GatewayUser, ""},
		{"os_user", ev.OSUser, ev.Host},
		{"os_user", ev.OSUser, ""},
		{"host", ev.Host, ""},
		{"email", ev.Principal, ""},
	} {
		if c.value == "" {
			continue
		}
		c.value, c.host = normalise(c.kind, c.value), strings.ToLower(c.host)
		if id, ok := r.lookup(c, e.OccurredAt); ok {
			return id, Mapped, true
		}
	}
	return 0, "", false
}

func (r *Resolver) lookup(k mapKey, at time.Time) (int64, bool) {
	for _, m := range r.mappings[k] {
		if m.validAt(at) {
			return m.PrincipalID, true
		}
	}
	return 0, false
}

// normalise lower-cases the values that compare without case.
func normalise(kind, value string) string {
	if kind == "email" || kind == "host" {
		return strings.ToLower(value)
	}
	return value
}
