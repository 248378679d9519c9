package web

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/tallyhq/tally/internal/spend"
	"github.com/tallyhq/tally/web/ui"
)

// usageColumns are the Usage table's columns, each a sort key.
var usageColumns = []ui.SortColumn{
	{Key: "principal", Label: "Principal"},
	{Key: "cost_center", Label: "Cost center"},
	{Key: "model", Label: "Model"},
	{Key: "tier", Label: "Tier"},
	{Key: "calls", Label: "Calls", Numeric: true},
	{Key: "input", Label: "Input", Unit: "tokens", Numeric: true},
	{Key: "cache_read", Label: "Cache read", Unit: "tokens", Numeric: true},
	{Key: "cache_write", Label: "Cache write", Unit: "tokens", Numeric: true},
	{Key: "output", Label: "Output", Unit: "tokens", Numeric: true},
	{Key: "cost", Label: "Cost", Unit: "USD", Numeric: true},
}

// usageCSVHeader is the header row of /usage.csv, one name per column.
var usageCSVHeader = []string{"principal", "name", "cost_center", "model", "tier", "priced",
	"calls", "input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens",
	"cost_usd"}

// showUsagePage is Usage: everyone's month by principal and model, with the
// filters and sort order in the URL.
func (s *Server) showUsagePage(w http.ResponseWriter, r *http.Request) {
	u, ok := s.loadUsage(w, r)
	if !ok {
		return
	}
	v := s.usageView(u)
	v.Shell = s.shell(r, "Usage", "usage")
	s.render(w, r, http.StatusOK, ui.UsagePage(v))
}

// downloadUsage is /usage.csv: the rows Usage shows with the same filters,
// in the same order, with exact amounts.
func (s *Server) downloadUsage(w http.ResponseWriter, r *http.Request) {
	u, ok := s.loadUsage(w, r)
	if !ok {
		return
	}

	var buf bytes.Buffer
	if err := writeUsageCSV(&buf, u.Rows); err != nil {
		s.renderError(w, r, fmt.Errorf("write usage csv: %w", err))
		return
	}
	name := "tally-usage-" + u.Filter.Month.Format("2006-01") + ".csv"
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Write(buf.Bytes())
}

// loadUsage reads the filters and the usage they select, or renders the
// error and reports false.
func (s *Server) loadUsage(w http.ResponseWriter, r *http.Request) (*spend.Usage, bool) {
	p, _ := principalFrom(r.Context())
	month, err := s.monthParam(r)
	if err != nil {
		s.renderError(w, r, err)
		return nil, false
	}
	q := r.URL.Query()
	f := spend.UsageFilter{Month: month, CostCenter: q.Get("cost_center"),
		Principal: strings.TrimSpace(q.Get("principal")), Model: q.Get("model"),
		Tier: q.Get("tier"), Attributed: q.Get("attributed"), Sort: q.Get("sort")}

	u, err := s.spend.Usage(r.Context(), p, f)
	if err != nil {
		s.renderError(w, r, err)
		return nil, false
	}
	return u, true
}

// usageQuery returns the query string that selects f, leaving out what is
// unset and the default sort.
func usageQuery(f spend.UsageFilter) url.Values {
	q := url.Values{"month": {f.Month.Format("2006-01")}}
	for k, v := range map[string]string{"cost_center": f.CostCenter,
		"principal": f.Principal, "model": f.Model, "tier": f.Tier,
		"attributed": f.Attributed} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.Sort != "cost" {
		q.Set("sort", f.Sort)
	}
	return q
}

// usageView builds the Usage page from a month's rows.
func (s *Server) usageView(u *spend.Usage) ui.UsageView {
	f := u.Filter
	month := f.Month.Format("2006-01")
	keep := usageQuery(f)
	keep.Del("month")
	v := ui.UsageView{Month: ui.MonthLabel(f.Month), Total: figureOf(u.Total),
		Unattributed: figureOf(u.Unattributed),
		Picker:       s.monthPicker("/usage", f.Month, keep, false),
		CSVHref:      "/usage.csv?" + usageQuery(f).Encode()}
	v.Filter = ui.UsageFilterView{Month: month, CostCenter: f.CostCenter,
		Principal: f.Principal, Model: f.Model, Tier: f.Tier, Attributed: f.Attributed,
		Sort: f.Sort, Months: monthOptions(f.Month, s.spend.ThisMonth(s.now())),
		CostCenters: options(u.CostCenters, f.CostCenter), Models: options(u.Models, f.Model),
		Active: len(keep) > 0 && !(len(keep) == 1 && keep.Has("sort")),
		Reset:  "/usage?month=" + month}

	for _, c := range usageColumns {
		sorted := f
		sorted.Sort = c.Key
		c.Href = "/usage?" + usageQuery(sorted).Encode()
		c.Active = c.Key == f.Sort
		v.Columns = append(v.Columns, c)
	}
	for _, r := range u.Rows {
		row := usageRow(r, month)
		v.Rows = append(v.Rows, row)
		t := &v.Footer
		t.Calls += row.Calls
		t.Unpriced += row.Unpriced
		t.Input += row.Input
		t.CacheRead += row.CacheRead
		t.CacheWrite += row.CacheWrite
		t.Output += row.Output
		t.Cost = t.Cost.Add(row.Cost)
	}
	return v
}

func usageRow(r spend.UsageRow, month string) ui.UsageRow {
	row := ui.UsageRow{Principal: cmp.Or(r.Name, r.Email), Email: r.Email,
		CostCenter: r.CostCenter, Model: r.Model, Tier: r.Tier, Priced: r.Priced,
		Calls: r.Calls, Unpriced: unpricedCalls(r.Priced, r.Calls),
		Input: r.Tokens.InputUncached, CacheRead: r.Tokens.CacheRead,
		CacheWrite: r.Tokens.CacheWrite5m + r.Tokens.CacheWrite1h, Output: r.Tokens.Output,
		Cost: r.Cost}
	row.Href = fmt.Sprintf("/spend?month=%s&principal=%d", month, r.PrincipalID)
	if r.PrincipalID == 0 {
		row.Principal, row.Href = "unattributed", "/unattributed?month="+month
	}
	return row
}

// options turns values into select options, with chosen among them even
// when no row has it.
func options(values []string, chosen string) []ui.FilterOption {
	if chosen != "" && !slices.Contains(values, chosen) {
		values = append(slices.Clone(values), chosen)
		slices.Sort(values)
	}
	out := make([]ui.FilterOption, len(values))
	for i, v := range values {
		out[i] = ui.FilterOption{Value: v, Label: v}
	}
	return out
}

// writeUsageCSV writes rows as RFC 4180 CSV (CRLF line ends, quoting as
// needed) with a header. Costs are exact and unrounded; an unpriced row has
// priced false and no cost.
func writeUsageCSV(buf *bytes.Buffer, rows []spend.UsageRow) error {
	w := csv.NewWriter(buf)
	w.UseCRLF = true
	if err := w.Write(usageCSVHeader); err != nil {
		return err
	}
	for _, r := range rows {
		who, cost := r.Email, ""
		if r.PrincipalID == 0 {
			who = "unattributed"
		}
		if r.Priced {
			cost = exactMoney(r.Cost)
		}
		n := func(v int64) string { return strconv.FormatInt(v, 10) }
		rec := []string{csvText(who), csvText(r.Name), csvText(r.CostCenter), csvText(r.Model),
			r.Tier, strconv.FormatBool(r.Priced), n(r.Calls), n(r.Tokens.InputUncached),
			n(r.Tokens.CacheRead), n(r.Tokens.CacheWrite5m + r.Tokens.CacheWrite1h),
			n(r.Tokens.Output), cost}
		if err := w.Write(rec); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}

// exactMoney writes d in full, with at least two decimals: 1.00, 0.5000004.
func exactMoney(d decimal.Decimal) string {
	s := d.String()
	if _, frac, _ := strings.Cut(s, "."); len(frac) < 2 {
		return d.StringFixed(2)
	}
	return s
}

// csvText keeps a text cell from being read as a formula by a spreadsheet:
// one that starts with =, +, -, @, a tab or a carriage return gets a
// leading apostrophe.
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
