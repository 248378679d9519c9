package batch

import (
	"cmp"
	"slices"
	"sort"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/tallyhq/tally/internal/importer"
	"github.com/tallyhq/tally/internal/usage"
)

// Summary is what an import stored, or what a dry run would store. Its JSON
// is the interface of `tally import --json` and of the imports API.
type Summary struct {
	Files          int64             `json:"files"`
	Lines          int64             `json:"lines"`
	Events         int64             `json:"events"`
	Duplicates     int64             `json:"duplicates"`
	Updated        *int64            `json:"updated,omitempty"`
	Skipped        int64             `json:"skipped"`
	Rejected       int64             `json:"rejected"`
	UnpricedEvents int64             `json:"unpriced_events"`
	TotalCostUSD   string            `json:"total_cost_usd"`
	Models         []ModelSummary    `json:"models"`
	Rejects        []importer.Reject `json:"rejects"`
}

// ModelSummary is one model's share of a Summary. Model is the normalised
// name that was priced, or the reported name of an unpriced model, whose
// CostUSD is then null.
type ModelSummary struct {
	Model              string  `json:"model"`
	Events             int64   `json:"events"`
	InputTokens        int64   `json:"input_tokens"`
	CacheReadTokens    int64   `json:"cache_read_tokens"`
	CacheWrite5mTokens int64   `json:"cache_write_5m_tokens"`
	CacheWrite1hTokens int64   `json:"cache_write_1h_tokens"`
	OutputTokens       int64   `json:"output_tokens"`
	CostUSD            *string `json:"cost_usd"`

	cost   decimal.Decimal
	priced bool
}

// Summarize builds the summary of priced events and a run's counts.
func Summarize(st *importer.Stats, events []*usage.Event) *Summary {
	byModel := map[string]*ModelSummary{}
	for _, e := range events {
		name := e.ModelReported
		if e.Priced {
			name = e.ModelKey
		}
		m := byModel[name]
		if m == nil {
			m = &ModelSummary{Model: name, priced: e.Priced}
			byModel[name] = m
		}
		m.add(e)
	}
	models := make([]ModelSummary, 0, len(byModel))
	for _, m := range byModel {
		models = append(models, *m)
	}
	return newSummary(st, models)
}

func (m *ModelSummary) add(e *usage.Event) {
	m.Events++
	m.InputTokens += e.Tokens.InputUncached
	m.CacheReadTokens += e.Tokens.CacheRead
	m.CacheWrite5mTokens += e.Tokens.CacheWrite5m
	m.CacheWrite1hTokens += e.Tokens.CacheWrite1h
	m.OutputTokens += e.Tokens.Output
	m.cost = m.cost.Add(e.Cost)
}

// newSummary totals models, whose cost and priced fields are set, and
// orders them by name.
func newSummary(st *importer.Stats, models []ModelSummary) *Summary {
	s := &Summary{Files: st.Files, Lines: st.Lines, Events: st.Events,
		Duplicates: st.Duplicates, Skipped: st.Skipped, Rejected: st.Rejected,
		Models: models, Rejects: st.Rejects}
	if s.Rejects == nil {
		s.Rejects = []importer.Reject{}
	}
	// As ListImportRejects orders them: why a file was not read first.
	slices.SortStableFunc(s.Rejects, func(a, b importer.Reject) int {
		if a.EndsFile != b.EndsFile {
			if a.EndsFile {
				return -1
			}
			return 1
		}
		return cmp.Or(strings.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line))
	})
	total := decimal.Zero
	for i := range models {
		m := &models[i]
		if !m.priced {
			s.UnpricedEvents += m.Events
			continue
		}
		total = total.Add(m.cost)
		c := m.cost.String()
		m.CostUSD = &c
	}
	s.TotalCostUSD = total.String()
	sort.Slice(models, func(i, j int) bool { return models[i].Model < models[j].Model })
	return s
}
