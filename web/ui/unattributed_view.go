package ui

import "github.com/shopspring/decimal"

// UnattributedView is Unattributed: the month's spend that nobody owns, in
// clusters of shared evidence.
type UnattributedView struct {
	Shell
	Month     string // March 2026
	Picker    MonthPicker
	By        string
	Groupings []GroupingLink
	NoneLabel string // names the cluster of calls without the evidence
	Total     Figure
	Clusters  []ClusterRow
	Footer    Figure // the clusters listed, summed
	Note      string // how many clusters the table leaves out, if any
}

// GroupingLink switches the evidence that clusters are made of.
type GroupingLink struct {
	Key    string
	Label  string
	Href   string
	Active bool
}

// ClusterRow is one cluster of unattributed calls.
type ClusterRow struct {
	Evidence  []EvidenceItem // empty: the calls without this evidence
	Href      string         // its calls
	Calls     int64
	Unpriced  int64
	Cost      decimal.Decimal
	FirstSeen string
	LastSeen  string
}

// ClusterEventsView lists the calls of one unattributed cluster.
type ClusterEventsView struct {
	Shell
	Month   string
	ByLabel string // host and OS user
	// Common is the evidence that every call listed shares; the rows show
	// the rest.
	Common []EvidenceItem
	// Source, when set, is where every call listed came from.
	Source *EventSource
	Back   string
	Total  Figure
	Events []EventRow
	Note   string // how many calls the list leaves out, if any
}
