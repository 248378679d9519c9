package ui

import "github.com/shopspring/decimal"

// The view models of My spend and a session's calls, and the parts that the
// Usage and Unattributed pages share with them. Money stays decimal here;
// the components format it.

// SpendView is My spend: one person's month, their own or, for their
// manager and finance, a report's.
type SpendView struct {
	Shell
	Name       string // whose spend
	Email      string
	CostCenter string
	Own        bool   // the viewer's own page
	Month      string // March 2026
	Picker     MonthPicker
	Total      Figure
	Days       []SpendDayRow // every day of the month
	Models     []SpendModelRow
	ModelTotal SpendModelRow
	Sessions   []SpendSessionRow
	// SessionTotal sums the sessions listed.
	SessionTotal Figure
	// SessionsNote says how many sessions the table leaves out, if any.
	SessionsNote string
	// Reports are shown when the person has reports and the viewer may see
	// their pages.
	Reports     []SpendReportRow
	ReportTotal SpendReportRow
}

// Figure is a total as a page opens with it: the cost of the priced calls
// and what makes it incomplete or approximate.
type Figure struct {
	Cost        decimal.Decimal
	Calls       int64
	Unpriced    int64
	Approximate int64
}

// AllUnpriced reports whether there are calls and none has a price, so
// there is no cost to show at all.
func (f Figure) AllUnpriced() bool { return f.Calls > 0 && f.Unpriced == f.Calls }

// MonthPicker moves between months: previous and next links and a select.
type MonthPicker struct {
	Action   string      // the page the form goes to
	Hidden   []FormParam // the other filters, kept
	Selected string      // 2006-01
	Options  []FilterOption
	Prev     string // the previous month's URL
	PrevName string
	Next     string // the next month's URL; "" past the current month
	NextName string
}

// FilterOption is one choice of a select.
type FilterOption struct {
	Value string
	Label string
}

// SpendDayRow is one day of a month.
type SpendDayRow struct {
	Day      int
	Label    string // Mon 2 Mar
	Calls    int64
	Unpriced int64
	Cost     decimal.Decimal
}

// SpendModelRow is a month's use of one model; an unpriced model goes
// under its reported name.
type SpendModelRow struct {
	Model      string
	Tier       string
	Priced     bool
	Calls      int64
	Unpriced   int64
	Input      int64
	CacheRead  int64
	CacheWrite int64
	Output     int64
	Cost       decimal.Decimal
}

// SpendSessionRow is one session of a month.
type SpendSessionRow struct {
	ID          string // "" for the calls without a session
	Href        string // its calls; "" when it has no page
	Started     string
	Calls       int64
	Unpriced    int64
	Approximate int64
	Cost        decimal.Decimal
	Models      string
	CWD         string
	HasShares   bool // false when the session has no cost to share
	SubAgent    decimal.Decimal
	Replay      decimal.Decimal
}

// SpendReportRow is a report's month on their manager's page.
type SpendReportRow struct {
	Name       string
	Email      string
	CostCenter string
	Href       string
	Calls      int64
	Unpriced   int64
	Cost       decimal.Decimal
}

// SessionView lists a session's calls.
type SessionView struct {
	Shell
	ID     string
	Owners string // whose calls they are
	// ManyOwners is set when the calls are not all one principal's; the
	// rows then name theirs.
	ManyOwners bool
	// Common is the evidence that every call listed shares; the rows show
	// the rest.
	Common []EvidenceItem
	// Source, when set, is where every call listed came from; the rows
	// then show their line only.
	Source *EventSource
	Back   string // the month's page
	Total  Figure
	Events []EventRow
	Note   string // how many calls the list leaves out, if any
}

// EventRow is one call with its evidence and where it came from.
type EventRow struct {
	ID          int64
	When        string
	Time        string // RFC 3339, for machines
	Model       string // the price key, or the reported name when unpriced
	Reported    string // the name the source gave, when it differs
	Priced      bool
	Cost        decimal.Decimal
	Input       int64
	CacheRead   int64
	CacheWrite  int64
	Output      int64
	Flags       []string // what makes the figures less certain
	Evidence    []EvidenceItem
	Source      string // file:line
	File        string
	Line        int
	Format      string
	ImportHref  string
	ImportID    int64
	Uploader    string
	Owner       string // "" when unattributed
	Attribution string
}

// EventSource is where calls came from: one import and, when they share
// it, one file of it.
type EventSource struct {
	File       string // "" when the calls come from several files
	Format     string
	ImportHref string
	ImportID   int64
	Uploader   string
}

// EvidenceItem is one piece of evidence; Key is as stored (host,
// api_key_id, …) and the components name it.
type EvidenceItem struct {
	Key   string
	Value string
}
