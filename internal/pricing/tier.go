package pricing

import (
	"path"
	"strings"
	"unicode"

	"github.com/shopspring/decimal"
)

// The grant tiers (DESIGN.md): premium models need an active grant.
const (
	TierStandard = "standard"
	TierPremium  = "premium"
)

// PremiumPatterns returns the name patterns DefaultTier treats as premium,
// for the README to quote. They are path.Match patterns, matched against
// the model name: the key lower-cased, its last "/" segment, without a
// Bedrock geo or vendor prefix ("us.anthropic.") or a Vertex "@" suffix.
//
//   - *claude-opus*, *claude-*-opus*: Claude Opus, every version and surface
//   - *claude-fable*, *claude-mythos*: Claude families above Opus
//   - o1-pro*, o3-pro*, gpt-*-pro, gpt-*-pro-*: OpenAI pro models
//   - gpt-4.5*: GPT-4.5
//
// Besides, any model whose standard output price is at least $50 per
// million tokens is premium (o1, GPT-4-32k), so that a new expensive model
// needs a grant until someone decides otherwise. Gemini Pro is standard:
// it costs less than Claude Sonnet.
func PremiumPatterns() []string {
	return []string{
		"*claude-opus*", "*claude-*-opus*", "*claude-fable*", "*claude-mythos*",
		"o1-pro*", "o3-pro*", "gpt-*-pro", "gpt-*-pro-*", "gpt-4.5*",
	}
}

// DefaultTier returns the tier a model has unless configured otherwise:
// TierPremium for a name matching PremiumPatterns or a standard output
// price of at least $50 per million tokens, else TierStandard.
func DefaultTier(key string, e Entry) string {
	name := modelName(key)
	for _, p := range PremiumPatterns() {
		if ok, _ := path.Match(p, name); ok {
			return TierPremium
		}
	}
	out := e.Prices[ServiceStandard][KindOutput]
	floor := decimal.New(50, -6) // $50 per million tokens
	if out.Valid && out.Decimal.GreaterThanOrEqual(floor) {
		return TierPremium
	}
	return TierStandard
}

// modelName strips a key down to the model: lower case, the last path
// segment, no leading dotted segments made of letters only (geo and vendor:
// "us.", "global.", "anthropic."), no "@…" suffix.
func modelName(key string) string {
	name := strings.ToLower(key)
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	if i := strings.IndexByte(name, '@'); i >= 0 {
		name = name[:i]
	}
	for {
		head, rest, ok := strings.Cut(name, ".")
		if !ok || rest == "" || !isWord(head) {
			return name
		}
		name = rest
	}
}

func isWord(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && r != '-' {
			return false
		}
	}
	return true
}
