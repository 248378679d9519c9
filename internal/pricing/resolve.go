package pricing

import (
	"strings"

	"github.com/tallyhq/tally/internal/usage"
)

// The normalisation steps (FORMATS.md C.8), as Resolve reports them. After
// a lower-case retry the step reads "lower_case+" and the step that matched.
const (
	StepExact       = "exact"        // 1: model_reported as is
	StepDrop1M      = "drop_1m"      // 2: Claude Code's [1m] suffix dropped
	StepStripVendor = "strip_vendor" // 3: anthropic/ or openai/ stripped
	StepDate        = "date"         // 5: the dated or undated twin
	StepDots        = "dots"         // 6: 4.5 → 4-5
	StepLowerCase   = "lower_case"   // 7: all of the above, lower-cased
)

type resolveKey struct{ provider, region, model string }

type resolution struct {
	key, step string
	ok        bool
}

// Resolve maps a provider and a reported model name to a table key, by exact
// matches only (FORMATS.md C.8), and returns the step that matched. It
// accepts only chat and responses entries whose litellm_provider belongs to
// provider, so a surface call never takes a first-party price.
func (c *Catalog) Resolve(provider, model string) (key, step string, ok bool) {
	r := c.resolve(provider, "", model)
	return r.key, r.step, r.ok
}

// ResolveEvent is Resolve for an event; for Bedrock it also tries the
// event's region (bedrock/<region>/<model>), as Price does.
func (c *Catalog) ResolveEvent(e *usage.Event) (key, step string, ok bool) {
	r := c.resolve(e.Provider, e.Region, e.ModelReported)
	return r.key, r.step, r.ok
}

// resolve caches resolutions per provider, region and model: the catalog
// never changes, and an import sees few distinct names.
func (c *Catalog) resolve(provider, region, model string) resolution {
	p := canonicalProvider(provider)
	if p != "bedrock" {
		region = ""
	}
	k := resolveKey{provider, region, model}
	if r, ok := c.cache.Load(k); ok {
		return r.(resolution)
	}
	r := c.normalise(p, region, model)
	c.cache.Store(k, r)
	return r
}

func (c *Catalog) normalise(p, region, model string) resolution {
	if p == "" || model == "" {
		return resolution{}
	}
	if r := c.steps(p, region, model); r.ok {
		return r
	}
	if low := strings.ToLower(model); low != model {
		if r := c.steps(p, region, low); r.ok {
			r.step = StepLowerCase + "+" + r.step
			return r
		}
	}
	return resolution{}
}

// steps runs steps 1 to 6 on name, each on the result of the one before.
func (c *Catalog) steps(p, region, name string) resolution {
	if k, ok := c.try(p, region, name, false); ok {
		return resolution{k, StepExact, true}
	}
	if n, cut := strings.CutSuffix(name, "[1m]"); cut {
		name = n
		if k, ok := c.try(p, region, name, false); ok {
			return resolution{k, StepDrop1M, true}
		}
	}
	if n, cut := cutVendor(name); cut {
		name = n
		if k, ok := c.try(p, region, name, false); ok {
			return resolution{k, StepStripVendor, true}
		}
	}
	if k, ok := c.try(p, region, name, true); ok {
		return resolution{k, StepDate, true}
	}
	if n := dotsToDashes(name); n != name {
		if k, ok := c.try(p, region, n, false); ok {
			return resolution{k, StepDots, true}
		}
		if k, ok := c.try(p, region, n, true); ok {
			return resolution{k, StepDots, true}
		}
	}
	return resolution{}
}

// try looks name up in its surface form first, then as is; with dates it
// looks up the name's dated or undated twins instead of the name.
func (c *Catalog) try(p, region, name string, dates bool) (string, bool) {
	for _, form := range surfaceForms(p, region, name) {
		if !dates {
			if c.accept(p, form) {
				return form, true
			}
			continue
		}
		for _, twin := range c.dateTwins(form) {
			if c.accept(p, twin) {
				return twin, true
			}
		}
	}
	return "", false
}

// accept reports whether key is a priceable entry of provider p.
func (c *Catalog) accept(p, key string) bool {
	m, ok := c.models[key]
	if !ok || (m.mode != "chat" && m.mode != "responses") {
		return false
	}
	return servedBy(p, m.provider)
}

// dateTwins returns the keys that name may map to by its date suffix:
// the same date written another way, then the undated name; for an undated
// name, its one dated twin if there is exactly one. Another date is another
// version and never a twin.
func (c *Catalog) dateTwins(name string) []string {
	base, date, ok := splitDate(name)
	if !ok {
		if twins := c.dated[name]; len(twins) == 1 {
			return twins
		}
		return nil
	}
	forms := []string{
		base + "-" + date,
		base + "-" + date[:4] + "-" + date[4:6] + "-" + date[6:],
		base + "@" + date,
		base,
	}
	out := forms[:0]
	for _, f := range forms {
		if f != name {
			out = append(out, f)
		}
	}
	return out
}

// splitDate splits a -YYYYMMDD, -YYYY-MM-DD or @YYYYMMDD suffix off name and
// returns the date as YYYYMMDD.
func splitDate(name string) (base, date string, ok bool) {
	n := len(name)
	switch {
	case n > 9 && (name[n-9] == '-' || name[n-9] == '@') && isDate(name[n-8:]):
		return name[:n-9], name[n-8:], true
	case n > 11 && name[n-11] == '-' && name[n-6] == '-' && name[n-3] == '-':
		d := name[n-10:n-6] + name[n-5:n-3] + name[n-2:]
		if isDate(d) {
			return name[:n-11], d, true
		}
	}
	return "", "", false
}

// isDate reports whether s looks like a YYYYMMDD date from this century.
func isDate(s string) bool {
	if len(s) != 8 || s[:2] != "20" {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	month, day := s[4:6], s[6:]
	return month >= "01" && month <= "12" && day >= "01" && day <= "31"
}

// dotsToDashes turns version dots into dashes (claude-sonnet-4.5 →
// claude-sonnet-4-5). Only a dot between two digits changes, so Bedrock's
// "us.anthropic." prefix stays.
func dotsToDashes(name string) string {
	b := []byte(name)
	for i := 1; i+1 < len(b); i++ {
		if b[i] == '.' && isDigit(b[i-1]) && isDigit(b[i+1]) {
			b[i] = '-'
		}
	}
	return string(b)
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

func cutVendor(name string) (string, bool) {
	for _, v := range []string{"anthropic/", "openai/"} {
		if n, ok := strings.CutPrefix(name, v); ok {
			return n, true
		}
	}
	return name, false
}

// surfaceForms returns the names to look up for name: the provider's surface
// form first when name has none, then name itself.
func surfaceForms(p, region, name string) []string {
	if hasSurface(name) {
		return []string{name}
	}
	switch p {
	case "vertex_ai", "gemini", "azure", "azure_ai", "openrouter":
		return []string{p + "/" + name, name}
	case "bedrock":
		if region != "" {
			return []string{"bedrock/" + region + "/" + name, name}
		}
	}
	return []string{name}
}

func hasSurface(name string) bool {
	for _, s := range []string{"vertex_ai/", "gemini/", "azure/", "azure_ai/", "openrouter/",
		"bedrock/"} {
		if strings.HasPrefix(name, s) {
			return true
		}
	}
	return false
}

// servedBy reports whether a table row of litellm_provider lp bills calls
// of provider p.
func servedBy(p, lp string) bool {
	switch p {
	case "bedrock":
		return lp == "bedrock" || lp == "bedrock_converse" || lp == "bedrock_mantle"
	case "azure":
		return lp == "azure" || lp == "azure_text"
	case "anthropic", "openai", "gemini", "azure_ai", "openrouter":
		return lp == p
	}
	return lp == p || strings.HasPrefix(lp, p+"-")
}

// canonicalProvider maps the provider names importers may write to
// LiteLLM's (OpenCode's providerID values among them).
func canonicalProvider(p string) string {
	p = strings.ToLower(strings.TrimSpace(p))
	switch p {
	case "amazon-bedrock", "aws", "aws-bedrock", "aws_bedrock", "bedrock_converse":
		return "bedrock"
	case "vertex", "vertexai", "vertex-ai", "google-vertex", "google-vertex-anthropic":
		return "vertex_ai"
	case "google", "google-ai-studio", "gemini-api":
		return "gemini"
	case "azure-openai", "azure_openai":
		return "azure"
	case "azure-ai":
		return "azure_ai"
	}
	return p
}
