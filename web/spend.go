package web

import (
	"cmp"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tallyhq/tally/internal/spend"
	"github.com/tallyhq/tally/internal/usage"
	"github.com/tallyhq/tally/web/ui"
)

// pickerMonths is how many months the month select offers.
const pickerMonths = 24

// showSpendPage is My spend: the viewer's month, or with ?principal= the
// month of someone the viewer may see.
func (s *Server) showSpendPage(w http.ResponseWriter, r *http.Request) {
	p, _ := principalFrom(r.Context())
	month, err := s.monthParam(r)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	var id int64
	if v := r.URL.Query().Get("principal"); v != "" {
		if id, err = strconv.ParseInt(v, 10, 64); err != nil || id <= 0 {
			s.renderStatus(w, r, http.StatusNotFound)
			return
		}
	}

	got, err := s.spend.Personal(r.Context(), p, id, month)
	if err != nil {
		s.renderError(w, r, err)
		return
	}

	own := got.Principal.ID == p.ID
	title := "My spend"
	keep := url.Values{}
	if !own {
		title = "Spend of " + got.Principal.DisplayName()
		keep.Set("principal", strconv.FormatInt(got.Principal.ID, 10))
	}
	v := spendView(got)
	v.Shell = s.shell(r, title, "spend")
	v.Own = own
	v.Picker = s.monthPicker("/spend", month, keep, true)
	s.render(w, r, http.StatusOK, ui.SpendPage(v))
}

// showSessionPage lists the calls of one session that the viewer may see.
func (s *Server) showSessionPage(w http.ResponseWriter, r *http.Request) {
	p, _ := principalFrom(r.Context())
	id := r.PathValue("id")

	calls, err := s.spend.Session(r.Context(), p, id)
	if err != nil {
		s.renderError(w, r, err)
		return
	}

	first := calls.Events[0]
	q := url.Values{"month": {s.spend.ThisMonth(first.OccurredAt).Format("2006-01")}}
	if first.OwnerID != 0 && first.OwnerID != p.ID {
		q.Set("principal", strconv.FormatInt(first.OwnerID, 10))
	}
	rows := eventRows(calls.Events)
	names := owners(calls.Events)
	s.render(w, r, http.StatusOK, ui.SessionPage(ui.SessionView{
		Shell:      s.shell(r, "Session "+id, "spend"),
		ID:         id,
		Owners:     strings.Join(names, ", "),
		ManyOwners: len(names) > 1,
		Back:       "/spend?" + q.Encode(),
		Total:      figureOf(calls.Total),
		Common:     splitEvidence(rows),
		Source:     sharedSource(rows),
		Events:     rows,
		Note:       callsNote(calls),
	}))
}

// monthParam returns the month that ?month= names, or this billing month.
func (s *Server) monthParam(r *http.Request) (time.Time, error) {
	v := r.URL.Query().Get("month")
	if v == "" {
		return s.spend.ThisMonth(s.now()), nil
	}
	return spend.ParseMonth(v)
}

// monthPicker links the months around month on the page at path, keeping
// the query parameters in keep; with form it offers a select of months too.
func (s *Server) monthPicker(path string, month time.Time, keep url.Values,
	form bool) ui.MonthPicker {
	this := s.spend.ThisMonth(s.now())
	href := func(m time.Time) string {
		q := url.Values{}
		maps.Copy(q, keep)
		q.Set("month", m.Format("2006-01"))
		return path + "?" + q.Encode()
	}
	prev, next := month.AddDate(0, -1, 0), month.AddDate(0, 1, 0)
	p := ui.MonthPicker{Selected: month.Format("2006-01"),
		Prev: href(prev), PrevName: ui.MonthLabel(prev),
		Options: monthOptions(month, this)}
	if !next.After(this) {
		p.Next, p.NextName = href(next), ui.MonthLabel(next)
	}
	if form {
		p.Action = path
		for _, k := range slices.Sorted(maps.Keys(keep)) {
			p.Hidden = append(p.Hidden, ui.FormParam{Name: k, Value: keep.Get(k)})
		}
	}
	return p
}

// monthOptions lists pickerMonths months, newest first, ending at this
// month or at month when that is later, and including month.
func monthOptions(month, this time.Time) []ui.FilterOption {
	last := this
	if month.After(this) {
		last = month
	}
	var out []ui.FilterOption
	for i := range pickerMonths {
		m := last.AddDate(0, -i, 0)
		out = append(out, ui.FilterOption{Value: m.Format("2006-01"), Label: ui.MonthLabel(m)})
	}
	if month.Before(last.AddDate(0, 1-pickerMonths, 0)) {
		out = append(out, ui.FilterOption{Value: month.Format("2006-01"),
			Label: ui.MonthLabel(month)})
	}
	return out
}

// spendView builds My spend's figures and tables from a month.
func spendView(p *spend.Personal) ui.SpendView {
	v := ui.SpendView{Name: p.Principal.DisplayName(), Email: p.Principal.Email,
		CostCenter: p.Principal.CostCenter, Month: ui.MonthLabel(p.Month),
		Total: figureOf(p.Total)}
	for _, d := range p.Days {
		v.Days = append(v.Days, ui.SpendDayRow{Day: d.Day.Day(), Label: d.Day.Format("Mon 2 Jan"),
			Calls: d.Calls, Unpriced: d.Unpriced, Cost: d.Cost})
	}
	for _, m := range p.Models {
		row := ui.SpendModelRow{Model: m.Model, Tier: m.Tier, Priced: m.Priced, Calls: m.Calls,
			Unpriced: unpricedCalls(m.Priced, m.Calls), Input: m.Tokens.InputUncached,
			CacheRead: m.Tokens.CacheRead, Output: m.Tokens.Output, Cost: m.Cost,
			CacheWrite: m.Tokens.CacheWrite5m + m.Tokens.CacheWrite1h}
		v.Models = append(v.Models, row)
		addModelRow(&v.ModelTotal, row)
	}
	for _, ss := range p.Sessions {
		v.Sessions = append(v.Sessions, sessionRow(ss))
		v.SessionTotal.Calls += ss.Calls
		v.SessionTotal.Unpriced += ss.Unpriced
		v.SessionTotal.Cost = v.SessionTotal.Cost.Add(ss.Cost)
	}
	if n := p.SessionCount; n > len(p.Sessions) {
		v.SessionsNote = fmt.Sprintf("The %d largest of %s sessions are listed.",
			len(p.Sessions), ui.FormatCount(int64(n)))
	}
	month := p.Month.Format("2006-01")
	for _, rp := range p.Reports {
		row := ui.SpendReportRow{Name: cmp.Or(rp.Name, rp.Email), Email: rp.Email,
			CostCenter: rp.CostCenter, Calls: rp.Calls, Unpriced: rp.Unpriced, Cost: rp.Cost,
			Href: fmt.Sprintf("/spend?month=%s&principal=%d", month, rp.ID)}
		v.Reports = append(v.Reports, row)
		v.ReportTotal.Calls += row.Calls
		v.ReportTotal.Unpriced += row.Unpriced
		v.ReportTotal.Cost = v.ReportTotal.Cost.Add(row.Cost)
	}
	return v
}

func addModelRow(t *ui.SpendModelRow, r ui.SpendModelRow) {
	t.Calls += r.Calls
	t.Unpriced += r.Unpriced
	t.Input += r.Input
	t.CacheRead += r.CacheRead
	t.CacheWrite += r.CacheWrite
	t.Output += r.Output
	t.Cost = t.Cost.Add(r.Cost)
}

func sessionRow(ss spend.Session) ui.SpendSessionRow {
	row := ui.SpendSessionRow{ID: ss.ID, Started: ss.Started.UTC().Format("2 Jan 15:04"),
		Calls: ss.Calls, Unpriced: ss.Unpriced, Approximate: ss.Approximate, Cost: ss.Cost,
		Models: strings.Join(ss.Models, ", "), CWD: ss.CWD}
	if ss.ID != "" {
		row.Href = "/spend/sessions/" + url.PathEscape(ss.ID)
	}
	row.SubAgent, row.HasShares = ss.SubAgentShare()
	row.Replay, _ = ss.ReplayShare()
	return row
}

func unpricedCalls(priced bool, calls int64) int64 {
	if priced {
		return 0
	}
	return calls
}

func figureOf(t spend.Total) ui.Figure {
	return ui.Figure{Cost: t.Cost, Calls: t.Calls, Unpriced: t.Unpriced,
		Approximate: t.Approximate}
}

// flagLabels name the flags that make a call's figures less certain. An
// unpriced call says so in its cost instead.
var flagLabels = []struct {
	flag  usage.Flags
	label string
}{
	{usage.FlagApproximate, "approximate: priced at a guessed tier"},
	{usage.FlagModelAssumed, "model assumed"},
	{usage.FlagTTLAssumed, "cache lifetime assumed"},
	{usage.FlagOutputSuspect, "output may be unfinished"},
	{usage.FlagFromProgressCopy, "from a progress copy"},
}

// eventRows builds the rows of a list of calls.
func eventRows(events []spend.Event) []ui.EventRow {
	rows := make([]ui.EventRow, len(events))
	for i, e := range events {
		row := ui.EventRow{ID: e.ID, When: e.OccurredAt.UTC().Format("2 Jan 15:04:05"),
			Time:  e.OccurredAt.UTC().Format(time.RFC3339),
			Model: cmp.Or(e.ModelKey, e.ModelReported), Priced: e.Priced(), Cost: e.Cost,
			Input: e.Tokens.InputUncached, CacheRead: e.Tokens.CacheRead,
			CacheWrite: e.Tokens.CacheWrite5m + e.Tokens.CacheWrite1h, Output: e.Tokens.Output,
			Source: fmt.Sprintf("%s:%d", e.SourceFile, e.SourceLine), File: e.SourceFile,
			Line: e.SourceLine, Format: e.SourceFormat,
			ImportID: e.ImportID, ImportHref: fmt.Sprintf("/imports/%d", e.ImportID),
			Uploader: e.Uploader, Attribution: e.Attribution}
		if e.Priced() && e.ModelReported != e.ModelKey {
			row.Reported = e.ModelReported
		}
		if e.OwnerEmail != "" {
			row.Owner = cmp.Or(e.OwnerName, e.OwnerEmail)
		}
		for _, f := range flagLabels {
			if e.Flags&f.flag != 0 {
				row.Flags = append(row.Flags, f.label)
			}
		}
		for _, ev := range e.Evidence {
			row.Evidence = append(row.Evidence, ui.EvidenceItem{Key: ev.Key, Value: ev.Value})
		}
		rows[i] = row
	}
	return rows
}

// splitEvidence takes the evidence that every one of several rows has out
// of the rows and returns it.
func splitEvidence(rows []ui.EventRow) []ui.EvidenceItem {
	if len(rows) < 2 {
		return nil
	}
	var common []ui.EvidenceItem
	for _, ev := range rows[0].Evidence {
		if !slices.ContainsFunc(rows, func(r ui.EventRow) bool {
			return !slices.Contains(r.Evidence, ev)
		}) {
			common = append(common, ev)
		}
	}
	for i := range rows {
		rows[i].Evidence = slices.DeleteFunc(rows[i].Evidence, func(ev ui.EvidenceItem) bool {
			return slices.Contains(common, ev)
		})
	}
	return common
}

// sharedSource returns where all of several rows came from when that is
// one import: its file too when they share one, else File is "".
func sharedSource(rows []ui.EventRow) *ui.EventSource {
	if len(rows) < 2 {
		return nil
	}
	src := func(r ui.EventRow) ui.EventSource {
		return ui.EventSource{File: r.File, Format: r.Format, ImportHref: r.ImportHref,
			ImportID: r.ImportID, Uploader: r.Uploader}
	}
	first := src(rows[0])
	for _, r := range rows[1:] {
		s := src(r)
		if s.File != first.File {
			first.File, s.File = "", ""
		}
		if s.File != first.File || s != first {
			return nil
		}
	}
	return &first
}

// owners names whose calls a list holds.
func owners(events []spend.Event) []string {
	var names []string
	for _, e := range events {
		name := "nobody (unattributed)"
		if e.OwnerEmail != "" {
			name = cmp.Or(e.OwnerName, e.OwnerEmail)
		}
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	return names
}

// callsNote says how many calls a list leaves out.
func callsNote(c *spend.Calls) string {
	if !c.Truncated() {
		return ""
	}
	return fmt.Sprintf("The first %s of %s calls are listed; the totals cover them all.",
		ui.FormatCount(int64(len(c.Events))), ui.FormatCount(c.Total.Calls))
}
