// Package usage defines the normalised usage event that every importer
// produces and that pricing, attribution and storage read.
package usage

import (
	"time"

	"github.com/shopspring/decimal"
)

// Source formats, as stored on each event and accepted by --format.
const (
	FormatClaudeCode = "claude-code"
	FormatCodex      = "codex"
	FormatGeneric    = "generic"
)

// Tokens holds a call's token counts by kind. The input kinds are disjoint:
// total input is InputUncached + CacheRead + CacheWrite5m + CacheWrite1h.
// Output is all billed output; Reasoning is the informational part of it and
// is never priced on top.
type Tokens struct {
	InputUncached int64
	CacheRead     int64
	CacheWrite5m  int64
	CacheWrite1h  int64
	Output        int64
	Reasoning     int64
}

// Input returns the request's total input, the figure that long-context
// thresholds are judged on.
func (t Tokens) Input() int64 {
	return t.InputUncached + t.CacheRead + t.CacheWrite5m + t.CacheWrite1h
}

// Add adds u's counts to t.
func (t *Tokens) Add(u Tokens) {
	t.InputUncached += u.InputUncached
	t.CacheRead += u.CacheRead
	t.CacheWrite5m += u.CacheWrite5m
	t.CacheWrite1h += u.CacheWrite1h
	t.Output += u.Output
	t.Reasoning += u.Reasoning
}

// Flags mark how far an event's figures can be trusted.
type Flags uint16

// The flags, stored as a bit set.
const (
	FlagUnpriced         Flags = 1 << iota // no price row matched
	FlagModelAssumed                       // the model was not logged beside the usage
	FlagTTLAssumed                         // cache writes without a TTL split went to 5m
	FlagOutputSuspect                      // output may be a placeholder, never finalised
	FlagFromProgressCopy                   // taken from a parent's agent_progress copy
	FlagApproximate                        // priced at a guessed tier
)

// Rank orders copies of one call: a higher rank replaces a lower one.
type Rank int8

// The ranks of Claude Code copies; other formats use RankPrimary only.
const (
	RankProgressCopy Rank = iota // embedded in a parent's agent_progress line
	RankSidechain                // isSidechain: true
	RankPrimary                  // a top-level, non-sidechain line
)

// Policy says what happens when a later copy of a stored call arrives.
type Policy int8

const (
	// PolicyKeepFirst keeps the stored call and counts the copy as a duplicate.
	PolicyKeepFirst Policy = iota
	// PolicyBest lets a copy of higher Rank, or of equal Rank and larger
	// Output, replace the stored usage (Claude Code writes growing copies).
	PolicyBest
)

// Evidence is what the source says about who made the call. No field is
// trusted as identity on its own; attribution decides.
type Evidence struct {
	Principal       string `json:"principal,omitempty"` // an email the source names
	APIKeyID        string `json:"api_key_id,omitempty"`
	IAMARN          string `json:"iam_arn,omitempty"`
	GatewayUser     string `json:"gateway_user,omitempty"`
	Host            string `json:"host,omitempty"`
	OSUser          string `json:"os_user,omitempty"`
	CWD             string `json:"cwd,omitempty"`
	SessionID       string `json:"session_id,omitempty"`
	ParentSessionID string `json:"parent_session_id,omitempty"`
	AgentID         string `json:"agent_id,omitempty"`
	GitBranch       string `json:"git_branch,omitempty"`
	GitRemote       string `json:"git_remote,omitempty"`
	Agent           string `json:"agent,omitempty"`   // claude-code, codex, …
	Version         string `json:"version,omitempty"` // the agent's version
}

// Event is one model call, normalised. Importers fill everything but the
// price fields; the pricer fills Cost, PriceID and ModelKey.
type Event struct {
	SourceFormat string
	SourceFile   string
	SourceLine   int

	// Keys are the call's natural keys (FORMATS.md A.3). Two events that
	// share any key are copies of one call. Keys[0] is the primary key.
	Keys   []string
	Rank   Rank
	Policy Policy

	OccurredAt time.Time

	Provider      string
	ModelReported string
	ServiceTier   string
	Speed         string
	InferenceGeo  string
	Region        string

	Tokens            Tokens
	Requests          int64
	WebSearchRequests int64
	WebFetchRequests  int64

	Flags    Flags
	Evidence Evidence

	// Set by pricing.
	ModelKey      string          // the price key matched; empty when unpriced
	Cost          decimal.Decimal // meaningful only when Priced
	CacheReadCost decimal.Decimal // the part of Cost paid for cache reads
	Priced        bool
	PriceID       int64 // the price version used; 0 outside the database
}

// SingleKey reports whether every call of a source format carries exactly
// one key. Then all copies of a call share that key, and no call of another
// format holds it, as keys begin with their format.
func SingleKey(format string) bool {
	return format == FormatCodex || format == FormatGeneric
}

// PolicyFor returns the copy policy of a source format.
func PolicyFor(format string) Policy {
	if format == FormatClaudeCode {
		return PolicyBest
	}
	return PolicyKeepFirst
}

// Merge folds copy c of a call into the stored call s and reports whether
// s changed, in its usage or in when and where it happened. Under
// PolicyBest a higher rank replaces s outright;
// among copies of the winning rank the largest output is kept, while
// OccurredAt, the session and the source stay those of the earliest copy
// (by time, then file, then line), so a resumed copy never moves a call.
// Under PolicyKeepFirst s never changes but for its keys, which always
// gain c's.
func Merge(s, c *Event) bool {
	keys := unionKeys(s.Keys, c.Keys)
	s.Keys = keys
	if c.Policy != PolicyBest || c.Rank < s.Rank {
		return false
	}
	if c.Rank > s.Rank {
		*s = *c
		s.Keys = keys
		return true
	}
	moved := earlier(c, s)
	if moved {
		s.OccurredAt = c.OccurredAt
		s.SourceFile, s.SourceLine = c.SourceFile, c.SourceLine
		s.Evidence.SessionID = c.Evidence.SessionID
		s.Evidence.AgentID, s.Evidence.CWD = c.Evidence.AgentID, c.Evidence.CWD
	}
	if c.Tokens.Output <= s.Tokens.Output {
		return moved
	}
	s.Tokens = c.Tokens
	s.WebSearchRequests, s.WebFetchRequests = c.WebSearchRequests, c.WebFetchRequests
	s.Flags = c.Flags
	return true
}

func earlier(a, b *Event) bool {
	if !a.OccurredAt.Equal(b.OccurredAt) {
		return a.OccurredAt.Before(b.OccurredAt)
	}
	if a.SourceFile != b.SourceFile {
		return a.SourceFile < b.SourceFile
	}
	return a.SourceLine < b.SourceLine
}

func unionKeys(a, b []string) []string {
	out := a[:len(a):len(a)] // appending never writes into a's array
	for _, k := range b {
		if !contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

func contains(keys []string, k string) bool {
	for _, x := range keys {
		if x == k {
			return true
		}
	}
	return false
}
