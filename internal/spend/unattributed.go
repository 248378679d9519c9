package spend

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/tallyhq/tally/db"
	"github.com/tallyhq/tally/internal/config"
	"github.com/tallyhq/tally/internal/fault"
	"github.com/tallyhq/tally/internal/principal"
	"github.com/tallyhq/tally/internal/usage"
)

// The kinds of evidence that unattributed calls are clustered by.
const (
	BySession = "session" // the session id
	ByHost    = "host"    // the host and OS user
	ByCWD     = "cwd"     // the project directory
	ByKey     = "key"     // the API key id, IAM ARN or gateway user
)

// ClusterKinds are the kinds of cluster, in the order pages offer them.
var ClusterKinds = []string{ByHost, BySession, ByCWD, ByKey}

// MaxClusters is how many clusters Unattributed lists, largest first.
const MaxClusters = 500

// keyKinds are the evidence keys a ByKey cluster is named by, first set
// first.
var keyKinds = []string{"api_key_id", "iam_arn", "gateway_user"}

// Cluster is the unattributed calls of a month that share one kind of
// evidence.
type Cluster struct {
	By string
	// Value names the cluster within its kind, as the cluster's URL carries
	// it: the session id; os_user@host; the directory; kind:value of a key
	// (api_key_id:…, iam_arn:… or gateway_user:…). "" (or "@" by host) is
	// the calls with no such evidence.
	Value string
	// Evidence is Value's parts that are set, keyed as in usage.Evidence.
	Evidence  []Evidence
	Calls     int64
	Unpriced  int64
	Cost      decimal.Decimal
	FirstSeen time.Time
	LastSeen  time.Time
}

// Unattributed is a month's spend that no principal owns, in clusters.
type Unattributed struct {
	Month    time.Time
	By       string
	Total    Total     // from the daily rollup
	Clusters []Cluster // the largest MaxClusters
	// Truncated is set when there are more clusters than listed.
	Truncated bool
}

// ParseBy checks a cluster kind; "" is ByHost. Others are a
// *fault.Invalid for the field "by".
func ParseBy(by string) (string, error) {
	switch by {
	case "":
		return ByHost, nil
	case BySession, ByHost, ByCWD, ByKey:
		return by, nil
	}
	return "", fault.Invalidf("by", "Group by session, host, cwd or key.")
}

// Unattributed returns the month's unattributed spend grouped by the
// evidence kind by, for investigators and admins; others get
// fault.ErrForbidden.
func (s *Service) Unattributed(ctx context.Context, viewer principal.Principal,
	month time.Time, by string) (*Unattributed, error) {
	if !viewer.HasAny(config.RoleInvestigator, config.RoleAdmin) {
		return nil, fmt.Errorf("unattributed: %w", fault.ErrForbidden)
	}
	by, err := ParseBy(by)
	if err != nil {
		return nil, err
	}
	q := db.New(s.pool)
	total, err := q.GetUnattributedTotal(ctx, month)
	if err != nil {
		return nil, fmt.Errorf("unattributed total: %w", err)
	}
	rows, err := q.ListUnattributedClusters(ctx, db.ListUnattributedClustersParams{
		By: by, Month: month, MaxRows: MaxClusters + 1})
	if err != nil {
		return nil, fmt.Errorf("list clusters: %w", err)
	}

	out := &Unattributed{Month: month, By: by,
		Total: Total{Calls: total.Calls, Unpriced: total.Unpriced, Cost: total.Cost}}
	for i, r := range rows {
		if i == MaxClusters {
			out.Truncated = true
			break
		}
		out.Clusters = append(out.Clusters, Cluster{By: by, Value: r.Value,
			Evidence: clusterEvidence(by, r.Value), Calls: r.Calls, Unpriced: r.Unpriced,
			Cost: r.Cost, FirstSeen: r.FirstSeen, LastSeen: r.LastSeen})
	}
	return out, nil
}

// ClusterCalls returns the calls of one unattributed cluster (see Cluster
// for by and value), for investigators and admins. A cluster without calls
// is fault.ErrNotFound.
func (s *Service) ClusterCalls(ctx context.Context, viewer principal.Principal,
	month time.Time, by, value string) (*Cluster, *Calls, error) {
	if !viewer.HasAny(config.RoleInvestigator, config.RoleAdmin) {
		return nil, nil, fmt.Errorf("unattributed calls: %w", fault.ErrForbidden)
	}
	if _, err := ParseBy(by); err != nil || by == "" {
		return nil, nil, fmt.Errorf("cluster kind %q: %w", by, fault.ErrNotFound)
	}
	rows, err := db.New(s.pool).ListUnattributedEvents(ctx, db.ListUnattributedEventsParams{
		ApproximateFlag: int32(usage.FlagApproximate), Month: month, By: by, Value: value,
		MaxRows: MaxEvents,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("list cluster events: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil, fmt.Errorf("cluster %s %q: %w", by, value, fault.ErrNotFound)
	}

	first := rows[0]
	calls := &Calls{Total: Total{Calls: first.TotalCalls, Unpriced: first.TotalUnpriced,
		Approximate: first.TotalApproximate, Cost: first.TotalCost}}
	for _, r := range rows {
		e, err := eventFromRow(r.UsageEvent)
		if err != nil {
			return nil, nil, err
		}
		e.Uploader = r.UploaderEmail
		calls.Events = append(calls.Events, e)
	}
	c := &Cluster{By: by, Value: value, Evidence: clusterEvidence(by, value),
		Calls: calls.Total.Calls, Unpriced: calls.Total.Unpriced, Cost: calls.Total.Cost}
	return c, calls, nil
}

// clusterEvidence splits a cluster's value into the evidence it stands for,
// leaving out the parts that are not set.
func clusterEvidence(by, value string) []Evidence {
	var out []Evidence
	add := func(key, v string) {
		if v != "" {
			out = append(out, Evidence{Key: key, Value: v})
		}
	}
	switch by {
	case BySession:
		add("session_id", value)
	case ByHost:
		i := strings.LastIndex(value, "@")
		if i < 0 {
			return nil
		}
		add("host", value[i+1:])
		add("os_user", value[:i])
	case ByCWD:
		add("cwd", value)
	case ByKey:
		kind, v, _ := strings.Cut(value, ":")
		for _, k := range keyKinds {
			if k == kind {
				add(k, v)
			}
		}
	}
	return out
}
