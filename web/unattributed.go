package web

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/tallyhq/tally/internal/spend"
	"github.com/tallyhq/tally/web/ui"
)

// clusterLabels name the kinds of cluster.
var clusterLabels = map[string]string{
	spend.ByHost:    "host and OS user",
	spend.BySession: "session",
	spend.ByCWD:     "project directory",
	spend.ByKey:     "key",
}

// clusterNone names the cluster of calls without a kind's evidence.
var clusterNone = map[string]string{
	spend.ByHost:    "No host or OS user recorded",
	spend.BySession: "No session recorded",
	spend.ByCWD:     "No project directory recorded",
	spend.ByKey:     "No API key, IAM role or gateway user recorded",
}

// showUnattributedPage is Unattributed: the month's spend that nobody owns,
// in clusters of the evidence that ?by= names.
func (s *Server) showUnattributedPage(w http.ResponseWriter, r *http.Request) {
	p, _ := principalFrom(r.Context())
	month, err := s.monthParam(r)
	if err != nil {
		s.renderError(w, r, err)
		return
	}

	u, err := s.spend.Unattributed(r.Context(), p, month, r.URL.Query().Get("by"))
	if err != nil {
		s.renderError(w, r, err)
		return
	}

	v := unattributedView(u)
	v.Shell = s.shell(r, "Unattributed spend", "unattributed")
	v.Picker = s.monthPicker("/unattributed", month, url.Values{"by": {u.By}}, true)
	s.render(w, r, http.StatusOK, ui.UnattributedPage(v))
}

// showClusterEventsPage lists the calls of one cluster: ?by= and ?value=
// as the cluster's link carries them.
func (s *Server) showClusterEventsPage(w http.ResponseWriter, r *http.Request) {
	p, _ := principalFrom(r.Context())
	month, err := s.monthParam(r)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	q := r.URL.Query()
	by := q.Get("by")

	c, calls, err := s.spend.ClusterCalls(r.Context(), p, month, by, q.Get("value"))
	if err != nil {
		s.renderError(w, r, err)
		return
	}

	back := url.Values{"month": {month.Format("2006-01")}, "by": {by}}
	rows := eventRows(calls.Events)
	common := splitEvidence(rows)
	if len(calls.Events) == 1 {
		common = evidenceItems(c.Evidence)
	}
	s.render(w, r, http.StatusOK, ui.ClusterEventsPage(ui.ClusterEventsView{
		Shell:   s.shell(r, "Unattributed calls", "unattributed"),
		Month:   ui.MonthLabel(month),
		ByLabel: clusterLabels[by],
		Common:  common,
		Source:  sharedSource(rows),
		Back:    "/unattributed?" + back.Encode(),
		Total:   figureOf(calls.Total),
		Events:  rows,
		Note:    callsNote(calls),
	}))
}

// unattributedView builds the clusters table and its groupings.
func unattributedView(u *spend.Unattributed) ui.UnattributedView {
	month := u.Month.Format("2006-01")
	v := ui.UnattributedView{Month: ui.MonthLabel(u.Month), By: u.By, Total: figureOf(u.Total),
		NoneLabel: clusterNone[u.By]}
	for _, by := range spend.ClusterKinds {
		q := url.Values{"month": {month}, "by": {by}}
		v.Groupings = append(v.Groupings, ui.GroupingLink{Key: by, Label: clusterLabels[by],
			Href: "/unattributed?" + q.Encode(), Active: by == u.By})
	}
	for _, c := range u.Clusters {
		q := url.Values{"month": {month}, "by": {c.By}, "value": {c.Value}}
		v.Clusters = append(v.Clusters, ui.ClusterRow{Evidence: evidenceItems(c.Evidence),
			Href: "/unattributed/events?" + q.Encode(), Calls: c.Calls, Unpriced: c.Unpriced,
			Cost: c.Cost, FirstSeen: c.FirstSeen.UTC().Format("2 Jan 15:04"),
			LastSeen: c.LastSeen.UTC().Format("2 Jan 15:04")})
		v.Footer.Calls += c.Calls
		v.Footer.Unpriced += c.Unpriced
		v.Footer.Cost = v.Footer.Cost.Add(c.Cost)
	}
	if u.Truncated {
		v.Note = fmt.Sprintf("The %d largest clusters are listed.", len(u.Clusters))
	}
	return v
}

func evidenceItems(ev []spend.Evidence) []ui.EvidenceItem {
	out := make([]ui.EvidenceItem, len(ev))
	for i, e := range ev {
		out[i] = ui.EvidenceItem{Key: e.Key, Value: e.Value}
	}
	return out
}
